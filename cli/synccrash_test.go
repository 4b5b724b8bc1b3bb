package cli

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"frontdoor/internal/gen"
	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/store/bolt"
)

// kill -9 of a serve in the middle of a forwarded sync, while agents'
// actions are taken: the sync's batches commit without waiting for the
// disk (group commit), the actions each wait for it. After the crash,
// opened as after a reboot that lost what was not on the disk, the
// store holds every action that returned, a checkpoint whose records
// are exactly the stream's prefix up to it (S1: each account at the
// version of its last update at or below it), and checks whole (the
// audit chain with it); a sync run again resumes from that checkpoint
// and ends where an uninterrupted one would.
func TestServeKilledMidSyncKeepsActionsAndAPrefix(t *testing.T) {
	if testing.Short() {
		t.Skip("a real server, killed")
	}
	const accounts, updates = 3000, 60000
	dir, stream := syncSetup(t, accounts, updates)
	serve, log := startServe(t, "--data", dir, "--listen", "127.0.0.1:0", "--log-format", "json")
	log.wait(t, "serving")
	synced := make(chan result, 1)
	go func() { // small batches: many commits, each without its fsync
		synced <- run(t, "", "sync", stream, "--batch", "200", "--data", dir)
	}()
	var (
		mu    sync.Mutex
		acked []string // "ID note" of every action that returned done
	)
	stop := make(chan struct{})
	var agents sync.WaitGroup
	for a := range 2 {
		agents.Add(1)
		go func() {
			defer agents.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id, note := gen.ID((i*37+a*1500)%accounts), fmt.Sprintf("agent %d call %d", a, i)
				if r := run(t, "", "act", "add-note", "--account", id, "--reason", note, "--data", dir); r.code == 0 {
					mu.Lock()
					acked = append(acked, id+" "+note)
					mu.Unlock()
				}
			}
		}()
	}
	// kill once the sync defers (its marker is there) and actions have
	// returned since
	marker := filepath.Join(dir, store.FileName+bolt.UnsyncedSuffix)
	since := -1
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if _, err := os.Stat(marker); err == nil && since < 0 {
			since = n
		}
		// each action a durable point: time for batches to commit
		// between them (a batch of 200 takes well under one's fsync)
		if since >= 0 && n >= since+20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no actions returned within a minute")
		}
	}
	// no new action after the kill: one would find the server gone and
	// open the store itself, settling it (the actions under way at the
	// kill are not acknowledged, so nothing is asked of them)
	close(stop)
	serve.Process.Signal(syscall.SIGKILL)
	serve.Wait()
	agents.Wait()
	sr := <-synced // it failed: its server died under it

	// and as if the machine had then rebooted with the page cache lost:
	// the store goes back to the last durable point the marker names,
	// which must hold every action that returned
	// (none when the kill fell between a remap's end of deferring and its
	// start again: everything was on the disk then)
	_, err := os.Stat(marker)
	t.Logf("sync: %+v; marker after the kill: %v", sr, err == nil)
	old := bolt.BootID
	bolt.BootID = func() string { return "after-a-reboot" }
	st, err := store.Open(dir)
	bolt.BootID = old
	if err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	cp := st.Checkpoint()
	if cp == 0 || cp >= updates {
		st.Close()
		t.Fatalf("checkpoint %d after the kill: not mid-sync, the test proves nothing", cp)
	}
	// each account at the version of its last update at or below cp
	want := make(map[string]uint64, accounts)
	f, err := os.Open(stream)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		ev, err := store.ParseSnapshot(slices.Clone(sc.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if ev.Seq > cp {
			break
		}
		want[ev.Account.ID] = ev.Version
	}
	f.Close()
	for i := range accounts {
		rec, err := st.Get(gen.ID(i))
		if err != nil {
			t.Fatal(err)
		}
		if rec.PlatformVersion != want[gen.ID(i)] {
			t.Fatalf("%s at version %d, the stream up to the checkpoint %d has it at %d: not a prefix", gen.ID(i), rec.PlatformVersion, cp, want[gen.ID(i)])
		}
	}
	mu.Lock()
	for _, a := range acked {
		id, note, _ := strings.Cut(a, " ")
		rec, err := st.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(rec.Account.Notes, func(n model.Note) bool { return n.Text == note }) {
			t.Errorf("%s: the note %q was acknowledged and is gone", id, note)
		}
	}
	t.Logf("killed at checkpoint %d of %d, %d actions acknowledged", cp, updates, len(acked))
	mu.Unlock()
	st.Close()
	if r := run(t, "", "check", "--data", dir); r.code != 0 {
		t.Fatalf("check after the kill: %+v", r)
	}
	// resumed from the checkpoint (S1): the rest applied, none twice
	r := run(t, "", "sync", stream, "--data", dir)
	if r.code != 0 || !strings.Contains(r.out, fmt.Sprintf("%d applied", updates-int(cp))) || !strings.Contains(r.out, fmt.Sprintf("checkpoint seq %d", updates)) {
		t.Fatalf("sync again: %+v", r)
	}
}

// syncSetup imports accounts generated accounts into a new data
// directory and writes a stream of updates to them.
func syncSetup(t *testing.T, accounts, updates int) (dir, stream string) {
	t.Helper()
	dir = t.TempDir()
	imp := filepath.Join(t.TempDir(), "accounts.jsonl")
	stream = filepath.Join(t.TempDir(), "updates.jsonl")
	write := func(path string, fn func(*bufio.Writer) error) {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		if err := fn(w); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	write(imp, func(w *bufio.Writer) error { return gen.New(1).Write(w, accounts) })
	write(stream, func(w *bufio.Writer) error { return gen.New(1).WriteUpdates(w, accounts, updates, 0) })
	if r := run(t, "", "import", imp, "--data", dir); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}

	return dir, stream
}

// A serve stopped (SIGTERM) while a forwarded sync defers ends the
// deferral, everything durable, and exits: bbolt's close had waited
// forever for the deferral's pinned reader. The sync fails; the store
// checks whole, with no marker left, and a sync run again resumes.
func TestServeStoppedMidSyncEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("a real server")
	}
	dir, stream := syncSetup(t, 3000, 60000)
	serve, log := startServe(t, "--data", dir, "--listen", "127.0.0.1:0", "--log-format", "json")
	log.wait(t, "serving")
	synced := make(chan result, 1)
	go func() { synced <- run(t, "", "sync", stream, "--batch", "200", "--data", dir) }()
	marker := filepath.Join(dir, store.FileName+bolt.UnsyncedSuffix)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sync never deferred")
		}
	}
	serve.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	select {
	case <-exited:
	case <-time.After(time.Minute): // a hang, not a speed: it exits in well under a second
		serve.Process.Kill()
		t.Fatal("serve did not exit on SIGTERM during a sync")
	}
	if r := <-synced; r.code == 0 {
		t.Fatalf("the sync ended well though its server stopped: %+v", r)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("the marker is left: %v", err)
	}
	if r := run(t, "", "check", "--data", dir); r.code != 0 {
		t.Fatalf("check: %+v", r)
	}
	if r := run(t, "", "sync", stream, "--data", dir); r.code != 0 || !strings.Contains(r.out, "checkpoint seq 60000") {
		t.Fatalf("sync again: %+v", r)
	}
}
