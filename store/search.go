package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"

	"frontdoor/model"
)

// Hit is one search result. Its record's account holds what a search
// lists (model.DecodeListed): id, email and previous emails, name, role,
// status, phone, created_at; open the account (Get) for the rest.
type Hit struct {
	Record
	MatchedBy string // "id", "email", "previous email", "name", "phone"
	Exact     bool   // the whole id, email or phone number, not a prefix
	// Corrupt: the stored record does not decode; only Account.ID is
	// known (listedOrMarked)
	Corrupt bool
}

// maxCandidates bounds the index entries one keystroke may scan.
const maxCandidates = 2000

// SearchBound is how many matches a search counts at most: a count of
// hits and more that reaches it means at least that many match. Past a
// few pages nobody scrolls — they type more — and counting a short
// prefix's matches to 2,000 was most of a keystroke's look-up at 1M
// accounts (issue 23: 200 agents typing at once).
const SearchBound = 500

// Search finds accounts by any of email (the part before the @ whole, the
// domain a prefix), name words (prefixes, all must match), phone (the
// whole number, or its last four digits) or id (prefix).
// Exact matches come first (id, email, previous email, phone), then
// prefixes, then names.
func (s *Store) Search(query string, limit int) ([]Hit, error) {
	hits, _, err := s.SearchCount(query, limit)
	return hits, err
}

// candidate is a match found in an index, before its record is loaded.
type candidate struct {
	id, by string
	exact  bool
}

func (c candidate) rank() int {
	switch {
	case c.exact && c.by == "id":
		return 0
	case c.exact && c.by == "email":
		return 1
	case c.exact && c.by == "previous email":
		return 2
	case c.exact:
		return 3 // phone
	case c.by == "name":
		return 5
	}
	return 4
}

// SearchCount is Search, and says how many more accounts match past
// limit (counted up to the search's work bound): only the first limit
// records are loaded.
func (s *Store) SearchCount(query string, limit int) (hits []Hit, more int, err error) {
	q := strings.TrimSpace(query)
	if q == "" || limit <= 0 {
		return nil, 0, nil
	}
	defer s.timeLookup(time.Now()) // a search that searched: an emptied box is none
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	found, at := sc.found, sc.at
	total := 0 // the candidates, found or only counted
	add := func(c candidate) bool {
		if i, ok := at[c.id]; ok {
			if c.rank() < found[i].rank() {
				found[i] = c
			}
		} else {
			at[c.id] = len(found)
			found = append(found, c)
		}
		return len(found) < SearchBound
	}
	err = s.kv.View(func(tx Tx) error {
		var kept bool
		if hits, more, kept = s.answers.get(tx.ID(), q, limit); kept {
			return nil // asked already at this commit
		}
		// ids have a shape (model.ValidateAccountID) that import and sync
		// enforce; a record put under another key by hand (an email) was
		// listed first as an exact id and preselected (etcd review, round
		// 3): a query that is no id's prefix scans no ids, and a key
		// without the shape is not listed as one
		if model.AccountIDShaped(q) {
			if err := tx.Scan(bAccounts, []byte(q), func(k, _ []byte) (bool, error) {
				if !model.AccountIDShaped(k) {
					return true, nil
				}
				return add(candidate{string(k), "id", string(k) == q}), nil
			}); err != nil {
				return err
			}
		}
		// Emails and phones are masked on screen, so what is masked must be
		// typed whole: an email's part before the @ (the domain, shown,
		// may be a prefix), a phone's whole number or the last four digits
		// the screen shows. Prefixes let an agent read a masked address
		// back one keystroke at a time, unaudited (attack review).
		if norm := model.NormalizeEmail(q); strings.Contains(norm, "@") {
			err := tx.Scan(bEmail, []byte(norm), func(k, v []byte) (bool, error) {
				email, id := splitKey(k)
				by := "email"
				if string(v) == emailPrevious {
					by = "previous email"
				}
				return add(candidate{id, by, email == norm}), nil
			})
			if err != nil {
				return err
			}
		}
		if d := model.Digits(q); len(d)*2 >= len(strings.ReplaceAll(q, " ", "")) && (len(d) == 4 || len(d) >= 10) {
			key := join0([]byte(d), "") // the whole number, with or without its country code
			if len(d) == 4 {
				key = []byte("~" + reverse(d)) // the last four digits
			}
			err := tx.Scan(bPhone, key, func(k, _ []byte) (bool, error) {
				_, id := splitKey(k)
				return add(candidate{id, "phone", len(d) >= 10}), nil
			})
			if err != nil {
				return err
			}
		}
		// names rank last and searchNames gives each id once, so a name
		// only needs checking against the matches found before it, not
		// inserting; and of the names only those the page shows need
		// their ids spelled: the rest are counted (issue 23: with 200
		// agents typing at 1M, the 2,000 ids of a short prefix spelled
		// and mapped a keystroke were a third of the server's CPU)
		exact := len(found)
		slices.SortStableFunc(found, func(a, b candidate) int { return a.rank() - b.rank() })
		known := func(id []byte) bool {
			if exact == 0 {
				return false
			}
			_, ok := at[string(id)] // a look-up with a converted key does not allocate
			return ok
		}
		ids, named, err := searchNames(tx, sc, q, SearchBound-len(found), max(limit-len(found), 0), known)
		if err != nil {
			return err
		}
		for _, id := range ids {
			found = append(found, candidate{id, "name", false})
		}
		total = exact + named
		hits = make([]Hit, 0, min(limit, len(found)))
		for _, c := range found[:min(limit, len(found))] {
			h, err := s.listedOrMarked(tx, c.id, c.by, c.exact)
			if err != nil {
				return err
			}
			hits = append(hits, h)
		}
		more = max(total-limit, 0)
		s.answers.put(tx.ID(), q, limit, hits, more)
		return nil
	})
	sc.found = found // grown, kept for the next search
	if err != nil {
		return nil, 0, err
	}
	return hits, more, nil
}

