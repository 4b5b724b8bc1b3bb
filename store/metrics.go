package store

import (
	"encoding/binary"
	"fmt"
	"frontdoor/store/backend"
	"sync/atomic"
	"time"

	"frontdoor/metrics"
)

// recorderBox holds where the store reports; empty means nowhere.
type recorderBox struct {
	v atomic.Pointer[metrics.Recorder]
}

// SetRecorder has the store report each search's time and each account
// action that commits to rec (nil: to nothing). A server sets its
// metrics registry here (DESIGN §9: reported through an interface).
func (s *Store) SetRecorder(rec metrics.Recorder) {
	if rec == nil {
		s.rec.v.Store(nil)
		return
	}
	s.rec.v.Store(&rec)
}

func (s *Store) recorder() metrics.Recorder {
	if r := s.rec.v.Load(); r != nil {
		return *r
	}
	return metrics.Nop{}
}

func (s *Store) timeLookup(start time.Time) { s.recorder().Lookup(time.Since(start)) }

const metaSyncedAt = "sync_applied_at"

// LastSync is when ApplySnapshots last took a change-stream event (its
// checkpoint moved), kept in meta with the checkpoint; false if never.
// The stream's events carry no time of their own (DOMAIN §8), so this is
// the mirror's, not the platform's.
func (s *Store) LastSync() (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s.Meta(metaSyncedAt))
	return t, err == nil
}

// Size is the store file's size in bytes; 0 for a store that is not a
// file on this machine (a cluster's is its own: etcdctl endpoint status).
func (s *Store) Size() (int64, error) {
	f, ok := s.kv.(backend.File)
	if !ok {
		return 0, nil
	}
	n, err := f.Size()
	if err != nil {
		return 0, fmt.Errorf("store size: %w", err)
	}
	return n, nil
}

// OutboxCounts counts the outbox's messages by delivery state (rule S8).
// A message's state is read from its bytes without decoding the message:
// an outbox keeps every delivered message, and the Ops screen asks every
// second.
func (s *Store) OutboxCounts() (map[string]int, error) {
	counts := map[string]int{OutboxPending: 0, OutboxDelivered: 0, OutboxDead: 0}
	err := s.kv.View(func(tx Tx) error {
		// ids are given one after another and no message is ever
		// deleted: the newest id is how many were queued
		var total uint64
		if err := tx.ScanReverse(bOutbox, func(k, _ []byte) (bool, error) {
			if len(k) == 8 {
				total = binary.BigEndian.Uint64(k)
			}
			return false, nil
		}); err != nil {
			return err
		}
		open := 0
		err := scanOpen(tx, func(_ uint64, state string) (bool, error) {
			counts[state]++
			open++
			return true, nil
		})
		counts[OutboxDelivered] = int(total) - open
		return err
	})
	return counts, err
}
