package store

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"frontdoor/model"
	"frontdoor/store/backend"
	gossh "golang.org/x/crypto/ssh"
)

// maxProblems keeps a badly broken store's report readable.
const maxProblems = 100

// checkChunk is how many accounts' index entries Check looks up at once.
const checkChunk = 256

// Check verifies the store: every account decodes and is valid, every
// index entry an account should have is there with the right value, no
// index entry points at an account that should not have it, user keys
// match their index, and the audit chain is unbroken. It streams, so it
// runs in bounded memory on a large store. No problems means a clean store.
func (s *Store) Check() ([]string, error) { return s.CheckHead(0, "") }

// CheckHead is Check, and also proves that the audit chain still holds
// entry seq with the hash on-call kept from `audit head` (seq 0: no such
// proof asked): with the chain intact, nothing up to it changed.
func (s *Store) CheckHead(seq uint64, hash string) ([]string, error) {
	return s.CheckHeadProgress(seq, hash, nil)
}

// CheckHeadProgress is CheckHead, telling progress how many accounts it
// has checked, now and then.
func (s *Store) CheckHeadProgress(seq uint64, hash string, progress func(n int)) ([]string, error) {
	var problems []string
	checked := 0
	report := func(format string, args ...any) bool {
		problems = append(problems, fmt.Sprintf(format, args...))
		return len(problems) < maxProblems
	}
	err := s.kv.View(func(tx Tx) error {
		// accounts → indexes. Each account's expected entries are looked
		// up a chunk of accounts at a time: on a cluster, read ahead in a
		// few round trips (Prefetch), not one per entry (2,000 accounts
		// took 9 s that way, and a 1M store over an hour)
		found := map[string]int{} // expected entries present, per index
		type expected struct {
			id      string
			entries []indexEntry
		}
		var chunk []expected
		lookUp := func() bool {
			if p, ok := tx.(backend.Prefetcher); ok && len(chunk) > 0 {
				keys := map[string][][]byte{}
				for _, a := range chunk {
					for _, e := range a.entries {
						keys[e.bucket] = append(keys[e.bucket], e.key)
					}
				}
				for _, b := range slices.Sorted(maps.Keys(keys)) {
					p.Prefetch(b, keys[b])
				}
			}
			defer func() { chunk = chunk[:0] }()
			for _, a := range chunk {
				for _, e := range a.entries {
					got := tx.Get(e.bucket, e.key)
					if got != nil {
						found[e.bucket]++
					}
					switch {
					case got == nil:
						if !report("index %s: missing %q for account %s", e.bucket, printable(e.key), a.id) {
							return false
						}
					case !bytes.Equal(got, e.value):
						if !report("index %s: %q holds %q, want %q", e.bucket, printable(e.key), printable(got), printable(e.value)) {
							return false
						}
					}
				}
			}
			return true
		}
		err := tx.Scan(bAccounts, nil, func(k, v []byte) (bool, error) {
			if checked++; checked%10_000 == 0 && progress != nil {
				progress(checked)
			}
			r, err := decodeRecord(v)
			if err != nil {
				return report("account %s: does not decode: %v", k, err), nil
			}
			if r.Account.ID != string(k) {
				return report("account %s: stored under key %q", r.Account.ID, k), nil
			}
			if err := r.Account.Validate(); err != nil {
				if !report("account %s: invalid: %v", k, err) {
					return false, nil
				}
			}
			if err := model.CheckVersion(r.PlatformVersion); err != nil { // held, every later snapshot is stale
				if !report("account %s: platform version: %v", k, err) {
					return false, nil
				}
			}
			chunk = append(chunk, expected{r.Account.ID, indexEntries(r.Account)})
			if len(chunk) < checkChunk {
				return true, nil
			}
			return lookUp(), nil
		})
		if err == nil && len(problems) < maxProblems {
			lookUp()
		}
		if err != nil || len(problems) >= maxProblems {
			return err
		}
		// indexes → accounts. Keys are unique, so a bucket holding exactly
		// as many entries as the expected ones found above holds no stray
		// ones; only a bucket with more is searched for them, which costs
		// an account decode per entry.
		for _, b := range []string{bEmail, bName, bPhone} {
			n := 0
			if err := tx.Scan(b, nil, func(_, _ []byte) (bool, error) { n++; return true, nil }); err != nil {
				return err
			}
			if n == found[b] {
				continue
			}
			err := tx.Scan(b, nil, func(k, v []byte) (bool, error) {
				_, id := splitKey(k)
				r, err := getRecord(tx, id)
				if err != nil {
					return report("index %s: %q points at missing account %s", b, printable(k), id), nil
				}
				for _, e := range indexEntries(r.Account) {
					if e.bucket == b && bytes.Equal(e.key, k) {
						return true, nil
					}
				}
				return report("index %s: stale entry %q for account %s", b, printable(k), id), nil
			})
			if err != nil || len(problems) >= maxProblems {
				return err
			}
		}
		// held, a checkpoint no counter reaches skips every later event (S1)
		if cp := tx.Get(bMeta, []byte(metaCheckpoint)); cp != nil {
			n, err := strconv.ParseUint(string(cp), 10, 64)
			if err == nil {
				err = model.CheckSeq(0, n)
			}
			if err != nil {
				report("sync checkpoint: %v; set it with `frontdoor sync checkpoint --set N --reason R`", err)
			}
		}
		if err := checkCurrentEmails(tx, report); err != nil {
			return err
		}
		if err := checkUsers(tx, report); err != nil {
			return err
		}
		if err := checkOutboxIndex(tx, report); err != nil {
			return err
		}
		return s.checkAudit(tx, seq, hash, report)
	})
	return problems, err
}

