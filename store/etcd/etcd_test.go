package etcd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"

	"frontdoor/internal/etcdtest"
	"frontdoor/store/backend"
	"frontdoor/store/backend/backendtest"
)

var prefixes atomic.Int64

// The backend contract, against a real three-member cluster: each test
// under its own prefix, as two installations share a cluster.
func TestContract(t *testing.T) {
	c := etcdtest.Start(t, 3)
	backendtest.Run(t, func(t *testing.T) backend.KV {
		cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		kv := New(cli, fmt.Sprintf("/test%d/", prefixes.Add(1)), "etcd test", 10*time.Second)
		t.Cleanup(func() { kv.Close() })
		return kv
	})
}

func connect(t testing.TB, c *etcdtest.Cluster) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return cli
}

// frontEnd opens a front end's local index on prefix, telling changed
// keys to changes (when not nil).
func frontEnd(t testing.TB, c *etcdtest.Cluster, prefix, path string, changes chan<- string) *Cached {
	t.Helper()
	var notify func([]string)
	if changes != nil {
		notify = func(keys []string) {
			for _, k := range keys {
				select {
				case changes <- k:
				default:
				}
			}
		}
	}
	fe, err := OpenCached(New(connect(t, c), prefix, "etcd test", 10*time.Second), path, notify)
	if err != nil {
		t.Fatal(err)
	}
	return fe
}

// The contract holds for a front end reading its local index too.
func TestContractThroughTheLocalIndex(t *testing.T) {
	c := etcdtest.Start(t, 3)
	backendtest.Run(t, func(t *testing.T) backend.KV {
		fe := frontEnd(t, c, fmt.Sprintf("/cached%d/", prefixes.Add(1)), t.TempDir()+"/index.db", nil)
		t.Cleanup(func() { fe.Close() })
		return fe
	})
}

