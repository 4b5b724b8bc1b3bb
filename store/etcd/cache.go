package etcd

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/metadata"

	"frontdoor/store/backend"
)

// Cached is the store on a cluster as a front end uses it: reads are
// served from a local index (a bbolt file in the front end's data
// directory) filled at start and kept current by a watch from its
// revision — Kubernetes' apiserver watch cache is the model — so a
// keystroke's look-up never waits on the network. Writes go to the
// cluster, guarded by the mod revisions the local index holds; a guard
// that fails because the index was behind runs the transaction again
// once it has caught up, and a writer returns only when its own write
// is in the index (it reads what it wrote).
type Cached struct {
	kv *KV
	db *bolt.DB

	mu      sync.Mutex
	applied int64         // the revision the index holds everything up to
	moved   chan struct{} // closed and replaced whenever applied moves
	watched error         // why the watch stopped, when it has
	stream  uint64        // the follow watch's number, which names its stream (watchStream)
	stalls  int           // watches in a row the watchdog dropped (follow's own)

	reach reach // whether the cluster answers (health.go)

	owner  []byte              // whose index it is: the cluster's id and the prefix
	notify func(keys []string) // told of every changed key, any writer's
	cancel context.CancelFunc
	done   chan struct{} // closed when follow and watchHealth have returned
}

// The index's buckets: the keys under the store's prefix, each value
// its mod revision (8 bytes) then the value; and the revision held.
var (
	bIndex = []byte("index")
	bState = []byte("state")
	kRev   = []byte("revision")
	// kClean is set when the index was closed cleanly. Its commits do
	// not wait for the disk (a writer waits for its write to reach the
	// index), so after a crash it may be torn: it is made again.
	kClean = []byte("clean")
	// kOwner names the cluster (its id) and the prefix the index holds
	kOwner = []byte("owner")
)

// OpenCached opens (creating) the local index at path for kv, brings it
// up to the cluster's revision (a full read when it is new, or when the
// revisions it lacks were compacted away) and keeps it current until
// Close. notify, when set, is told of the keys every change touched.
func OpenCached(kv *KV, path string, notify func(keys []string)) (*Cached, error) {
	db, err := openIndex(path)
	if err != nil {
		return nil, err
	}
	c := &Cached{kv: kv, db: db, moved: make(chan struct{}), notify: notify, done: make(chan struct{})}
	c.reach.changed = make(chan struct{})
	var held []byte // the owner the index names
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bIndex); err != nil {
			return err
		}
		st, err := tx.CreateBucketIfNotExists(bState)
		if err != nil {
			return err
		}
		if v := st.Get(kRev); len(v) == 8 {
			c.applied = int64(binary.BigEndian.Uint64(v))
		}
		held = slices.Clone(st.Get(kOwner))
		return st.Delete(kClean)
	})
	if err == nil {
		err = db.Sync()
	}
	if err == nil {
		// an index of another prefix or cluster (a data directory used
		// again with another --store), or ahead of the cluster (one
		// restored from a backup), is filled again whole: followed from
		// its revision it served another installation's records, or
		// stale ones
		// (a serializable read: one member answers it, so a front end
		// with an index still starts while the cluster lacks a quorum)
		ctx, cancel := context.WithTimeout(context.Background(), kv.timeout)
		var resp *clientv3.GetResponse
		if resp, err = kv.cli.Get(ctx, kv.genKey(), clientv3.WithSerializable()); err == nil {
			c.owner = fmt.Appendf(nil, "%x %s", resp.Header.ClusterId, kv.prefix)
			if !bytes.Equal(held, c.owner) || resp.Header.Revision < c.applied {
				c.applied = 0
			}
		}
		cancel()
	}
	if err == nil && c.applied == 0 {
		err = c.fill(context.Background())
	}
	if err != nil {
		db.Close()
		return nil, kv.wrap(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	var wg sync.WaitGroup
	wg.Go(func() { c.follow(ctx) })
	wg.Go(func() { c.watchHealth(ctx) })
	go func() { wg.Wait(); close(c.done) }()
	return c, nil
}

func (c *Cached) Limits() backend.Limits { return c.kv.limits }
func (c *Cached) Describe() string {
	return fmt.Sprintf("%s (read through the local index %s, at revision %d)", c.kv.desc, c.db.Path(), c.Revision())
}

// Leftovers is the cluster's (backend.LeftoverFinder): the index holds
// only the generation in use.
func (c *Cached) Leftovers() ([]string, error) { return c.kv.Leftovers() }

// Remote is the cluster behind the index.
func (c *Cached) Remote() *KV { return c.kv }

// openIndex opens the index file at path, made anew unless it was
// closed cleanly.
func openIndex(path string) (*bolt.DB, error) {
	for fresh := false; ; fresh = true {
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true, NoFreelistSync: true})
		if err != nil && fresh {
			return nil, fmt.Errorf("local index %s: %w", path, err)
		}
		clean := false
		if err == nil {
			db.View(func(tx *bolt.Tx) error {
				if st := tx.Bucket(bState); st != nil {
					clean = st.Get(kClean) != nil
				}
				return nil
			})
		}
		if err == nil && (clean || fresh) {
			return db, nil
		}
		if err == nil {
			db.Close()
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("local index %s: %w", path, err)
		}
	}
}

