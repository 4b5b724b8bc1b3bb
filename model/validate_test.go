package model

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const good = `{"id":"a1","email":"maria.lopez@gmail.com","name":"Maria Lopez","role":"client","status":"active","us_state":"NY","phone":"+12125550123","created_at":"2026-10-01T14:00:00Z","email_verified_at":"2026-10-01T14:05:00Z","emails_unsubscribed_at":null,"previous_emails":["maria@oldmail.com"],"sign_in_methods":["password","email_link","google"],"factors":[{"id":"f1","type":"totp","label":"Authenticator app","enrolled_at":"2026-10-02T00:00:00Z","last_used_at":"2026-11-01T00:00:00Z"},{"id":"f2","type":"phone","phone":"+12125550123","enrolled_at":"2026-10-02T00:00:00Z"},{"id":"f5","type":"recovery_code","enrolled_at":"2026-10-02T00:00:00Z","used_at":null}],"remembered_devices":[{"id":"d1","label":"Chrome on Windows","remembered_at":"2026-11-01T00:00:00Z"}],"mfa_exemption":null,"logins":[{"at":"2026-11-01T00:00:00Z","portal":"patient","result":"bad_password","mfa_method":null,"browser":"Chrome 131","device":"desktop"}],"resets":[{"id":"r1","requested_at":"2026-11-01T00:00:00Z","portal":"patient","status":"delivered","sent_at":"2026-11-01T00:00:01Z","delivered_at":"2026-11-01T00:00:05Z","clicked_at":null,"used_at":null}],"appointments":[{"id":"ap1","starts_at":"2026-11-20T15:00:00Z","kind":"telehealth","with":"Dr. Chen"}],"notes":[]}`

// patch replaces one member of the good record (or deletes it when v is nil).
func patch(t *testing.T, path string, v any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(good), &m); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(path, ".")
	obj := m
	for _, p := range parts[:len(parts)-1] {
		if i := strings.Index(p, "["); i >= 0 {
			idx := int(p[i+1] - '0')
			obj = obj[p[:i]].([]any)[idx].(map[string]any)
			continue
		}
		obj = obj[p].(map[string]any)
	}
	last := parts[len(parts)-1]
	if v == "<delete>" {
		delete(obj, last)
	} else {
		obj[last] = v
	}
	b, _ := json.Marshal(m)
	return b
}

