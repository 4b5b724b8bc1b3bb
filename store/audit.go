package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Actor is who acts: an agent over SSH, or the OS user at the command line.
type Actor struct {
	Name string
	Role string
}

// AuditEntry is one audited event (HIPAA 164.312(b)): every look-up,
// reveal, diagnosis, action, login and logout. Entries are append-only and
// chained: each holds the hash of the one before, so check can tell when
// one was changed or removed.
type AuditEntry struct {
	Seq     uint64            `json:"seq"`
	At      time.Time         `json:"at"`
	Actor   string            `json:"actor"`
	Role    string            `json:"role,omitempty"`
	Action  string            `json:"action"`
	Account string            `json:"account,omitempty"`
	Reason  string            `json:"reason,omitempty"`
	Details map[string]string `json:"details,omitempty"`
	Prev    string            `json:"prev"`
	Hash    string            `json:"hash"`
}

func (e AuditEntry) digest() string {
	e.Hash = ""
	b, _ := json.Marshal(e)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func lastAuditHash(tx Tx) (string, error) {
	var prev string
	err := tx.ScanReverse(bAudit, func(_, v []byte) (bool, error) {
		var e AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return false, fmt.Errorf("audit: corrupt entry: %w", err)
		}
		prev = e.Hash
		return false, nil
	})
	return prev, err
}

func appendAudit(tx Tx, e AuditEntry) error {
	seq, err := tx.NextSequence(bAudit)
	if err != nil {
		return err
	}
	if e.Prev, err = lastAuditHash(tx); err != nil {
		return err
	}
	e.Seq = seq
	e.At = e.At.UTC()
	e.Hash = e.digest()
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return tx.Put(bAudit, seqKey(seq), b)
}

// Audit records an event that changes nothing else (a look-up, a login).
func (s *Store) Audit(e AuditEntry) error {
	return s.kv.Update(func(tx Tx) error { return appendAudit(tx, e) })
}

// AuditFilter selects entries; zero fields select everything.
type AuditFilter struct {
	Account string
	Since   time.Time
	Limit   int // newest first; 0 for all
}

// AuditLog returns matching entries, newest first.
func (s *Store) AuditLog(f AuditFilter) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.kv.View(func(tx Tx) error {
		return tx.ScanReverse(bAudit, func(_, v []byte) (bool, error) {
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return false, fmt.Errorf("audit: corrupt entry: %w", err)
			}
			if !f.Since.IsZero() && e.At.Before(f.Since) {
				return false, nil
			}
			if f.Account == "" || e.Account == f.Account {
				out = append(out, e)
			}
			return f.Limit == 0 || len(out) < f.Limit, nil
		})
	})
	return out, err
}
