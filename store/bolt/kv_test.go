package bolt

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"frontdoor/store/backend"
	"frontdoor/store/backend/backendtest"
)

func open(t *testing.T) *KV {
	t.Helper()
	kv, err := Open(filepath.Join(t.TempDir(), "test.db"), backendtest.Buckets, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	return kv
}

// The backend contract, on a bbolt file.
func TestContract(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backend.KV { return open(t) })
}

// A deferral whose file grows past its map makes everything durable,
// maps the file again larger and goes on deferring; End leaves no
// marker and commits that wait again.
func TestDeferralRemapsAndEnds(t *testing.T) {
	old := BootID
	BootID = func() string { return "boot-1" }
	t.Cleanup(func() { BootID = old })
	kv := open(t)
	df, err := kv.DeferFsync()
	if err != nil || df == nil {
		t.Fatalf("no deferral: %v", err)
	}
	d := df.(*Deferral)
	d.k.mapped = 1 // as if the file had outgrown its map
	if err := d.Room(100, 100_000); err != nil {
		t.Fatal(err)
	}
	if s := d.State(); !s.Deferring || s.Mapped <= 1 || !s.NoSync {
		t.Fatalf("not deferring after the remap: %+v", s)
	}
	for i := range 100 {
		if err := kv.Update(func(tx backend.Tx) error { return tx.Put("a", fmt.Appendf(nil, "k%d", i), []byte("v")) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.End(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(kv.Path() + UnsyncedSuffix); !os.IsNotExist(err) {
		t.Errorf("the marker is still there: %v", err)
	}
	if s := d.State(); s.NoSync || d.db.NoGrowSync {
		t.Error("commits still do not wait for the disk")
	}
}
