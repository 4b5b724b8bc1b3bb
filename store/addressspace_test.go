package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/gen"
	"frontdoor/store/bolt"
)

// addressSpaceEnv runs TestAddressSpaceChild for real (in a child whose
// address space is capped).
const addressSpaceEnv = "FRONTDOOR_ADDRESS_SPACE_DIR"

// A server on a small store, with trainees' sandboxes open and a sync
// deferring durability, fits the address space many sandboxes allow
// (`ulimit -v 4000000`): maps follow the file's size, not a fixed
// gigabyte or two each (issue 20, item 4: an idle serve had reserved
// 3.8 GB, and practice sandboxes and sync failed with "cannot allocate
// memory").
func TestStoresFitACappedAddressSpace(t *testing.T) {
	boltOnly(t)
	if runtime.GOOS != "linux" {
		t.Skip("ulimit -v is read as Linux reads it")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to set the limit")
	}
	dir := t.TempDir()
	// sh sets the limit, then becomes this test binary, so the cap holds
	// from the runtime's first reservation on
	cmd := exec.Command("sh", "-c", `ulimit -v 4000000 && exec "$0" "$@"`, os.Args[0], "-test.run=^TestAddressSpaceChild$", "-test.v")
	cmd.Env = append(os.Environ(), addressSpaceEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "fits") {
		t.Fatalf("under ulimit -v 4000000: %v\n%s", err, out)
	}
}

func TestAddressSpaceChild(t *testing.T) {
	dir := os.Getenv(addressSpaceEnv)
	if dir == "" {
		t.Skip("helper for TestStoresFitACappedAddressSpace")
	}
	fail := func(what string, err error) {
		fmt.Printf("%s: %v\n", what, err)
		os.Exit(3)
	}
	live, err := Open(filepath.Join(dir, "live"))
	if err != nil {
		fail("open the live store", err)
	}
	if _, err := live.Import(strings.NewReader(lines(200)), "accounts.jsonl", root, now); err != nil {
		fail("import", err)
	}
	for i := range 4 { // four trainees practising, each in a sandbox
		sb, err := Open(filepath.Join(dir, fmt.Sprint("sandbox", i)))
		if err != nil {
			fail("open a sandbox", err)
		}
		defer sb.Close()
	}
	other, err := Open(filepath.Join(dir, "synced"))
	if err != nil {
		fail("open the store sync writes", err)
	}
	d, err := other.DeferFsync()
	if err != nil {
		fail("defer durability", err)
	}
	if d == nil {
		fail("defer durability", fmt.Errorf("the deferral's map did not fit"))
	}
	s := &stream{gen: gen.New(3)}
	if _, err := other.ApplySnapshots(s.events(t, span(0, 500), 1), time.Now()); err != nil {
		fail("apply", err)
	}
	if err := d.End(); err != nil {
		fail("end the deferral", err)
	}
	// a map the cap cannot hold: the store is opened again as it was,
	// and a deferral goes on without one (commits wait for the disk)
	if err := other.kv.(*bolt.KV).ReserveMap(1 << 38); !errors.Is(err, bolt.ErrMapTooLarge) {
		fail("a map past the cap", fmt.Errorf("got %v, want errMapTooLarge", err))
	}
	if n, err := other.Count(); err != nil || n != 500 {
		fail("read after the refused map", fmt.Errorf("%d accounts, %v", n, err))
	}
	fmt.Println("fits")
	os.Exit(0)
}
