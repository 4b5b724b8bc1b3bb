package etcd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"frontdoor/store/backend"
)

// reader is where a transaction reads: the cluster (remote) or a front
// end's local index (Cached). Every read of one transaction sees one
// revision.
type reader interface {
	// get is key's value and mod revision (nil, 0: absent).
	get(key string) ([]byte, int64, error)
	// scan calls fn for each key in [start, end), in key order or
	// reversed, with its mod revision, until fn returns false or an
	// error.
	scan(start, end string, reverse bool, fn func(k string, v []byte, mod int64) (bool, error)) error
	// revision is the revision the reads see.
	revision() (int64, error)
}

// writes is an Update's buffer, and what it read, for the guards.
type writes struct {
	puts   map[string][]byte
	dels   map[string]bool
	seqs   map[string]uint64
	reads  map[string]int64 // key → mod revision read (0: absent)
	ranges [][2]string      // scanned [start, end)
}

func newWrites() *writes {
	return &writes{puts: map[string][]byte{}, dels: map[string]bool{}, seqs: map[string]uint64{}, reads: map[string]int64{}}
}

// tx is one transaction: reads through r, writes (in an Update, w set)
// buffered until commit.
type tx struct {
	kv  *KV
	r   reader
	w   *writes // nil in a View
	err error   // the first error Get or ID met (fail)
	// gen is the generation's key prefix, read from the pointer the
	// first time a key is named (and guarded: a write to a generation
	// an import has since replaced runs again on the new one); set
	// ahead for a rebuild's own generation
	gen string
}

// prefix is the generation's key prefix ("" with t.err set).
func (t *tx) prefix() string {
	if t.gen != "" || t.err != nil {
		return t.gen
	}
	v, mod, err := t.r.get(t.kv.genKey())
	if err != nil {
		t.fail(err)
		return ""
	}
	n, err := t.kv.parseGeneration(v)
	if err != nil {
		t.fail(err)
		return ""
	}
	if t.w != nil {
		t.w.reads[t.kv.genKey()] = mod
	}
	t.gen = t.kv.genPrefix(n)
	return t.gen
}

func (t *tx) dataKey(bucket string, key []byte) string {
	return t.prefix() + bucket + "/" + string(key)
}

func (t *tx) seqKey(bucket string) string { return t.prefix() + "~seq/" + bucket }

// run runs fn; an error a method without an error result met outranks
// whatever fn decided from the nil it was given.
func (t *tx) run(fn func(backend.Tx) error) error {
	err := fn(t)
	if t.err != nil {
		return t.err
	}
	return err
}

func (t *tx) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

func (t *tx) Get(bucket string, key []byte) []byte {
	k := t.dataKey(bucket, key)
	if t.w != nil {
		if v, ok := t.w.puts[k]; ok {
			return v
		}
		if t.w.dels[k] {
			return nil
		}
	}
	if t.err != nil {
		return nil
	}
	v, mod, err := t.r.get(k)
	if err != nil {
		t.fail(err)
		return nil
	}
	if t.w != nil {
		if _, seen := t.w.reads[k]; !seen {
			t.w.reads[k] = mod
		}
	}
	return v
}

func (t *tx) Put(bucket string, key, value []byte) error {
	if t.w == nil {
		return fmt.Errorf("%s: %w", t.kv.desc, backend.ErrReadOnly)
	}
	k := t.dataKey(bucket, key)
	if t.err != nil {
		return t.err
	}
	// a front end's index (bbolt) holds keys of at most MaxKeySize: a
	// longer one would stop every front end's watch for good
	if n := len(k) - len(t.kv.prefix); n > bolt.MaxKeySize {
		return fmt.Errorf("%s: %w: a key of %d bytes (at most %d)", t.kv.desc, backend.ErrTxTooLarge, n, bolt.MaxKeySize)
	}
	delete(t.w.dels, k)
	t.w.puts[k] = append([]byte{}, value...) // never nil: an empty value is there
	return nil
}

