package model

import (
	"strings"
	"testing"
)

// Rules S1, S2: gaps are normal, a number no counter reaches or a jump
// no stream makes is refused.
func TestStreamSteps(t *testing.T) {
	for _, c := range []struct {
		name      string
		held, n   uint64
		wantError string
	}{
		{"first line, any plausible seq", 0, 1_000_000_000_000, ""},
		{"an ordinary gap", 1000, 1003, ""},
		{"the largest gap", 10, 10 + MaxStreamJump, ""},
		{"a replay is not judged here", 5000, 17, ""},
		{"the largest number", 0, MaxStreamNumber, ""},
		{"past 2^53", 0, MaxStreamNumber + 1, "past 2^53"},
		{"uint64's max", 7, 18446744073709551615, "past 2^53"},
		{"a jump past 2^32", 10, 11 + MaxStreamJump, "more than 2^32"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, check := range []func(uint64, uint64) error{CheckSeq, CheckVersion} {
				err := check(c.held, c.n)
				if c.wantError == "" && err != nil || c.wantError != "" && (err == nil || !strings.Contains(err.Error(), c.wantError)) {
					t.Fatalf("(%d, %d): %v, want %q", c.held, c.n, err, c.wantError)
				}
			}
		})
	}
}
