package model

import (
	"bytes"
	"encoding/json"
	"testing"
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
