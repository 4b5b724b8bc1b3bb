package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"frontdoor/internal/smallfile"
)

// Actor is who acts: an agent over SSH, or the OS user at the command line.
type Actor struct {
	Name string
	Role string
	// Registered: the actor is a user of the registry (an SSH session).
	// Their role is read again from the registry at every action and
	// audited event, so a demoted or removed user cannot go on acting on
	// the role they logged in with. Command-line actors are the OS user
	// on the host and are not in the registry.
	Registered bool
}

// AuditEntry is one audited event (HIPAA 164.312(b)): every look-up,
// reveal, diagnosis, action, login and logout. Entries are append-only and
// chained: each holds the hash of the one before, and its own hash is an
// HMAC keyed with the audit key kept outside the store file, so someone
// with the file alone cannot rewrite the chain (SECURITY.md).
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

// digest is the entry's hash: HMAC-SHA256 under key, or plain SHA-256
// for the entries written before the store had a key (legacy prefix).
func (e AuditEntry) digest(key []byte) string {
	e.Hash = ""
	b, _ := json.Marshal(e)
	if key == nil {
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:])
	}
	m := hmac.New(sha256.New, key)
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

// auditHead is the chain's newest entry, kept in meta in the same
// transaction as every append and sealed with the audit key: cutting the
// newest entries off the chain leaves a head that no longer matches, and
// a forged head needs the key. KeyedFrom is the first keyed entry's seq
// (entries before it predate the key and are plain SHA-256).
type auditHead struct {
	Seq       uint64 `json:"seq"`
	Hash      string `json:"hash"`
	KeyedFrom uint64 `json:"keyed_from"`
	MAC       string `json:"mac"`
}

func (h auditHead) mac(key []byte) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "frontdoor audit head\x00%d\x00%s\x00%d", h.Seq, h.Hash, h.KeyedFrom)
	return hex.EncodeToString(m.Sum(nil))
}

// String is the head as on-call ships it elsewhere: SEQ:HASH.
func (h auditHead) String() string { return fmt.Sprintf("%d:%s", h.Seq, h.Hash) }

const metaAuditHead = "audit_head"

func readHead(tx Tx) (auditHead, bool, error) {
	v := tx.Get(bMeta, []byte(metaAuditHead))
	if v == nil {
		return auditHead{}, false, nil
	}
	var h auditHead
	if err := json.Unmarshal(v, &h); err != nil {
		return auditHead{}, false, fmt.Errorf("audit head: does not decode: %w", err)
	}
	return h, true, nil
}

func (s *Store) writeHead(tx Tx, h auditHead) error {
	h.MAC = h.mac(s.auditKey)
	b, _ := json.Marshal(h)
	return tx.Put(bMeta, []byte(metaAuditHead), b)
}

// SealLegacy keys, from the next entry on, the audit trail of a store
// written before audit keys (no head, no key record): the entries it
// holds stay plain SHA-256, pinned by the first keyed entry's prev, and
// an audit_legacy_sealed entry says who sealed how many. It is a command
// an operator runs once, never done on open: a store whose key and key
// record were removed would otherwise seal whatever chain it then held.
// check notes a sealed legacy prefix on every run.
// o says where the key is (or is to be made), as for OpenWith.
func SealLegacy(dir string, o Options, by Actor, now time.Time) (sealed uint64, err error) {
	path, keyPath := filepath.Join(dir, FileName), o.KeyPath(dir)
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("%w at %s", ErrNoStore, dir)
	}
	kv, err := openBolt(path)
	if err != nil {
		return 0, err
	}
	defer kv.Close()
	s := &Store{kv: kv, path: path, keyPath: keyPath, hub: newHub()}
	err = kv.Update(func(tx Tx) error {
		if _, ok, err := readHead(tx); ok || err != nil {
			return errors.Join(err, errors.New("the audit trail is keyed already: nothing to seal"))
		}
		if tx.Get(bMeta, []byte(metaAuditKeyID)) != nil {
			return errors.New("the store has a key record but no head: its newest entries may have been cut; this is not a legacy store (run `frontdoor check`)")
		}
		if err := migrate(tx); err != nil {
			return err
		}
		key, err := smallfile.Read(keyPath, maxKeyFile)
		if errors.Is(err, os.ErrNotExist) {
			s.auditKey, err = newKeyFile(keyPath)
		} else if err == nil {
			s.auditKey, err = hex.DecodeString(strings.TrimSpace(string(key)))
		}
		if err != nil {
			return fmt.Errorf("audit key %s: %w", keyPath, err)
		}
		if err := tx.Put(bMeta, []byte(metaAuditKeyID), []byte(keyID(s.auditKey))); err != nil {
			return err
		}
		h := auditHead{KeyedFrom: 1}
		err = tx.ScanReverse(bAudit, func(_, v []byte) (bool, error) {
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return false, fmt.Errorf("audit: corrupt entry: %w", err)
			}
			h.Seq, h.Hash, h.KeyedFrom = e.Seq, e.Hash, e.Seq+1
			return false, nil
		})
		if err != nil {
			return err
		}
		sealed = h.Seq
		if err := s.writeHead(tx, h); err != nil {
			return err
		}
		return s.appendAudit(tx, AuditEntry{At: now, Actor: by.Name, Role: by.Role, Action: "audit_legacy_sealed",
			Details: map[string]string{"unkeyed_entries": fmt.Sprintf("1-%d", sealed)}})
	})
	return sealed, err
}