// Close stops the watch, marks the index clean and closes it and the
// connection.
func (c *Cached) Close() error {
	c.cancel()
	<-c.done
	err := c.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bState).Put(kClean, []byte{1}) })
	if err == nil {
		err = c.db.Sync()
	}
	return errors.Join(err, c.db.Close(), c.kv.Close())
}

// Revision is the revision the index holds everything up to.
func (c *Cached) Revision() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.applied
}

func (c *Cached) View(fn func(backend.Tx) error) error {
	return c.db.View(func(btx *bolt.Tx) error {
		t := &tx{kv: c.kv, r: c.reader(btx)}
		return c.kv.wrap(t.run(fn))
	})
}

func (c *Cached) Update(fn func(backend.Tx) error) error {
	if err := c.refuseWhileDown(); err != nil {
		return err
	}
	return c.kv.update(fn, func(context.Context) (reader, func()) {
		btx, err := c.db.Begin(false)
		if err != nil {
			return failing{err}, func() {}
		}
		return c.reader(btx), func() { btx.Rollback() }
	}, c.caughtUp)
}

// caughtUp waits until the index holds rev. A revision may be another
// prefix's commit (a shared cluster), which this prefix's watch never
// delivers: progress requests, sent while waiting, make the cluster say
// how far the watch has come.
func (c *Cached) caughtUp(ctx context.Context, rev int64) error {
	ask := time.NewTicker(50 * time.Millisecond)
	defer ask.Stop()
	for {
		c.mu.Lock()
		applied, moved, watched := c.applied, c.moved, c.watched
		c.mu.Unlock()
		if applied >= rev {
			return nil
		}
		select {
		case <-moved:
		case <-ask.C:
			c.kv.cli.RequestProgress(c.onWatchStream(ctx))
		case <-ctx.Done():
			// a broken watch is followed again after a moment: what
			// broke it is said only if it has not come back by now
			if watched != nil {
				return fmt.Errorf("the local index did not reach revision %d (it holds %d): %w", rev, applied, watched)
			}
			return fmt.Errorf("the local index did not reach revision %d (it holds %d): %w", rev, applied, ctx.Err())
		}
	}
}

// indexReader reads the local index in one bbolt read transaction.
type indexReader struct {
	c   *Cached
	btx *bolt.Tx
	rev int64
}

func (c *Cached) reader(btx *bolt.Tx) *indexReader {
	r := &indexReader{c: c, btx: btx}
	if v := btx.Bucket(bState).Get(kRev); len(v) == 8 {
		r.rev = int64(binary.BigEndian.Uint64(v))
	}
	return r
}

func (r *indexReader) key(k string) []byte { return []byte(k[len(r.c.kv.prefix):]) }

func (r *indexReader) get(k string) ([]byte, int64, error) {
	v := r.btx.Bucket(bIndex).Get(r.key(k))
	if len(v) < 8 {
		return nil, 0, nil
	}
	return v[8:], int64(binary.BigEndian.Uint64(v)), nil
}

func (r *indexReader) revision() (int64, error) { return r.rev, nil }

