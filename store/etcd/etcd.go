// Package etcd is the store's replicated backend: the buckets of keys
// and values (package backend) kept in an etcd v3 cluster (Raft), so
// several front ends share one store and survive the loss of a machine.
//
// Keys live under a prefix (two installations can share a cluster):
// PREFIX b/BUCKET/KEY for data, PREFIX s/BUCKET for a bucket's sequence.
// A transaction reads at one revision and buffers its writes; commit is
// one etcd Txn guarded by what it read — every key's mod revision (an
// absent key's create revision 0) and, for a scanned range, no key in it
// changed since — so a conflicting writer makes it run again on the new
// state (backend's contract), never a lost update.
package etcd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"frontdoor/store/backend"
)

// Defaults of etcd's server (--max-txn-ops, --max-request-bytes): a
// transaction is kept below them, with room for a request's framing.
const (
	DefaultMaxOps   = 128
	DefaultMaxBytes = 1 << 20
	// bulkBatch: change-stream events a sync puts in one transaction;
	// each writes a record and a few index keys.
	bulkBatch = 16
	// scanPage is how many keys one range read of a scan fetches.
	scanPage = 1000
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

// DataKey is where bucket's key lives in etcd.
func (k *KV) DataKey(bucket string, key []byte) string {
	return k.prefix + "b/" + bucket + "/" + string(key)
}

func (k *KV) seqKey(bucket string) string { return k.prefix + "s/" + bucket }

func (k *KV) View(fn func(backend.Tx) error) error {
	t := k.begin(false)
	defer t.cancel()
	err := fn(t)
	if t.err != nil {
		err = t.err
	}
	return t.wrap(err)
}

func (k *KV) Update(fn func(backend.Tx) error) error {
	var last error
	for try := range tries {
		t := k.begin(true)
		err := fn(t)
		if t.err != nil {
			err = t.err
		}
		if err == nil {
			err = t.commit()
		}
		t.cancel()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, errRetry):
			last = err
			// a short, growing, jittered wait: writers that collided
			// come back apart
			d := time.Duration(1+try) * time.Millisecond
			time.Sleep(d + rand.N(d))
		default:
			return t.wrap(err)
		}
	}
	return fmt.Errorf("%s: %w (%d tries; last: %v)", k.desc, backend.ErrConflict, tries, last)
}

// errRetry: the transaction's guards failed, or its revision was
// compacted away: run it again on the new state.
var errRetry = errors.New("retry")

// tx is one transaction: reads at rev, writes buffered until commit.
type tx struct {
	kv     *KV
	ctx    context.Context
	cancel context.CancelFunc
	write  bool
	rev    int64            // the revision every read is at; 0 until the first
	reads  map[string]int64 // key → mod revision read (0: absent)
	ranges [][2]string      // scanned [start, end): guarded as unchanged
	writes map[string][]byte
	dels   map[string]bool
	seqs   map[string]uint64
	err    error // the first error Get or ID met (fail)
}

func (k *KV) begin(write bool) *tx {
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
	t := &tx{kv: k, ctx: ctx, cancel: cancel, write: write}
	if write {
		t.reads, t.writes, t.dels, t.seqs = map[string]int64{}, map[string][]byte{}, map[string]bool{}, map[string]uint64{}
	}
	return t
}

// wrap names the store in an error that came from etcd, and says what
// kind it is.
func (t *tx) wrap(err error) error {
	if err == nil {
		return nil
	}
	var known error
	switch {
	case errors.Is(err, backend.ErrTxTooLarge), errors.Is(err, backend.ErrReadOnly),
		errors.Is(err, backend.ErrUnavailable), errors.Is(err, backend.ErrConflict):
		return err
	case errors.Is(err, rpctypes.ErrTooManyOps), errors.Is(err, rpctypes.ErrRequestTooLarge), errors.Is(err, rpctypes.ErrGRPCRequestTooLarge), errors.Is(err, rpctypes.ErrGRPCTooManyOps):
		known = backend.ErrTxTooLarge
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.Is(err, rpctypes.ErrGRPCNoLeader),
		errors.Is(err, rpctypes.ErrNoLeader), errors.Is(err, rpctypes.ErrTimeout), errors.Is(err, rpctypes.ErrGRPCTimeout),
		strings.Contains(err.Error(), "Unavailable"), strings.Contains(err.Error(), "connection refused"):
		known = backend.ErrUnavailable
	}
	if known == nil {
		return err // the function's own error, or one etcd says plainly
	}
	return fmt.Errorf("%s: %w: %v", t.kv.desc, known, err)
}

