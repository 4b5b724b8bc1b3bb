package ssh

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimiter bounds connections per remote address and in total, before
// any authentication work is done.
type ipLimiter struct {
	rate  rate.Limit
	burst int
	mu    sync.Mutex
	ips   map[string]*rate.Limiter
	seen  map[string]time.Time
	count int
}

func newIPLimiter(r rate.Limit, burst int) *ipLimiter {
	return &ipLimiter{rate: r, burst: burst, ips: map[string]*rate.Limiter{}, seen: map[string]time.Time{}}
}

func (l *ipLimiter) allow(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if len(l.ips) > 10000 { // forget idle addresses so the map stays small
		for k, t := range l.seen {
			if now.Sub(t) > 10*time.Minute {
				delete(l.ips, k)
				delete(l.seen, k)
			}
		}
	}
	lim, ok := l.ips[ip]
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
		l.ips[ip] = lim
	}
	l.seen[ip] = now
	return lim.Allow()
}

func (l *ipLimiter) open() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count >= maxConns {
		return false
	}
	l.count++
	return true
}

func (l *ipLimiter) close() {
	l.mu.Lock()
	l.count--
	l.mu.Unlock()
}

// countedConn gives its slot back once, when closed.
type countedConn struct {
	net.Conn
	once sync.Once
	done func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.done)
	return c.Conn.Close()
}
