package model

import (
	"strings"
	"testing"
)

// Rules S1, S2: gaps are normal; a number no counter reaches, a jump no
// stream makes, a version no account reaches are refused.
func TestStreamSteps(t *testing.T) {
	for _, c := range []struct {
		name      string
		held, n   uint64
		wantError string
	}{
		{"an ordinary gap", 1000, 1003, ""},
		{"the largest gap", 10, 10 + MaxStreamJump, ""},
		{"a replay is not judged here", 5000, 17, ""},
		{"past 2^53", 0, MaxStreamNumber + 1, "past 2^53"},
		{"uint64's max", 7, 18446744073709551615, "past 2^53"},
		{"a jump past 2^32", 10, 11 + MaxStreamJump, "more than 2^32"},
		{"a jump to 2^53", MaxStreamNumber - MaxStreamJump - 1, MaxStreamNumber, "more than 2^32"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckSeq(c.held, c.n)
			if c.wantError == "" && err != nil || c.wantError != "" && (err == nil || !strings.Contains(err.Error(), c.wantError)) {
				t.Fatalf("(%d, %d): %v, want %q", c.held, c.n, err, c.wantError)
			}
		})
	}
	// a stream's first seq may be any a counter reaches (a long-lived
	// topic's); an account's version counts its changes from its creation
	for _, c := range []struct {
		check     func(uint64) error
		n         uint64
		wantError string
	}{
		{func(n uint64) error { return CheckSeq(0, n) }, 1_000_000_000_000, ""},
		{func(n uint64) error { return CheckSeq(0, n) }, MaxStreamNumber, ""},
		{CheckVersion, MaxStreamJump, ""},
		{CheckVersion, MaxStreamJump + 1, "more than 2^32 changes"},
		{CheckVersion, 18446744073709551615, "more than 2^32 changes"},
	} {
		err := c.check(c.n)
		if c.wantError == "" && err != nil || c.wantError != "" && (err == nil || !strings.Contains(err.Error(), c.wantError)) {
			t.Fatalf("first %d: %v, want %q", c.n, err, c.wantError)
		}
	}
}
