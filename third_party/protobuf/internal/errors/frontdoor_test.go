package errors

import (
	"errors"
	"testing"
)

// The frontdoor patch chooses the "proto:" prefix on first use: errors
// still carry it, with the one separator chosen for the whole run.
func TestPrefixOnFirstUse(t *testing.T) {
	p := prefix()
	if p != "proto:\u00a0" && p != "proto: " {
		t.Fatalf("prefix %q", p)
	}
	if got := New("bad %s", "tag").Error(); got != p+"bad tag" {
		t.Errorf("New: %q, want %q", got, p+"bad tag")
	}
	w := Wrap(errors.New("eof"), "reading")
	if got := w.Error(); got != p+"reading: eof" {
		t.Errorf("Wrap: %q, want %q", got, p+"reading: eof")
	}
	if prefix() != p {
		t.Error("the prefix changed between calls")
	}
}
