package model

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// changed is the good record with change made to it, decoded as a map.
func changed(t *testing.T, change func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(good), &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func first(m map[string]any, list string) map[string]any {
	return m[list].([]any)[0].(map[string]any)
}

func unknown(obj map[string]any, n int, value string) {
	for i := range n {
		obj[fmt.Sprintf("zed%05d", i)] = value
	}
}

func repeat(m map[string]any, list string, n int, each func(i int, e map[string]any)) {
	var l []any
	for i := range n {
		e := map[string]any{}
		for k, v := range first(m, list) {
			e[k] = v
		}
		each(i, e)
		l = append(l, e)
	}
	m[list] = l
}

// What one account may carry is bounded (model.Max…): one past each bound
// is refused with the field named; at the bound it is taken.
func TestAccountBounds(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) } // runes, not bytes
	for _, c := range []struct {
		name         string
		at, past     func(m map[string]any)
		field, wants string
	}{
		{"name", func(m map[string]any) { m["name"] = long(MaxNameRunes) }, func(m map[string]any) { m["name"] = long(MaxNameRunes + 1) }, "name", "201 characters, more than 200"},
		{"email", func(m map[string]any) { m["email"] = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com" },
			func(m map[string]any) { m["email"] = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com" }, "email", "longer than 254 bytes"},
		{"phone", func(m map[string]any) { m["phone"] = "+1 212 555 0123" }, func(m map[string]any) { m["phone"] = "+1" + strings.Repeat(" ", 31) + "2125550123" }, "phone", "longer than 32 bytes"},
		{"factor label", func(m map[string]any) { first(m, "factors")["label"] = long(MaxTextRunes) }, func(m map[string]any) { first(m, "factors")["label"] = long(MaxTextRunes + 1) }, "factors[0].label", "more than 200"},
		{"device label", func(m map[string]any) { first(m, "remembered_devices")["label"] = long(MaxTextRunes) }, func(m map[string]any) { first(m, "remembered_devices")["label"] = long(MaxTextRunes + 1) }, "remembered_devices[0].label", "more than 200"},
		{"browser", func(m map[string]any) { first(m, "logins")["browser"] = long(MaxTextRunes) }, func(m map[string]any) { first(m, "logins")["browser"] = long(MaxTextRunes + 1) }, "logins[0].browser", "more than 200"},
		{"appointment with", func(m map[string]any) { first(m, "appointments")["with"] = long(MaxTextRunes) }, func(m map[string]any) { first(m, "appointments")["with"] = long(MaxTextRunes + 1) }, "appointments[0].with", "more than 200"},
		{"note text", func(m map[string]any) {
			m["notes"] = []any{map[string]any{"at": "2026-11-01T00:00:00Z", "by": "sam", "text": long(MaxNoteLength)}}
		}, func(m map[string]any) {
			m["notes"] = []any{map[string]any{"at": "2026-11-01T00:00:00Z", "by": "sam", "text": long(MaxNoteLength + 1)}}
		}, "notes[0].text", "more than 1000"},
		{"logins", func(m map[string]any) { repeat(m, "logins", MaxLogins, func(int, map[string]any) {}) },
			func(m map[string]any) { repeat(m, "logins", MaxLogins+1, func(int, map[string]any) {}) }, "logins", "1001 elements, more than 1000"},
		{"factors", func(m map[string]any) {
			m["factors"] = m["factors"].([]any)[:1]
			repeat(m, "factors", MaxFactors, func(i int, f map[string]any) { f["id"] = fmt.Sprint("f", i) })
		},
			func(m map[string]any) {
				m["factors"] = m["factors"].([]any)[:1]
				repeat(m, "factors", MaxFactors+1, func(i int, f map[string]any) { f["id"] = fmt.Sprint("f", i) })
			}, "factors", "21 elements, more than 20"},
		{"previous emails", func(m map[string]any) {
			m["previous_emails"] = []any{}
			for i := range MaxPreviousEmails {
				m["previous_emails"] = append(m["previous_emails"].([]any), fmt.Sprintf("old%d@example.com", i))
			}
		}, func(m map[string]any) {
			m["previous_emails"] = []any{}
			for i := range MaxPreviousEmails + 1 {
				m["previous_emails"] = append(m["previous_emails"].([]any), fmt.Sprintf("old%d@example.com", i))
			}
		}, "previous_emails", "101 elements, more than 100"},
		{"unknown members of the account", func(m map[string]any) { unknown(m, MaxUnknownMembers, "x") }, func(m map[string]any) { unknown(m, MaxUnknownMembers+1, "x") },
			"zed00000", "one of 65 unknown members (\"zed00000\", \"zed00001\", \"zed00002\", …): at most 64"},
		{"unknown members of a sign-in", func(m map[string]any) { unknown(first(m, "logins"), MaxUnknownMembers, "x") }, func(m map[string]any) { unknown(first(m, "logins"), MaxUnknownMembers+1, "x") },
			"logins[0].zed00000", "one of 65 unknown members"},
		// a member the platform added to every sign-in fits; megabytes of them do not
		{"unknown bytes", func(m map[string]any) {
			repeat(m, "logins", MaxLogins, func(_ int, l map[string]any) { l["ip"] = "203.0.113.254" })
		}, func(m map[string]any) {
			repeat(m, "logins", 300, func(_ int, l map[string]any) { unknown(l, 1, strings.Repeat("z", 250)) })
		}, "logins[", "past 65536 bytes in the account"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if a, err := ParseAccount(changed(t, c.at)); err != nil {
				t.Fatalf("at the bound: %v", err)
			} else if err := a.Validate(); err != nil {
				t.Fatalf("at the bound, Validate: %v", err)
			}
			line := changed(t, c.past)
			if len(line) > MaxRecordBytes {
				t.Fatalf("the test's line is %d bytes, past MaxRecordBytes: the line cap would refuse it first", len(line))
			}
			_, err := ParseAccount(line)
			fe, ok := err.(*FieldError)
			if !ok || !strings.HasPrefix(fe.Field, c.field) || !strings.Contains(fe.Reason, c.wants) {
				t.Fatalf("past the bound: %v, want %s: …%s…", err, c.field, c.wants)
			}
		})
	}
}
