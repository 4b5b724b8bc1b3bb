package store

import "frontdoor/store/backend"

// Deferral is a bulk writer's run of commits that do not each wait for
// the disk (backend.Deferrer: bbolt offers it, see store/bolt; a
// cluster's commits are replicated before they return and need none).
// A nil Deferral's methods do nothing, so a writer calls them whatever
// the backend.
type Deferral struct{ d backend.Deferral }

// DeferFsync starts a deferral: from now until End, commits do not wait
// for the disk; Durable makes everything so far durable. Where the
// backend cannot, it returns nil: commits wait as before. Only for the
// store's only writer (a standalone sync).
func (s *Store) DeferFsync() (*Deferral, error) {
	df, ok := s.kv.(backend.Deferrer)
	if !ok {
		return nil, nil
	}
	d, err := df.DeferFsync()
	if err != nil || d == nil {
		return nil, err
	}
	return &Deferral{d}, nil
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

// End makes everything durable and goes back to commits that wait.
func (d *Deferral) End() error {
	if d == nil {
		return nil
	}
	return d.d.End()
}
