//go:build unix

package training

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A fifo among the scenarios is skipped without opening it: opened, it
// waits for a writer and the console never starts.
func TestLoadDirSkipsFifo(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile(filepath.Join("scenarios", "sms-filtered.yaml"))
	os.WriteFile(filepath.Join(dir, "good.yaml"), good, 0o600)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o600); err != nil {
		t.Skip("no fifo here:", err)
	}
	lib, bad, err := LoadDir(dir)
	if err != nil || len(lib) != 1 || len(bad) != 1 || !strings.Contains(errors.Join(bad...).Error(), "pipe.yaml: not a regular file (a fifo)") {
		t.Fatalf("%v %v %v", lib, bad, err)
	}
	if err := os.Symlink(filepath.Join(dir, "pipe.yaml"), filepath.Join(dir, "to-pipe.yml")); err != nil {
		t.Fatal(err)
	}
	if _, bad, _ := LoadDir(dir); len(bad) != 2 || !strings.Contains(errors.Join(bad...).Error(), "to-pipe.yml: not a regular file (a fifo)") {
		t.Fatalf("a link to a fifo: %v", bad)
	}
}
