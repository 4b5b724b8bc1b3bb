package etcdtest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Relay is a TCP relay in front of a member that can go silent: its
// connections stay open, what a client sends still reaches the member,
// and nothing the member answers comes back. That is a member stopped
// with SIGSTOP or a link black-holed one way, which a refused connection
// (Stop) is not: a request goes out and no answer ever says whether the
// member acted on it.
type Relay struct {
	ln     net.Listener
	target string
	silent atomic.Bool
	wake   chan struct{} // closed and replaced when speech resumes
	mu     sync.Mutex
	conns  []net.Conn
}

// NewRelay relays to target (host:port) from a loopback port of its own;
// Addr is the endpoint to give a client.
func NewRelay(t testing.TB, target string) *Relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{ln: ln, target: target, wake: make(chan struct{})}
	go r.accept()
	t.Cleanup(r.close)
	return r
}

// Addr is the relay's host:port.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Silence holds back everything the member answers from now on, until
// Speak; held bytes are delivered then, in order.
func (r *Relay) Silence() { r.silent.Store(true) }

// Speak lets the member's answers through again.
func (r *Relay) Speak() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.silent.Swap(false) {
		close(r.wake)
		r.wake = make(chan struct{})
	}
}

func (r *Relay) accept() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		m, err := net.Dial("tcp", r.target)
		if err != nil {
			c.Close()
			continue
		}
		r.mu.Lock()
		r.conns = append(r.conns, c, m)
		r.mu.Unlock()
		go func() { io.Copy(m, c); m.Close() }()
		go r.answer(c, m)
	}
}

// answer copies the member's bytes to the client, waiting while silent.
func (r *Relay) answer(c, m net.Conn) {
	defer c.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := m.Read(buf)
		for n > 0 && r.silent.Load() {
			r.mu.Lock()
			wake := r.wake
			r.mu.Unlock()
			if !r.silent.Load() {
				break
			}
			<-wake
		}
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (r *Relay) close() {
	r.ln.Close()
	r.Speak()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
}
