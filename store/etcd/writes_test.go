package etcd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	clientv3 "go.etcd.io/etcd/client/v3"

	"frontdoor/internal/etcdtest"
	"frontdoor/store/backend"
)

// A key longer than a front end's index can hold (bbolt's MaxKeySize)
// is refused as too large, nothing written: etcd took it, and every
// front end's watch stopped at it for good, every later write waiting
// out its timeout.
func TestAKeyTheIndexCannotHoldIsRefused(t *testing.T) {
	c := etcdtest.Start(t, 3)
	fe := frontEnd(t, c, fmt.Sprintf("/long%d/", prefixes.Add(1)), t.TempDir()+"/index.db", nil)
	defer fe.Close()
	long := []byte(strings.Repeat("x", bolt.MaxKeySize+1))
	err := fe.Update(func(tx backend.Tx) error { return tx.Put("a", long, []byte("v")) })
	if !errors.Is(err, backend.ErrTxTooLarge) {
		t.Fatalf("a %d-byte key: %v, want ErrTxTooLarge", len(long), err)
	}
	if err := fe.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("short"), []byte("v")) }); err != nil {
		t.Fatalf("an ordinary write after it: %v", err)
	}
}

// A write the cluster committed is never reported as "unavailable"
// (which says nothing was written, and invites running it again) when
// the front end's index does not catch up with it.
func TestACommittedWriteIsNotReportedUnavailable(t *testing.T) {
	c := etcdtest.Start(t, 3)
	prefix := fmt.Sprintf("/stuck%d/", prefixes.Add(1))
	fe, err := OpenCached(New(connect(t, c), prefix, "etcd test", time.Second), t.TempDir()+"/index.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fe.kv.Close()
	defer fe.db.Close()
	fe.cancel() // the index stops following (a member cut off, a watch broken)
	<-fe.done
	err = fe.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("k"), []byte("written")) })
	resp, gerr := fe.kv.cli.Get(context.Background(), prefix+"g0/a/k")
	if gerr != nil {
		t.Fatal(gerr)
	}
	if len(resp.Kvs) != 1 {
		t.Fatalf("the write is not in the cluster (Update: %v)", err)
	}
	if err == nil || errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "was written") {
		t.Fatalf("the write is in the cluster; the writer was told %v", err)
	}
}