// checkCurrentEmails reports an address that is the current email of
// more than one account: a stream may leave one for the span of an event
// (rule S5), never at its end.
func checkCurrentEmails(tx Tx, report func(string, ...any) bool) error {
	var last string
	var uses []model.EmailUse
	flush := func() bool {
		if err := model.CheckEmailUse(last, uses); err != nil {
			return report("email: %v", err)
		}
		return true
	}
	err := tx.Scan(bEmail, nil, func(k, v []byte) (bool, error) {
		email, id := splitKey(k)
		if email != last {
			if !flush() {
				return false, nil
			}
			last, uses = email, uses[:0]
		}
		uses = append(uses, model.EmailUse{AccountID: id, Current: string(v) == emailCurrent})
		return true, nil
	})
	if err != nil {
		return err
	}
	flush()
	return nil
}

// EmailClashes names each address that is the current email of more
// than one account (an S5 move half applied: the stream stopped between
// its two events), at most maxProblems: check reports them, and an
// export holding one is a file import refuses (A1).
func (s *Store) EmailClashes() ([]string, error) {
	var out []string
	err := s.kv.View(func(tx Tx) error {
		return checkCurrentEmails(tx, func(format string, args ...any) bool {
			out = append(out, fmt.Sprintf(format, args...))
			return len(out) < maxProblems
		})
	})
	return out, err
}