// LegacyEntries says how many of the trail's first entries predate the
// audit key (sealed by SealLegacy): chained, not keyed. check says so on
// every run; on a store that never ran without keys it means tampering.
func (s *Store) LegacyEntries() uint64 {
	var n uint64
	_ = s.kv.View(func(tx Tx) error {
		if h, ok, _ := readHead(tx); ok && h.KeyedFrom > 1 {
			n = h.KeyedFrom - 1
		}
		return nil
	})
	return n
}

// ErrAuditHead: the chain's head in meta is missing or does not verify,
// so nothing more is appended until `check` has been looked at.
var ErrAuditHead = errors.New("audit head does not verify")

func (s *Store) appendAudit(tx Tx, e AuditEntry) error {
	h, ok, err := readHead(tx)
	if err != nil {
		return err
	}
	if !ok || !hmac.Equal([]byte(h.MAC), []byte(h.mac(s.auditKey))) {
		return fmt.Errorf("%w: run `frontdoor check`", ErrAuditHead)
	}
	e.Seq = h.Seq + 1
	if tx.Get(bAudit, seqKey(e.Seq)) != nil {
		return fmt.Errorf("%w: entry %d already exists past the head: run `frontdoor check`", ErrAuditHead, e.Seq)
	}
	e.Prev = h.Hash
	e.At = e.At.UTC()
	e.Hash = e.digest(s.auditKey)
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := tx.Put(bAudit, seqKey(e.Seq), b); err != nil {
		return err
	}
	h.Seq, h.Hash = e.Seq, e.Hash
	return s.writeHead(tx, h)
}

// Audit records an event that changes nothing else (a login, an import).
func (s *Store) Audit(e AuditEntry) error {
	return s.kv.Update(func(tx Tx) error { return s.appendAudit(tx, e) })
}

// AuditAs records an event by actor. A registered actor's role is read
// from the registry, not taken from the caller; one who has been removed
// may not record (and so may not see) anything: ErrRevoked.
func (s *Store) AuditAs(actor Actor, e AuditEntry) error {
	return s.audits.append(s, auditReq{actor: actor, e: e})
}

func (s *Store) appendAuditAs(tx Tx, actor Actor, e AuditEntry) error {
	a, err := resolveActor(tx, actor)
	if err != nil {
		return err
	}
	e.Actor, e.Role = a.Name, a.Role
	return s.appendAudit(tx, e)
}

// Entries that agents' sessions audit at once (look-ups, logins) go in
// one transaction: group commit. On a cluster every front end appends
// to the one chain, each append guarded on the head, so the head is
// contended by front ends, not by every session; on one bbolt file each
// commit waits for the disk twice, and 200 agents opening accounts at
// once had queued 200 commits (issue 23: enter → account p50 68–116 ms
// under the typing load). Each caller still waits until its entry is
// committed: nothing is shown unaudited.
type auditBatch struct {
	mu      sync.Mutex
	queue   []auditReq
	taken   int // entries of the batch being committed
	running bool
}

type auditReq struct {
	actor Actor
	e     AuditEntry
	done  chan error
}

// auditBatchMax bounds one batch: a handful of puts and the head fit
// in etcd's 128 operations a transaction.
const auditBatchMax = 32

func (b *auditBatch) append(s *Store, r auditReq) error {
	r.done = make(chan error, 1)
	b.mu.Lock()
	b.queue = append(b.queue, r)
	if !b.running {
		b.running = true
		go b.run(s)
	}
	b.mu.Unlock()
	return <-r.done
}