// opts are the options of a read at the transaction's revision.
func (t *tx) at(opts ...clientv3.OpOption) []clientv3.OpOption {
	if t.rev > 0 {
		opts = append(opts, clientv3.WithRev(t.rev))
	}
	return opts
}

func (t *tx) get(key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	resp, err := t.kv.cli.Get(t.ctx, key, t.at(opts...)...)
	if err != nil {
		if errors.Is(err, rpctypes.ErrCompacted) && t.write {
			return nil, errRetry
		}
		return nil, err
	}
	if t.rev == 0 {
		t.rev = resp.Header.Revision
	}
	return resp, nil
}

// fail keeps the first error a method without an error result met
// (Get, ID): whatever the function then decided from the nil it was
// given, the transaction fails with this error and writes nothing.
func (t *tx) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

func (t *tx) Get(bucket string, key []byte) []byte {
	k := t.kv.DataKey(bucket, key)
	if t.write {
		if v, ok := t.writes[k]; ok {
			return v
		}
		if t.dels[k] {
			return nil
		}
	}
	if t.err != nil {
		return nil
	}
	resp, err := t.get(k)
	if err != nil {
		t.fail(err)
		return nil
	}
	var mod int64
	var v []byte
	if len(resp.Kvs) > 0 {
		mod, v = resp.Kvs[0].ModRevision, resp.Kvs[0].Value
	}
	if t.write {
		if _, seen := t.reads[k]; !seen {
			t.reads[k] = mod
		}
	}
	return v
}

func (t *tx) Put(bucket string, key, value []byte) error {
	if !t.write {
		return fmt.Errorf("%s: %w", t.kv.desc, backend.ErrReadOnly)
	}
	k := t.kv.DataKey(bucket, key)
	delete(t.dels, k)
	t.writes[k] = bytes.Clone(value)
	return nil
}

func (t *tx) Delete(bucket string, key []byte) error {
	if !t.write {
		return fmt.Errorf("%s: %w", t.kv.desc, backend.ErrReadOnly)
	}
	k := t.kv.DataKey(bucket, key)
	delete(t.writes, k)
	t.dels[k] = true
	return nil
}

