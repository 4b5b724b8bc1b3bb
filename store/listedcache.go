package store

import (
	"bytes"
	"slices"
	"sync"
)

// listedCache keeps the records searches list, decoded as a search
// lists them (getListed), by id, with the stored bytes each was decoded
// from. A record is taken from it only while its stored bytes are still
// exactly those bytes, so a changed record is decoded afresh and nothing
// here can go stale: there is no invalidation to miss, on either
// backend. Type-ahead shows the same records again and again — each
// prefix's first page, to every agent typing it, and again on a
// backspace — and decoding them was half a search's CPU at 1M accounts
// (issue 23, 200 agents typing); comparing the bytes is a tenth of it.
//
// Two generations bound it: when the current one is full it becomes the
// previous and a new one starts, so what is shown often stays.
type listedCache struct {
	mu        sync.Mutex
	cur, prev map[string]listedEntry
}

type listedEntry struct {
	raw []byte
	r   Record
}

const (
	listedKeep     = 2048     // records a generation
	listedMaxBytes = 8 * 1024 // a larger record is decoded each time, not kept
)

// get returns id's decoded record if it was decoded from raw.
func (c *listedCache) get(id string, raw []byte) (Record, bool) {
	c.mu.Lock()
	e, ok := c.cur[id]
	if !ok {
		if e, ok = c.prev[id]; ok {
			c.putLocked(id, e)
		}
	}
	c.mu.Unlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		return Record{}, false
	}
	return owned(e.r), true
}

// owned is r with slices of its own: what one caller does to a hit's
// lists reaches neither the cache nor another caller.
func owned(r Record) Record {
	r.Account.PreviousEmails = slices.Clone(r.Account.PreviousEmails)
	r.Pending = slices.Clone(r.Pending)
	return r
}

// put keeps r, decoded from raw (which may be the store's own pages: it
// is copied).
func (c *listedCache) put(id string, raw []byte, r Record) {
	if len(raw) > listedMaxBytes {
		return
	}
	e := listedEntry{raw: bytes.Clone(raw), r: owned(r)}
	c.mu.Lock()
	c.putLocked(id, e)
	c.mu.Unlock()
}

func (c *listedCache) putLocked(id string, e listedEntry) {
	if c.cur == nil || len(c.cur) >= listedKeep {
		c.prev, c.cur = c.cur, make(map[string]listedEntry, listedKeep)
	}
	c.cur[id] = e
}
