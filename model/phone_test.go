package model

import (
	"strings"
	"testing"
	"time"
)

// TestUSPhoneRuleM2: a 2FA phone is a number whose region is the United
// States by the numbering plan, and a phone. One number from each refused
// family, read by libphonenumber.
func TestUSPhoneRuleM2(t *testing.T) {
	ok := map[string]string{
		"+1 (212) 555-0123": "+12125550123", // fictional 555-01xx, valid in the metadata too
		"+1 983 555 0123":   "+19835550123", // fictional, invalid in the metadata: the allowance
		"+1 983 555 0100":   "+19835550100", // first line of the fictional range
		"+1 983 555 0199":   "+19835550199", // last line of the fictional range
		"+1 274 555 0150":   "+12745550150",
		"+1 650 253 0000":   "+16502530000", // a real US number
		"+1 202 456 1111":   "+12024561111",
	}
	for in, want := range ok {
		if got, err := NormalizeUSPhone(in); err != nil || got != want {
			t.Errorf("NormalizeUSPhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	refused := []struct{ family, number, want string }{
		{"Canada", "+1 416 967 1111", "number of Canada"},
		{"Canada, fictional line", "+1 416 555 0123", "number of Canada"},
		{"Caribbean: Dominican Republic 809", "+1 809 555 0123", "Dominican Republic (Caribbean)"},
		{"Caribbean: Jamaica 876", "+1 876 555 0123", "Jamaica (Caribbean)"},
		{"territory: Puerto Rico 787", "+1 787 234 5678", "Puerto Rico, a US territory"},
		{"territory: Puerto Rico 939", "+1 939 555 0123", "Puerto Rico"},
		{"territory: Guam 671", "+1 671 477 1234", "Guam"},
		{"territory: US Virgin Islands 340", "+1 340 712 1234", "US Virgin Islands"},
		{"territory: American Samoa 684", "+1 684 622 1234", "American Samoa"},
		{"territory: American Samoa 684, fictional line", "+1 684 555 0123", "American Samoa"},
		{"territory: Northern Mariana Islands 670", "+1 670 234 1234", "Northern Mariana Islands"},
		{"toll-free 800", "+1 800 234 5678", "toll-free"},
		{"toll-free 833", "+1 833 234 5678", "toll-free"},
		{"toll-free 844", "+1 844 234 5678", "toll-free"},
		{"toll-free 855", "+1 855 234 5678", "toll-free"},
		{"toll-free 866", "+1 866 234 5678", "toll-free"},
		{"toll-free 877", "+1 877 234 5678", "toll-free"},
		{"toll-free 888", "+1 888 234 5678", "toll-free"},
		{"premium 900", "+1 900 234 5678", "premium-rate (900)"},
		{"N11 exchange 411", "+1 212 411 0123", "N11 service code 411"},
		{"N11 exchange 911", "+1 212 911 4567", "N11 service code 911"},
		{"N11 area code 611", "+1 611 555 0123", "N11 service code 611"},
		{"no such area code", "+1 555 555 0123", "not a number in the US numbering plan"},
		{"fictional exchange, line outside 0100-0199", "+1 983 555 0200", "not a number in the US numbering plan"},
		{"fictional exchange, line below 0100", "+1 983 555 0099", "not a number in the US numbering plan"},
		{"another country", "+44 20 7946 0958", "not a US +1 number"},
	}
	for _, c := range refused {
		t.Run(c.family, func(t *testing.T) {
			_, err := NormalizeUSPhone(c.number)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "M2") {
				t.Fatalf("NormalizeUSPhone(%q) err = %v; want it refused with %q and M2", c.number, err, c.want)
			}
		})
	}
}

// TestImportRefusesNonUSFactorPhones: the refusal reaches import as a
// field error naming the factor (M2).
func TestImportRefusesNonUSFactorPhones(t *testing.T) {
	for _, n := range []string{"+1 416 967 1111", "+1 787 234 5678", "+1 800 234 5678", "+1 900 234 5678", "+1 212 411 0123"} {
		_, err := ParseAccount(patch(t, "factors[1].phone", n))
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != "factors[1].phone" || !strings.Contains(fe.Reason, "M2") {
			t.Errorf("factor phone %s: %v", n, err)
		}
	}
}

// TestContactPhone: the contact number on file may be from any country
// (or a territory), but must be a phone in its plan.
func TestContactPhone(t *testing.T) {
	for _, n := range []string{"+44 20 7946 0958", "+1 787 234 5678", "+1 416 967 1111", "+12125550101"} {
		if _, err := ParseAccount(patch(t, "phone", n)); err != nil {
			t.Errorf("contact phone %s refused: %v", n, err)
		}
	}
	for n, want := range map[string]string{
		"+1 800 234 5678": "toll-free",
		"+1 212 411 0123": "N11",
		"+44 20 1234":     "not a number in the numbering plan of +44",
		"212-555-0123":    "no country code",
	} {
		_, err := ParseAccount(patch(t, "phone", n))
		if fe, ok := err.(*FieldError); !ok || fe.Field != "phone" || !strings.Contains(fe.Reason, want) {
			t.Errorf("contact phone %s: %v, want a phone field error with %q", n, err, want)
		}
	}
}

// TestOnePhonePerAccountRuleM5: two different numbers among the factors
// are refused; the same number written twice is one number; the contact
// phone may differ from the factor phone.
func TestOnePhonePerAccountRuleM5(t *testing.T) {
	two := func(second string) *Account {
		a := base(withFactors(FactorPhone, FactorPhone))
		a.Factors[1].Phone = second
		return a
	}
	err := two("+1 212 555 0199").Validate()
	if fe, ok := err.(*FieldError); !ok || fe.Field != "factors[1].phone" || !strings.Contains(fe.Reason, "factors[0].phone") || !strings.Contains(fe.Reason, "M5") {
		t.Fatalf("two phone numbers: %v", err)
	}
	if err := two("+1 (212) 555-0123").Validate(); err != nil {
		t.Fatalf("the same number, written differently: %v", err)
	}
	a := base(withFactors(FactorPhone))
	a.Phone = "+12125550188"
	if err := a.Validate(); err != nil {
		t.Fatalf("a contact phone other than the factor phone: %v", err)
	}
}

// TestExemptionLengthRuleM7: exactly 168 h, a fixed duration.
func TestExemptionLengthRuleM7(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	granted := time.Date(2026, 10, 28, 12, 0, 0, 0, ny)
	for _, c := range []struct {
		name    string
		expires time.Time
		ok      bool
	}{
		{"exactly 168 h", granted.Add(168 * time.Hour), true},
		{"168 h less a second", granted.Add(168*time.Hour - time.Second), false},
		{"168 h and a second", granted.Add(168*time.Hour + time.Second), false},
		{"a calendar week across the DST change (169 h)", granted.AddDate(0, 0, 7), false},
		{"before granted", granted.Add(-time.Hour), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, e := granted.UTC(), c.expires.UTC()
			a := base(provider)
			a.MFAExemption = &Exemption{GrantedAt: &g, ExpiresAt: &e}
			err := a.Validate()
			if c.ok != (err == nil) {
				t.Fatalf("Validate() = %v, want ok %v", err, c.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "mfa_exemption.expires_at") {
				t.Fatalf("error does not name the field: %v", err)
			}
		})
	}
	// what the console grants is what import accepts
	acc, in := ready(ActGrantExemption)
	e, err := DefaultPolicy.GrantExemption(acc, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Account.Validate(); err != nil {
		t.Fatalf("a granted exemption does not validate: %v", err)
	}
}
