package store

import (
	"sync"
	"time"

	"frontdoor/store/backend"
)

// Deferral is a bulk writer's run of commits that do not each wait for
// the disk (backend.Deferrer: bbolt offers it, see store/bolt; a
// cluster's commits are replicated before they return and need none).
// A nil Deferral's methods do nothing, so a writer calls them whatever
// the backend.
//
// Only the batches applied through it (its ApplySnapshots) defer: each
// carries its checkpoint (rule S1), so whichever state a crash leaves is
// a prefix of the stream the checkpoint names. Every other commit on the
// store meanwhile (an agent's action, through serve) is made durable
// before it returns, and with it the batches before it (group commit).
type Deferral struct {
	s      *Store
	d      backend.Deferral
	joined bool // a second writer's share of a deferral under way
	ended  bool
}

// deferralShare is the store's deferral under way, shared by the syncs that
// run at once (through serve): the backend defers for one at a time.
type deferralShare struct {
	mu    sync.Mutex
	d     backend.Deferral
	users int
}

// DeferFsync starts a deferral: from now until End, its commits do not
// wait for the disk; Durable makes everything so far durable. Where the
// backend cannot, it returns nil: commits wait as before. A second
// writer's, while one is under way, shares it: its End makes everything
// so far durable and leaves the first deferring.
func (s *Store) DeferFsync() (*Deferral, error) {
	df, ok := s.kv.(backend.Deferrer)
	if !ok {
		return nil, nil
	}
	s.deferring.mu.Lock()
	defer s.deferring.mu.Unlock()
	if s.deferring.d != nil {
		s.deferring.users++
		return &Deferral{s: s, d: s.deferring.d, joined: true}, nil
	}
	d, err := df.DeferFsync()
	if err != nil || d == nil {
		return nil, err
	}
	s.deferring.d, s.deferring.users = d, 1
	return &Deferral{s: s, d: d}, nil
}

// ApplySnapshots is Store.ApplySnapshots with commits that need not
// wait for the disk: the batch becomes durable, with its checkpoint, at
// the next durable point (or an action's commit) after it.
func (d *Deferral) ApplySnapshots(st *Store, evs []Snapshot, now time.Time) (SyncCounts, error) {
	if d == nil {
		return st.ApplySnapshots(evs, now)
	}
	return st.applyVia(d.d.Update, evs, now)
}

// Room makes room for a batch of about n events and raw bytes.
func (d *Deferral) Room(n, raw int) error {
	if d == nil {
		return nil
	}
	return d.d.Room(n, raw)
}

// Durable starts a durable point for every commit so far.
func (d *Deferral) Durable() error {
	if d == nil {
		return nil
	}
	return d.d.Durable()
}

// End makes everything durable and goes back to commits that wait (a
// shared deferral's last writer; the others' End makes everything so
// far durable and leaves it deferring). A second End does nothing.
func (d *Deferral) End() error {
	if d == nil || d.ended {
		return nil
	}
	s := &d.s.deferring
	s.mu.Lock()
	defer s.mu.Unlock()
	bd := d.d
	d.ended = true
	if s.d != bd { // ended under it already
		return bd.Sync()
	}
	if s.users--; s.users > 0 {
		return bd.Sync()
	}
	s.d = nil
	return bd.End()
}
