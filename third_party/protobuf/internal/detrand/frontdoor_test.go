package detrand

import "testing"

// The frontdoor patch hashes the binary on first use, not at init: the
// seed is unset until then, then set once and the same on every call.
func TestSeedOnFirstUse(t *testing.T) {
	if randSeed != 0 {
		t.Fatal("the seed was worked out before its first use")
	}
	first := seed()
	if first == 0 {
		t.Fatal("no seed from this test binary")
	}
	for range 3 {
		if seed() != first || Bool() != (first%2 == 1) || Intn(1000) != int(first%1000) {
			t.Fatal("the seed changed between calls")
		}
	}
	if first != binaryHash() {
		t.Error("the seed is not the binary's hash")
	}
}
