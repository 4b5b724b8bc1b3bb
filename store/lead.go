package store

import (
	"context"
	"fmt"
	"os"

	"frontdoor/store/backend"
)

// Roles of which a store has one holder across its front ends.
const (
	RoleSyncFollower = "sync"  // the change-stream follower (sync --follow)
	RoleRelay        = "relay" // the outbox relay (serve --deliver-to)
)

// Lead waits until this process holds role across every process on the
// store: on a cluster, by its election (another front end takes over
// within seconds when the holder dies); a store in one file admits one
// process (its lock), which leads at once.
func (s *Store) Lead(ctx context.Context, role string) (backend.Leader, error) {
	e, ok := s.kv.(backend.Elector)
	if !ok {
		return alone{}, nil
	}
	host, _ := os.Hostname()
	return e.Lead(ctx, role, fmt.Sprintf("%s pid %d", host, os.Getpid()))
}

// alone is the leadership of the only process on a store.
type alone struct{}

func (alone) Lost() <-chan struct{} { return nil }
func (alone) Resign()               {}