// Two front ends on one store: what A writes is in B's index within a
// second, and B is told which key changed; both incrementing one
// counter at once lose no update (the guard on A's stale read fails,
// and A runs again on what B wrote).
func TestFrontEndsSeeEachOther(t *testing.T) {
	c := etcdtest.Start(t, 3)
	changes := make(chan string, 100)
	a := frontEnd(t, c, "/fe/", t.TempDir()+"/a.db", nil)
	b := frontEnd(t, c, "/fe/", t.TempDir()+"/b.db", changes)
	defer a.Close()
	defer b.Close()
	if err := a.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("acc_1"), []byte("noted on A")) }); err != nil {
		t.Fatal(err)
	}
	select {
	case k := <-changes:
		if k != "/fe/g0/a/acc_1" {
			t.Fatalf("B was told of %q", k)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("B was not told of A's write")
	}
	var got string
	b.View(func(tx backend.Tx) error { got = string(tx.Get("a", []byte("acc_1"))); return nil })
	if got != "noted on A" {
		t.Fatalf("B reads %q after being told", got)
	}
	var wg sync.WaitGroup
	for _, fe := range []*Cached{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				err := fe.Update(func(tx backend.Tx) error {
					n := 0
					fmt.Sscan(string(tx.Get("a", []byte("counter"))), &n)
					return tx.Put("a", []byte("counter"), []byte(fmt.Sprint(n+1)))
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, fe := range []*Cached{a, b} {
		rev, _ := fe.Remote().cli.Get(context.Background(), "/fe/s/")
		fe.caughtUp(context.Background(), rev.Header.Revision)
		fe.View(func(tx backend.Tx) error { got = string(tx.Get("a", []byte("counter"))); return nil })
		if got != "40" {
			t.Fatalf("counter %s after 40 increments from two front ends", got)
		}
	}
}

// A front end that was down while the cluster compacted the revisions
// it lacks fills its index again; one that crashed (not closed
// cleanly) makes its index anew.
func TestIndexRefillsAfterCompactionAndCrash(t *testing.T) {
	c := etcdtest.Start(t, 3)
	path := t.TempDir() + "/index.db"
	b := frontEnd(t, c, "/cp/", path, nil)
	b.Close()
	cli := connect(t, c)
	defer cli.Close()
	var last *clientv3.PutResponse
	for i := range 20 {
		var err error
		if last, err = cli.Put(context.Background(), fmt.Sprintf("/cp/g0/a/k%02d", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cli.Compact(context.Background(), last.Header.Revision); err != nil {
		t.Fatal(err)
	}
	b = frontEnd(t, c, "/cp/", path, nil)
	count := func(fe *Cached) int {
		n := 0
		fe.View(func(tx backend.Tx) error {
			return tx.Scan("a", nil, func(k, v []byte) (bool, error) { n++; return true, nil })
		})
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for count(b) != 20 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := count(b); n != 20 {
		t.Fatalf("after compaction the index holds %d of 20 keys", n)
	}
	// a crash: the process ends without Close
	b.cancel()
	<-b.done
	// what a torn index might hold: a key the cluster never had
	b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bIndex).Put([]byte("g0/a/torn"), indexValue(0, []byte("v")))
	})
	b.db.Close()
	cli.Put(context.Background(), "/cp/g0/a/k99", "v")
	b = frontEnd(t, c, "/cp/", path, nil)
	defer b.Close()
	if n := count(b); n != 21 {
		t.Fatalf("after a crash the index holds %d of 21 keys", n)
	}
}

// A lost quorum mid-session: a front end's reads go on from its local
// index, a write fails within its timeout naming the store and saying
// it is unavailable (nothing written), and once the quorum is back the
// next write goes through (issue 21: bad input, a lost quorum).
func TestLostQuorumIsSaidAndHealed(t *testing.T) {
	c := etcdtest.Start(t, 3)
	fe, err := OpenCached(New(connect(t, c), "/q/", "etcd://test/q/", 2*time.Second), t.TempDir()+"/index.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fe.Close()
	put := func(v string) error { return putK(fe, v) }
	if err := put("before"); err != nil {
		t.Fatal(err)
	}
	c.Stop(1)
	c.Stop(2)
	err = put("during")
	if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "etcd://test/q/") {
		t.Fatalf("a write without a quorum: %v, want ErrUnavailable naming the store", err)
	}
	var got string
	if err := fe.View(func(tx backend.Tx) error { got = string(tx.Get("a", []byte("k"))); return nil }); err != nil || got != "before" {
		t.Fatalf("a read from the local index without a quorum: %q %v", got, err)
	}
	c.Restart(1)
	c.Restart(2)
	deadline := time.Now().Add(30 * time.Second)
	for err = put("after"); err != nil && time.Now().Before(deadline); err = put("after") {
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("a write once the quorum is back: %v", err)
	}
	fe.View(func(tx backend.Tx) error { got = string(tx.Get("a", []byte("k"))); return nil })
	if got != "after" {
		t.Fatalf("read %q after the quorum came back", got)
	}
}

// A front end waits for a revision that is not its prefix's (another
// installation's write on a shared cluster, as a failed guard or a
// rebuild reports the cluster's newest revision): its watch never
// delivers that revision, so the wait ends by asking the cluster how
// far the watch has come. Without an answer on the watch's own stream
// it would last until the writer's timeout.
func TestCatchesUpToAnotherPrefixsRevision(t *testing.T) {
	c := etcdtest.Start(t, 3)
	fe := frontEnd(t, c, "/mine/", t.TempDir()+"/index.db", nil)
	defer fe.Close()
	if err := fe.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("acc_1"), []byte("ours")) }); err != nil {
		t.Fatal(err)
	}
	cli := connect(t, c)
	defer cli.Close()
	for i := range 3 {
		resp, err := cli.Put(context.Background(), fmt.Sprintf("/theirs/%d", i), "another installation's")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = fe.caughtUp(ctx, resp.Header.Revision)
		cancel()
		if err != nil {
			t.Fatalf("waiting for revision %d, another prefix's: %v", resp.Header.Revision, err)
		}
	}
}

// A view's deadline is each request's, not the whole read's: a read of
// the whole store (check, export) outlasts the store's timeout. Under
// one deadline for the view, `check --store etcd://` and migrate's
// check failed past ~1,000 accounts.
func TestAViewOutlastsTheTimeout(t *testing.T) {
	c := etcdtest.Start(t, 3)
	kv := New(connect(t, c), fmt.Sprintf("/long%d/", prefixes.Add(1)), "etcd test", time.Second)
	defer kv.Close()
	if err := kv.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("acc_1"), []byte("one")) }); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := kv.View(func(tx backend.Tx) error {
		for range 3 {
			got = append(got, string(tx.Get("a", []byte("acc_1"))))
			time.Sleep(800 * time.Millisecond) // 2.4 s in all: past the 1 s timeout
		}
		return nil
	})
	if err != nil || strings.Join(got, ",") != "one,one,one" {
		t.Fatalf("a view of 2.4 s with a 1 s timeout: %q, %v", got, err)
	}
}