// scratch is one search's working set, up to maxCandidates ids in maps
// and slices. A short prefix fills it at every keystroke; allocated anew,
// growing the maps was a fifth of the server's CPU with 100 agents typing
// and most of its garbage (issue 14 profile), so searches share a pool.
type scratch struct {
	found []candidate
	at    map[string]int
	seen  map[uint64]struct{} // hashes of the name matches' ids
	names []string
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{at: make(map[string]int, maxCandidates), seen: make(map[uint64]struct{}, maxCandidates)}
}}

func (sc *scratch) release() {
	clear(sc.at)
	clear(sc.seen)
	sc.found, sc.names = sc.found[:0], sc.names[:0]
	scratchPool.Put(sc)
}

// searchNames scans one word's prefix for the accounts whose names also
// have the other words as prefixes, skipping those known already, up to
// budget accounts (and maxCandidates index entries): a short prefix of a
// common name scans the most a keystroke may. It returns the ids of the
// first keep in index order and how many it matched in all. Only the
// kept ids are spelled as strings; the others are told apart by a 64-bit
// hash of their bytes, with no allocation (two ids of one name sharing a
// hash would be counted once: about one search in 10^12 at 2,000 ids).
func searchNames(tx Tx, sc *scratch, q string, budget, keep int, known func(id []byte) bool) (ids []string, matched int, err error) {
	words := model.NameQueryWords(q)
	if len(words) == 0 || budget <= 0 {
		return nil, 0, nil
	}
	// scan by the longest word, the fewest entries (a whole email typed
	// is four words, and its first a common first name)
	longest := 0
	for i, w := range words {
		if len(w) > len(words[longest]) {
			longest = i
		}
	}
	scan, others := words[longest], slices.Delete(slices.Clone(words), longest, longest+1)
	scanned := 0
	kept, seen := sc.names, sc.seen
	err = tx.Scan(bName, []byte(scan), func(k, v []byte) (bool, error) {
		scanned++
		if len(others) > 0 && !allPrefixes(v, others) {
			return scanned < maxCandidates, nil
		}
		id := k[bytes.LastIndexByte(k, 0)+1:]
		h := maphash.Bytes(searchSeed, id)
		if _, dup := seen[h]; dup || known(id) {
			return scanned < maxCandidates, nil
		}
		seen[h] = struct{}{}
		if len(kept) < keep {
			kept = append(kept, string(id))
		}
		matched++
		return scanned < maxCandidates && matched < budget, nil
	})
	sc.names = kept
	return kept, matched, err
}

// searchSeed seeds the hashes searchNames tells ids apart by.
var searchSeed = maphash.MakeSeed()