func (r *indexReader) scan(start, end string, reverse bool, fn func(k string, v []byte, mod int64) (bool, error)) error {
	lo, hi := r.key(start), r.key(end)
	cur := r.btx.Bucket(bIndex).Cursor()
	var k, v []byte
	if reverse {
		if k, v = cur.Seek(hi); k == nil {
			k, v = cur.Last()
		} else {
			k, v = cur.Prev() // the range's end is not in it
		}
	} else {
		k, v = cur.Seek(lo)
	}
	for ; k != nil; k, v = step(cur, reverse) {
		if bytes.Compare(k, lo) < 0 || bytes.Compare(k, hi) >= 0 {
			return nil
		}
		if more, err := fn(r.c.kv.prefix+string(k), v[8:], int64(binary.BigEndian.Uint64(v))); err != nil || !more {
			return err
		}
	}
	return nil
}

func step(c *bolt.Cursor, reverse bool) ([]byte, []byte) {
	if reverse {
		return c.Prev()
	}
	return c.Next()
}

// failing is a reader that could not begin.
type failing struct{ err error }

func (f failing) get(string) ([]byte, int64, error) { return nil, 0, f.err }
func (f failing) scan(string, string, bool, func(string, []byte, int64) (bool, error)) error {
	return f.err
}
func (f failing) revision() (int64, error) { return 0, f.err }

// refill brings the index to the cluster's keys at one revision, in
// one transaction (readers see the old index, or the new whole one),
// after the revisions it lacks were compacted away. What the cluster
// holds as the index does (the same value at the same mod revision) is
// left alone; what differs, and what the index held that the cluster no
// longer has, is written and told as changed: a user removed while this
// front end was behind must still end their sessions here. Only the
// changes are kept in memory until the commit, not the store.
func (c *Cached) refill(ctx context.Context) error {
	// each page with the store's timeout, the whole with none but ctx's
	// (Close ends the follower's): a 1M store is ~7M keys, 7,000 pages
	// (View says why)
	r := &remote{kv: c.kv, ctx: ctx, each: c.kv.timeout}
	start := c.kv.prefix
	var changed []string
	err := c.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bIndex)
		if err != nil {
			return err
		}
		// the cluster's keys and the index's, both in order, side by
		// side; the cursor is placed again after every change (a bbolt
		// cursor is not to be trusted across a Put or Delete)
		cur := b.Cursor()
		held, heldValue := cur.First()
		drop := func(upTo []byte) error { // the held keys before upTo (nil: all)
			for held != nil && (upTo == nil || bytes.Compare(held, upTo) < 0) {
				k := slices.Clone(held)
				changed = append(changed, c.kv.prefix+string(k))
				if err := b.Delete(k); err != nil {
					return err
				}
				held, heldValue = cur.Seek(k)
			}
			return nil
		}
		err = r.scan(start, clientv3.GetPrefixRangeEnd(start), false, func(key string, v []byte, mod int64) (bool, error) {
			k := []byte(key[len(c.kv.prefix):])
			if !indexable(k) {
				return true, nil
			}
			if err := drop(k); err != nil {
				return false, err
			}
			value := indexValue(mod, v)
			if bytes.Equal(held, k) && bytes.Equal(heldValue, value) {
				held, heldValue = cur.Next() // as held: nothing to write or tell
				return true, nil
			}
			changed = append(changed, key)
			if err := b.Put(k, value); err != nil {
				return false, err
			}
			if held, heldValue = cur.Seek(k); held != nil && bytes.Equal(held, k) {
				held, heldValue = cur.Next()
			}
			return true, nil
		})
		if err == nil {
			err = drop(nil)
		}
		if err != nil {
			return err
		}
		if err := tx.Bucket(bState).Put(kOwner, c.owner); err != nil {
			return err
		}
		return tx.Bucket(bState).Put(kRev, revBytes(r.rev))
	})
	if err != nil {
		return err
	}
	c.advance(r.rev)
	if c.notify != nil && len(changed) > 0 {
		c.notify(changed)
	}
	return nil
}

// fillChunk is how many bytes of entries a first fill commits at once.
var fillChunk = 16 << 20

// filled is told of each commit a fill makes before its last (tests).
var filled = func(*bolt.DB) {}

