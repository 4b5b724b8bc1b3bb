package bolt

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"frontdoor/store/backend"
	"frontdoor/store/backend/backendtest"
)

// A store file cut short (a backup copy interrupted) is refused with
// what is wrong, at every length: bbolt maps the file and a page past
// its end was a SIGBUS that killed the process, `check` too (attack
// review, round 3). A whole file still opens.
func TestAFileCutShortIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "whole.db")
	kv, err := Open(path, backendtest.Buckets, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	value := []byte(strings.Repeat("v", 700))
	for i := range 5 {
		if err := kv.Update(func(tx backend.Tx) error {
			for j := range 500 {
				if err := tx.Put("a", fmt.Appendf(nil, "k%d-%04d", i, j), value); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	kv.Close()
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{8192, 12288, 20000, 65536, 100_000, 1 << 20} {
		cut := filepath.Join(dir, fmt.Sprintf("cut%d.db", n))
		if err := os.WriteFile(cut, whole[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		kv, err := Open(cut, backendtest.Buckets, time.Second)
		if err == nil {
			kv.Close()
			t.Errorf("%d of %d bytes opened", n, len(whole))
			continue
		}
		if !strings.Contains(err.Error(), "cut short") || !strings.Contains(err.Error(), cut) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	kv, err = Open(path, backendtest.Buckets, time.Second)
	if err != nil {
		t.Fatalf("the whole file: %v", err)
	}
	kv.Close()
	// cut to nothing: bbolt made a new store in it, and check said "ok"
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if kv, err := Open(empty, backendtest.Buckets, time.Second); err == nil || !strings.Contains(err.Error(), "empty (0 bytes)") {
		if err == nil {
			kv.Close()
		}
		t.Errorf("an empty file: %v", err)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Errorf("the empty file was written to: %v %v", fi, err)
	}
}