func TestParseAccountGood(t *testing.T) {
	a, err := ParseAccount([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if a.Email != "maria.lopez@gmail.com" || len(a.Factors) != 3 || a.Resets[0].DeliveredAt == nil {
		t.Fatalf("decoded wrong: %+v", a)
	}
}

func TestParseAccountErrors(t *testing.T) {
	cases := []struct {
		name  string
		line  []byte
		field string
		want  string
	}{
		{"not json", []byte(`{"id":`), "", "not valid JSON"},
		{"a member twice", []byte(strings.Replace(good, `"notes":[]`, `"notes":[],"email":"other@example.com"`, 1)), "email", "given twice"},
		{"a nested member twice", []byte(strings.Replace(good, `"kind":"telehealth"`, `"kind":"telehealth","kind":"in_person"`, 1)), "appointments[0].kind", "given twice"},
		// encoding/json would put U+FFFD in place of the bad bytes
		{"not UTF-8", []byte(strings.Replace(good, `"name":"`, "\"name\":\"Li\xff\xfe", 1)), "name", `not UTF-8: byte 0xff after "Li"`},
		{"two values", []byte(good + " {}"), "", "more than one"},
		{"not an object", []byte(`[1,2]`), "record", "must be an object"},
		{"missing id", patch(t, "id", "<delete>"), "id", "required"},
		{"null email", patch(t, "email", nil), "email", "required, got null"},
		{"bad email", patch(t, "email", "maria.lopez"), "email", "not an email"},
		{"email with name", patch(t, "email", "Maria <m@x.com>"), "email", "not allowed"},
		{"email no dot", patch(t, "email", "m@localhost"), "email", "no dot"},
		{"email spaces", patch(t, "email", " m@x.com"), "email", "spaces"},
		{"email number", patch(t, "email", 42), "email", "must be a string, got a number"},
		{"role", patch(t, "role", "admin"), "role", `unknown value "admin" (allowed: client, provider)`},
		{"status", patch(t, "status", "locked"), "status", "unknown value"},
		{"state", patch(t, "us_state", "XX"), "us_state", "not a U.S. state"},
		{"time", patch(t, "created_at", "yesterday"), "created_at", "not an RFC 3339 time"},
		{"time no zone", patch(t, "created_at", "2026-10-01T14:00:00"), "created_at", "RFC 3339"},
		{"time not UTC", patch(t, "created_at", "2026-10-01T16:00:00+02:00"), "created_at", "times are RFC 3339 UTC"},
		{"nested time not UTC", patch(t, "factors[1].enrolled_at", "2026-10-01T09:00:00-05:00"), "factors[1].enrolled_at", "times are RFC 3339 UTC"},
		{"time number", patch(t, "email_verified_at", 1700000000), "email_verified_at", "got a number"},
		{"nested time", patch(t, "factors[1].enrolled_at", "2026-13-01T00:00:00Z"), "factors[1].enrolled_at", "RFC 3339"},
		{"factor type", patch(t, "factors[0].type", "sms"), "factors[0].type", "unknown value"},
		{"factor dup id", patch(t, "factors[1].id", "f1"), "factors[1].id", "duplicate factor id"},
		{"phone factor uk", patch(t, "factors[1].phone", "+44 20 7946 0958"), "factors[1].phone", "not a US +1 number (M2"},
		{"phone factor 001", patch(t, "factors[1].phone", "001 212 555 0123"), "factors[1].phone", "international dialling prefix"},
		{"phone factor no +", patch(t, "factors[1].phone", "212-555-0123"), "factors[1].phone", "no country code"},
		{"phone factor short", patch(t, "factors[1].phone", "+1 212 555 012"), "factors[1].phone", "not a valid US number"},
		{"phone factor missing", patch(t, "factors[1].phone", "<delete>"), "factors[1].phone", "required for a phone factor"},
		{"previous email dup", patch(t, "previous_emails", []any{"MARIA.LOPEZ@gmail.com"}), "previous_emails[0]", "duplicate email"},
		{"previous not list", patch(t, "previous_emails", "a@b.com"), "previous_emails", "must be a list"},
		{"sign-in method", patch(t, "sign_in_methods", []any{"facebook"}), "sign_in_methods[0]", "unknown value"},
		{"login result", patch(t, "logins[0].result", "maybe"), "logins[0].result", "unknown value"},
		{"reset status", patch(t, "resets[0].status", "lost"), "resets[0].status", "unknown value"},
		{"reset no requested_at", patch(t, "resets[0].requested_at", "<delete>"), "resets[0].requested_at", "required"},
		{"id with space", patch(t, "id", "a 1"), "id", "only letters, digits"},
		{"id control", patch(t, "id", "a\x1b1"), "id", "only letters, digits"},
		// an id is listed beside emails and phones: never spelled as one
		{"id an email", patch(t, "id", "valentina.kelly10@outlook.com"), "id", "only letters, digits"},
		{"id a phone", patch(t, "id", "+12125550123"), "id", "starts with a letter"},
		{"id digits", patch(t, "id", "2125550123"), "id", "starts with a letter"},
		{"id long", patch(t, "id", "acc_"+strings.Repeat("0", 61)), "id", "longer than 64 bytes"},
		{"id non-ASCII", patch(t, "id", "acc_\u0430"), "id", "only letters, digits"},
		{"empty name", patch(t, "name", "  "), "name", "must not be empty"},
		{"dob", patch(t, "date_of_birth", "1990-02-30"), "date_of_birth", "YYYY-MM-DD"},
		{"appointment kind", patch(t, "appointments[0].kind", "video"), "appointments[0].kind", "unknown value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseAccount(c.line)
			fe, ok := err.(*FieldError)
			if !ok {
				t.Fatalf("err = %v (%T), want *FieldError", err, err)
			}
			if fe.Field != c.field || !strings.Contains(fe.Reason, c.want) {
				t.Fatalf("got %q, want field %q containing %q", fe.Error(), c.field, c.want)
			}
		})
	}
}

func TestUnknownFieldsRoundTrip(t *testing.T) {
	line := patch(t, "factors[0].vendor", map[string]any{"name": "Ente", "n": 3})
	var m map[string]any
	_ = json.Unmarshal(line, &m)
	m["loyalty_tier"] = "gold"
	line, _ = json.Marshal(m)
	a, err := ParseAccount(line)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"loyalty_tier":"gold"`, `"vendor":{"n":3,"name":"Ente"}`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("export lost %s:\n%s", want, out)
		}
	}
	b, err := ParseAccount(out)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(b); string(again) != string(out) {
		t.Errorf("second round trip differs:\n%s\n%s", out, again)
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		"  Maria.Lopez@GMAIL.com\t": "maria.lopez@gmail.com",
		"a@b.co":                    "a@b.co",
		"ÉMILE@Exemple.fr":          "Émile@exemple.fr", // P7: A–Z only
		"\u212Aate@x.com":           "\u212Aate@x.com",  // Kelvin sign stays
		"STRASSE@X.COM":             "strasse@x.com",
		"stra\u00dfe@x.com":         "stra\u00dfe@x.com", // no case folding to "ss"
	} {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeUSPhone(t *testing.T) {
	ok := map[string]string{
		"+12125550123":      "+12125550123",
		"+1 212-555-0123":   "+12125550123",
		"+1 (212) 555.0123": "+12125550123",
	}
	for in, want := range ok {
		if got, err := NormalizeUSPhone(in); err != nil || got != want {
			t.Errorf("NormalizeUSPhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"+44 20 7946 0958", "0012125550123", "2125550123", "+1 112 555 0123", "+1 212 055 0123", "+1212555012x", "+33 1 23 45 67 89", ""} {
		if _, err := NormalizeUSPhone(bad); err == nil || !strings.Contains(err.Error(), "M2") {
			t.Errorf("NormalizeUSPhone(%q) err = %v, want an M2 error", bad, err)
		}
	}
}

// TestKelvinSignIsNotK: rule P7 folds the ASCII letters only, so an
// address with the Kelvin sign (U+212A) is another address.
func TestKelvinSignIsNotK(t *testing.T) {
	if NormalizeEmail("\u212Aate@x.com") == NormalizeEmail("kate@x.com") {
		t.Fatal("Kelvin sign matched k")
	}
	if NormalizeEmail(" KATE@X.com ") != NormalizeEmail("kate@x.com") {
		t.Fatal("ASCII case and spaces must not matter")
	}
	acc := base(func(a *Account) { a.Email = "kate@x.com"; a.PreviousEmails = []string{"\u212Aate@old.com"} })
	if err := acc.Validate(); err != nil {
		t.Fatalf("an old address with a Kelvin sign is its own address: %v", err)
	}
	acc.PreviousEmails = []string{"\u212Aate@x.com"}
	if err := acc.Validate(); err != nil {
		t.Fatalf("\\u212Aate@x.com is not a duplicate of kate@x.com: %v", err)
	}
	acc.PreviousEmails = []string{"KATE@x.com"}
	if err := acc.Validate(); err == nil {
		t.Fatal("KATE@x.com is kate@x.com (P7)")
	}
}

func TestMasks(t *testing.T) {
	if got := MaskEmail("maria.lopez@gmail.com"); got != "m***z@gmail.com" {
		t.Errorf("MaskEmail = %q", got)
	}
	if got := MaskEmail("al@x.com"); got != "a***@x.com" {
		t.Errorf("MaskEmail short = %q", got)
	}
	if got := MaskPhone("+1 212-555-0123"); got != "+1 ***-***-0123" {
		t.Errorf("MaskPhone = %q", got)
	}
}

func TestRelTime(t *testing.T) {
	n := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		-20 * time.Second:             "just now",
		-3 * time.Hour:                "3 h ago",
		10 * time.Minute:              "in 10 min",
		-(90 * time.Minute):           "1 h 30 min ago",
		-(5*24*time.Hour + time.Hour): "5 d ago",
	} {
		if got := RelTime(n.Add(d), n); got != want {
			t.Errorf("RelTime(%v) = %q, want %q", d, got, want)
		}
	}
}