// fill reads every key under the prefix at one revision into an index
// no session reads yet (OpenCached: a new one, or one of another
// cluster or prefix, or ahead of the cluster), committing as it goes.
// In one transaction its memory grew with the store: bbolt holds every
// entry written until the commit, and copied them all again each time
// the file outgrew its map (a 20k-account store's fresh front end
// peaked at ~0.4 GB; BENCHMARKS.md). Until the last commit the index
// names no revision or owner, and it is not marked clean: a fill cut
// short is made again at the next start.
func (c *Cached) fill(ctx context.Context) error {
	r := &remote{kv: c.kv, ctx: ctx, each: c.kv.timeout}
	tx, err := c.db.Begin(true)
	if err != nil {
		return err
	}
	defer func() { tx.Rollback() }()
	st := tx.Bucket(bState)
	for _, k := range [][]byte{kRev, kOwner} {
		if err := st.Delete(k); err != nil {
			return err
		}
	}
	if err := tx.DeleteBucket(bIndex); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
		return err
	}
	b, err := tx.CreateBucket(bIndex)
	if err != nil {
		return err
	}
	b.FillPercent = 1 // keys arrive in order
	size := 0
	err = r.scan(c.kv.prefix, clientv3.GetPrefixRangeEnd(c.kv.prefix), false, func(key string, v []byte, mod int64) (bool, error) {
		if size >= fillChunk {
			if err := tx.Commit(); err != nil {
				return false, err
			}
			filled(c.db)
			size = 0
			if tx, err = c.db.Begin(true); err != nil {
				return false, err
			}
			b = tx.Bucket(bIndex)
			b.FillPercent = 1
		}
		k := []byte(key[len(c.kv.prefix):])
		if !indexable(k) {
			return true, nil
		}
		size += len(key) + 8 + len(v)
		return true, b.Put(k, indexValue(mod, v))
	})
	if err != nil {
		return err
	}
	if err := tx.Bucket(bState).Put(kOwner, c.owner); err != nil {
		return err
	}
	if err := tx.Bucket(bState).Put(kRev, revBytes(r.rev)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	c.advance(r.rev)
	return nil
}

// indexValue is a key's entry in the index: its mod revision, then its
// value.
// indexable says whether a key under the prefix can be held in the
// local index: bbolt takes none empty (the prefix itself) and none over
// 32 KB. The console writes neither; one put into the cluster by hand
// stopped the watch for good ("key too large"): every front end said
// STORE DOWN, and ended sessions stayed open (etcd review, round 3).
// Such a key is left out of the index; nothing the console reads is
// ever under it.
func indexable(k []byte) bool { return len(k) > 0 && len(k) <= bolt.MaxKeySize }

func indexValue(mod int64, value []byte) []byte {
	v := make([]byte, 8+len(value))
	binary.BigEndian.PutUint64(v, uint64(mod))
	copy(v[8:], value)
	return v
}

func revBytes(rev int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(rev)) }

// advance records that the index holds everything up to rev.
func (c *Cached) advance(rev int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rev > c.applied {
		c.applied = rev
		close(c.moved)
		c.moved = make(chan struct{})
	}
}

