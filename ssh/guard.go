package ssh

import (
	"container/list"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// guard admits connections the way OpenSSH's LoginGraceTime and
// MaxStartups do, so that nobody without a key can keep agents out:
//
//   - a per-address rate of new connections;
//   - a deadline for the handshake and authentication (the login grace):
//     a connection that has not authenticated by then is closed, however
//     slowly it trickles bytes;
//   - a cap on connections still authenticating, separate from the cap on
//     sessions; when it is full, one is dropped to admit the new one: the
//     oldest of those that got least far (nothing sent, then a banner,
//     then a key exchange under way, then one finished, then a key of
//     the user's offered), so a flood of silent, banner-only or stalled
//     connections only pushes out its own, and an agent's handshake,
//     which gets through its key exchange and offers its key within
//     milliseconds, is the last to go (attack review: oldest-first let a
//     fast flood push out real handshakes);
//   - a cap on authenticated connections.
//
// The cap on connections authenticating exists for what each one costs
// before anyone knows who it is: memory (its goroutines, buffers, and
// whatever packet it claims to be sending) and the key exchange's CPU.
// It was 64, as if it were OpenSSH's process per connection; a whole
// floor reconnecting after a deploy is hundreds of real handshakes at
// once, and past 64 they dropped one another (issue 23: 136 of 200
// refused). So the cap is now the size of a floor (512, as many as the
// sessions the server takes), and what a connection may cost is bounded
// instead: until its key exchange is done its packets are plaintext, and
// one claiming more than maxPlainPacket is closed before the SSH library
// allocates for it (it would make a 256 KiB buffer for a 5-byte header);
// after that the client has paid for a key exchange of its own. The CPU
// is bounded by the per-address rate, not by this cap.
type guard struct {
	limiter     *ipLimiter
	grace       time.Duration
	maxPending  int
	maxSessions int

	// onClose is given to every connection before it is published in
	// pending, where another connection's admit may evict and close it at
	// once (set after, it raced with that Close: go test -race)
	onClose func(*guardConn)

	mu       sync.Mutex
	pending  list.List // *guardConn, oldest first
	sessions int
}

func newGuard(r rate.Limit, burst int, grace time.Duration, maxPending, maxSessions int) *guard {
	return &guard{limiter: newIPLimiter(r, burst), grace: grace, maxPending: maxPending, maxSessions: maxSessions}
}

// admit takes conn in, or says why not; dropped is a connection let go
// to make room, if any.
func (g *guard) admit(conn net.Conn) (gc *guardConn, why string, dropped *guardConn) {
	host, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
	if !g.limiter.allow(host) {
		return nil, "rate", nil
	}
	now := time.Now()
	gc = &guardConn{Conn: conn, g: g, host: host, deadline: now.Add(g.graceOf()), start: now, onClose: g.onClose}
	var evict *guardConn
	g.mu.Lock()
	if g.pending.Len() >= g.maxPending {
		var victim *list.Element
		for e := g.pending.Front(); e != nil; e = e.Next() {
			if victim == nil || e.Value.(*guardConn).progress(now) < victim.Value.(*guardConn).progress(now) {
				victim = e
			}
		}
		evict = g.pending.Remove(victim).(*guardConn)
		evict.elem = nil
	}
	gc.elem = g.pending.PushBack(gc)
	g.mu.Unlock()
	if evict != nil {
		evict.Close()
	}
	_ = conn.SetDeadline(gc.deadline)
	return gc, "", evict
}

// graceOf is one connection's login grace: the grace less up to a
// quarter, at random. Connections that came together (a flood opened at
// once, a floor's reconnects) so end apart: with one grace, 300 flood
// connections closed in the same instant and came back in the next,
// 300 accepts and key exchange starts at once, and the agents typing
// then waited up to 20 ms for their echoes (issue 23: the storm runs'
// keystroke tail, once a run, 30 s after the floods began). An agent's
// handshake takes milliseconds of the 22.5 s it then has at least.
func (g *guard) graceOf() time.Duration {
	quarter := g.grace / 4
	if quarter <= 0 { // rand.N takes only a positive bound
		return g.grace
	}
	return g.grace - rand.N(quarter)
}

// pendingCount is how many connections are still authenticating.
func (g *guard) pendingCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pending.Len()
}

