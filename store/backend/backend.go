// Package backend is the seam between the store's domain layer (store/:
// accounts and their indexes, audit, outbox, users, sync, check) and
// where its keys and values live: one bbolt file (store/bolt, the
// embedded default) or a replicated etcd cluster (store/etcd).
//
// The contract is what both can keep, as etcd's own storage backend
// keeps one narrow seam that bbolt satisfies:
//
//   - Update runs its function in one atomic transaction; the function
//     may run again after a conflict with another writer, so it must
//     have no effect outside the transaction (no channel sends, no
//     counters, no I/O) and must decide only from what it reads there.
//   - Writes to one key within a transaction collapse to the last.
//   - A transaction's size is the backend's to bound (Limits): a writer
//     with more to write splits it, in order, into transactions that
//     each fit.
//   - Values handed to a callback are valid only inside it.
package backend

import (
	"context"
	"errors"
	"time"
)

// KV is transactions over named buckets of ordered keys and values.
type KV interface {
	// View runs fn in a read-only transaction over one consistent state.
	View(fn func(Tx) error) error
	// Update runs fn in one atomic, durable transaction: all of its
	// writes commit together, or none does when fn returns an error.
	// fn may run more than once (a conflict on a replicated store).
	Update(fn func(Tx) error) error
	// Limits says how large one transaction may be.
	Limits() Limits
	// Describe names the store for messages and logs ("bbolt
	// /var/lib/frontdoor/frontdoor.db", "etcd 10.0.0.1:2379,… prefix
	// /frontdoor/"), never with credentials.
	Describe() string
	Close() error
}

// Tx is one transaction.
type Tx interface {
	Get(bucket string, key []byte) []byte
	Put(bucket string, key, value []byte) error
	Delete(bucket string, key []byte) error
	// Scan calls fn for each key with prefix, in key order, until fn
	// returns false or an error.
	Scan(bucket string, prefix []byte, fn func(k, v []byte) (bool, error)) error
	// ScanReverse is Scan of the whole bucket from the last key down.
	ScanReverse(bucket string, fn func(k, v []byte) (bool, error)) error
	// NextSequence returns a new, increasing number for bucket.
	NextSequence(bucket string) (uint64, error)
	// ID is the transaction's place in the store's history: a read's is
	// the last commit it sees, a write's is above every commit before it.
	// Ids never repeat.
	ID() uint64
}

// Limits bound one transaction. Zero means no bound.
type Limits struct {
	// MaxOps is the most keys one transaction may write (etcd: the
	// server's --max-txn-ops, 128 by default; its reads are guarded by as
	// many compares, bounded alike).
	MaxOps int
	// MaxBytes is the most bytes of keys and values one transaction may
	// write (etcd: --max-request-bytes, 1.5 MiB by default, less room
	// for the request's framing).
	MaxBytes int
	// BulkBatch is how many change-stream events a bulk writer (sync)
	// should put in one transaction.
	BulkBatch int
}

// Errors a backend returns, wrapped with what it was doing.
var (
	// ErrTxTooLarge: a transaction wrote more than Limits allow; nothing
	// of it was written.
	ErrTxTooLarge = errors.New("transaction larger than the store allows")
	// ErrConflict: other writers changed what the transaction read, on
	// every one of its tries; nothing of it was written.
	ErrConflict = errors.New("conflict: the data changed while the transaction ran")
	// ErrUnavailable: the store did not answer (an unreachable cluster,
	// a lost quorum); nothing of the transaction was written, unless the
	// error says the outcome is unknown.
	ErrUnavailable = errors.New("store unavailable")
	// ErrOutcomeUnknown comes with ErrUnavailable when a commit went out
	// and no answer came back: the cluster may have applied it.
	ErrOutcomeUnknown = errors.New("the outcome is unknown")
	// ErrReadOnly: a write in a View.
	ErrReadOnly = errors.New("write in a read-only transaction")
)

// What a backend may offer beyond the contract. The store asks for
// each where it would use it, and does without (or says it cannot)
// where the backend has none.

