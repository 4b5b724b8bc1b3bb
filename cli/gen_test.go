package cli

import (
	"strings"
	"testing"
)

// TestGenImportsAndChecks: gen's output, the same for the same seed,
// imports through the command line, and check finds the store sound.
func TestGenImportsAndChecks(t *testing.T) {
	a := run(t, "", "gen", "--accounts", "400", "--seed", "3")
	b := run(t, "", "gen", "--accounts", "400", "--seed", "3")
	if a.code != 0 || a.out != b.out || strings.Count(a.out, "\n") != 400 {
		t.Fatalf("gen: code %d, %d lines, same twice: %v (%s)", a.code, strings.Count(a.out, "\n"), a.out == b.out, a.err)
	}
	if c := run(t, "", "gen", "--accounts", "400", "--seed", "4"); c.out == a.out {
		t.Fatal("seeds 3 and 4 wrote the same accounts")
	}
	dir := t.TempDir()
	if r := run(t, a.out, "import", "-", "--data", dir); r.code != 0 || !strings.Contains(r.out, "imported 400 accounts") {
		t.Fatalf("import: %+v", r)
	}
	if r := run(t, "", "check", "--data", dir); r.code != 0 {
		t.Fatalf("check: %+v", r)
	}
	for _, bad := range [][]string{{"gen", "--accounts", "-1"}, {"gen", "extra"}} {
		if r := run(t, "", bad...); r.code != ExitUsage {
			t.Fatalf("%v: code %d, want usage", bad, r.code)
		}
	}
}
