package store

import (
	"slices"
	"strings"

	"frontdoor/model"
)

// Hit is one search result.
type Hit struct {
	Record
	MatchedBy string // "id", "email", "previous email", "name", "phone"
}

// maxCandidates bounds the work one keystroke may cause.
const maxCandidates = 2000

// Search finds accounts by any of email (prefix), name words (prefixes,
// all must match), phone digits (prefix or last digits) or id (prefix).
// Exact id and email matches come first, then the rest by name.
func (s *Store) Search(query string, limit int) ([]Hit, error) {
	q := strings.TrimSpace(query)
	if q == "" || limit <= 0 {
		return nil, nil
	}
	var hits []Hit
	seen := map[string]bool{}
	err := s.kv.View(func(tx Tx) error {
		add := func(id, by string) (bool, error) {
			if seen[id] {
				return len(hits) < limit, nil
			}
			r, err := getRecord(tx, id)
			if err != nil {
				return false, err
			}
			seen[id] = true
			hits = append(hits, Hit{Record: r, MatchedBy: by})
			return len(hits) < limit, nil
		}
		// id: exact first, then prefix
		if err := tx.Scan(bAccounts, []byte(q), func(k, _ []byte) (bool, error) {
			return add(string(k), "id")
		}); err != nil {
			return err
		}
		norm := model.NormalizeEmail(q)
		if strings.ContainsAny(norm, "@.") || len(norm) >= 3 {
			err := tx.Scan(bEmail, []byte(norm), func(k, v []byte) (bool, error) {
				_, id := splitKey(k)
				by := "email"
				if string(v) == emailPrevious {
					by = "previous email"
				}
				return add(id, by)
			})
			if err != nil {
				return err
			}
		}
		if d := digitsOf(q); len(d) >= 3 && len(d)*2 >= len(strings.ReplaceAll(q, " ", "")) {
			for _, prefix := range []string{d, "~" + reverse(d)} {
				err := tx.Scan(bPhone, []byte(prefix), func(k, _ []byte) (bool, error) {
					_, id := splitKey(k)
					return add(id, "phone")
				})
				if err != nil {
					return err
				}
			}
		}
		return searchNames(tx, q, limit, add)
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(hits, func(a, b Hit) int {
		return rank(a, q) - rank(b, q)
	})
	return hits, nil
}

// rank puts exact matches first.
func rank(h Hit, q string) int {
	switch {
	case h.Account.ID == q:
		return 0
	case model.NormalizeEmail(h.Account.Email) == model.NormalizeEmail(q):
		return 1
	case h.MatchedBy == "name":
		return 3
	}
	return 2
}

// searchNames scans the first word's prefix and keeps the accounts whose
// names also have the other words as prefixes.
func searchNames(tx Tx, q string, limit int, add func(id, by string) (bool, error)) error {
	words := nameTokens(q)
	if len(words) == 0 {
		return nil
	}
	scanned := 0
	var found []string
	err := tx.Scan(bName, []byte(words[0]), func(k, v []byte) (bool, error) {
		scanned++
		_, id := splitKey(k)
		if slices.Contains(found, id) {
			return scanned < maxCandidates, nil
		}
		if len(words) > 1 && !allPrefixes(strings.Fields(string(v)), words[1:]) {
			return scanned < maxCandidates, nil
		}
		found = append(found, id)
		return scanned < maxCandidates && len(found) < limit, nil
	})
	if err != nil {
		return err
	}
	for _, id := range found {
		if more, err := add(id, "name"); err != nil || !more {
			return err
		}
	}
	return nil
}

func allPrefixes(tokens, words []string) bool {
	for _, w := range words {
		if !slices.ContainsFunc(tokens, func(t string) bool { return strings.HasPrefix(t, w) }) {
			return false
		}
	}
	return true
}

// splitKey splits an index key "value\x00id".
func splitKey(k []byte) (value, id string) {
	for i := len(k) - 1; i >= 0; i-- {
		if k[i] == 0 {
			return string(k[:i]), string(k[i+1:])
		}
	}
	return string(k), ""
}