func checkUsers(tx Tx, report func(string, ...any) bool) error {
	want := map[string]string{}
	err := tx.Scan(bUsers, nil, func(k, v []byte) (bool, error) {
		var u User
		if err := json.Unmarshal(v, &u); err != nil {
			return report("user %s: does not decode: %v", k, err), nil
		}
		for _, line := range u.Keys {
			pk, _, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
			if err != nil {
				return report("user %s: unreadable key: %v", k, err), nil
			}
			want[Fingerprint(pk)] = u.Name
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	return tx.Scan(bKeys, nil, func(k, v []byte) (bool, error) {
		if want[string(k)] != string(v) {
			return report("key %s: indexed to %q, which does not hold it", k, v), nil
		}
		delete(want, string(k))
		return true, nil
	})
}

// checkAudit verifies the chain: every entry under its own seq, seqs
// from 1 with no gap, each prev the hash before it, each hash the keyed
// digest of its content (plain SHA-256 only for the entries before the
// store had a key), and the sealed head in meta matching the last entry,
// so a cut tail shows. It also replays the registry changes in the trail
// and holds the users bucket to them, so a role raised by editing the
// file shows. wantSeq/wantHash, when given, must be in the chain.
func (s *Store) checkAudit(tx Tx, wantSeq uint64, wantHash string, report func(string, ...any) bool) error {
	head, hasHead, err := readHead(tx)
	if err != nil {
		report("%v", err)
	}
	if !hasHead {
		report("audit: no head in the store: the newest entries may have been cut")
	} else if !hmac.Equal([]byte(head.MAC), []byte(head.mac(s.auditKey))) {
		report("audit: head %s is not sealed with this store's key: it was rewritten", head)
	}
	var (
		prev     string
		last     uint64
		lastHash string
		sawWant  bool
		reg      = registryReplay{}
	)
	err = tx.Scan(bAudit, nil, func(k, v []byte) (bool, error) {
		var e AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return report("audit %x: does not decode: %v", k, err), nil
		}
		ok := true
		if !bytes.Equal(k, seqKey(e.Seq)) {
			ok = report("audit %x: holds entry %d", k, e.Seq)
		}
		if e.Seq != last+1 {
			ok = report("audit %d: follows %d: entries %d to %d are missing", e.Seq, last, last+1, e.Seq-1) && ok
		}
		if e.Prev != prev {
			ok = report("audit %d: chain broken: prev %.12s, want %.12s", e.Seq, e.Prev, prev) && ok
		}
		key := s.auditKey
		if hasHead && e.Seq < head.KeyedFrom {
			key = nil // written before the store had a key
		}
		if e.Hash != e.digest(key) {
			ok = report("audit %d: hash does not match its content (changed, or re-chained without the key)", e.Seq) && ok
		}
		if e.Seq == wantSeq {
			sawWant = true
			if e.Hash != wantHash {
				ok = report("audit %d: hash %.12s, but the head kept outside says %.12s: the trail up to it was rewritten", e.Seq, e.Hash, wantHash) && ok
			}
		}
		reg.apply(e)
		prev, last, lastHash = e.Hash, e.Seq, e.Hash
		return ok, nil
	})
	if err != nil {
		return err
	}
	if hasHead && (head.Seq != last || head.Hash != lastHash) {
		report("audit: the head says the newest entry is %d (%.12s) but the chain ends at %d (%.12s): entries were cut or added outside frontdoor", head.Seq, head.Hash, last, lastHash)
	}
	if wantSeq > 0 && !sawWant {
		report("audit: entry %d, the head kept outside, is not in the chain (it ends at %d): the trail was cut", wantSeq, last)
	}
	return reg.check(tx, report)
}

// registryReplay is the users bucket as the audit trail says it should
// be: who was added, with which role and keys, changed or removed.
type registryReplay map[string]*replayedUser

type replayedUser struct {
	role string
	keys string // sorted fingerprints, comma-separated; "" when not recorded
}

func (r registryReplay) apply(e AuditEntry) {
	name := e.Details["user"]
	switch e.Action {
	case actUserAdd:
		r[name] = &replayedUser{role: e.Details["role"], keys: e.Details["keys"]}
	case actUserRole:
		if u := r[name]; u != nil {
			u.role = e.Details["role"]
		} else {
			r[name] = &replayedUser{role: e.Details["role"]}
		}
	case actUserRemove:
		delete(r, name)
	}
}

func (r registryReplay) check(tx Tx, report func(string, ...any) bool) error {
	seen := map[string]bool{}
	err := tx.Scan(bUsers, nil, func(k, v []byte) (bool, error) {
		seen[string(k)] = true // there, if undecodable: not also "missing"
		var u User
		if err := json.Unmarshal(v, &u); err != nil {
			return true, nil // reported by checkUsers
		}
		want := r[string(k)]
		switch {
		case want == nil:
			return report("user %s: in the registry but never added in the audit trail", printable(k)), nil
		case want.role != u.Role:
			return report("user %s: role %s in the registry, but the audit trail gave %s", printable(k), u.Role, want.role), nil
		case want.keys != "" && want.keys != strings.Join(fingerprints(u.Keys), ","):
			return report("user %s: keys differ from those the audit trail added", printable(k)), nil
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(r)) {
		if !seen[name] {
			if !report("user %s: added in the audit trail but missing from the registry", name) {
				break
			}
		}
	}
	return nil
}

// printable shows index keys with their NUL separators visible.
func printable(b []byte) string { return string(bytes.ReplaceAll(b, []byte{0}, []byte("␀"))) }

// checkOutboxIndex holds the open index to the messages: every message
// not delivered is in it with its state, and nothing else is (a message
// missing from it would never be delivered).
func checkOutboxIndex(tx Tx, report func(string, ...any) bool) error {
	indexed := map[uint64]string{}
	if err := scanOpen(tx, func(id uint64, state string) (bool, error) {
		indexed[id] = state
		return true, nil
	}); err != nil {
		return err
	}
	err := tx.Scan(bOutbox, nil, func(k, v []byte) (bool, error) {
		var m OutboxMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return report("outbox %x: does not decode: %v", k, err), nil
		}
		state, in := indexed[m.ID]
		delete(indexed, m.ID)
		switch {
		case m.State == OutboxDelivered && in:
			return report("outbox index: message %d is delivered but listed as %s", m.ID, state), nil
		case m.State != OutboxDelivered && state != m.State:
			return report("outbox index: message %d is %s but listed as %q: the relay would not see it", m.ID, m.State, state), nil
		}
		return true, nil
	})
	for id := range indexed {
		report("outbox index: lists message %d, which does not exist", id)
	}
	return err
}
