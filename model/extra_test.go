package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// FuzzMembers: the one-pass member walk finds exactly what
// encoding/json's own decode into a map finds, byte for byte.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x\"y","c":{"d":[1,{"e":"}"}]},"f":null}`, ` { "a" : [ ] , "b" : true } `,
		`{"k\u00e9y":1}`, `{"a":1,"a":2}`, `{"x":-1.5e3,"y":"\\"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]json.RawMessage
		if json.Unmarshal(b, &want) != nil || want == nil {
			return
		}
		got := map[string][]byte{}
		if !members(b, func(k string, raw []byte) { got[k] = raw }) {
			return // an escaped key: the caller decodes the keys instead
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d members, want %d", b, len(got), len(want))
		}
		for k, v := range want {
			if !bytes.Equal(got[k], v) {
				t.Fatalf("%q: member %q = %q, want %q", b, k, got[k], v)
			}
		}
	})
}

// FuzzShapeRaw: the shape check on bytes says exactly what the check on
// the decoded tree says, error for error, wherever it can tell.
func FuzzShapeRaw(f *testing.F) {
	b, _ := os.ReadFile("../testdata/fixtures/accounts.jsonl")
	for _, l := range strings.Split(string(b), "\n") {
		f.Add([]byte(l))
	}
	f.Add([]byte(`{"id":1}`))
	f.Add([]byte(`{"id":"x","email":"a@b.co","name":"n","role":"client","status":"active","logins":[{"at":"nope"}]}`))
	f.Add([]byte(`{"id":"x","factors":[{"id":"f","type":"totp"},5],"resets":{}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		if !json.Valid(line) {
			return
		}
		got, ok := checkShapeRaw("", line, accountShape)
		if !ok {
			return
		}
		var raw any
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		if dec.Decode(&raw) != nil {
			return
		}
		want := checkShape("", raw, accountShape)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%q: raw check says %v, tree check %v", line, got, want)
		}
	})
}

// Text read to a caller or shown to an agent says a thing once and
// writes a phone as it is read (issue 22, item 11).
func TestFactorTitleAndPhoneFormat(t *testing.T) {
	f := Factor{Type: FactorTOTP, Label: "Authenticator app"}
	if got := FactorTitle(f); got != "Authenticator app" {
		t.Errorf("title %q", got)
	}
	if got := FactorSummary(Account{Factors: []Factor{f, {Type: FactorTOTP, Label: "Google Authenticator"}}}); got != "Authenticator app, Authenticator app (Google Authenticator)" {
		t.Errorf("summary %q", got)
	}
	for in, want := range map[string]string{"+12125550132": "+1 212-555-0132", "+1 (212) 555-0132": "+1 212-555-0132", "+442079460958": "+44 20 7946 0958", "call me": "call me"} {
		if got := FormatPhone(in); got != want {
			t.Errorf("FormatPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

// The Account screen's keys come in the order the account needs them:
// the lead finding's action first, what it waits for before it (issue
// 22, item 7).
func TestNextActions(t *testing.T) {
	suppressed := *base(func(a *Account) { a.EmailsUnsubscribedAt = at(-time.Hour) })
	unverified := *base(func(a *Account) { a.EmailVerifiedAt, a.Status = nil, StatusPending })
	for _, c := range []struct {
		name string
		a    Account
		lead string
		want string
	}{
		{"nothing found", *base(), "", "diagnose send_password_reset resets 2fa add_note"},
		{"suppressed", suppressed, "emails_suppressed", "lift_email_suppression diagnose send_password_reset resets 2fa add_note"},
		{"expired link, suppressed", suppressed, "reset_link_expired", "lift_email_suppression send_password_reset diagnose resets 2fa add_note"},
		{"unverified", unverified, "email_unverified", "resend_verification diagnose send_password_reset resets 2fa add_note"},
		{"2FA", *base(), "mfa_sms_filtered", "2fa diagnose send_password_reset resets add_note"},
	} {
		if got := strings.Join(DefaultPolicy.NextActions(c.a, c.lead, now), " "); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