// allPrefixes: each of words begins one of the space-separated tokens.
func allPrefixes(tokens []byte, words []string) bool {
	for _, w := range words {
		ok := false
		for rest := tokens; len(rest) > 0 && !ok; {
			tok := rest
			if i := bytes.IndexByte(rest, ' '); i >= 0 {
				tok, rest = rest[:i], rest[i+1:]
			} else {
				rest = nil
			}
			ok = bytes.HasPrefix(tok, []byte(w))
		}
		if !ok {
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

// ErrCorruptRecord: a stored record that does not decode.
var ErrCorruptRecord = errors.New("corrupt record")

// listedOrMarked is getListed, but a record that does not decode is a
// hit all the same, marked Corrupt, with only its id: one such record
// (written into a cluster by hand) made every search matching it answer
// only its error (etcd review, round 3). Opening it still fails, naming
// it; `frontdoor check` lists it.
func (s *Store) listedOrMarked(tx Tx, id, by string, exact bool) (Hit, error) {
	r, err := s.getListed(tx, id)
	if errors.Is(err, ErrCorruptRecord) {
		return Hit{Record: Record{Account: model.Account{ID: id}}, MatchedBy: by, Exact: exact, Corrupt: true}, nil
	}
	return Hit{Record: r, MatchedBy: by, Exact: exact}, err
}

// getListed reads the record of id as a search lists it: its envelope,
// and of its account only the listed fields; the rest (sign-ins, notes,
// unknown members …) is not decoded. A record listed before and not
// changed since is not decoded again (listedCache).
func (s *Store) getListed(tx Tx, id string) (Record, error) {
	v := tx.Get(bAccounts, []byte(id))
	if v == nil {
		return Record{}, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	if r, ok := s.listed.get(id, v); ok {
		return r, nil
	}
	sh, ok := decodeShellFast(v)
	if !ok {
		// anew: sh.Account may point into the store's read-only pages,
		// which json.RawMessage would append to
		sh = recordShell{}
		if err := json.Unmarshal(v, &sh); err != nil {
			return Record{}, fmt.Errorf("account %s: %w: %w", id, ErrCorruptRecord, err)
		}
	}
	r := Record{Version: sh.Version, UpdatedBy: sh.UpdatedBy, UpdatedAt: sh.UpdatedAt, Demo: sh.Demo, PlatformVersion: sh.PlatformVersion, Pending: sh.Pending}
	a, err := model.ParseListed(sh.Account)
	if err != nil {
		return Record{}, fmt.Errorf("account %s: %w: %w", id, ErrCorruptRecord, err)
	}
	r.Account = a
	s.listed.put(id, v, r)
	return r, nil
}

// recentScan bounds the audit entries Recent reads: an agent's last
// look-ups are among the newest on any server.
const recentScan = 20000

// recentKeep is how many accounts Recent remembers an agent looked up;
// a call for more reads the trail afresh.
const recentKeep = 32

// recentLookups remembers, per agent, the accounts Recent found (newest
// first, each once) and the newest audit entry it had read, so the next
// call reads only the entries audited since: reading 20,000 entries at
// every empty search box was 38% of a typing floor's server CPU at 1M
// accounts (issue 23), and 82% while each entry was decoded.
type recentLookups struct {
	mu sync.Mutex
	by map[string]recentMemo
}

type recentMemo struct {
	seq uint64 // the newest entry read
	ids []lookedUp
}

type lookedUp struct {
	id string
	at time.Time
}

func (r *recentLookups) get(actor string) (recentMemo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.by[actor]
	return m, ok
}

// put keeps m unless a call that read further has kept its own.
func (r *recentLookups) put(actor string, m recentMemo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.by == nil {
		r.by = map[string]recentMemo{}
	}
	if old, ok := r.by[actor]; !ok || m.seq > old.seq {
		r.by[actor] = m
	}
}

// Recent lists the accounts actor opened most recently (looked up, by
// the audit trail), newest first, each once, up to n, within the window
// before now: an agent's history to jump back to (k9s, lazygit). Their
// records are as a search lists them; an account since removed is left
// out.
func (s *Store) Recent(actor string, n int, now time.Time, window time.Duration) ([]Hit, error) {
	var ids []string
	var hits []Hit
	err := s.kv.View(func(tx Tx) error {
		memo, ok := s.lookups.get(actor)
		ok = ok && n <= recentKeep
		need, anyOf := AuditFilter{Actor: actor, Actions: []string{"lookup"}}.needles()
		var fresh []lookedUp
		newest, read, full := uint64(0), 0, false
		err := tx.ScanReverse(bAudit, func(k, v []byte) (bool, error) {
			if len(k) != 8 {
				return false, fmt.Errorf("audit: entry key %x is not a sequence number", k)
			}
			seq := binary.BigEndian.Uint64(k)
			newest = max(newest, seq)
			if ok && seq <= memo.seq {
				return false, nil // read before: memo.ids has what matched
			}
			if read++; read > recentScan {
				full = true
				return false, nil
			}
			if !mayMatch(v, need, anyOf) {
				return true, nil
			}
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return false, fmt.Errorf("audit: corrupt entry: %w", err)
			}
			if e.Actor == actor && e.Action == "lookup" && e.Account != "" &&
				!slices.ContainsFunc(fresh, func(l lookedUp) bool { return l.id == e.Account }) {
				fresh = append(fresh, lookedUp{e.Account, e.At})
			}
			// the first recentKeep accounts met are the newest: no older
			// entry can be among them
			return len(fresh) < max(n, recentKeep), nil
		})
		if err != nil {
			return err
		}
		if ok && !full && len(fresh) < recentKeep { // what was read before follows what is new
			for _, l := range memo.ids {
				if !slices.ContainsFunc(fresh, func(f lookedUp) bool { return f.id == l.id }) {
					fresh = append(fresh, l)
				}
			}
		}
		if len(fresh) > max(n, recentKeep) {
			fresh = fresh[:max(n, recentKeep)]
		}
		if n <= recentKeep && newest > 0 {
			s.lookups.put(actor, recentMemo{seq: newest, ids: slices.Clip(fresh[:min(len(fresh), recentKeep)])})
		}
		since := now.Add(-window)
		for _, l := range fresh {
			if len(ids) < n && !l.at.Before(since) {
				ids = append(ids, l.id)
			}
		}
		for _, id := range ids {
			h, err := s.listedOrMarked(tx, id, "recent", false)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			hits = append(hits, h)
		}
		return nil
	})
	return hits, err
}