// pending are the transaction's own writes in [start, end), in order.
func (t *tx) pending(start, end string, reverse bool) []string {
	var keys []string
	for k := range t.writes {
		if k >= start && k < end {
			keys = append(keys, k)
		}
	}
	for k := range t.dels {
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

func (t *tx) Scan(bucket string, prefix []byte, fn func(k, v []byte) (bool, error)) error {
	start := t.kv.DataKey(bucket, prefix)
	return t.scan(bucket, start, clientv3.GetPrefixRangeEnd(start), false, fn)
}

func (t *tx) ScanReverse(bucket string, fn func(k, v []byte) (bool, error)) error {
	start := t.kv.DataKey(bucket, nil)
	return t.scan(bucket, start, clientv3.GetPrefixRangeEnd(start), true, fn)
}

// scan reads [start, end) a page at a time at the transaction's
// revision, merged with the transaction's own writes there.
func (t *tx) scan(bucket, start, end string, reverse bool, fn func(k, v []byte) (bool, error)) error {
	var mine []string
	if t.write {
		mine = t.pending(start, end, reverse)
	}
	strip := len(t.kv.DataKey(bucket, nil))
	// call passes one key on, unless the transaction deleted it
	call := func(k string, v []byte) (bool, error) {
		if t.write && t.dels[k] {
			return true, nil
		}
		if w, ok := t.writes[k]; t.write && ok {
			v = w
		}
		return fn([]byte(k[strip:]), v)
	}
	// before says whether a comes before b in the scan's order
	before := func(a, b string) bool {
		if reverse {
			return a > b
		}
		return a < b
	}
	lo, hi := start, end
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(hi), clientv3.WithLimit(scanPage)}
		if reverse {
			opts = append(opts, clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
		}
		resp, err := t.get(lo, opts...)
		if err != nil {
			return err
		}
		for _, kv := range resp.Kvs {
			k := string(kv.Key)
			for len(mine) > 0 && before(mine[0], k) { // the transaction's own, before this one
				if more, err := call(mine[0], nil); err != nil || !more {
					return err
				}
				mine = mine[1:]
			}
			if len(mine) > 0 && mine[0] == k {
				mine = mine[1:]
			}
			if more, err := call(k, kv.Value); err != nil || !more {
				return err
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		last := string(resp.Kvs[len(resp.Kvs)-1].Key)
		if reverse {
			hi = last // the range's end is not in it
		} else {
			lo = last + "\x00"
		}
	}
	for _, k := range mine { // the transaction's own, after every stored one
		if more, err := call(k, nil); err != nil || !more {
			return err
		}
	}
	if t.write {
		t.ranges = append(t.ranges, [2]string{start, end})
	}
	return nil
}

func (t *tx) NextSequence(bucket string) (uint64, error) {
	if !t.write {
		return 0, fmt.Errorf("%s: %w", t.kv.desc, backend.ErrReadOnly)
	}
	k := t.kv.seqKey(bucket)
	n, ok := t.seqs[k]
	if !ok {
		resp, err := t.get(k)
		if err != nil {
			return 0, err
		}
		var mod int64
		if len(resp.Kvs) > 0 {
			mod = resp.Kvs[0].ModRevision
			if n, err = strconv.ParseUint(string(resp.Kvs[0].Value), 10, 64); err != nil {
				return 0, fmt.Errorf("%s: sequence %s: %w", t.kv.desc, k, err)
			}
		}
		t.reads[k] = mod
	}
	n++
	t.seqs[k] = n
	t.writes[k] = []byte(strconv.FormatUint(n, 10))
	return n, nil
}

// ID is the revision the transaction reads at; a write's is one more
// (etcd numbers each committed Txn one above the last).
func (t *tx) ID() uint64 {
	if t.rev == 0 {
		if _, err := t.get(t.kv.prefix + "s/"); err != nil {
			t.fail(err)
			return 0
		}
	}
	if t.write {
		return uint64(t.rev) + 1
	}
	return uint64(t.rev)
}

// commit writes the buffered writes in one Txn guarded by the reads.
func (t *tx) commit() error {
	if len(t.writes) == 0 && len(t.dels) == 0 {
		return nil
	}
	var cmps []clientv3.Cmp
	for k, mod := range t.reads {
		if mod == 0 {
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k), "=", 0))
		} else {
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "=", mod))
		}
	}
	for _, r := range t.ranges {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(r[0]), "<", t.rev+1).WithRange(r[1]))
	}
	ops := make([]clientv3.Op, 0, len(t.writes)+len(t.dels))
	size := 0
	for k, v := range t.writes {
		ops = append(ops, clientv3.OpPut(k, string(v)))
		size += len(k) + len(v)
	}
	for k := range t.dels {
		ops = append(ops, clientv3.OpDelete(k))
		size += len(k)
	}
	for _, c := range cmps {
		size += len(c.KeyBytes()) + len(c.GetCompare().RangeEnd)
	}
	l := t.kv.limits
	if (l.MaxOps > 0 && (len(ops) > l.MaxOps || len(cmps) > l.MaxOps)) || (l.MaxBytes > 0 && size > l.MaxBytes) {
		return fmt.Errorf("%s: %w: %d writes, %d guards, %d bytes (at most %d and %d bytes)",
			t.kv.desc, backend.ErrTxTooLarge, len(ops), len(cmps), size, l.MaxOps, l.MaxBytes)
	}
	resp, err := t.kv.cli.Txn(t.ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return errRetry
	}
	return nil
}
