package etcd

import (
	"context"
	"fmt"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"frontdoor/store/backend"
)

// rebuildTimeout bounds a whole import on a cluster.
const rebuildTimeout = time.Hour

// Rebuild puts a bulk load in place all at once (backend.Rebuilder), as
// bbolt's rename does: under an etcd lock (one import at a time across
// the cluster), the generation in use is copied at one revision into
// the next, load writes there in transactions of the cluster's size,
// and one Txn moves the pointer to it and deletes the old generation —
// guarded on the old generation being unchanged since the copy. Until
// then readers see the old store; after it, the whole new one. A writer
// that changed the store meanwhile makes the import fail whole (run it
// again); a crash leaves a generation nothing points to, removed by the
// next import.
func (k *KV) Rebuild(_ int64, load func(backend.BulkTx) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), rebuildTimeout)
	defer cancel()
	sess, err := concurrency.NewSession(k.cli, concurrency.WithTTL(int(LeaseTTL/time.Second)), concurrency.WithContext(ctx))
	if err != nil {
		return k.wrap(err)
	}
	defer sess.Close()
	lock := concurrency.NewMutex(sess, k.rebuildLock())
	if err := lock.Lock(ctx); err != nil {
		return k.wrap(fmt.Errorf("the import lock: %w", err))
	}
	defer lock.Unlock(context.Background())

	// the generation in use, at revision at
	gen, genMod, at, err := k.generation(ctx)
	if err != nil {
		return err
	}
	old, next := k.genPrefix(gen), k.genPrefix(gen+1)
	// another store given the next generation's prefix as its own would
	// be deleted below as what a killed import left (round 3)
	if inner, err := k.cli.Get(ctx, next+"gen", clientv3.WithCountOnly()); err != nil {
		return k.wrap(err)
	} else if inner.Count > 0 {
		return fmt.Errorf("%s: another store lives at %s, where this import would write: move it beside this store's prefix, not under it", k.desc, next)
	}
	// what a killed import left there
	if _, err := k.cli.Delete(ctx, next, clientv3.WithPrefix()); err != nil {
		return k.wrap(err)
	}
	abandon := func(err error) error {
		k.cli.Delete(context.Background(), next, clientv3.WithPrefix())
		return k.wrap(err)
	}
	bt := &bulkTx{tx: tx{kv: k, r: &remote{kv: k, ctx: ctx}, w: newWrites(), gen: next}, ctx: ctx,
		before: &tx{kv: k, r: &remote{kv: k, ctx: ctx, rev: at}, gen: old}}
	// the copy: the store as it is, in the new generation
	src := &remote{kv: k, ctx: ctx, rev: at}
	err = src.scan(old, clientv3.GetPrefixRangeEnd(old), false, func(key string, v []byte, _ int64) (bool, error) {
		bt.w.puts[next+key[len(old):]] = v
		return true, bt.Spill()
	})
	if err == nil {
		err = load(bt)
	}
	if err == nil {
		err = bt.flush()
	}
	if err != nil {
		return abandon(err)
	}
	// the switch: the pointer moves and the old generation goes, in one
	// Txn, if nothing wrote the old one since the copy
	sw, err := k.cli.Txn(ctx).If(
		// the lock still held: once its lease is lost writers go on, and
		// the range guard below does not see a key they delete
		lock.IsOwner(),
		clientv3.Compare(clientv3.ModRevision(k.genKey()), "=", genMod),
		clientv3.Compare(clientv3.ModRevision(old), "<", at+1).WithPrefix(),
	).Then(
		clientv3.OpPut(k.genKey(), strconv.FormatUint(gen+1, 10)),
		clientv3.OpDelete(old, clientv3.WithPrefix()),
	).Commit()
	if err != nil {
		return abandon(err)
	}
	if !sw.Succeeded {
		return abandon(fmt.Errorf("%s: %w: the store was written to while the import ran; nothing of the import was written: run it again",
			k.desc, backend.ErrConflict))
	}
	return nil
}

// Leftovers names what a killed import left (backend.LeftoverFinder):
// the next generation's keys, which nothing points to until an import's
// switch and which the next import deletes before it writes there.
// While an import holds its lock they are that import's work so far.
func (k *KV) Leftovers() ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
	defer cancel()
	gen, _, _, err := k.generation(ctx)
	if err != nil {
		return nil, err
	}
	next := k.genPrefix(gen + 1)
	left, err := k.cli.Get(ctx, next, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return nil, k.wrap(err)
	}
	if left.Count == 0 {
		return nil, nil
	}
	running, err := k.cli.Get(ctx, k.rebuildLock(), clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return nil, k.wrap(err)
	}
	if running.Count > 0 {
		return []string{fmt.Sprintf("an import is under way: %d keys written so far at %s, put in place when it ends", left.Count, next)}, nil
	}
	return []string{fmt.Sprintf("an interrupted import left %d keys at %s that nothing reads; the next import removes them (or: etcdctl del --prefix %q)",
		left.Count, next, next)}, nil
}