// guardConn is one connection under the guard. Until it authenticates,
// every deadline the SSH server sets on it is held to the login grace.
type guardConn struct {
	net.Conn
	g        *guard
	host     string
	deadline time.Time // the login grace ends

	mu       sync.Mutex
	elem     *list.Element // in g.pending while authenticating
	authed   bool
	closed   bool
	asked    time.Time // the deadline the server last asked for
	onClose  func(*guardConn)
	user     string // the name given at login
	keysSeen int    // public keys offered
	consoles int    // session channels running a console (at most one)
	channels int    // session channels open (at most maxChannels)
	// sessions says a session reached identify, which counts its own
	// login or refusal
	sessions bool

	// how far the handshake got, read by admit under g.mu without c.mu:
	// authenticate takes c.mu then g.mu, so admit taking c.mu under g.mu
	// deadlocked the two (second attack review: the server stopped
	// accepting connections for good)
	read     atomic.Int64 // bytes the client sent
	kexDone  atomic.Bool  // the client's NEWKEYS came
	accepted atomic.Bool  // a key was offered that belongs to the user
	// proven: a key's signature verified, so the login succeeded. Read
	// when the connection closes: the SSH library publishes the finished
	// handshake to the session's context only after its reader is running,
	// so a client that left at once (ssh -N, then a close) was at times
	// classed as an unknown key before it (a CI flake found it)
	proven atomic.Bool
	start  time.Time
	plain  plainPackets // read by Read alone
}

// identified notes a session reached identify: the login or refusal is
// counted there, not when the connection closes.
func (c *guardConn) identified() {
	c.mu.Lock()
	c.sessions = true
	c.mu.Unlock()
}

// openConsole claims the connection's one console: SSH lets a client open
// many session channels on one connection, and each would be a console
// that no connection cap counts (attack review: a hundred on one).
func (c *guardConn) openConsole() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.consoles > 0 {
		return false
	}
	c.consoles++
	return true
}

// openChannel counts a session channel in, unless max are open.
func (c *guardConn) openChannel(max int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.channels >= max {
		return false
	}
	c.channels++
	return true
}

func (c *guardConn) closeChannel() {
	c.mu.Lock()
	c.channels--
	c.mu.Unlock()
}

func (c *guardConn) closeConsole() {
	c.mu.Lock()
	c.consoles--
	c.mu.Unlock()
}

// authenticate moves the connection from the pending set to the sessions
// once its key is verified. It is false when the server has as many
// sessions as it takes.
func (c *guardConn) authenticate() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.authed {
		return true
	}
	if c.closed {
		return false
	}
	g := c.g
	g.mu.Lock()
	if c.elem != nil {
		g.pending.Remove(c.elem)
		c.elem = nil
	}
	full := g.sessions >= g.maxSessions
	if !full {
		g.sessions++
	}
	g.mu.Unlock()
	if full {
		return false
	}
	c.authed = true
	_ = c.Conn.SetDeadline(c.asked) // the server's own deadlines from now on
	return true
}

// Handshake stages, by what the client has sent; a connection that has
// been authenticating longer than stalledAfter counts as stalled (0),
// whatever it sent: a real login takes a fraction of a second, and a
// refused key then silence held slots for the whole grace (attack review).
const (
	stalledAfter = 5 * time.Second
	kexBytes     = 256 // a client's key exchange sends more than a banner
	// maxPlainPacket is the most a packet before NEWKEYS may claim: RFC
	// 4253 §6.1's 35,000 bytes every implementation takes. A client's
	// KEXINIT is about 1.5 KB, a post-quantum key share 1.2 KB.
	maxPlainPacket = 35000
	msgNewKeys     = 21
)

// progress is how far the handshake got: 0 nothing sent (or stalled), 1
// a banner, 2 a key exchange under way, 3 the key exchange done (the
// client paid for its own), 4 a key of the user's offered. Lock-free:
// admit reads it under g.mu.
func (c *guardConn) progress(now time.Time) int {
	switch {
	case now.Sub(c.start) > stalledAfter:
		return 0
	case c.accepted.Load():
		return 4
	case c.kexDone.Load():
		return 3
	case c.read.Load() >= kexBytes:
		return 2
	case c.read.Load() > 0:
		return 1
	}
	return 0
}

