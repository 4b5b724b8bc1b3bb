package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"frontdoor/internal/sshwire"
)

// A reconnect storm (--storm N --storm-within D) is a whole floor's ssh
// coming back after a deploy or a network blip: N sessions from this one
// address, their dials spread evenly over D (0: all at once), each
// waiting for its first frame. Every session is held until the last is
// in or has failed, then all are closed, before the typing load starts;
// the report says how many got in, what refused the rest, connect →
// first frame, and first dial → last in.

// stormResult is one target's storm.
type stormResult struct {
	in      int
	connect []time.Duration
	allIn   time.Duration // first dial → the last first frame
	errs    map[string]int
	example map[string]string
}

func (s *stormResult) failed() int {
	n := 0
	for _, c := range s.errs {
		n += c
	}
	return n
}

func runStorm(cfg config, t target, progress func(string, ...any)) *stormResult {
	res := &stormResult{errs: map[string]int{}, example: map[string]string{}}
	var received atomic.Int64
	var mu sync.Mutex
	var open []*agentConn
	var wg sync.WaitGroup
	progress("storm: %d sessions within %v", cfg.storm, cfg.stormWithin)
	began := time.Now()
	var last time.Time
	for i := range cfg.storm {
		at := began.Add(time.Duration(int64(cfg.stormWithin) * int64(i) / int64(cfg.storm)))
		user := cfg.users[i%len(cfg.users)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(at))
			a, err := connect(cfg, t, user, &received)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.errs[err.kind]++
				if _, ok := res.example[err.kind]; !ok {
					res.example[err.kind] = err.Error()
				}
				return
			}
			open = append(open, a)
			res.connect = append(res.connect, a.connect)
			if now := time.Now(); now.After(last) {
				last = now
			}
		}()
	}
	wg.Wait()
	res.in = len(open)
	if res.in > 0 {
		res.allIn = last.Sub(began)
	}
	progress("storm: %d of %d in, %d failed, the last %v after the first dial", res.in, cfg.storm, res.failed(), res.allIn.Round(time.Millisecond))
	for _, a := range open {
		a.close()
	}
	return res
}

// Floods (--flood N): N connections of each kind the attack reviews
// used, kept open against the target from addresses of their own
// (127.0.0.2 silent: nothing sent; 127.0.0.3 banner-only: a version line,
// then nothing; 127.0.0.4 stalled key exchange: a version line and a
// KEXINIT, then nothing), each opened again 100 ms after the server
// closes it, for the whole run. From their own addresses, so that the
// per-address rate the agents share is not what keeps them out.

var floodKinds = []struct {
	kind string
	ip   net.IP
}{
	{"silent", net.IPv4(127, 0, 0, 2)},
	{"banner-only", net.IPv4(127, 0, 0, 3)},
	{"stalled key exchange", net.IPv4(127, 0, 0, 4)},
}

// floodStats counts a flood's connections.
type floodStats struct {
	opened, closed atomic.Int64 // by us; closed: by the server
}

// startFlood runs n connections of every kind against addr until ctx ends.
func startFlood(ctx context.Context, addr string, n int) (*floodStats, func()) {
	st := &floodStats{}
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	for _, k := range floodKinds {
		var hello []byte
		switch k.kind {
		case "banner-only":
			hello = []byte("SSH-2.0-flood\r\n")
		case "stalled key exchange":
			hello = append([]byte("SSH-2.0-flood\r\n"), sshwire.KexInit()...)
		}
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				floodConn(ctx, addr, k.ip, hello, st)
			}()
		}
	}
	return st, func() { cancel(); wg.Wait() }
}

func floodConn(ctx context.Context, addr string, ip net.IP, hello []byte, st *floodStats) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 2 * time.Second}
	for {
		if c, err := d.DialContext(ctx, "tcp", addr); err == nil {
			st.opened.Add(1)
			if len(hello) > 0 {
				_, _ = c.Write(hello)
			}
			closed := make(chan struct{})
			go func() { _, _ = io.Copy(io.Discard, c); close(closed) }()
			select {
			case <-ctx.Done():
				c.Close()
				<-closed
				return
			case <-closed:
				st.closed.Add(1)
				c.Close()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (f *floodStats) String() string {
	return fmt.Sprintf("%d flood connections opened, %d closed by the server", f.opened.Load(), f.closed.Load())
}
