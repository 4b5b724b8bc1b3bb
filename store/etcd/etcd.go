// Package etcd is the store's replicated backend: the buckets of keys
// and values (package backend) kept in an etcd v3 cluster (Raft), so
// several front ends share one store and survive the loss of a machine.
//
// Keys live under a prefix (two installations can share a cluster), in
// a generation: PREFIX gN/BUCKET/KEY for data, PREFIX gN/~seq/BUCKET for
// a bucket's sequence, and PREFIX gen names the generation in use (none:
// 0). An import writes a new generation beside the one in use and
// switches to it in one Txn (Rebuild): readers see the old store or the
// whole new one, never half an import.
// A transaction reads at one revision and buffers its writes; commit is
// one etcd Txn guarded by what it read — every key's mod revision (an
// absent key's create revision 0) and, for a scanned range, no key in it
// changed since — so a conflicting writer makes it run again on the new
// state (backend's contract), never a lost update.
package etcd

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/sync/errgroup"

	"frontdoor/store/backend"
)

// Defaults of etcd's server (--max-txn-ops, --max-request-bytes): a
// transaction is kept below them, with room for a request's framing.
const (
	DefaultMaxOps   = 128
	DefaultMaxBytes = 1 << 20
	// bulkBatch: change-stream events a sync tries in one transaction.
	// Most events change nothing indexed (a sign-in appended): a record
	// written and its read guarded, so 64 fit in etcd's 128 operations;
	// a batch that does not fit (new accounts: a name's tokens, an email,
	// a phone twice each) is found too large before it is sent, and
	// split in halves. At 8, every batch fit and each paid a round trip:
	// 5,000 updates 786-842/s, against 3,032-4,132/s at 64, and 5,000
	// events with 1,825 new accounts 749-777/s against 1,288-1,304/s
	// (BENCHMARKS.md, 2026-12-07 20:05).
	bulkBatch = 64
	// A scan's first range read fetches scanPageFirst keys (most scans
	// stop at their first: is a bucket empty, the audit's tail), each
	// next one twice the last, up to scanPageMax. etcd counts every key
	// left in the range on every read (a Range's total count), so a
	// whole-store read in pages of 1,000 cost n²/1,000 key visits: a
	// fresh front end's fill of a 100k-account store took 85 s.
	scanPageFirst, scanPageMax = 100, 20_000
	// tries is how often Update runs its function before ErrConflict.
	tries = 30
)

// KV is a store on an etcd cluster.
type KV struct {
	cli     *clientv3.Client
	prefix  string
	desc    string
	timeout time.Duration
	limits  backend.Limits
}

// New is the store under prefix on the cluster cli is connected to.
// desc names it in messages; timeout bounds each request.
func New(cli *clientv3.Client, prefix, desc string, timeout time.Duration) *KV {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &KV{cli: cli, prefix: prefix, desc: desc, timeout: timeout,
		limits: backend.Limits{MaxOps: DefaultMaxOps, MaxBytes: DefaultMaxBytes, BulkBatch: bulkBatch}}
}

// Client is the connection, for what a front end does beside the store
// (a watch, an election).
func (k *KV) Client() *clientv3.Client { return k.cli }

// Prefix is where the store's keys begin.
func (k *KV) Prefix() string { return k.prefix }

func (k *KV) Limits() backend.Limits { return k.limits }
func (k *KV) Describe() string       { return k.desc }
func (k *KV) Close() error           { return k.cli.Close() }

// genKey names the generation in use.
func (k *KV) genKey() string { return k.prefix + "gen" }

// genPrefix is where generation gen's keys begin.
func (k *KV) genPrefix(gen uint64) string { return k.prefix + "g" + strconv.FormatUint(gen, 10) + "/" }

// SplitKey reads an etcd key of the store under prefix: its bucket and
// key (a watch's change notices name etcd keys).
func SplitKey(prefix, k string) (bucket string, key []byte, ok bool) {
	rest, ok := strings.CutPrefix(k, prefix+"g")
	if !ok {
		return "", nil, false
	}
	if _, rest, ok = strings.Cut(rest, "/"); !ok {
		return "", nil, false
	}
	bucket, key0, ok := strings.Cut(rest, "/")
	if !ok || strings.HasPrefix(bucket, "~") {
		return "", nil, false
	}
	return bucket, []byte(key0), true
}

// View reads at one revision, each request with the store's timeout and
// the whole with none: a read of the whole store (check, export, migrate's
// check) takes as long as its size asks. Under a single deadline it
// failed past ~1,000 accounts ("store unavailable: context deadline
// exceeded") while every request was answered in milliseconds.
func (k *KV) View(fn func(backend.Tx) error) error {
	t := &tx{kv: k, r: &remote{kv: k, ctx: context.Background(), each: k.timeout}}
	return k.wrap(t.run(fn))
}

