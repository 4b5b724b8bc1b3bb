package ssh

import (
	"context"
	"sync/atomic"

	tea "github.com/charmbracelet/bubbletea"
	cssh "github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
)

// console runs the session's Bubble Tea program (wish's bubbletea
// middleware, rewritten for one reason): window changes are taken from
// the session the moment they arrive and handed to the program
// coalesced, on a goroutine of their own. Wish's sends each to the
// program as it comes; a program stuck writing to a client that stopped
// reading then stopped the window changes being read, the SSH library's
// request queue filled, its connection loop stopped reading, and not
// even closing the connection freed the session (attack review: phantom
// sessions, listed, never logged off).
func (s *Server) console(next cssh.Handler) cssh.Handler {
	return func(sess cssh.Session) {
		_, winch, ok := sess.Pty()
		ctx, cancel := context.WithCancel(sess.Context())
		defer cancel()
		var latest atomic.Pointer[tea.WindowSizeMsg]
		wake := make(chan struct{}, 1)
		go func() {
			// drain until the SSH library closes the channel, not until
			// the console ends: upstream's library waits for each window
			// change to be taken, and one untaken after the console ended
			// stopped the connection's reader for good (attack review,
			// round 3). third_party/ssh no longer waits; this still takes
			// every size, so the console works on either
			if !ok {
				return // no PTY: no window changes (the library refuses them)
			}
			for w := range winch {
				if ctx.Err() != nil {
					continue // the console ended: taken and dropped
				}
				latest.Store(&tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
				select {
				case wake <- struct{}{}:
				default: // one is pending: it will carry the newest size
				}
			}
		}()
		p := s.program(sess)
		if p == nil { // refused: the drain above still takes its window changes
			cancel()
			next(sess)
			return
		}
		if !ok {
			wish.Fatalln(sess, "frontdoor: no terminal.")
			return
		}
		go func() { // deliver: may wait on a busy program; sizes in between are dropped
			for {
				select {
				case <-ctx.Done():
					return
				case <-wake:
					p.Send(*latest.Load())
				}
			}
		}()
		go func() {
			<-ctx.Done() // the client went away: end the program
			p.Quit()
		}()
		if _, err := p.Run(); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("session program ended with an error", "err", err)
		}
		p.Kill()
		next(sess)
	}
}
