package store

import (
	"slices"
	"sync"
)

// answerCache keeps the answers of the searches made at the store's
// latest commit, keyed by query and page size. Typing a name and
// backspacing over it asks the same queries again, and a floor of agents
// asks the same short prefixes; each had been a fresh search, and with
// 200 agents typing at 1M accounts the searches were half of what the
// server allocated a key (issue 23: that garbage's collections, landing
// on a burst of typing, were its keystroke tail).
//
// An answer is a function of the state it was read from, named by the
// read's Tx.ID (the last commit it sees; ids never repeat): a read at
// any other id is a miss, so a commit by any writer — an agent's action,
// a sync batch, an import through serve, another front end's write
// arriving by the watch — is never answered from before it. Only the
// newest id's answers are kept.
type answerCache struct {
	mu      sync.Mutex
	id      uint64 // the commit the answers were read at
	answers map[answerKey]answer
	held    int // hits held across answers
}

type answerKey struct {
	query string
	limit int
}

type answer struct {
	hits []Hit
	more int
}

// answerHitsKept bounds the hits held (each ~0.5 KB and its strings);
// past it the answers start over.
const answerHitsKept = 4096

// get returns the answer to (query, limit) read at commit id, if kept:
// the caller's own copy.
func (c *answerCache) get(id uint64, query string, limit int) ([]Hit, int, bool) {
	c.mu.Lock()
	a, ok := c.answers[answerKey{query, limit}]
	ok = ok && c.id == id
	c.mu.Unlock()
	if !ok {
		return nil, 0, false
	}
	return ownedHits(a.hits), a.more, true
}

// put keeps an answer read at commit id, unless a newer commit's answers
// are kept already (a read that began before it).
func (c *answerCache) put(id uint64, query string, limit int, hits []Hit, more int) {
	if id == 0 { // a read that failed to learn its commit
		return
	}
	kept := ownedHits(hits)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case id < c.id:
		return
	case id > c.id || c.answers == nil || c.held+len(kept) > answerHitsKept:
		c.id, c.answers, c.held = id, make(map[answerKey]answer), 0
	}
	if len(kept) > answerHitsKept {
		return
	}
	c.answers[answerKey{query, limit}] = answer{kept, more}
	c.held += len(kept)
}

// ownedHits is hits with records of their own (owned): what one caller
// does to an answer reaches neither the cache nor another caller.
func ownedHits(hits []Hit) []Hit {
	out := slices.Clone(hits)
	for i := range out {
		out[i].Record = owned(out[i].Record)
	}
	return out
}
