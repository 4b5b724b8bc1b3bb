package ssh

import (
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// frontdoor patch: window changes no one reads (sent before "shell", or
// to a handler that never reads Pty's channel) no longer stop the
// session's request loop, and a signal asking for a reply gets one. Before,
// the second window change blocked the loop: "shell" was never answered
// and the connection's reader stopped behind the queue, for good.
func TestUnreadWindowChangesDoNotStopTheSession(t *testing.T) {
	srv := &Server{Handler: func(s Session) {}} // never reads Pty's channel
	_, client, cleanup := newTestSession(t, srv, nil)
	defer cleanup()
	ch, reqs, err := client.OpenChannel("session", nil)
	if err != nil {
		t.Fatal(err)
	}
	go gossh.DiscardRequests(reqs)
	done := make(chan error, 1)
	go func() {
		pty := gossh.Marshal(struct {
			Term                string
			Columns, Rows, W, H uint32
			Modes               string
		}{"xterm", 80, 24, 0, 0, ""})
		if ok, err := ch.SendRequest("pty-req", true, pty); err != nil || !ok {
			done <- err
			return
		}
		for i := 0; i < 200; i++ {
			win := gossh.Marshal(struct{ W, H, WP, HP uint32 }{uint32(80 + i%2), 24, 0, 0})
			if _, err := ch.SendRequest("window-change", false, win); err != nil {
				done <- err
				return
			}
		}
		if _, err := ch.SendRequest("signal", true, gossh.Marshal(struct{ Signal string }{"INT"})); err != nil {
			done <- err
			return
		}
		_, err := ch.SendRequest("shell", true, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the session's requests stopped behind window changes no one read")
	}
}
