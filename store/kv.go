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

import (
	"time"

	"frontdoor/store/backend"
	"frontdoor/store/bolt"
)

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

// accountsFill is how full an import (a bbolt Rebuild) packs the
// accounts bucket's leaves; the other buckets' are packed full (the
// audit trail and the outbox are only appended to, index entries do not
// change in place). An account's record grows after its import: a sync
// update or an agent's action adds a sign-in or a note (~115 bytes).
// Records are ~1 KB, so a full leaf holds 3–4 of them, and bbolt never
// splits a leaf of four or fewer: packed full, a leaf one update grows
// past its page becomes a node of two pages for good. At 1M accounts and
// 500,000 updates (BENCHMARKS.md, 2026-12-07): full, 70,000 of 270,000
// leaves turn two-page; at 0.8, 13 of 346,000 (at least 800 bytes free
// a leaf, about seven sign-ins), the file 5% larger.
const accountsFill = 0.8

// openBolt opens the bbolt file at path with the store's buckets.
func openBolt(path string) (*bolt.KV, error) {
	kv, err := bolt.Open(path, buckets, time.Second)
	if err != nil {
		return nil, err
	}
	kv.LeaveRoom(map[string]float64{bAccounts: accountsFill})
	return kv, nil
}