// run commits what is queued, a batch at a time, until nothing is.
func (b *auditBatch) run(s *Store) {
	for {
		b.mu.Lock()
		n := min(len(b.queue), auditBatchMax)
		b.taken = n
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		batch := append([]auditReq(nil), b.queue[:n]...)
		b.queue = b.queue[n:]
		b.mu.Unlock()
		err := s.kv.Update(func(tx Tx) error {
			for _, r := range batch {
				if err := s.appendAuditAs(tx, r.actor, r.e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil && len(batch) > 1 { // one entry's error is its own: each alone
			for _, r := range batch {
				r.done <- s.kv.Update(func(tx Tx) error { return s.appendAuditAs(tx, r.actor, r.e) })
			}
			continue
		}
		for _, r := range batch {
			r.done <- err
		}
	}
}

// AuditHead is the chain's newest entry as SEQ:HASH, for on-call to keep
// outside this machine; `check --head` later proves that nothing up to it
// changed.
func (s *Store) AuditHead() (string, error) {
	h, err := s.Head() // its time unset: SEQ:HASH alone
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

// ParseHead reads SEQ:HASH as `audit head` prints it.
func ParseHead(s string) (seq uint64, hash string, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), ":")
	seq, perr := strconv.ParseUint(a, 10, 64)
	if !ok || perr != nil || seq == 0 || len(b) != 64 {
		return 0, "", fmt.Errorf("head %q: want SEQ:HASH as `frontdoor audit head` prints it", s)
	}
	if _, err := hex.DecodeString(b); err != nil {
		return 0, "", fmt.Errorf("head %q: the hash is not hex", s)
	}
	return seq, b, nil
}

// AuditFilter selects entries; zero fields select everything.
type AuditFilter struct {
	Account string
	Actor   string   // only this actor's
	Actions []string // only these actions
	Since   time.Time
	Limit   int // newest first; 0 for all
	// Scan stops after reading this many entries, matching or not (0: no
	// bound): a look at recent history costs the same on a busy server.
	Scan int
}

// AuditLog returns matching entries, newest first. An entry is decoded
// only if its bytes can match f: decoding every entry was 82% of a
// server's CPU under a floor of agents (issue 23: Recent, run at each
// empty search box, decoded up to 20,000 entries; 300 agents reconnecting
// took 14.5 s to all see their first frame at 1M accounts).
func (s *Store) AuditLog(f AuditFilter) ([]AuditEntry, error) {
	var out []AuditEntry
	read := 0
	need, anyOf := f.needles()
	err := s.kv.View(func(tx Tx) error {
		return tx.ScanReverse(bAudit, func(_, v []byte) (bool, error) {
			if read++; f.Scan > 0 && read > f.Scan {
				return false, nil
			}
			// an entry that cannot match is skipped undecoded; the time
			// bound is read from every 32nd of those (entries are in time
			// order: the scan stops at most 31 entries late) and from every
			// entry decoded
			if !mayMatch(v, need, anyOf) {
				if !f.Since.IsZero() && read%32 == 0 {
					if at, ok := rawAuditTime(v); ok && at.Before(f.Since) {
						return false, nil
					}
				}
				return true, nil
			}
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return false, fmt.Errorf("audit: corrupt entry: %w", err)
			}
			if !f.Since.IsZero() && e.At.Before(f.Since) {
				return false, nil
			}
			if (f.Account == "" || e.Account == f.Account) && (f.Actor == "" || e.Actor == f.Actor) &&
				(len(f.Actions) == 0 || slices.Contains(f.Actions, e.Action)) {
				out = append(out, e)
			}
			return f.Limit == 0 || len(out) < f.Limit, nil
		})
	})
	return out, err
}

// needles are what an entry's JSON holds if it matches f: each of need,
// and one of anyOf (none: any). A value is a needle only when JSON writes
// it as itself between quotes, whatever the encoder (an escaped one is
// left to the decoded check); a needle found in the wrong field only
// costs a decode.
func (f AuditFilter) needles() (need, anyOf [][]byte) {
	for _, v := range []string{f.Actor, f.Account} {
		if q, ok := plainJSON(v); ok {
			need = append(need, q)
		}
	}
	for _, a := range f.Actions {
		q, ok := plainJSON(a)
		if !ok {
			return need, nil
		}
		anyOf = append(anyOf, q)
	}
	return need, anyOf
}

func plainJSON(v string) ([]byte, bool) {
	if v == "" {
		return nil, false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return nil, false
		}
	}
	return []byte(`"` + v + `"`), true
}

func mayMatch(v []byte, need, anyOf [][]byte) bool {
	for _, n := range need {
		if !bytes.Contains(v, n) {
			return false
		}
	}
	if len(anyOf) == 0 {
		return true
	}
	for _, n := range anyOf {
		if bytes.Contains(v, n) {
			return true
		}
	}
	return false
}

// rawAuditTime reads an entry's time from its bytes as json.Marshal
// writes an AuditEntry, {"seq":N,"at":"…", …; false if they are not in
// that shape (the entry is then decoded whole).
func rawAuditTime(v []byte) (time.Time, bool) {
	rest, ok := bytes.CutPrefix(v, []byte(`{"seq":`))
	if !ok {
		return time.Time{}, false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if rest, ok = bytes.CutPrefix(rest[i:], []byte(`,"at":"`)); !ok || i == 0 {
		return time.Time{}, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, string(rest[:end]))
	return at, err == nil
}