func (t *tx) Delete(bucket string, key []byte) error {
	if t.w == nil {
		return fmt.Errorf("%s: %w", t.kv.desc, backend.ErrReadOnly)
	}
	k := t.dataKey(bucket, key)
	if t.err != nil {
		return t.err
	}
	delete(t.w.puts, k)
	t.w.dels[k] = true
	return nil
}

func (t *tx) Scan(bucket string, prefix []byte, fn func(k, v []byte) (bool, error)) error {
	start := t.dataKey(bucket, prefix)
	return t.scan(bucket, start, clientv3.GetPrefixRangeEnd(start), false, fn)
}

func (t *tx) ScanReverse(bucket string, fn func(k, v []byte) (bool, error)) error {
	start := t.dataKey(bucket, nil)
	return t.scan(bucket, start, clientv3.GetPrefixRangeEnd(start), true, fn)
}

// mine are the transaction's own writes in [start, end), in the scan's
// order.
func (w *writes) mine(start, end string, reverse bool) []string {
	var keys []string
	for _, set := range []map[string][]byte{w.puts} {
		for k := range set {
			if k >= start && k < end {
				keys = append(keys, k)
			}
		}
	}
	for k := range w.dels {
		if k >= start && k < end {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if reverse {
		slices.Reverse(keys)
	}
	return keys
}

// scan is the reader's scan merged with the transaction's own writes.
func (t *tx) scan(bucket, start, end string, reverse bool, fn func(k, v []byte) (bool, error)) error {
	if t.err != nil {
		return t.err
	}
	strip := len(t.dataKey(bucket, nil))
	if t.w == nil {
		return t.r.scan(start, end, reverse, func(k string, v []byte, _ int64) (bool, error) { return fn([]byte(k[strip:]), v) })
	}
	mine := t.w.mine(start, end, reverse)
	// call passes a key on as the transaction sees it
	call := func(k string, v []byte) (bool, error) {
		if t.w.dels[k] {
			return true, nil
		}
		if p, ok := t.w.puts[k]; ok {
			v = p
		}
		return fn([]byte(k[strip:]), v)
	}
	before := func(a, b string) bool { return a != b && (a < b) != reverse }
	stopped := false
	err := t.r.scan(start, end, reverse, func(k string, v []byte, mod int64) (bool, error) {
		// the range guard (below) sees a key changed or added in the
		// range, not one deleted: etcd compares only the keys there at
		// commit. So each stored key the function is shown is guarded as
		// a Get's is: another writer deleting it fails this commit
		if _, seen := t.w.reads[k]; !seen {
			t.w.reads[k] = mod
		}
		for len(mine) > 0 && before(mine[0], k) { // the transaction's own, before this one
			more, err := call(mine[0], nil)
			mine = mine[1:]
			if err != nil || !more {
				stopped = true
				return false, err
			}
		}
		if len(mine) > 0 && mine[0] == k {
			mine = mine[1:]
		}
		more, err := call(k, v)
		stopped = !more
		return more, err
	})
	if err != nil {
		return err
	}
	for len(mine) > 0 && !stopped { // the transaction's own, after every stored one
		more, err := call(mine[0], nil)
		mine = mine[1:]
		if err != nil {
			return err
		}
		stopped = !more
	}
	t.w.ranges = append(t.w.ranges, [2]string{start, end})
	return nil
}

func (t *tx) NextSequence(bucket string) (uint64, error) {
	if t.w == nil {
		return 0, fmt.Errorf("%s: %w", t.kv.desc, backend.ErrReadOnly)
	}
	k := t.seqKey(bucket)
	if t.err != nil {
		return 0, t.err
	}
	n, ok := t.w.seqs[k]
	if !ok {
		v, mod, err := t.r.get(k)
		if err != nil {
			return 0, err
		}
		if v != nil {
			if n, err = strconv.ParseUint(string(v), 10, 64); err != nil {
				return 0, fmt.Errorf("%s: sequence %s: %w", t.kv.desc, k, err)
			}
		}
		t.w.reads[k] = mod
	}
	n++
	t.w.seqs[k] = n
	t.w.puts[k] = []byte(strconv.FormatUint(n, 10))
	return n, nil
}

// ID is the revision the transaction reads at; a write's is one more
// (etcd numbers each committed Txn one above the last).
func (t *tx) ID() uint64 {
	rev, err := t.r.revision()
	if err != nil {
		t.fail(err)
		return 0
	}
	if t.w != nil {
		return uint64(rev) + 1
	}
	return uint64(rev)
}

// commit writes the buffered writes in one Txn guarded by the reads,
// and says the revision it committed at, or the cluster's revision when
// the guards failed (errRetry). Nothing written: no Txn at all.
func (t *tx) commit(ctx context.Context) (int64, error) {
	w := t.w
	if len(w.puts) == 0 && len(w.dels) == 0 {
		return 0, nil
	}
	rev, err := t.r.revision()
	if err != nil {
		return 0, err
	}
	var cmps []clientv3.Cmp
	size := 0
	for k, mod := range w.reads {
		if mod == 0 {
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k), "=", 0))
		} else {
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "=", mod))
		}
		size += len(k)
	}
	// no import being put in place: writers wait for it (Rebuild), as
	// bbolt's wait for its write lock
	cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(t.kv.rebuildLock()), "=", 0).WithPrefix())
	for _, r := range w.ranges {
		// nothing in a scanned range changed after the reads' revision
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(r[0]), "<", rev+1).WithRange(r[1]))
		size += len(r[0]) + len(r[1])
	}
	ops := make([]clientv3.Op, 0, len(w.puts)+len(w.dels))
	for k, v := range w.puts {
		ops = append(ops, clientv3.OpPut(k, string(v)))
		size += len(k) + len(v)
	}
	for k := range w.dels {
		ops = append(ops, clientv3.OpDelete(k))
		size += len(k)
	}
	l := t.kv.limits
	if (l.MaxOps > 0 && (len(ops) > l.MaxOps || len(cmps) > l.MaxOps)) || (l.MaxBytes > 0 && size > l.MaxBytes) {
		return 0, fmt.Errorf("%s: %w: %d writes, %d guards, %d bytes (at most %d each, and %d bytes)",
			t.kv.desc, backend.ErrTxTooLarge, len(ops), len(cmps), size, l.MaxOps, l.MaxBytes)
	}
	resp, err := t.kv.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		if refusedWhole(err) {
			return 0, err
		}
		// a deadline or a lost connection after the request went out:
		// the cluster may have applied it (the contract: say so)
		return 0, fmt.Errorf("%w, the transaction may have been written: %w", backend.ErrOutcomeUnknown, err)
	}
	if !resp.Succeeded {
		return resp.Header.Revision, errRetry
	}
	return resp.Header.Revision, nil
}

// refusedWhole: the cluster refused the transaction before applying
// any of it (too large, too many operations, no leader to take it).
func refusedWhole(err error) bool {
	for _, e := range []error{rpctypes.ErrTooManyOps, rpctypes.ErrGRPCTooManyOps, rpctypes.ErrRequestTooLarge,
		rpctypes.ErrGRPCRequestTooLarge, rpctypes.ErrNoLeader, rpctypes.ErrGRPCNoLeader} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Prefetch reads keys of bucket from the cluster in round trips of the
// cluster's size, where the transaction reads the cluster (a front
// end's index needs none): a sync batch's records, one round trip
// instead of one a record.
func (t *tx) Prefetch(bucket string, keys [][]byte) {
	r, ok := t.r.(*remote)
	if !ok || t.err != nil {
		return
	}
	var ks []string
	for _, k := range keys {
		ks = append(ks, t.dataKey(bucket, k))
	}
	if err := r.prefetch(ks, t.kv.limits.MaxOps); err != nil {
		t.fail(err)
	}
}