// follow applies the cluster's changes under the prefix to the index,
// from the revision after the one it holds, until ctx ends: each watch
// response in one transaction (etcd sends a transaction's events
// together, so no half action is ever seen). Revisions compacted away
// before the watch reached them: the index is filled again whole.
func (c *Cached) follow(ctx context.Context) {
	for n := uint64(1); ctx.Err() == nil; n++ {
		if !c.watchOnce(ctx, n) {
			return
		}
		select { // a broken watch: a moment, then again
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// watchOnce follows one watch, the nth, on a gRPC stream of its own,
// until it breaks; false when the index cannot go on.
func (c *Cached) watchOnce(ctx context.Context, n uint64) bool {
	wctx, stall := context.WithCancel(c.watchStream(ctx, n))
	defer stall()
	heard := make(chan struct{}, 1)
	var stalled atomic.Bool
	// a cluster too slow to answer within the patience is given twice as
	// long each time in a row, so a loaded one is not asked for a new
	// watch forever
	patience := probesUnanswered << min(c.stalls, 4)
	go c.watchdog(wctx, func() { stalled.Store(true); stall() }, heard, patience)
	defer func() {
		if stalled.Load() {
			c.stalls++
		}
	}()
	ch := c.kv.cli.Watch(wctx, c.kv.prefix, clientv3.WithPrefix(), clientv3.WithRev(c.Revision()+1), clientv3.WithProgressNotify(), clientv3.WithCreatedNotify())
	for resp := range ch {
		c.stalls = 0
		select {
		case heard <- struct{}{}:
		default:
		}
		if resp.Created {
			// the cluster took the watch: it answers again (a quiet
			// store sends nothing else, and a write refused while the
			// watch was broken would never come to clear it)
			c.mu.Lock()
			c.watched = nil
			c.mu.Unlock()
			continue
		}
		if resp.CompactRevision != 0 || errors.Is(resp.Err(), rpctypes.ErrCompacted) {
			if err := c.refill(ctx); err != nil {
				c.stopped(err)
			}
			return true // watch again from the new revision
		}
		if err := resp.Err(); err != nil {
			if wctx.Err() == nil || ctx.Err() != nil {
				c.stopped(err)
			}
			return true
		}
		if err := c.apply(resp); err != nil {
			c.stopped(err)
			return false
		}
	}
	return true
}

// The watchdog asks the watch's member how far the watch has come
// (a progress request) every probeEvery; after probesUnanswered asks
// with nothing heard, the member has gone silent with its connection
// open (stopped with SIGSTOP, a link black-holed one way), and the watch
// is dropped for a new one on a new stream, which the client places on
// the next member; each drop in a row doubles the asks the next watch
// is given (up to 16 times), for a cluster that is only slow. Without
// it the index went stale until gRPC's keepalive gave the connection
// up, 15 s later, while every screen said LIVE.
var (
	probeEvery       = time.Second
	probesUnanswered = 2
)

func (c *Cached) watchdog(wctx context.Context, stall func(), heard <-chan struct{}, patience int) {
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	for quiet := 0; ; {
		select {
		case <-wctx.Done():
			return
		case <-heard:
			quiet = 0
		case <-t.C:
			if quiet >= patience {
				stall()
				return
			}
			quiet++
			c.kv.cli.RequestProgress(wctx)
		}
	}
}

// watchStream marks ctx for the nth watch's own gRPC stream: the client
// keys its watch streams by a context's metadata, so a new watch with
// the old one's metadata could join the old one's silent stream. It
// also requires a leader: a member that lost the quorum cancels the
// watch (health.go).
func (c *Cached) watchStream(ctx context.Context, n uint64) context.Context {
	c.mu.Lock()
	c.stream = n
	c.mu.Unlock()
	return streamCtx(ctx, n)
}

func streamCtx(ctx context.Context, n uint64) context.Context {
	return metadata.AppendToOutgoingContext(clientv3.WithRequireLeader(ctx), "frontdoor-watch", strconv.FormatUint(n, 10))
}

// onWatchStream marks ctx as the current follow watch's is marked. The
// cluster answers a progress request on the stream it came on: asked
// with an unmarked context, the answer went to a stream of its own, no
// watch heard it, and a writer waiting for another prefix's revision
// waited out its timeout (TestCatchesUpToAnotherPrefixsRevision).
func (c *Cached) onWatchStream(ctx context.Context) context.Context {
	c.mu.Lock()
	n := c.stream
	c.mu.Unlock()
	return streamCtx(ctx, n)
}

// stopped records why the watch broke, for writers waiting on it; the
// next response that applies clears it.
func (c *Cached) stopped(err error) {
	c.mu.Lock()
	c.watched = fmt.Errorf("%s: the local index stopped following the cluster: %w", c.kv.desc, err)
	close(c.moved)
	c.moved = make(chan struct{})
	c.mu.Unlock()
}

// apply writes one watch response's events into the index.
func (c *Cached) apply(resp clientv3.WatchResponse) error {
	rev := resp.Header.Revision // a progress notice: everything up to it was sent
	if len(resp.Events) > 0 {
		rev = resp.Events[len(resp.Events)-1].Kv.ModRevision
	}
	if rev <= c.Revision() {
		return nil
	}
	changed := make([]string, 0, len(resp.Events))
	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bIndex)
		for _, ev := range resp.Events {
			k := ev.Kv.Key[len(c.kv.prefix):]
			if !indexable(k) {
				continue
			}
			changed = append(changed, string(ev.Kv.Key))
			var err error
			if ev.Type == clientv3.EventTypeDelete {
				err = b.Delete(k)
			} else {
				err = b.Put(k, indexValue(ev.Kv.ModRevision, ev.Kv.Value))
			}
			if err != nil {
				return err
			}
		}
		return tx.Bucket(bState).Put(kRev, revBytes(rev))
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.watched = nil
	c.mu.Unlock()
	c.advance(rev)
	if c.notify != nil && len(changed) > 0 {
		c.notify(changed)
	}
	return nil
}