func (k *KV) Update(fn func(backend.Tx) error) error {
	return k.update(fn, func(ctx context.Context) (reader, func()) { return &remote{kv: k, ctx: ctx, write: true}, func() {} }, nil)
}

// update runs fn until its commit's guards hold, reading through the
// readers open makes: from the cluster at one revision, or from a
// front end's local index (Cached). caughtUp, when set, waits until
// what open reads has reached a revision: after a conflict, so the
// next try reads what beat it; after the commit, so the writer reads
// its own write.
func (k *KV) update(fn func(backend.Tx) error, open func(context.Context) (reader, func()), caughtUp func(context.Context, int64) error) error {
	var last error
	for try := range tries {
		ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
		r, done := open(ctx)
		t := &tx{kv: k, r: r, w: newWrites()}
		err := t.run(fn)
		var rev int64
		if err == nil {
			rev, err = t.commit(ctx)
		}
		done()
		if caughtUp != nil && rev > 0 && (err == nil || errors.Is(err, errRetry)) {
			if werr := caughtUp(ctx, rev); werr != nil && err == nil {
				// written: not ErrUnavailable (which says nothing was,
				// and a caller would run it again)
				cancel()
				return fmt.Errorf("%s: the transaction was written (revision %d), but the local index has not caught up with it: %v", k.desc, rev, werr)
			} else if werr != nil {
				// nothing written, and the index is stuck: another try
				// would read the same stale state and wait again
				err = werr
			}
		}
		cancel()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, errRetry):
			last = err
			if held, werr := k.waitForImport(); werr != nil {
				return k.wrap(werr)
			} else if held {
				continue // the import is in place: run again on it
			}
			// a short, growing, jittered wait: writers that collided
			// come back apart
			d := time.Duration(1+try) * time.Millisecond
			time.Sleep(d + rand.N(d))
		default:
			return k.wrap(err)
		}
	}
	return fmt.Errorf("%s: %w (%d tries; last: %v)", k.desc, backend.ErrConflict, tries, last)
}

// errRetry: the transaction's guards failed, or its revision was
// compacted away: run it again on the new state.
var errRetry = errors.New("retry")

// wrap names the store in an error that came from etcd, and says what
// kind it is.
func (k *KV) wrap(err error) error {
	if err == nil {
		return nil
	}
	var known error
	switch {
	case errors.Is(err, backend.ErrTxTooLarge), errors.Is(err, backend.ErrReadOnly),
		errors.Is(err, backend.ErrUnavailable), errors.Is(err, backend.ErrConflict):
		return err
	case errors.Is(err, rpctypes.ErrTooManyOps), errors.Is(err, rpctypes.ErrRequestTooLarge),
		errors.Is(err, rpctypes.ErrGRPCRequestTooLarge), errors.Is(err, rpctypes.ErrGRPCTooManyOps):
		known = backend.ErrTxTooLarge
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, rpctypes.ErrGRPCNoLeader), errors.Is(err, rpctypes.ErrNoLeader),
		errors.Is(err, rpctypes.ErrTimeout), errors.Is(err, rpctypes.ErrGRPCTimeout),
		strings.Contains(err.Error(), "Unavailable"), strings.Contains(err.Error(), "connection refused"):
		known = backend.ErrUnavailable
	}
	if known == nil {
		return err // the function's own error, or one etcd says plainly
	}
	if errors.Is(err, backend.ErrOutcomeUnknown) {
		// a commit that went out unanswered: kept in the chain, so that no
		// caller reads it as "nothing written" and does it again
		return fmt.Errorf("store %s: %w: %w", k.desc, known, err)
	}
	return fmt.Errorf("store %s: %w: %v", k.desc, known, err)
}

