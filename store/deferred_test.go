package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"frontdoor/internal/gen"
	"frontdoor/store/bolt"
)

// stream makes change-stream snapshots with internal/gen's accounts:
// account id at its version (a sign-in more for each version past 1).
type stream struct {
	seq uint64
	gen *gen.Generator
	d   *Deferral // when set, batches commit through it, deferred
}

func (s *stream) apply(t *testing.T, st *Store, ids []int, version int) {
	t.Helper()
	if _, err := s.d.ApplySnapshots(st, s.events(t, ids, version), time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
}

// events are the snapshots of accounts ids at version, parsed.
func (s *stream) events(t *testing.T, ids []int, version int) []Snapshot {
	t.Helper()
	evs := make([]Snapshot, 0, len(ids))
	for _, id := range ids {
		s.seq++
		line := fmt.Appendf(nil, `{"seq":%d,"version":%d,"account":`, s.seq, version)
		line = append(s.gen.Append(line, id, version-1), '}')
		ev, err := ParseSnapshot(line)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func span(from, to int) []int {
	var ids []int
	for i := from; i < to; i++ {
		ids = append(ids, i)
	}
	return ids
}

// crashCopy makes a data directory of a store file's image, with the
// marker (when not nil) and the audit key of dir's store.
func crashCopy(t *testing.T, dir string, img, marker []byte) string {
	t.Helper()
	to := t.TempDir()
	key, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if err == nil {
		err = os.WriteFile(filepath.Join(to, KeyFile), key, 0o600)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(to, FileName), img, 0o600)
	}
	if err == nil && marker != nil {
		err = os.WriteFile(filepath.Join(to, FileName+bolt.UnsyncedSuffix), marker, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// exportOf opens a copy of a store file (without a marker, so nothing
// is settled) and exports it.
func exportOf(t *testing.T, dir string, img []byte) (string, uint64) {
	t.Helper()
	return exportDir(t, crashCopy(t, dir, img, nil))
}

// exportDir opens the store in dir, checks it whole, and exports it.
func exportDir(t *testing.T, dir string) (string, uint64) {
	t.Helper()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if problems, err := st.Check(); err != nil || len(problems) > 0 {
		t.Errorf("check: %v %v", problems, err)
	}
	var b bytes.Buffer
	if _, err := st.Export(&b); err != nil {
		t.Fatal(err)
	}
	return b.String(), st.Checkpoint()
}

func stageBoot(t *testing.T, id string) {
	old := bolt.BootID
	bolt.BootID = func() string { return id }
	t.Cleanup(func() { bolt.BootID = old })
}

// deferring opens a store in a new directory with n accounts committed
// the usual way (on the disk), then starts a deferral; both end with
// the test.
func deferring(t *testing.T, seed uint64, n int) (string, *Store, *stream, *Deferral) {
	t.Helper()
	stageBoot(t, "boot-1")
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &stream{gen: gen.New(seed)}
	s.apply(t, st, span(0, n), 1)
	d, err := st.DeferFsync()
	if err != nil || d == nil {
		st.Close()
		t.Fatalf("no deferral: %v", err)
	}
	t.Cleanup(func() { d.End(); st.Close() })
	s.d = d
	return dir, st, s, d
}

// noMarker fails the test when a marker is left in dir.
func noMarker(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, FileName+bolt.UnsyncedSuffix)); !os.IsNotExist(err) {
		t.Errorf("the marker is still there: %v", err)
	}
}

// A machine crash while sync defers: whatever subset of the pages
// written since the durable point reached the disk, and whether the
// file's growth did, opening after the reboot gives exactly the durable
// point's store, checked whole; the stream resumes from its checkpoint.
func TestDeferralSurvivesAMachineCrash(t *testing.T) {
	boltOnly(t)
	dir, st, s, d := deferring(t, 3, 300)
	s.apply(t, st, span(0, 150), 2)
	s.apply(t, st, span(300, 400), 1)
	if err := d.Durable(); err != nil {
		t.Fatal(err)
	}
	if err := d.d.(*bolt.Deferral).Settle(); err != nil { // the durable point done
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	durable, _ := os.ReadFile(path)
	marker, err := os.ReadFile(path + bolt.UnsyncedSuffix)
	if err != nil {
		t.Fatal(err)
	}
	want, wantSeq := exportOf(t, dir, durable)
	// after the durable point, not waited for: updates, new accounts
	s.apply(t, st, span(100, 400), 3)
	s.apply(t, st, span(400, 900), 1)
	current, _ := os.ReadFile(path)
	if got, _ := exportOf(t, dir, current); got == want {
		t.Fatal("nothing changed after the durable point: the test proves nothing")
	}

	const page = 4096
	for i := range 12 {
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		img := bytes.Clone(current)
		for p := 0; p*page < len(img); p++ {
			var fromDisk bool // the page as it was at the durable point
			switch i {
			case 0: // every page but the two metas
				fromDisk = p >= 2
			case 1: // none
			case 2: // all
				fromDisk = true
			default:
				fromDisk = rng.IntN(2) == 0
			}
			if fromDisk {
				old := make([]byte, page) // beyond the old end: never written
				if p*page < len(durable) {
					copy(old, durable[p*page:])
				}
				copy(img[p*page:], old)
			}
		}
		if i%2 == 1 { // the file's growth did not reach the disk
			img = img[:len(durable)]
		}
		crashed := crashCopy(t, dir, img, marker)
		t.Run(fmt.Sprint("image ", i), func(t *testing.T) {
			stageBoot(t, "boot-2")
			got, seq := exportDir(t, crashed)
			if got != want {
				t.Error("the store is not the durable point's")
			}
			if seq != wantSeq {
				t.Errorf("checkpoint %d, want the durable point's %d", seq, wantSeq)
			}
			noMarker(t, crashed)
		})
	}
}

// kill -9 of the process (the same boot): the kernel has every commit,
// so the store is the last one, not the durable point's.
func TestDeferralAfterAProcessCrashKeepsEverything(t *testing.T) {
	boltOnly(t)
	dir, st, s, _ := deferring(t, 4, 200)
	s.apply(t, st, span(0, 200), 2)
	path := filepath.Join(dir, FileName)
	// what a process killed now leaves: the file as the kernel has it
	img, _ := os.ReadFile(path)
	marker, _ := os.ReadFile(path + bolt.UnsyncedSuffix)
	want, wantSeq := exportOf(t, dir, img)
	crashed := crashCopy(t, dir, img, marker)
	got, seq := exportDir(t, crashed)
	if got != want || seq != wantSeq || wantSeq != 400 {
		t.Errorf("checkpoint %d (want %d, 400): the last commit was not kept", seq, wantSeq)
	}
	noMarker(t, crashed)
}

// freelistOf reads, from the newer of the file's two meta pages, where
// bbolt's free list is: ^0 when no commit wrote it.
func freelistOf(t *testing.T, path string, page int) uint64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// bbolt's meta page: the page header, magic, version, page size,
	// flags, root bucket, then the free list's page and the txid
	const magicAt, freelistAt, txidAt, magic = 16, 48, 64, 0xED0CDAED
	le := binary.LittleEndian
	var newest, freelist uint64
	for slot := range 2 { // bbolt writes transaction N to meta page N % 2
		m := b[slot*page:]
		if txid := le.Uint64(m[txidAt:]); le.Uint32(m[magicAt:]) == magic && txid >= newest {
			newest, freelist = txid, le.Uint64(m[freelistAt:])
		}
	}
	return freelist
}

// A deferral's commits leave bbolt's free list in memory (writing it was
// a tenth of a commit); End writes it, so the next open need not rebuild
// it by reading the whole file.
func TestDeferralWritesTheFreeListAtTheEnd(t *testing.T) {
	boltOnly(t)
	dir, st, s, d := deferring(t, 6, 100)
	path := filepath.Join(dir, FileName)
	if freelistOf(t, path, state(d).PageSize) == noFreelist {
		t.Fatal("no free list before the deferral's first commit")
	}
	s.apply(t, st, span(0, 100), 2)
	if freelistOf(t, path, state(d).PageSize) != noFreelist {
		t.Error("a deferred commit wrote the free list")
	}
	if err := d.End(); err != nil {
		t.Fatal(err)
	}
	if freelistOf(t, path, state(d).PageSize) == noFreelist {
		t.Error("End left the store without its free list")
	}
	if state(d).NoFreelistSync {
		t.Error("commits after End still leave the free list out")
	}
	mustCheck(t, st)
}

// state is what the bbolt backend's deferral under d is doing.
func state(d *Deferral) bolt.DeferralState { return d.d.(*bolt.Deferral).State() }

const noFreelist = ^uint64(0) // bbolt's PgidNoFreelist

// Where there is no boot id to compare, nothing is deferred.
func TestNoDeferralWithoutABootID(t *testing.T) {
	stageBoot(t, "")
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := st.DeferFsync()
	if err != nil || d != nil {
		t.Fatalf("deferral %v, %v", d, err)
	}
	if err := d.End(); err != nil { // a nil deferral does nothing
		t.Fatal(err)
	}
}

// Through serve, an agent's action commits while sync defers: the action
// is durable when it returns, and so are the batches before it, whose
// checkpoint it carries to the disk (group commit); after a reboot the
// store holds the action and that checkpoint whatever part of the later
// deferred batch reached the disk, and checks whole.
func TestActionWhileDeferringSurvivesAReboot(t *testing.T) {
	boltOnly(t)
	dir, st, s, d := deferring(t, 8, 300)
	if err := d.Durable(); err != nil {
		t.Fatal(err)
	}
	s.apply(t, st, span(0, 150), 2) // deferred: no durable point after it
	wantSeq := st.Checkpoint()
	id := gen.ID(7)
	rec, err := st.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	if _, err := st.Apply(id, rec.Version, Actor{Name: "test", Role: RoleAdmin}, now, noteChange("called back")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	atAction, _ := os.ReadFile(path) // on the disk: the action waited for it
	marker, err := os.ReadFile(path + bolt.UnsyncedSuffix)
	if err != nil {
		t.Fatal("no marker: the deferral ended", err)
	}
	s.apply(t, st, span(100, 300), 3) // deferred again, after the action
	later, _ := os.ReadFile(path)
	if bytes.Equal(later, atAction) {
		t.Fatal("the later batch wrote nothing: the test proves nothing")
	}
	const page = 4096
	for i := range 6 {
		rng := rand.New(rand.NewPCG(uint64(i), 9))
		img := bytes.Clone(later)
		for p := 0; p*page < len(img); p++ {
			if i == 0 || (i > 1 && rng.IntN(2) == 0) { // i 0: none of the later pages reached the disk; 1: all
				old := make([]byte, page)
				if p*page < len(atAction) {
					copy(old, atAction[p*page:])
				}
				copy(img[p*page:], old)
			}
		}
		crashed := crashCopy(t, dir, img, marker)
		t.Run(fmt.Sprint("image ", i), func(t *testing.T) {
			stageBoot(t, "boot-2")
			got, seq := exportDir(t, crashed)
			if !bytes.Contains([]byte(got), []byte("called back")) {
				t.Error("the action that returned is gone after the reboot")
			}
			if seq != wantSeq {
				t.Errorf("checkpoint %d, want %d: the batches before the action, durable with it", seq, wantSeq)
			}
			noMarker(t, crashed)
		})
	}
}
