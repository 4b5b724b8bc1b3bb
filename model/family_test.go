package model

import (
	"strings"
	"testing"
)

// TestPlusAddressDomainsRuleA2: the providers and every country variant A2
// names, and lookalikes that are not them.
func TestPlusAddressDomainsRuleA2(t *testing.T) {
	for email, want := range map[string]bool{
		"a@gmail.com": true, "a@googlemail.com": true,
		"a@hotmail.com": true, "a@hotmail.co.uk": true, "a@hotmail.fr": true, "a@hotmail.com.br": true, "a@hotmail.co.jp": true,
		"a@outlook.com": true, "a@outlook.fr": true, "a@outlook.com.au": true, "a@outlook.de": true,
		"a@live.com": true, "a@live.com.au": true, "a@live.co.uk": true, "a@live.nl": true,
		"a@msn.com": true, "a@windowslive.com": true,
		"a@icloud.com": true, "a@me.com": true, "a@mac.com": true,
		" A@Hotmail.CO.UK ": true,
		"a@gmail.co":        false, "a@yahoo.com": false, "a@protonmail.com": false,
		"a@outlook.example.com": false, "a@live.company.org": false, "a@myhotmail.com": false,
		"a@hotmail": false, "a@mail.gmail.com": false, "not an email": false,
	} {
		if got := SupportsPlusAddress(email); got != want {
			t.Errorf("SupportsPlusAddress(%q) = %v, want %v", email, got, want)
		}
	}
}

func TestPlusAddressBaseDropsAnExistingTag(t *testing.T) {
	for email, want := range map[string][2]string{
		"mike.obi+kid1@gmail.com": {"mike.obi", "gmail.com"},
		"Mike.Obi@GMAIL.com":      {"Mike.Obi", "gmail.com"},
		"a+b+c@me.com":            {"a", "me.com"},
	} {
		if l, d := PlusAddressBase(email); l != want[0] || d != want[1] {
			t.Errorf("PlusAddressBase(%q) = %q, %q; want %q", email, l, d, want)
		}
	}
}

// TestFamilyAddressThatCannotBeBuiltOn: rule A2 builds on the parent's own
// address. A full-width ＠ is not an @ (the address is not an email: say
// so, not "does not support plus-addressing" with no domain), and an
// address that is only a +tag has no name to build "name+1@" on.
func TestFamilyAddressThatCannotBeBuiltOn(t *testing.T) {
	for _, c := range []struct {
		email, code string
		says        string   // in the evidence
		never       []string // anywhere in evidence or steps
	}{
		{"kid＠gmail.com", "family_new_email", "not a valid email address: its @ is a full-width ＠", []string{" does not support plus-addressing", "+1@"}},
		{"mike obi@gmail", "family_new_email", "not a valid email address", []string{"does not support plus-addressing", "+1@"}},
		{"+kid@gmail.com", "family_plus_address", "no name before its +tag", []string{"+1@gmail.com", "+name@gmail.com"}},
		{" +kid@Outlook.fr", "family_plus_address", "no name before its +tag", []string{"+1@outlook.fr"}},
	} {
		for _, reveal := range []bool{false, true} {
			r := Report{Email: c.email, Site: SitePatient, Problem: ProblemFamilyAccount, Reveal: reveal}
			fs := Diagnose(nil, r, now)
			if len(fs) == 0 || fs[0].Code != c.code {
				t.Fatalf("%q: findings %v, want %s first", c.email, codes(fs), c.code)
			}
			ev, all := strings.Join(fs[0].Evidence, "\n"), strings.Join(append(fs[0].Evidence, fs[0].Steps...), "\n")
			if !strings.Contains(ev, c.says) {
				t.Errorf("%q: evidence does not say %q:\n%s", c.email, c.says, ev)
			}
			for _, n := range c.never {
				if strings.Contains(all, n) {
					t.Errorf("%q: says %q:\n%s", c.email, n, all)
				}
			}
			if !strings.Contains(all, familyAskAgain) {
				t.Errorf("%q: does not ask for the address again:\n%s", c.email, all)
			}
		}
	}
	// a real local part is still built on
	if _, _, err := FamilyBase("mike.obi+kid1@gmail.com"); err != nil {
		t.Errorf("FamilyBase of a tagged address: %v", err)
	}
}
