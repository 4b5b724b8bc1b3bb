package ssh

import (
	"errors"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	gossh "golang.org/x/crypto/ssh"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// SessionInfo is one live session, as `frontdoor sessions` lists it:
// the store's record of it, which a front end of a cluster publishes for
// the others to list (store.FrontEnd).
type SessionInfo = store.SessionPresent

// live is a running session: what the server needs to list it, to tell
// its program something, and to cut it off.
type live struct {
	SessionInfo
	key      gossh.PublicKey
	program  *tea.Program
	conn     *guardConn
	ending   atomic.Bool
	revoked  atomic.Bool   // ended because the user's access changed
	finished chan struct{} // closed when the session's handler returns
}

// Time a session's program gets to quit by itself (restoring the agent's
// terminal and saying why) before its connection is cut.
const endGrace = time.Second

// end tells the session's program to quit with reason, without ever
// blocking the caller: a program whose client stopped reading may never
// take the message. If it has not ended within endGrace, its connection
// is closed, which unblocks every write it is stuck in.
func (l *live) end(reason string) {
	if !l.ending.CompareAndSwap(false, true) {
		return
	}
	go l.program.Send(tui.QuitMsg{Reason: reason}) // returns once the program takes it or dies
	go func() {
		select {
		case <-l.finished:
		case <-time.After(endGrace):
			l.conn.Close()
			l.program.Kill()
		}
	}()
}

// registry is the server's live sessions.
type registry struct {
	mu      sync.Mutex
	next    uint64
	byID    map[uint64]*live
	closing bool
	perUser map[string]int // consoles reserved, per user
}

// reserve claims one of user's at most max consoles, at once: counting
// the registered sessions let simultaneous logins past the cap, since a
// session registers only once its program is built (attack review).
func (r *registry) reserve(user string, max int) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.perUser == nil {
		r.perUser = map[string]int{}
	}
	if n := r.perUser[user]; n >= max {
		return n, false
	}
	r.perUser[user]++
	return 0, true
}

func (r *registry) release(user string) {
	r.mu.Lock()
	if r.perUser[user]--; r.perUser[user] <= 0 {
		delete(r.perUser, user)
	}
	r.mu.Unlock()
}

// add registers l; false once the server is shutting down.
func (r *registry) add(l *live) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return false
	}
	r.next++
	l.ID = r.next
	r.byID[l.ID] = l
	return true
}

func (r *registry) remove(l *live) {
	r.mu.Lock()
	delete(r.byID, l.ID)
	r.mu.Unlock()
}

// snapshot copies the sessions out, so nothing is sent under the lock.
func (r *registry) snapshot(match func(*live) bool) []*live {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*live
	for _, l := range r.byID {
		if match == nil || match(l) {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b *live) int { return int(a.ID) - int(b.ID) })
	return out
}

// Sessions lists the live sessions, oldest first.
func (s *Server) Sessions() []SessionInfo {
	var out []SessionInfo
	for _, l := range s.live.snapshot(nil) {
		out = append(out, l.SessionInfo)
	}
	return out
}

// End ends every session of user name with reason; it returns how many.
func (s *Server) End(name, reason string) int {
	ls := s.live.snapshot(func(l *live) bool { return l.User == name })
	for _, l := range ls {
		l.end(reason)
	}
	return len(ls)
}

// watchUsers ends, within a second, the sessions of a user who was
// removed, whose role changed, or whose key is no longer theirs: nobody
// goes on working on the access they logged in with (issue 9).
func (s *Server) watchUsers(changes <-chan string, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case name := <-changes:
			for _, l := range s.live.snapshot(func(l *live) bool { return l.User == name }) {
				if why := s.stillAllowed(l); why != "" {
					l.revoked.Store(true)
					l.end(why)
				}
			}
		}
	}
}

// stillAllowed says why a session may no longer go on ("" if it may).
func (s *Server) stillAllowed(l *live) string {
	u, err := s.cfg.Store.UserByKey(l.key)
	switch {
	case errors.Is(err, store.ErrNoUser) || (err == nil && u.Name != l.User):
		return "Your access to frontdoor was removed: this session has ended."
	case err != nil:
		return "Your access could not be confirmed (" + err.Error() + "): this session has ended."
	case u.Role != l.Role:
		return "Your role changed from " + l.Role + " to " + u.Role + ": this session has ended; log in again."
	}
	// `sessions end NAME`, on this front end or another of the store's
	if at, by, ok := s.cfg.Store.SessionsEnded(l.User); ok && l.Started.Before(at) {
		return "Your session was ended by " + by + "."
	}
	return ""
}

// stallWriter is a session's output with a deadline: a write that does
// not complete within timeout (a client that stopped reading, its SSH
// window full) cuts the connection instead of holding the program, and
// with it shutdown and every Send to it, for good.
type stallWriter struct {
	w       io.Writer
	timeout time.Duration
	stall   func()
}

func (s *stallWriter) Write(p []byte) (int, error) {
	t := time.AfterFunc(s.timeout, s.stall)
	defer t.Stop()
	return s.w.Write(p)
}

// cleanName is an attacker's login name made safe to audit and log.
func cleanName(s string) string {
	s = model.CleanText(s)
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64]) + "…"
	}
	return s
}