var errPlainPacketTooLarge = errors.New("ssh guard: a packet before the key exchange is done claims more than a key exchange needs")

func (c *guardConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read.Add(int64(n))
	if n > 0 && !c.kexDone.Load() {
		// only the SSH library's one reader calls Read, one call at a time
		done, ferr := c.plain.feed(b[:n])
		if ferr != nil {
			return 0, fmt.Errorf("%w (from %s)", ferr, c.host)
		}
		if done {
			c.kexDone.Store(true)
		}
	}
	return n, err
}

// plainPackets follows a client's bytes before its key exchange is done,
// while they are plaintext: the version line (after any other lines, as
// the SSH library allows), then packets, until the client's NEWKEYS.
type plainPackets struct {
	banner bool    // the version line has ended
	line   [4]byte // the start of the current line before that
	nline  int
	hdr    [6]byte // a packet's length, padding length and message type
	nhdr   int
	skip   uint32 // the rest of the current packet
}

// feed takes the next bytes the client sent; done says its NEWKEYS came
// (what follows is encrypted), and a packet claiming more than
// maxPlainPacket is an error as soon as its length is read.
func (p *plainPackets) feed(b []byte) (done bool, err error) {
	for len(b) > 0 {
		switch {
		case !p.banner:
			c := b[0]
			b = b[1:]
			if c == '\n' {
				p.banner = p.nline == 4 && string(p.line[:]) == "SSH-"
				p.nline = 0
			} else if p.nline < len(p.line) {
				p.line[p.nline] = c
				p.nline++
			}
		case p.skip > 0:
			n := min(uint32(len(b)), p.skip)
			p.skip -= n
			b = b[n:]
		default:
			n := copy(p.hdr[p.nhdr:], b)
			p.nhdr += n
			b = b[n:]
			if p.nhdr < 4 {
				return false, nil
			}
			length := binary.BigEndian.Uint32(p.hdr[:4])
			if length > maxPlainPacket {
				return false, fmt.Errorf("%w: %d bytes", errPlainPacketTooLarge, length)
			}
			if p.nhdr < len(p.hdr) {
				return false, nil
			}
			p.nhdr = 0
			if p.hdr[5] == msgNewKeys {
				return true, nil
			}
			p.skip = max(length, 2) - 2 // the SSH library refuses a length under 2 itself
		}
	}
	return false, nil
}

// offered notes a public key offered at login, for the refusal audit,
// and whether it is one of the user's.
func (c *guardConn) offered(user string, ok bool) {
	c.mu.Lock()
	c.user = user
	c.keysSeen++
	c.mu.Unlock()
	if ok {
		c.accepted.Store(true)
	}
}

func (c *guardConn) hold(t time.Time) time.Time {
	if c.authed {
		return t
	}
	if t.IsZero() || t.After(c.deadline) {
		return c.deadline
	}
	return t
}

func (c *guardConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = t
	return c.Conn.SetDeadline(c.hold(t))
}

func (c *guardConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetReadDeadline(c.hold(t))
}

func (c *guardConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetWriteDeadline(c.hold(t))
}

// Close gives the connection's place back, once.
func (c *guardConn) Close() error {
	c.mu.Lock()
	first := !c.closed
	c.closed = true
	authed, onClose := c.authed, c.onClose
	c.mu.Unlock()
	if first {
		g := c.g
		g.mu.Lock()
		if c.elem != nil {
			g.pending.Remove(c.elem)
			c.elem = nil
		}
		if authed {
			g.sessions--
		}
		g.mu.Unlock()
		if onClose != nil {
			onClose(c)
		}
	}
	return c.Conn.Close()
}

// ipLimiter is a token bucket of new connections per remote address.
type ipLimiter struct {
	rate  rate.Limit
	burst int
	mu    sync.Mutex
	ips   map[string]*rate.Limiter
	seen  map[string]time.Time
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

// authedCount is how many authenticated connections are open.
func (g *guard) authedCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sessions
}
