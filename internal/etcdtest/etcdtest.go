// Package etcdtest starts a real etcd cluster in the test's process
// (go.etcd.io/etcd/server/v3/embed): members on loopback at ports the
// kernel picks, data in temporary directories, torn down with the test.
// Members can be stopped and started again to test a lost member or a
// lost quorum.
package etcdtest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Cluster is a running embedded cluster.
type Cluster struct {
	t       testing.TB
	mu      sync.Mutex
	members []*member
	initial string
}

type member struct {
	name             string
	dir              string
	peerURL, client  url.URL
	etcd             *embed.Etcd
	stopped, removed bool
}

// Start starts an n-member cluster and waits until it has a leader.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{t: t}
	var initial []string
	ports := freePorts(t, 2*n)
	for i := range n {
		m := &member{name: fmt.Sprintf("m%d", i), dir: t.TempDir(),
			peerURL: url.URL{Scheme: "http", Host: ports[2*i]}, client: url.URL{Scheme: "http", Host: ports[2*i+1]}}
		c.members = append(c.members, m)
		initial = append(initial, m.name+"="+m.peerURL.String())
	}
	c.initial = strings.Join(initial, ",")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, m := range c.members {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = c.startMember(m, "new") }()
	}
	wg.Wait()
	t.Cleanup(c.Close)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// freePorts are n loopback addresses no one listens on now, each a
// different one (all held open until every one is chosen: one at a time,
// the kernel had handed the same port out twice).
func freePorts(t testing.TB, n int) []string {
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs
}

func (c *Cluster) startMember(m *member, state string) error {
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = m.name, m.dir
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{m.peerURL}, []url.URL{m.peerURL}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{m.client}, []url.URL{m.client}
	cfg.InitialCluster, cfg.ClusterState = c.initial, state
	cfg.InitialClusterToken = "frontdoor-test"
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	// small timings: a test kills members and waits for a new leader
	cfg.TickMs, cfg.ElectionMs = 20, 200
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("etcd member %s: %w", m.name, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		e.Close()
		return fmt.Errorf("etcd member %s: not ready in 30 s", m.name)
	}
	c.mu.Lock()
	m.etcd, m.stopped = e, false
	c.mu.Unlock()
	return nil
}

// Endpoints are the members' client addresses (host:port).
func (c *Cluster) Endpoints() []string {
	var eps []string
	for _, m := range c.members {
		eps = append(eps, m.client.Host)
	}
	return eps
}

// URL is the frontdoor store URL of the cluster: etcd://H1,H2,H3/prefix.
func (c *Cluster) URL(prefix string) string {
	return "etcd://" + strings.Join(c.Endpoints(), ",") + "/" + strings.TrimPrefix(prefix, "/")
}

// Stop stops member i (as a crash would, minus the lost page cache).
func (c *Cluster) Stop(i int) {
	c.mu.Lock()
	m := c.members[i]
	e := m.etcd
	m.stopped = true
	c.mu.Unlock()
	if e != nil {
		e.Close()
	}
}

// Restart starts stopped members again on their data, all at once: a
// member is ready only once a quorum is, so members restarted one after
// another after all stopped would each wait for the next.
func (c *Cluster) Restart(is ...int) {
	c.t.Helper()
	errs := make([]error, len(is))
	var wg sync.WaitGroup
	for j, i := range is {
		wg.Go(func() { errs[j] = c.startMember(c.members[i], "existing") })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.t.Fatal(err)
	}
}

// Close stops every member.
func (c *Cluster) Close() {
	for i, m := range c.members {
		if !m.stopped {
			c.Stop(i)
		}
	}
}
