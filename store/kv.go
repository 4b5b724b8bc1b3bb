// Package store keeps frontdoor's data: accounts with their search
// indexes, users and their SSH keys, the append-only audit log and the
// outbox for the platform integration (DESIGN §2, §10).
//
// It is the domain layer: everything above it sees the Store type;
// below it is a backend (package backend's seam): one bbolt file in the
// data directory (store/bolt, the embedded default) or a replicated etcd
// cluster (store/etcd). No bbolt or etcd type crosses the seam; what one
// backend offers beyond it (a bulk rebuild, deferred durability, a file
// to back up) the store asks for where it would use it.
package store

import "frontdoor/store/backend"

// KV is what the store stands on: the backend seam (store/backend),
// kept by bbolt (store/bolt, the default) and by etcd (store/etcd).
type KV = backend.KV

// Tx is one transaction.
type Tx = backend.Tx

// BulkTx is a rebuild's transaction (backend.Rebuilder).
type BulkTx = backend.BulkTx

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
	// 8-byte sequence → "pending" or "dead": the messages not delivered,
	// so the relay and the metrics never scan every message ever queued
	bOutboxOpen = "outbox_open"
	// user name → when and by whom their sessions were ended: every
	// front end ends that user's sessions begun before then
	bSessionEnds = "session_ends"
	// front end id → FrontEnd JSON: who each `serve` of a cluster holds,
	// rewritten every few seconds (store/frontends.go)
	bFrontEnds = "front_ends"
	bMeta      = "meta" // schema version, dataset kind, demo anchor
)

var buckets = []string{bAccounts, bEmail, bName, bPhone, bUsers, bKeys, bAudit, bOutbox, bOutboxOpen, bSessionEnds, bFrontEnds, bMeta}
