package ssh

import (
	"net"
	"testing"
	"time"
)

type addrConn struct {
	net.Conn
}

func (addrConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9), Port: 1} }

func pipe(t *testing.T) net.Conn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return addrConn{a}
}

// When the slots for connections still authenticating are full, the one
// dropped is the oldest of those that got least far: a connection that
// has offered its key (an agent, milliseconds in) goes last.
func TestGuardDropsTheLeastAdvancedFirst(t *testing.T) {
	g := newGuard(1e9, 1e9, time.Minute, 3, 10)
	agent, _ := admit(g, pipe(t))
	agent.offered("sam", true) // the agent's handshake reached its key
	talker, _ := admit(g, pipe(t))
	talker.read.Store(20) // sent a banner, nothing more
	silent, _ := admit(g, pipe(t))
	for range 20 {
		admit(g, pipe(t)) // a flood of silent connections: they push out each other
	}
	if !silent.closed || talker.closed || agent.closed {
		t.Fatalf("silent closed %v, talker %v, agent %v: the least advanced go first", silent.closed, talker.closed, agent.closed)
	}
	// with no silent one left to drop, the banner-only one goes before the agent
	g2 := newGuard(1e9, 1e9, time.Minute, 2, 10)
	a2, _ := admit(g2, pipe(t))
	a2.offered("sam", true)
	t2, _ := admit(g2, pipe(t))
	t2.read.Store(20)
	admit(g2, pipe(t))
	if !t2.closed || a2.closed {
		t.Fatalf("talker closed %v, agent closed %v", t2.closed, a2.closed)
	}
	if n := g.pendingCount(); n != 3 {
		t.Fatalf("%d pending, cap 3", n)
	}
}

// A connection that offered a refused key, or has sat longer than a real
// login takes, is dropped before a young handshake (attack review: 63
// "stallers" held their slots for the whole grace).
func TestGuardDropsStallersFirst(t *testing.T) {
	g := newGuard(1e9, 1e9, time.Minute, 2, 10)
	staller, _ := admit(g, pipe(t))
	staller.offered("eve", false) // a refused key, then silence
	staller.read.Store(3000)
	staller.start = time.Now().Add(-6 * time.Second)
	login, _ := admit(g, pipe(t))
	login.read.Store(2000) // a real key exchange, under way
	admit(g, pipe(t))
	if !staller.closed || login.closed {
		t.Fatalf("staller closed %v, login closed %v", staller.closed, login.closed)
	}
}

// admit and authenticate take the guard's and a connection's locks in
// opposite orders no more: a flood of admissions while logins complete
// must not deadlock (second attack review found one within 757 logins).
func TestGuardNoDeadlockUnderFlood(t *testing.T) {
	g := newGuard(1e9, 1e9, time.Minute, 4, 1000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5000 {
			c, _ := admit(g, pipe(t))
			go c.authenticate()
			c.offered("sam", true)
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("admit and authenticate deadlocked")
	}
}

func admit(g *guard, c net.Conn) (*guardConn, string) {
	gc, why, _ := g.admit(c)
	return gc, why
}

// Connections admitted together are closed apart: each one's login grace
// is the grace less up to a quarter, so a flood opened at once does not
// come back at once.
func TestGuardGracesEndApart(t *testing.T) {
	const grace = time.Minute
	g := newGuard(1e9, 1e9, grace, 1000, 10)
	before := time.Now()
	first, last := time.Time{}, time.Time{}
	for range 200 {
		c, _ := admit(g, pipe(t))
		if d := c.deadline.Sub(before); d < grace*3/4 || d > grace+time.Second {
			t.Fatalf("a login grace of %v, want %v less at most a quarter", d, grace)
		}
		if first.IsZero() || c.deadline.Before(first) {
			first = c.deadline
		}
		if c.deadline.After(last) {
			last = c.deadline
		}
	}
	if spread := last.Sub(first); spread < grace/8 {
		t.Fatalf("200 connections admitted together end within %v of each other", spread)
	}
}