// A long read keeps what it read ahead within bounds, and still answers
// from it: the chunk before the last is kept with the last.
func TestPrefetchKeepsTheLatest(t *testing.T) {
	c := etcdtest.Start(t, 3)
	cli := connect(t, c)
	kv := New(cli, fmt.Sprintf("/ahead%d/", prefixes.Add(1)), "etcd test", 5*time.Second)
	if err := kv.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("k0"), []byte("v0")) }); err != nil {
		t.Fatal(err)
	}
	keys := func(from, n int) [][]byte {
		var ks [][]byte
		for i := range n {
			ks = append(ks, []byte(fmt.Sprint("k", from+i)))
		}
		return ks
	}
	err := kv.View(func(btx backend.Tx) error {
		p := btx.(backend.Prefetcher)
		p.Prefetch("a", keys(0, fetchedKeep))           // fills the first generation
		p.Prefetch("a", keys(fetchedKeep, fetchedKeep)) // becomes older when the next comes
		p.Prefetch("a", keys(2*fetchedKeep, 10))
		t0 := btx.(*tx)
		r := t0.r.(*remote)
		if n := len(r.fetched) + len(r.older); n > 2*fetchedKeep {
			t.Errorf("%d keys kept read ahead, more than %d", n, 2*fetchedKeep)
		}
		cli.Close() // from here only what was read ahead answers
		if _, ok := r.older[t0.dataKey("a", []byte(fmt.Sprint("k", fetchedKeep)))]; !ok {
			t.Error("the chunk before the last was dropped")
		}
		if v := btx.Get("a", []byte(fmt.Sprint("k", 2*fetchedKeep+3))); v != nil {
			t.Errorf("an absent key read ahead is %q", v)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("answered from what was read ahead: %v", err)
	}
}

// A scan reads its first page small and each next twice the last: a
// scan that stops at its first key fetches few, and a whole bucket takes
// few reads. etcd counts every key left in the range on every read, so
// a store read in fixed pages of 1,000 cost n²/1,000 key visits (a fresh
// front end's fill of 100k accounts: 85 s).
func TestScanPagesGrow(t *testing.T) {
	c := etcdtest.Start(t, 3)
	var limits []int64
	var mu sync.Mutex
	watch := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if r, ok := req.(*etcdserverpb.RangeRequest); ok && len(r.RangeEnd) > 0 {
			mu.Lock()
			limits = append(limits, r.Limit)
			mu.Unlock()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second,
		DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(watch)}})
	if err != nil {
		t.Fatal(err)
	}
	kv := New(cli, fmt.Sprintf("/pages%d/", prefixes.Add(1)), "etcd test", 10*time.Second)
	defer kv.Close()
	const n = 30_000
	for i := 0; i < n; i += 100 {
		if err := kv.Update(func(tx backend.Tx) error {
			for j := i; j < i+100; j++ {
				tx.Put("a", fmt.Appendf(nil, "k%06d", j), []byte("v"))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	scan := func(stopAfter int) []int64 {
		mu.Lock()
		limits = nil
		mu.Unlock()
		seen := 0
		if err := kv.View(func(tx backend.Tx) error {
			return tx.Scan("a", nil, func(_, _ []byte) (bool, error) { seen++; return seen < stopAfter, nil })
		}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(limits)
	}
	if got := scan(1); len(got) != 1 || got[0] != scanPageFirst {
		t.Errorf("a scan stopping at its first key read pages of %v, want one of %d", got, scanPageFirst)
	}
	got := scan(n + 1)
	if len(got) > 10 || slices.Max(got) != scanPageMax {
		t.Errorf("a scan of %d keys read pages of %v: want at most 10 reads, growing to %d", n, got, scanPageMax)
	}
}

// A commit that went out to a member that then answered nothing (its
// connection open: a member stopped with SIGSTOP, a link black-holed)
// may have been applied: the error says the outcome is unknown — a
// caller must not be told "nothing written" and take the action twice —
// and the cluster did apply it. It was said as plain ErrUnavailable,
// "nothing written", until wrap kept what the commit said.
func TestUnansweredCommitSaysTheOutcomeIsUnknown(t *testing.T) {
	c := etcdtest.Start(t, 3)
	relay, _, fe := relayedFrontEnd(t, c, "/u/", time.Second)
	put := func(v string) error { return putK(fe, v) }
	if err := put("before"); err != nil {
		t.Fatal(err)
	}
	relay.Silence()
	err := put("during")
	relay.Speak()
	if !errors.Is(err, backend.ErrOutcomeUnknown) || !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "etcd://test/u/") {
		t.Fatalf("a commit left unanswered: %v, want ErrOutcomeUnknown with ErrUnavailable, naming the store", err)
	}
	direct := New(connect(t, c), "/u/", "etcd://test/u/", 5*time.Second)
	defer direct.Close()
	var got string
	if err := direct.View(func(tx backend.Tx) error { got = string(tx.Get("a", []byte("k"))); return nil }); err != nil {
		t.Fatal(err)
	}
	if got != "during" {
		t.Fatalf("the cluster holds %q: the unanswered commit was not applied, so this test shows nothing", got)
	}
}

// A front end whose watch is on a member gone silent — its connection
// open, nothing answered (SIGSTOP, a link black-holed one way) — follows
// the cluster again through another member within a few probes, not
// when gRPC's keepalive gives the connection up (15 s; never, here,
// where the client sets none): the watchdog drops the silent watch for
// one on a new stream.
func TestWatchLeavesASilentMember(t *testing.T) {
	defer func(every time.Duration) { probeEvery = every }(probeEvery)
	probeEvery = 200 * time.Millisecond
	c := etcdtest.Start(t, 3)
	// the watch is made while the relay is the only way in, so it is
	// on the member that goes silent
	relay, cli, fe := relayedFrontEnd(t, c, "/s/", 2*time.Second)
	cli.SetEndpoints(relay.Addr(), c.Endpoints()[1], c.Endpoints()[2])
	other := New(connect(t, c), "/s/", "etcd://test/s/", 5*time.Second)
	defer other.Close()
	put := func(v string) {
		t.Helper()
		if err := putK(other, v); err != nil {
			t.Fatal(err)
		}
	}
	seen := func(v string, within time.Duration) bool {
		for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			var got string
			fe.View(func(tx backend.Tx) error { got = string(tx.Get("a", []byte("k"))); return nil })
			if got == v {
				return true
			}
		}
		return false
	}
	put("before")
	if !seen("before", 5*time.Second) {
		t.Fatal("the front end never saw the first write")
	}
	relay.Silence()
	defer relay.Speak()
	put("while silent")
	if !seen("while silent", 8*time.Second) {
		t.Fatal("8 s after a write, the front end whose watch member went silent has not seen it")
	}
}

// putK writes v at bucket a, key k: the one key the outage tests move.
func putK(kv interface {
	Update(func(backend.Tx) error) error
}, v string) error {
	return kv.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("k"), []byte(v)) })
}