// present is a stored value as Get gives it: an empty one is not nil,
// which means absent (gRPC decodes an empty value as nil).
func present(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

// remote reads from the cluster, every read at the revision of the first.
type remote struct {
	kv    *KV
	ctx   context.Context
	each  time.Duration // each request's deadline, within ctx's (0: ctx's alone)
	write bool
	rev   int64
	// fetched are keys read ahead in one round trip (Prefetch): value
	// (nil: absent) and mod revision. A read that goes on (check's walk
	// over every account) keeps the latest ones only: past fetchedKeep,
	// they become older and the older before them are dropped.
	fetched, older map[string]fetchedKey
}

// fetchedKeep bounds what a long read keeps read ahead: two
// generations of it, a few MB.
const fetchedKeep = 1 << 15

type fetchedKey struct {
	value []byte
	mod   int64
}

// prefetch reads keys ahead, in Txns of gets of at most per keys, at
// the reads' revision (fixed first, so every part sees one). The parts
// go out a few at once: check reads a whole store's index entries ahead,
// and one Txn after another was most of its time on a cluster.
func (r *remote) prefetch(keys []string, per int) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := r.revision(); err != nil {
		return r.retryable(err)
	}
	var parts [][]string
	for len(keys) > 0 {
		n := min(len(keys), max(per, 1))
		parts, keys = append(parts, keys[:n]), keys[n:]
	}
	got := make([][]fetchedKey, len(parts))
	var g errgroup.Group
	g.SetLimit(prefetchAtOnce)
	for i, part := range parts {
		g.Go(func() error {
			ops := make([]clientv3.Op, 0, len(part))
			for _, k := range part {
				ops = append(ops, clientv3.OpGet(k, r.at()...))
			}
			ctx, cancel := r.request()
			resp, err := r.kv.cli.Txn(ctx).Then(ops...).Commit()
			cancel()
			if err != nil {
				return err
			}
			got[i] = make([]fetchedKey, len(part))
			for j, op := range resp.Responses {
				if rr := op.GetResponseRange(); rr != nil && len(rr.Kvs) > 0 {
					got[i][j] = fetchedKey{present(rr.Kvs[0].Value), rr.Kvs[0].ModRevision}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return r.retryable(err)
	}
	for i, part := range parts {
		if !r.write && len(r.fetched) >= fetchedKeep {
			r.older, r.fetched = r.fetched, nil
		}
		if r.fetched == nil {
			r.fetched = map[string]fetchedKey{}
		}
		for j, k := range part {
			r.fetched[k] = got[i][j]
		}
	}
	return nil
}

// prefetchAtOnce is how many of a prefetch's Txns are out at once.
const prefetchAtOnce = 4

// retryable is a read's error as an update sees it: a revision
// compacted away means run again on the new state.
func (r *remote) retryable(err error) error {
	if errors.Is(err, rpctypes.ErrCompacted) && r.write {
		return errRetry
	}
	return err
}

func (r *remote) at(opts ...clientv3.OpOption) []clientv3.OpOption {
	if r.rev > 0 {
		opts = append(opts, clientv3.WithRev(r.rev))
	}
	return opts
}

// request is the context for one request to the cluster.
func (r *remote) request() (context.Context, context.CancelFunc) {
	if r.each > 0 {
		return context.WithTimeout(r.ctx, r.each)
	}
	return r.ctx, func() {}
}

func (r *remote) fetch(key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	ctx, cancel := r.request()
	resp, err := r.kv.cli.Get(ctx, key, r.at(opts...)...)
	cancel()
	if err != nil {
		if errors.Is(err, rpctypes.ErrCompacted) && r.write {
			return nil, errRetry
		}
		return nil, err
	}
	if r.rev == 0 {
		r.rev = resp.Header.Revision
	}
	return resp, nil
}

func (r *remote) get(key string) ([]byte, int64, error) {
	if f, ok := r.fetched[key]; ok {
		return f.value, f.mod, nil
	}
	if f, ok := r.older[key]; ok {
		return f.value, f.mod, nil
	}
	resp, err := r.fetch(key)
	if err != nil || len(resp.Kvs) == 0 {
		return nil, 0, err
	}
	return present(resp.Kvs[0].Value), resp.Kvs[0].ModRevision, nil
}

func (r *remote) revision() (int64, error) {
	if r.rev == 0 {
		if _, err := r.fetch(r.kv.genKey()); err != nil {
			return 0, err
		}
	}
	return r.rev, nil
}

// scan reads [start, end) a page at a time.
func (r *remote) scan(start, end string, reverse bool, fn func(k string, v []byte, mod int64) (bool, error)) error {
	lo, hi := start, end
	for page := int64(scanPageFirst); ; page = min(2*page, scanPageMax) {
		opts := []clientv3.OpOption{clientv3.WithRange(hi), clientv3.WithLimit(page)}
		if reverse {
			opts = append(opts, clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
		}
		resp, err := r.fetch(lo, opts...)
		if err != nil {
			return err
		}
		for _, kv := range resp.Kvs {
			if more, err := fn(string(kv.Key), present(kv.Value), kv.ModRevision); err != nil || !more {
				return err
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return nil
		}
		last := string(resp.Kvs[len(resp.Kvs)-1].Key)
		if reverse {
			hi = last // a range's end is not in it
		} else {
			lo = last + "\x00"
		}
	}
}