// An import whose lock's lease was lost while it ran is not put in
// place: writers went on once the lock was gone, and the switch's range
// guard does not see a key they deleted (it came back with the import).
func TestAnImportThatLostItsLockIsNotPutInPlace(t *testing.T) {
	kv, other := twoWriters(t, "/lock")
	if err := kv.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("gone"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	err := kv.Rebuild(0, func(bt backend.BulkTx) error {
		ctx := context.Background()
		locks, err := other.cli.Get(ctx, kv.rebuildLock(), clientv3.WithPrefix())
		if err != nil || len(locks.Kvs) != 1 {
			t.Fatalf("the import's lock: %v %v", locks, err)
		}
		// the lease lost (revoked here, as an expiry does)
		if _, err := other.cli.Revoke(ctx, clientv3.LeaseID(locks.Kvs[0].Lease)); err != nil {
			t.Fatal(err)
		}
		if err := other.Update(func(tx backend.Tx) error { return tx.Delete("a", []byte("gone")) }); err != nil {
			t.Fatalf("a writer once the lock is gone: %v", err)
		}
		return bt.Put("a", []byte("imported"), []byte("v"))
	})
	if !errors.Is(err, backend.ErrConflict) {
		t.Errorf("the import: %v, want ErrConflict", err)
	}
	var got []byte
	kv.View(func(tx backend.Tx) error { got = tx.Get("a", []byte("gone")); return nil })
	if got != nil {
		t.Fatal("a record deleted while the import ran is back")
	}
}

// What a killed import left (its generation, which nothing points to)
// is named for check, as work under way while an import holds its lock,
// and gone after the next import.
func TestAKilledImportsGenerationIsNamedUntilTheNextImport(t *testing.T) {
	kv, other := twoWriters(t, "/left")
	if left, err := kv.Leftovers(); err != nil || left != nil {
		t.Fatalf("a store no import touched: %q %v", left, err)
	}
	if err := kv.Rebuild(0, func(bt backend.BulkTx) error { return bt.Put("a", []byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	// as an import killed after its copy and some of its load: the
	// next generation's keys, nothing pointing to them
	ctx := context.Background()
	for _, k := range []string{"a/k", "a/x", "accounts/y"} {
		if _, err := other.cli.Put(ctx, kv.genPrefix(2)+k, "v"); err != nil {
			t.Fatal(err)
		}
	}
	left, err := kv.Leftovers()
	if err != nil || len(left) != 1 || !strings.Contains(left[0], "interrupted import left 3 keys at "+kv.genPrefix(2)) {
		t.Fatalf("after a killed import: %q %v", left, err)
	}
	err = kv.Rebuild(0, func(bt backend.BulkTx) error {
		if err := bt.Put("a", []byte("k2"), []byte("v")); err != nil {
			return err
		}
		if err := bt.(*bulkTx).flush(); err != nil { // the copy and this, in the cluster
			return err
		}
		left, err := other.Leftovers() // another process's check, while this import runs
		if err != nil || len(left) != 1 || !strings.Contains(left[0], "an import is under way") {
			t.Errorf("while an import runs: %q %v", left, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if left, err := kv.Leftovers(); err != nil || left != nil {
		t.Fatalf("after the next import: %q %v", left, err)
	}
}

// A front end that refills its index after falling behind a compaction
// tells the keys deleted meanwhile as changed, not only those still
// there: a user removed then must still lose their sessions on it.
func TestARefillTellsTheKeysDeletedMeanwhile(t *testing.T) {
	c := etcdtest.Start(t, 3)
	prefix := fmt.Sprintf("/refill%d/", prefixes.Add(1))
	path := t.TempDir() + "/index.db"
	fe := frontEnd(t, c, prefix, path, nil)
	if err := fe.Update(func(tx backend.Tx) error {
		tx.Put("users", []byte("mallory"), []byte("{}"))
		return tx.Put("users", []byte("sam"), []byte("{}"))
	}); err != nil {
		t.Fatal(err)
	}
	fe.Close()
	cli := connect(t, c)
	defer cli.Close()
	if _, err := cli.Delete(context.Background(), prefix+"g0/users/mallory"); err != nil {
		t.Fatal(err)
	}
	last, err := cli.Put(context.Background(), prefix+"g0/a/other", "v")
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan string, 100)
	fe = behindACompaction(t, c, cli, last.Header.Revision, prefix, path, changes)
	defer fe.Close()
	told := map[string]bool{}
	deadline := time.After(5 * time.Second)
	for !told[prefix+"g0/users/mallory"] {
		select {
		case k := <-changes:
			told[k] = true
		case <-deadline:
			t.Fatalf("told %v; not the deleted %susers/mallory", told, prefix+"g0/")
		}
	}
	var mallory, sam []byte
	fe.View(func(tx backend.Tx) error {
		mallory, sam = tx.Get("users", []byte("mallory")), tx.Get("users", []byte("sam"))
		return nil
	})
	if mallory != nil || string(sam) != "{}" {
		t.Fatalf("after the refill the index holds mallory %q, sam %q", mallory, sam)
	}
}

// An index is of one cluster and one prefix: a data directory used
// again with another --store fills it again whole, and does not serve
// the other installation's records.
func TestAnIndexOfAnotherPrefixIsFilledAgain(t *testing.T) {
	c := etcdtest.Start(t, 3)
	path := t.TempDir() + "/index.db"
	one, two := fmt.Sprintf("/one%d/", prefixes.Add(1)), fmt.Sprintf("/two%d/", prefixes.Add(1))
	a := frontEnd(t, c, one, path, nil)
	if err := a.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("k"), []byte("prefix one's")) }); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b := frontEnd(t, c, two, path, nil)
	defer b.Close()
	var got []byte
	b.View(func(tx backend.Tx) error { got = tx.Get("a", []byte("k")); return nil })
	if got != nil {
		t.Fatalf("a front end on %s reads %q, written under %s", two, got, one)
	}
}

// A transaction that scanned a range fails its commit when another
// writer deleted a key it was shown: etcd's range compare sees keys
// changed or added, not one gone. Here T1 recounts bucket a while T2,
// between T1's scan and its commit, deletes a key and lowers the count:
// either order serially leaves the count matching the keys.
func TestAScanSeesADeleteBeforeItsCommit(t *testing.T) {
	kv, other := twoWriters(t, "/skew")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(kv.Update(func(tx backend.Tx) error {
		tx.Put("a", []byte("x"), []byte("1"))
		tx.Put("a", []byte("y"), []byte("1"))
		return tx.Put("meta", []byte("count"), []byte("2"))
	}))
	first := true
	must(kv.Update(func(tx backend.Tx) error { // T1: recount
		n := 0
		if err := tx.Scan("a", nil, func(_, _ []byte) (bool, error) { n++; return true, nil }); err != nil {
			return err
		}
		if first { // T2, between T1's scan and its commit
			first = false
			must(other.Update(func(tx backend.Tx) error {
				var n int
				fmt.Sscan(string(tx.Get("meta", []byte("count"))), &n)
				tx.Delete("a", []byte("x"))
				return tx.Put("meta", []byte("count"), []byte(fmt.Sprint(n-1)))
			}))
		}
		return tx.Put("meta", []byte("count"), []byte(fmt.Sprint(n)))
	}))
	var keys int
	var count string
	must(kv.View(func(tx backend.Tx) error {
		count = string(tx.Get("meta", []byte("count")))
		return tx.Scan("a", nil, func(_, _ []byte) (bool, error) { keys++; return true, nil })
	}))
	if count != fmt.Sprint(keys) {
		t.Fatalf("count %s with %d keys: T1 committed over T2's delete", count, keys)
	}
}

// A write the cluster may have applied is not reported as one nothing
// of was written: the quorum lost between the reads and the commit, the
// commit goes out and is not answered, and the error says the outcome
// is unknown (the contract's words), still as ErrUnavailable.
func TestAnUnansweredCommitSaysTheOutcomeIsUnknown(t *testing.T) {
	c := etcdtest.Start(t, 3)
	kv := New(connect(t, c), fmt.Sprintf("/unknown%d/", prefixes.Add(1)), "etcd test", 2*time.Second)
	defer kv.Close()
	if err := kv.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("k"), []byte("before")) }); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if stopped {
			c.Restart(1)
			c.Restart(2)
		}
	}()
	err := kv.Update(func(tx backend.Tx) error {
		tx.Get("a", []byte("k")) // read while the cluster answers
		if !stopped {            // then the quorum goes, before the commit
			stopped = true
			c.Stop(1)
			c.Stop(2)
		}
		return tx.Put("a", []byte("k"), []byte("during"))
	})
	if !errors.Is(err, backend.ErrUnavailable) {
		t.Fatalf("a write without a quorum: %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "outcome is unknown") {
		t.Errorf("a write without a quorum: %v; it does not say the outcome is unknown", err)
	}
}

// A front end with an index of this store starts while the cluster
// lacks a quorum (one member answering): it reads from its index, and
// the check of whose index it is asks one member, not the quorum.
func TestAFrontEndStartsOnItsIndexWithoutAQuorum(t *testing.T) {
	c := etcdtest.Start(t, 3)
	prefix := fmt.Sprintf("/noquorum%d/", prefixes.Add(1))
	path := t.TempDir() + "/index.db"
	fe := frontEnd(t, c, prefix, path, nil)
	if err := fe.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	fe.Close()
	c.Stop(1)
	c.Stop(2)
	defer c.Restart(1)
	defer c.Restart(2)
	fe, err := OpenCached(New(connect(t, c), prefix, "etcd test", 2*time.Second), path, nil)
	if err != nil {
		t.Fatalf("a front end on its index, the cluster without a quorum: %v", err)
	}
	defer fe.Close()
	var got []byte
	fe.View(func(tx backend.Tx) error { got = tx.Get("a", []byte("k")); return nil })
	if string(got) != "v" {
		t.Fatalf("reads %q from its index", got)
	}
}

// twoWriters starts a cluster and gives two writers on one fresh prefix
// (two front ends, each talking to the cluster), closed at the test's end.
func twoWriters(t *testing.T, name string) (*KV, *KV) {
	c := etcdtest.Start(t, 3)
	prefix := fmt.Sprintf("%s%d/", name, prefixes.Add(1))
	kv := New(connect(t, c), prefix, "etcd test", 5*time.Second)
	other := New(connect(t, c), prefix, "etcd test", 5*time.Second)
	t.Cleanup(func() { kv.Close(); other.Close() })
	return kv, other
}

// A first fill commits as it goes (its memory no longer grows with the
// store), and names its revision and owner only at its last commit: a
// fill cut short is not taken for a whole index at the next start. The
// index it leaves holds every key, and a clean restart keeps it.
func TestAFirstFillCommitsAsItGoes(t *testing.T) {
	c := etcdtest.Start(t, 3)
	prefix := fmt.Sprintf("/fill%d/", prefixes.Add(1))
	cli := connect(t, c)
	defer cli.Close()
	putKeys(t, cli, prefix, 300, strings.Repeat("v", 100))
	defer func(chunk int, told func(*bolt.DB)) { fillChunk, filled = chunk, told }(fillChunk, filled)
	fillChunk = 2000 // ~17 keys a commit
	commits := 0
	filled = func(db *bolt.DB) {
		commits++
		db.View(func(tx *bolt.Tx) error {
			if st := tx.Bucket(bState); st.Get(kRev) != nil || st.Get(kOwner) != nil {
				t.Errorf("commit %d of a fill names a revision or owner", commits)
			}
			return nil
		})
	}
	path := t.TempDir() + "/index.db"
	fe := frontEnd(t, c, prefix, path, nil)
	keys := func(fe *Cached) (n int) {
		fe.View(func(tx backend.Tx) error {
			return tx.Scan("a", nil, func(k, v []byte) (bool, error) { n++; return true, nil })
		})
		return n
	}
	if n := keys(fe); n != 300 || commits < 10 {
		t.Fatalf("the fill holds %d of 300 keys after %d commits before its last", n, commits)
	}
	rev := fe.Revision()
	fe.Close()
	commits = 0
	fe = frontEnd(t, c, prefix, path, nil)
	defer fe.Close()
	if fe.Revision() < rev || keys(fe) != 300 || commits != 0 {
		t.Fatalf("after a clean restart: revision %d (was %d), %d keys, filled again: %v", fe.Revision(), rev, keys(fe), commits > 0)
	}
}

// A refill after a compaction writes and tells what changed, not every
// key: a key the cluster holds as the index does is left alone.
func TestARefillTellsOnlyWhatChanged(t *testing.T) {
	c := etcdtest.Start(t, 3)
	prefix := fmt.Sprintf("/refill%d/", prefixes.Add(1))
	cli := connect(t, c)
	defer cli.Close()
	putKeys(t, cli, prefix, 50, "v")
	path := t.TempDir() + "/index.db"
	fe := frontEnd(t, c, prefix, path, nil)
	fe.Close()
	cli.Put(context.Background(), prefix+"g0/a/k07", "changed")
	cli.Put(context.Background(), prefix+"g0/a/new", "v")
	last, err := cli.Delete(context.Background(), prefix+"g0/a/k30")
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan string, 100)
	fe = behindACompaction(t, c, cli, last.Header.Revision, prefix, path, changes)
	defer fe.Close()
	want := []string{prefix + "g0/a/k07", prefix + "g0/a/k30", prefix + "g0/a/new"}
	var told []string
	for len(told) < len(want) {
		select {
		case k := <-changes:
			told = append(told, k)
		case <-time.After(10 * time.Second):
			t.Fatalf("told %v, want %v", told, want)
		}
	}
	select {
	case k := <-changes:
		told = append(told, k)
	case <-time.After(200 * time.Millisecond): // what else it would tell is told with these
	}
	slices.Sort(told)
	if !slices.Equal(told, want) {
		t.Fatalf("the refill told %v, want %v", told, want)
	}
	var got string
	fe.View(func(tx backend.Tx) error { got = string(tx.Get("a", []byte("k07"))); return nil })
	if got != "changed" {
		t.Fatalf("k07 after the refill: %q", got)
	}
}