// relayedFrontEnd is a front end on prefix whose only way to the cluster
// is a relay to its first member, which the test can silence.
func relayedFrontEnd(t *testing.T, c *etcdtest.Cluster, prefix string, timeout time.Duration) (*etcdtest.Relay, *clientv3.Client, *Cached) {
	t.Helper()
	relay := etcdtest.NewRelay(t, c.Endpoints()[0])
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{relay.Addr()}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	fe, err := OpenCached(New(cli, prefix, "etcd://test"+prefix, timeout), t.TempDir()+"/index.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fe.Close() })
	return relay, cli, fe
}

// A member that stays silent is not asked for a new watch at the
// watchdog's pace forever: each drop in a row doubles the next watch's
// patience. Without it, 2 s of silence at 50 ms probes made 8 watches.
func TestWatchdogBacksOff(t *testing.T) {
	defer func(every time.Duration) { probeEvery = every }(probeEvery)
	probeEvery = 50 * time.Millisecond
	c := etcdtest.Start(t, 3)
	relay, _, fe := relayedFrontEnd(t, c, "/b/", 2*time.Second)
	fe.mu.Lock()
	first := fe.stream
	fe.mu.Unlock()
	relay.Silence()
	defer relay.Speak()
	time.Sleep(2 * time.Second)
	fe.mu.Lock()
	made := fe.stream - first
	fe.mu.Unlock()
	if made < 2 || made > 6 { // 4 here with the doubling, 8 without
		t.Fatalf("%d watches in 2 s of silence at 50 ms probes: want a few, each given twice as long", made)
	}
}