// generation reads the pointer to the generation in use: its number (0
// when there is none yet), the pointer's mod revision (0: none) and the
// revision the read was at.
func (k *KV) generation(ctx context.Context) (gen uint64, mod, at int64, err error) {
	resp, err := k.cli.Get(ctx, k.genKey())
	if err != nil {
		return 0, 0, 0, k.wrap(err)
	}
	if len(resp.Kvs) > 0 {
		mod = resp.Kvs[0].ModRevision
		if gen, err = k.parseGeneration(resp.Kvs[0].Value); err != nil {
			return 0, 0, 0, err
		}
	}
	return gen, mod, resp.Header.Revision, nil
}

// parseGeneration reads the pointer's value; nil is generation 0.
func (k *KV) parseGeneration(v []byte) (uint64, error) {
	if v == nil {
		return 0, nil
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: generation %q: %w", k.desc, v, err)
	}
	return n, nil
}

// rebuildLock is the etcd lock an import holds while it runs.
func (k *KV) rebuildLock() string { return k.prefix + "lock/rebuild" }

// importWait is how long a writer waits for an import to be put in
// place before it gives up.
const importWait = time.Minute

// waitForImport waits while an import holds its lock, and says whether
// one did.
func (k *KV) waitForImport() (bool, error) {
	held := false
	for deadline := time.Now().Add(importWait); ; {
		ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
		resp, err := k.cli.Get(ctx, k.rebuildLock(), clientv3.WithPrefix(), clientv3.WithCountOnly())
		cancel()
		if err != nil {
			return held, err
		}
		if resp.Count == 0 {
			return held, nil
		}
		held = true
		if time.Now().After(deadline) {
			return held, fmt.Errorf("%s: %w: an import has been put in place on the cluster for over %s; try again when it ends", k.desc, backend.ErrConflict, importWait)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// bulkTx is a rebuild's transaction on the cluster: its writes go to
// the new generation, committed in parts of the cluster's size (Spill)
// without guards (nothing else writes there), and read back with what
// is buffered laid over.
type bulkTx struct {
	tx
	ctx    context.Context
	before *tx
}

func (b *bulkTx) Before() backend.Tx { return b.before }

// SetSequence sets bucket's sequence in the new generation.
func (b *bulkTx) SetSequence(bucket string, n uint64) error {
	k := b.seqKey(bucket)
	delete(b.w.seqs, k)
	b.w.puts[k] = []byte(strconv.FormatUint(n, 10))
	return nil
}

// Spill commits what is buffered when it nears the cluster's limits.
func (b *bulkTx) Spill() error {
	l := b.kv.limits
	n, size := len(b.w.puts)+len(b.w.dels), 0
	if l.MaxOps > 0 && n < l.MaxOps-1 {
		for k, v := range b.w.puts {
			size += len(k) + len(v)
		}
		if l.MaxBytes == 0 || size < l.MaxBytes/2 {
			return nil
		}
	}
	return b.flush()
}

// flush commits everything buffered, in parts of the cluster's size.
func (b *bulkTx) flush() error {
	l := b.kv.limits
	var ops []clientv3.Op
	size := 0
	commit := func() error {
		if len(ops) == 0 {
			return nil
		}
		_, err := b.kv.cli.Txn(b.ctx).Then(ops...).Commit()
		ops, size = ops[:0], 0
		return err
	}
	add := func(op clientv3.Op, n int) error {
		if len(ops) > 0 && ((l.MaxOps > 0 && len(ops) >= l.MaxOps) || (l.MaxBytes > 0 && size+n > l.MaxBytes)) {
			if err := commit(); err != nil {
				return err
			}
		}
		ops, size = append(ops, op), size+n
		return nil
	}
	for k, v := range b.w.puts {
		if err := add(clientv3.OpPut(k, string(v)), len(k)+len(v)); err != nil {
			return err
		}
	}
	for k := range b.w.dels {
		if err := add(clientv3.OpDelete(k), len(k)); err != nil {
			return err
		}
	}
	if err := commit(); err != nil {
		return err
	}
	// later reads see what was committed: at the newest revision
	b.w = newWrites()
	b.r = &remote{kv: b.kv, ctx: b.ctx}
	return nil
}

// Rebuild on a front end: on the cluster, then the index catches up.
func (c *Cached) Rebuild(grow int64, load func(backend.BulkTx) error) error {
	if err := c.kv.Rebuild(grow, load); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.kv.timeout)
	defer cancel()
	resp, err := c.kv.cli.Get(ctx, c.kv.genKey())
	if err != nil {
		return c.kv.wrap(err)
	}
	return c.caughtUp(ctx, resp.Header.Revision)
}
