package etcd

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/connectivity"

	"frontdoor/store/backend"
)

// A front end tells its sessions when the cluster stops answering and
// when it is back (backend.Healther): an outage showed as LIVE, and an
// agent learnt of it only by an action that waited out the store's
// timeout, once per try. While the cluster is known to be down, a write
// fails at once, saying since when; reads go on from the local index.

// healthEvery is how often a front end looks at its connection.
var healthEvery = 250 * time.Millisecond

// reach is what a front end knows of the cluster's health.
type reach struct {
	mu      sync.Mutex
	now     backend.Health
	changed chan struct{} // closed and replaced when now changes
	seen    int           // polls in a row that disagreed with now
}

// Health says whether the cluster answers this front end now.
func (c *Cached) Health() (backend.Health, <-chan struct{}) {
	c.reach.mu.Lock()
	defer c.reach.mu.Unlock()
	return c.reach.now, c.reach.changed
}

// watchHealth looks at the connection and the watch until ctx ends.
func (c *Cached) watchHealth(ctx context.Context) {
	t := time.NewTicker(healthEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.judge(c.down(), time.Now())
		}
	}
}

// down says why the cluster does not answer now, or nil. No member
// reachable: the client's connection is not ready (it reconnects
// quietly, and the watch says nothing). A member that has lost the
// quorum: the cluster cancels the watch (it requires a leader).
func (c *Cached) down() error {
	switch st := c.kv.cli.ActiveConnection().GetState(); st {
	case connectivity.Ready, connectivity.Idle:
	default:
		return fmt.Errorf("no member of the cluster answers (connection %s)", st)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.watched
}

// judge takes one poll's finding. The state changes after two polls
// agree, so a connection's moment of reconnecting to another member
// does not flash an outage on every screen.
func (c *Cached) judge(down error, now time.Time) {
	r := &c.reach
	r.mu.Lock()
	defer r.mu.Unlock()
	if (down == nil) == (r.now.Down == nil) {
		r.seen = 0
		if down != nil {
			r.now.Down = down // the latest reason, same outage
		}
		return
	}
	if r.seen++; r.seen < 2 {
		return
	}
	r.seen = 0
	r.now = backend.Health{Down: down}
	if down != nil {
		r.now.Since = now
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// refuseWhileDown fails a write at once while the cluster is known to
// be down: nothing is sent, and the caller is not kept waiting.
func (c *Cached) refuseWhileDown() error {
	h, _ := c.Health()
	if h.Down == nil {
		return nil
	}
	return fmt.Errorf("store %s: %w since %s: nothing was written: %v", c.kv.desc, backend.ErrUnavailable, h.Since.UTC().Format("15:04:05 MST"), h.Down)
}
