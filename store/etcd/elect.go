package etcd

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"

	"frontdoor/store/backend"
)

// LeaseTTL is how long a leader that stopped answering keeps its role:
// another front end takes over within about this long.
const LeaseTTL = 5 * time.Second

// Leadership is one front end's hold on a role of which the cluster has
// one (the change-stream follower, the outbox relay).
type Leadership struct {
	sess     *concurrency.Session
	election *concurrency.Election
}

// Lost closes when the role is lost (the lease expired: this process
// stopped answering the cluster long enough for another to take over).
func (l *Leadership) Lost() <-chan struct{} { return l.sess.Done() }

// Resign gives the role up at once.
func (l *Leadership) Resign() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.election.Resign(ctx)
	l.sess.Close()
}

// Lead waits until this process holds role across the cluster (etcd's
// own election: a key under the session's lease; the oldest candidate
// leads), or ctx ends. who names the candidate (host and pid).
func (k *KV) Lead(ctx context.Context, role, who string) (backend.Leader, error) {
	sess, err := concurrency.NewSession(k.cli, concurrency.WithTTL(int(LeaseTTL/time.Second)), concurrency.WithContext(ctx))
	if err != nil {
		return nil, k.wrap(fmt.Errorf("lead %s: %w", role, err))
	}
	e := concurrency.NewElection(sess, k.prefix+"election/"+role)
	if err := e.Campaign(ctx, who); err != nil {
		sess.Close()
		return nil, k.wrap(fmt.Errorf("lead %s: %w", role, err))
	}
	return &Leadership{sess: sess, election: e}, nil
}

// Lead on a front end is its cluster's.
func (c *Cached) Lead(ctx context.Context, role, who string) (backend.Leader, error) {
	return c.kv.Lead(ctx, role, who)
}
