package etcd

import (
	"errors"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/etcdtest"
	"frontdoor/store/backend"
)

// A front end tells its sessions when the cluster stops answering and
// when it is back: a lost quorum, then every member gone. While it is
// down a write fails at once, saying since when and that nothing was
// written; once it is back, writes go through again.
func TestHealthFollowsTheCluster(t *testing.T) {
	c := etcdtest.Start(t, 3)
	fe, err := OpenCached(New(connect(t, c), "/h/", "etcd://test/h/", 2*time.Second), t.TempDir()+"/index.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fe.Close()
	wait := func(what string, down bool) backend.Health {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			h, changed := fe.Health()
			if (h.Down != nil) == down {
				t.Logf("%s: %+v at %s", what, h, time.Now().Format("15:04:05.000"))
				return h
			}
			select {
			case <-changed:
			case <-deadline:
				t.Fatalf("%s: health still %+v", what, h)
			}
		}
	}
	put := func(v string) error {
		return fe.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("k"), []byte(v)) })
	}
	if h := wait("at start", false); !h.Since.IsZero() {
		t.Fatalf("a healthy store with a Since: %+v", h)
	}
	if err := put("before"); err != nil {
		t.Fatal(err)
	}

	for _, outage := range []struct {
		name    string
		members []int
	}{{"a lost quorum", []int{1, 2}}, {"every member gone", []int{0, 1, 2}}} {
		for _, i := range outage.members {
			c.Stop(i)
		}
		h := wait(outage.name, true)
		if h.Since.IsZero() {
			t.Fatalf("%s: down without a Since: %+v", outage.name, h)
		}
		err := put("during")
		if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "nothing was written") || !strings.Contains(err.Error(), "since") {
			t.Fatalf("%s: a write while down: %v, want ErrUnavailable saying since when and that nothing was written", outage.name, err)
		}
		c.Restart(outage.members...)
		wait(outage.name+", then back", false)
		if err := put("after"); err != nil {
			t.Fatalf("%s: a write once back: %v", outage.name, err)
		}
	}
}

// Two polls must agree before the state changes: one moment of
// reconnecting is not an outage on every screen.
func TestHealthNeedsTwoPolls(t *testing.T) {
	c := &Cached{}
	c.reach.changed = make(chan struct{})
	now := time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC)
	down := errors.New("no member answers")
	_, first := c.Health()
	c.judge(down, now)
	c.judge(nil, now.Add(time.Second))
	c.judge(down, now.Add(2*time.Second))
	if h, _ := c.Health(); h.Down != nil {
		t.Fatalf("down after polls that did not agree: %+v", h)
	}
	c.judge(down, now.Add(3*time.Second))
	select {
	case <-first:
	default:
		t.Fatal("the change was not told")
	}
	if h, _ := c.Health(); h.Down == nil || !h.Since.Equal(now.Add(3*time.Second)) {
		t.Fatalf("after two polls agree: %+v, want down since the second", h)
	}
	c.judge(nil, now.Add(4*time.Second))
	c.judge(nil, now.Add(5*time.Second))
	if h, _ := c.Health(); h.Down != nil || !h.Since.IsZero() {
		t.Fatalf("back after two polls: %+v", h)
	}
}
