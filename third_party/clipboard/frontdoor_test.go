//go:build linux

package clipboard

import (
	"os"
	"path/filepath"
	"testing"
)

// frontdoor patch: nothing is looked for at init; the first ReadAll
// finds the utility on $PATH as it is then. Upstream's init had already
// searched the $PATH the test process started with (no xclip here), set
// Unsupported, and ReadAll failed.
func TestUtilityFoundOnFirstUse(t *testing.T) {
	if Unsupported || pasteCmdArgs != nil {
		t.Fatalf("detected at init: Unsupported %v, paste command %v", Unsupported, pasteCmdArgs)
	}
	dir := t.TempDir()
	script := "#!/bin/sh\nprintf 'from the fake xclip'\n"
	if err := os.WriteFile(filepath.Join(dir, "xclip"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("PATH", dir)
	got, err := ReadAll()
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if got != "from the fake xclip" {
		t.Fatalf("ReadAll = %q", got)
	}
}