// BulkTx is a Rebuild's transaction: a Tx whose writes may be committed
// to the new copy in parts (Spill), to bound memory; the swap at the end
// makes them all visible at once.
type BulkTx interface {
	Tx
	// Spill commits what was written so far to the copy when it has
	// grown large. Values read before it are not valid after it.
	Spill() error
	// Before reads the store as it was when the rebuild began.
	Before() Tx
	// SetSequence sets bucket's sequence (NextSequence's last number):
	// a copy of a store carries its counters.
	SetSequence(bucket string, n uint64) error
}

// Rebuilder puts a bulk load into place all at once: load writes into
// a copy of everything, which replaces the store whole (bbolt: a new
// file renamed over the old), or the store is left as it was.
type Rebuilder interface {
	// grow is about how many bytes load will add.
	Rebuild(grow int64, load func(BulkTx) error) error
}

// FileBackuper writes a consistent, fsynced copy of everything to a
// file at path.
type FileBackuper interface {
	Backup(path string) error
}

// File is a backend kept in one file on this machine.
type File interface {
	Path() string
	// Size is the file's size in bytes.
	Size() (int64, error)
}

// SingleWriter is a backend every commit of which passes through this
// process, numbered one after another (Tx.ID), so a bulk writer may
// read ahead of its own commits (store.ReadAhead): no other writer can
// come between unseen.
type SingleWriter interface {
	SingleWriter()
}

// Deferral is a bulk writer's run of commits that do not each wait for
// the disk, made durable at points the writer chooses (bbolt: see
// store/bolt). Its methods are called between commits. Only commits
// through its Update defer: any other writer's commit meanwhile is
// durable when it returns (KV.Update), and makes the deferred commits
// before it durable too.
type Deferral interface {
	// Update commits fn without waiting for the disk; the next durable
	// point makes it durable.
	Update(fn func(Tx) error) error
	// Sync makes every commit so far durable before it returns and goes
	// on deferring.
	Sync() error
	// Room makes room for a batch of about n events and raw bytes.
	Room(n, raw int) error
	// Durable starts a durable point for every commit so far.
	Durable() error
	// End makes everything durable and goes back to commits that wait.
	End() error
}

// Deferrer offers deferred durability to the store's only writer.
type Deferrer interface {
	// DeferFsync starts a deferral, or returns nil when this store
	// cannot defer (commits then wait for the disk, as without).
	DeferFsync() (Deferral, error)
}

// Elector chooses one process across a replicated store for a role of
// which there must be one (the change-stream follower, the outbox
// relay), as etcd's election does; a store in one file needs none (its
// lock admits one process).
type Elector interface {
	// Lead waits until this process holds role, or ctx ends. who names
	// the candidate in the cluster.
	Lead(ctx context.Context, role, who string) (Leader, error)
}

// Leader is a held role.
type Leader interface {
	// Lost closes when the role is lost (another took over).
	Lost() <-chan struct{}
	// Resign gives the role up.
	Resign()
}

// Health is whether a store answers now.
type Health struct {
	// Down says why the store does not answer; nil when it does.
	Down error
	// Since is when it stopped answering.
	Since time.Time
}

// Healther is a store that can be out of reach (a cluster): Health
// says whether it answers now, and gives a channel closed when that
// changes, so a screen can say so at once. A store in one file is
// always within reach and need not implement it.
type Healther interface {
	Health() (Health, <-chan struct{})
}

// Prefetcher is a transaction that can read many keys in one round trip
// (a cluster's), before the function asks for them one at a time.
type Prefetcher interface {
	Prefetch(bucket string, keys [][]byte)
}

// LeftoverFinder is a store where an interrupted operation can leave
// data beside the store that nothing reads (a cluster's import, killed
// before its switch, leaves its generation). Leftovers names each, for
// `check` to say: a note, not a problem — the next such operation
// removes it. A file store removes its own when opened.
type LeftoverFinder interface {
	Leftovers() ([]string, error)
}
