// Package store keeps frontdoor's data: accounts with their search
// indexes, users and their SSH keys, the append-only audit log and the
// outbox for the platform integration (DESIGN §2).
//
// Everything above this package sees the Store type and the narrow KV
// interface it stands on; bbolt is the embedded KV and this is the only
// package that imports it. Another KV (an etcd-backed one for several
// front ends) can stand in without changes above.
package store

// KV is transactions over named buckets of ordered keys and values.
// Values handed to callbacks are valid only inside the transaction.
type KV interface {
	View(fn func(Tx) error) error
	// Update runs fn in one atomic, durable transaction: all of its writes
	// commit together, or none does when fn returns an error.
	Update(fn func(Tx) error) error
	// Backup writes a consistent, fsynced copy of everything to path.
	Backup(path string) error
	// Rebuild has load write into a copy of everything and puts the copy
	// in place of the original at once: a bulk load, all or nothing, in
	// bounded memory (see boltKV.Rebuild).
	// grow is about how many bytes load will add.
	Rebuild(grow int64, load func(BulkTx) error) error
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
	// ScanReverse is Scan from the last key down.
	ScanReverse(bucket string, fn func(k, v []byte) (bool, error)) error
	// NextSequence returns a new, increasing number for bucket.
	NextSequence(bucket string) (uint64, error)
	// ID is the transaction's place in the store's history: a read's is
	// the last commit it sees, a write's is one more (commits are
	// numbered one after another); ids never repeat, even across a
	// Rebuild, whose new file's commits are numbered far above.
	ID() uint64
}

// BulkTx is a rebuild's transaction: a Tx whose writes may be committed
// to the new file in parts (Spill), to bound memory; the rename at the
// end makes them all visible at once.
type BulkTx interface {
	Tx
	// Spill commits what was written so far to the new file when it has
	// grown large. Values read before it are not valid after it.
	Spill() error
	// Before reads the store as it was when the rebuild began.
	Before() Tx
}

// Bucket names.
const (
	bAccounts = "accounts" // id → Record JSON
	bEmail    = "email"    // normalised email → id \x00 current|previous
	bName     = "name"     // token \x00 id → all the name's tokens, space-separated
	bPhone    = "phone"    // digits \x00 id → ""; "~" reversed digits \x00 id for suffix search
	bUsers    = "users"    // name → User JSON
	bKeys     = "keys"     // SHA256 key fingerprint → user name
	bAudit    = "audit"    // 8-byte sequence → AuditEntry JSON
	bOutbox   = "outbox"   // 8-byte sequence → OutboxMessage JSON
	bMeta     = "meta"     // schema version, dataset kind, demo anchor
)

var buckets = []string{bAccounts, bEmail, bName, bPhone, bUsers, bKeys, bAudit, bOutbox, bMeta}