// behindACompaction compacts the cluster's history up to rev, then
// opens the front end's index at path again: it is behind the
// compaction, and refills.
func behindACompaction(t *testing.T, c *etcdtest.Cluster, cli *clientv3.Client, rev int64, prefix, path string, changes chan<- string) *Cached {
	t.Helper()
	if _, err := cli.Compact(context.Background(), rev); err != nil {
		t.Fatal(err)
	}
	return frontEnd(t, c, prefix, path, changes)
}

// putKeys puts n keys in bucket a of generation 0 under prefix, k00…
// (as many digits as n-1 has), each holding v, straight to the cluster.
func putKeys(t *testing.T, cli *clientv3.Client, prefix string, n int, v string) {
	t.Helper()
	digits := len(fmt.Sprint(n - 1))
	for i := range n {
		if _, err := cli.Put(context.Background(), fmt.Sprintf("%sg0/a/k%0*d", prefix, digits, i), v); err != nil {
			t.Fatal(err)
		}
	}
}

// A key the local index cannot hold (over bbolt's 32 KB, or the prefix
// itself), put into the cluster by hand, is left out of the index: the
// watch goes on, and so does a fresh fill. It stopped the watch for
// good ("key too large"), every front end said STORE DOWN, and ended
// sessions stayed open (etcd review, round 3).
func TestAKeyTheIndexCannotHoldIsLeftOut(t *testing.T) {
	c := etcdtest.Start(t, 3)
	prefix := fmt.Sprintf("/unindexable%d/", prefixes.Add(1))
	fe := frontEnd(t, c, prefix, t.TempDir()+"/index.db", nil)
	defer fe.Close()
	cli := connect(t, c)
	defer cli.Close()
	ctx := context.Background()
	for _, k := range []string{prefix + "g0/zzz/" + strings.Repeat("k", 40_000), prefix} {
		if _, err := cli.Put(ctx, k, "v"); err != nil {
			t.Fatal(err)
		}
	}
	// a write after them reaches the index: the watch went on
	if err := fe.Update(func(tx backend.Tx) error { return tx.Put("users", []byte("sam"), []byte("{}")) }); err != nil {
		t.Fatal(err)
	}
	var sam []byte
	for deadline := time.Now().Add(5 * time.Second); sam == nil; time.Sleep(20 * time.Millisecond) {
		fe.View(func(tx backend.Tx) error { sam = tx.Get("users", []byte("sam")); return nil })
		if time.Now().After(deadline) {
			t.Fatal("the index stopped following the cluster after a key it cannot hold")
		}
	}
	// a new front end fills its index with the keys there
	fresh := frontEnd(t, c, prefix, t.TempDir()+"/index.db", nil)
	defer fresh.Close()
	fresh.View(func(tx backend.Tx) error { sam = tx.Get("users", []byte("sam")); return nil })
	if string(sam) != "{}" {
		t.Fatalf("a fresh fill holds sam %q", sam)
	}
}
