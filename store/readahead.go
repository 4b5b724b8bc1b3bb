package store

import (
	"frontdoor/store/backend"
	"hash/maphash"
	"sync"
	"time"
)

// Reading ahead: applying a snapshot needs the record it replaces (its
// versions, notes, pending actions and indexed fields). Finding and
// decoding that record was a third of the writer's time, and the writer
// is the one goroutine a sync cannot spread: ReadAhead lets the parse
// workers do it on the other cores, in a read transaction, while the
// writer applies the batch before. What they read is used only when
// nothing has written that account since (recentCommits), so a record
// read ahead is never older than the one the write transaction sees.

// ahead is the record an event replaces, as a read transaction found it,
// and, when SpellAhead could, the record the event makes of it.
type ahead struct {
	at     uint64 // the read transaction's id: the last commit it saw
	head   syncHead
	exists bool

	now         time.Time // what record was spelled for (ApplySnapshots' now)
	record      []byte    // the new record, spelled; nil: the writer spells it
	sameIndexed bool      // the new account has the old one's index entries
}

// spelled: a.record is the record ApplySnapshots at now would write.
func (a *ahead) spelled(now time.Time) bool {
	return a != nil && a.record != nil && a.now.Equal(now)
}

// testHookAhead is told, for each event ApplySnapshots takes, whether
// the record read ahead was used and whether its spelling was.
var testHookAhead func(id string, used, spelled bool)

// ReadAhead reads, in one read transaction, the record each event will
// replace, for ApplySnapshots to use instead of reading it again. An
// event whose record cannot be read this way (any error) is left for the
// writer to read: reading ahead never changes what a sync does.
//
// Only on a backend whose every commit passes through this process
// (backend.SingleWriter): on a cluster another front end may write
// between the read and the commit, unseen by recentCommits.
func (s *Store) ReadAhead(evs []Snapshot) {
	if _, ok := s.kv.(backend.SingleWriter); !ok {
		return
	}
	_ = s.kv.View(func(tx Tx) error {
		at := tx.ID()
		for i := range evs {
			id := evs[i].Account.ID
			if id == "" {
				continue // not an event (a bad or blank line)
			}
			h, exists, err := getSyncHead(tx, id, evs[i].indexed)
			if err != nil {
				continue
			}
			evs[i].ahead = &ahead{at: at, head: h, exists: exists}
		}
		return nil
	})
}

// SpellAhead spells, for each event read ahead, the record ApplySnapshots
// at now would write over the record read: the writer then checks that
// the record is still that one and puts the bytes. Events with the
// console's own to lay over (notes, pending actions), demo records,
// duplicates and stale snapshots are left for the writer to work out.
// Call it with the batch before it goes to the writer, and pass the
// same now.
func SpellAhead(evs []Snapshot, now time.Time) {
	sp := spellOf(Record{UpdatedBy: PlatformActor, UpdatedAt: now.UTC()})
	// the batch's records in one buffer, not one allocation each
	n := 0
	for i := range evs {
		if evs[i].ahead != nil {
			n += len(evs[i].Raw) + recordFrame
		}
	}
	slab := make([]byte, 0, n)
	for i := range evs {
		ev, a := &evs[i], evs[i].ahead
		if a == nil || ev.Raw == nil {
			continue
		}
		h := a.head
		rec := Record{Version: 1, PlatformVersion: ev.Version, UpdatedBy: PlatformActor, UpdatedAt: now.UTC()}
		if a.exists {
			if ev.Version <= h.PlatformVersion || h.Demo || len(h.Pending) > 0 {
				continue
			}
			if notes, err := h.notes(); err != nil || len(notes) > 0 {
				continue
			}
			rec.Version = h.Version + 1
			a.sameIndexed = h.sameIndexed(ev.Account)
		}
		start := len(slab)
		slab = sp.append(slab, rec, ev.Raw, ev.indexed)
		a.record = slab[start:len(slab):len(slab)]
		a.now = now
	}
}

// recentCommits remembers which accounts the last few ApplySnapshots
// commits wrote, by commit id, so a record read ahead at one commit can
// be trusted at a later one: only when every commit between the two is
// remembered here and none of them wrote that account. Any other write
// (an agent's action, an import) is not remembered, so what was read
// before it is read again.
type recentCommits struct {
	mu   sync.Mutex
	last []commitWrites // oldest first, at most keepCommits
}

// commitWrites: the accounts a commit wrote, by accountHash (not the ids
// themselves, which would keep their batch's lines in memory; two ids
// with one hash only make a record be read again).
type commitWrites struct {
	id       uint64
	accounts map[uint64]struct{}
}

var accountSeed = maphash.MakeSeed()

func accountHash(id string) uint64 { return maphash.String(accountSeed, id) }

const keepCommits = 8

// add remembers that commit id wrote accounts. Called only after the
// commit succeeded: a write transaction rolled back leaves its id to
// the next one.
func (r *recentCommits) add(id uint64, accounts []string) {
	set := make(map[uint64]struct{}, len(accounts))
	for _, a := range accounts {
		set[accountHash(a)] = struct{}{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.last) == keepCommits {
		r.last = append(r.last[:0], r.last[1:]...)
	}
	r.last = append(r.last, commitWrites{id: id, accounts: set})
}

// since is what a write transaction with id w checks records read ahead
// against: the remembered commits before it.
func (r *recentCommits) since(w uint64) aheadCheck {
	r.mu.Lock()
	defer r.mu.Unlock()
	return aheadCheck{w: w, last: append([]commitWrites(nil), r.last...)}
}

// aheadCheck says whether a record read ahead still holds in write
// transaction w.
type aheadCheck struct {
	w    uint64
	last []commitWrites
}

// holds: a read at commit a saw what w sees of account id: every commit
// from a+1 to w-1 is remembered, and none of them wrote id.
func (c aheadCheck) holds(a *ahead, id string) bool {
	if a == nil || a.at >= c.w {
		return false // a.at ≥ w: not this store's history as w knows it
	}
	want := c.w - 1 // the commits a did not see, newest first
	h := accountHash(id)
	for i := len(c.last) - 1; i >= 0 && want > a.at; i-- {
		cw := c.last[i]
		if cw.id != want {
			return false
		}
		if _, wrote := cw.accounts[h]; wrote {
			return false
		}
		want--
	}
	return want == a.at
}
