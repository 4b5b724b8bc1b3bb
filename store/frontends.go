package store

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"frontdoor/store/backend"
)

// FrontEnd is one `serve` process of a store and the sessions it holds,
// as it last said. On a cluster each front end says so every few seconds
// (PublishFrontEnd), so `frontdoor sessions` on any of them lists who is
// on everywhere; one that stops saying it (killed) drops out of the list
// once Seen is older than FrontEndStale.
type FrontEnd struct {
	// ID names the process across the store, as an election names its
	// candidates: host and pid.
	ID       string           `json:"id"`
	Addr     string           `json:"addr"` // where it listens for SSH
	Seen     time.Time        `json:"seen"`
	Sessions []SessionPresent `json:"sessions"`
}

// SessionPresent is a live session a front end holds: what `sessions`
// lists. It is not an audit record: logins and logouts are audited
// where they happen.
type SessionPresent struct {
	ID      uint64    `json:"id"`
	User    string    `json:"user"`
	Role    string    `json:"role"`
	Remote  string    `json:"remote"`
	Key     string    `json:"key"`
	Started time.Time `json:"started"`
}

// FrontEndStale is how long a front end's word is believed without a
// new one: three of serve's heartbeats (10 s each) missed.
const FrontEndStale = 30 * time.Second

// frontEndForget is when a silent front end's entry is removed by
// another's publishing: long enough to read what a crashed one held.
const frontEndForget = time.Hour

// ThisFrontEnd names this process as PublishFrontEnd and Lead do.
func ThisFrontEnd() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s pid %d", host, os.Getpid())
}

// Replicated says whether other machines share this store (an etcd
// cluster), so that what this process holds in memory (its sessions)
// is not all there is. A store in one file has one server.
func (s *Store) Replicated() bool {
	_, alone := s.kv.(backend.SingleWriter)
	return !alone
}

// PublishFrontEnd records fe as this front end's word now, and forgets
// front ends silent for an hour (a crash leaves its entry behind).
func (s *Store) PublishFrontEnd(fe FrontEnd) error {
	b, err := json.Marshal(fe)
	if err != nil {
		return err
	}
	return s.kv.Update(func(tx Tx) error {
		var gone [][]byte
		if err := tx.Scan(bFrontEnds, nil, func(k, v []byte) (bool, error) {
			var other FrontEnd
			if string(k) != fe.ID && (json.Unmarshal(v, &other) != nil || fe.Seen.Sub(other.Seen) > frontEndForget || other.Seen.Sub(fe.Seen) > frontEndForget) {
				gone = append(gone, append([]byte(nil), k...))
			}
			return true, nil
		}); err != nil {
			return err
		}
		for _, k := range gone {
			if err := tx.Delete(bFrontEnds, k); err != nil {
				return err
			}
		}
		return tx.Put(bFrontEnds, []byte(fe.ID), b)
	})
}

// RemoveFrontEnd takes this front end out of the list (a clean stop).
func (s *Store) RemoveFrontEnd(id string) error {
	return s.kv.Update(func(tx Tx) error { return tx.Delete(bFrontEnds, []byte(id)) })
}

// FrontEnds lists the front ends heard from within FrontEndStale of now,
// by ID.
func (s *Store) FrontEnds(now time.Time) ([]FrontEnd, error) {
	var out []FrontEnd
	err := s.kv.View(func(tx Tx) error {
		return tx.Scan(bFrontEnds, nil, func(k, v []byte) (bool, error) {
			var fe FrontEnd
			// believed from FrontEndStale ago to as far ahead (clocks
			// differ a little): a word dated in 2099 was listed forever
			// (etcd review, round 3)
			if json.Unmarshal(v, &fe) == nil && now.Sub(fe.Seen) <= FrontEndStale && fe.Seen.Sub(now) <= FrontEndStale {
				out = append(out, fe)
			}
			return true, nil // an entry that does not decode is skipped: it lists no one
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}
