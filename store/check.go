package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	gossh "golang.org/x/crypto/ssh"
)

// maxProblems keeps a badly broken store's report readable.
const maxProblems = 100

// Check verifies the store: every account decodes and is valid, every
// index entry an account should have is there with the right value, no
// index entry points at an account that should not have it, user keys
// match their index, and the audit chain is unbroken. It streams, so it
// runs in bounded memory on a large store. No problems means a clean store.
func (s *Store) Check() ([]string, error) {
	var problems []string
	report := func(format string, args ...any) bool {
		problems = append(problems, fmt.Sprintf(format, args...))
		return len(problems) < maxProblems
	}
	err := s.kv.View(func(tx Tx) error {
		// accounts → indexes
		found := map[string]int{} // expected entries present, per index
		err := tx.Scan(bAccounts, nil, func(k, v []byte) (bool, error) {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
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
			for _, e := range indexEntries(r.Account) {
				got := tx.Get(e.bucket, e.key)
				if got != nil {
					found[e.bucket]++
				}
				switch {
				case got == nil:
					if !report("index %s: missing %q for account %s", e.bucket, printable(e.key), k) {
						return false, nil
					}
				case !bytes.Equal(got, e.value):
					if !report("index %s: %q holds %q, want %q", e.bucket, printable(e.key), printable(got), printable(e.value)) {
						return false, nil
					}
				}
			}
			return true, nil
		})
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
				var id string
				if b == bEmail {
					id, _ = splitEntry(v)
				} else {
					_, id = splitKey(k)
				}
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
		if err := checkUsers(tx, report); err != nil {
			return err
		}
		return checkAudit(tx, report)
	})
	return problems, err
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

func checkAudit(tx Tx, report func(string, ...any) bool) error {
	prev := ""
	return tx.Scan(bAudit, nil, func(k, v []byte) (bool, error) {
		var e AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return report("audit %x: does not decode: %v", k, err), nil
		}
		if e.Prev != prev {
			if !report("audit %d: chain broken: prev %.12s, want %.12s", e.Seq, e.Prev, prev) {
				return false, nil
			}
		}
		if e.Hash != e.digest() {
			if !report("audit %d: hash does not match its content", e.Seq) {
				return false, nil
			}
		}
		prev = e.Hash
		return true, nil
	})
}

// printable shows index keys with their NUL separators visible.
func printable(b []byte) string { return string(bytes.ReplaceAll(b, []byte{0}, []byte("␀"))) }
