package ssh

import (
	"context"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/fixtures"
	"frontdoor/mirror"
	"frontdoor/model"
)

// An agent looking at an account sees a synced change within a second,
// without a key; an action of theirs the platform has not confirmed stays
// visible across a snapshot that predates it (rules S3, S6).
func TestSyncedChangesReachOpenScreens(t *testing.T) {
	f := serveFixtures(t)
	s := f.connect("sam", 100, 30)
	s.typ("maria.lopez@gmail.com")
	s.see("Maria Lopez")
	s.typ("\r")
	s.see("Latest sign-ins")
	// the caller says "I just tried again": the platform's stream has it
	line := fixtures.ChangeLine(t, 1, 1, "p001", func(m map[string]any) {
		m["logins"] = append(m["logins"].([]any), map[string]any{"at": time.Now().UTC().Format(time.RFC3339), "portal": "provider", "result": "bad_password", "browser": "Safari 18", "device": "mobile"})
	})
	start := time.Now()
	if _, err := mirror.Sync(context.Background(), f.st, strings.NewReader(line), mirror.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	s.see("Safari 18")
	t.Logf("synced sign-in on screen %v after the stream", time.Since(start).Round(time.Millisecond))

	// the agent sends a reset; the next snapshot does not have it yet
	s.typ("p")
	s.see("confirm the portal before any reset") // the synced sign-in was on the provider portal (P5)
	s.typ(" ")
	s.typ("\t")
	s.typ("caller checked: patient portal, still locked out\r")
	s.see("PENDING")
	line = fixtures.ChangeLine(t, 2, 2, "p001", func(m map[string]any) { m["name"] = "Maria Lopez-Ruiz" })
	if _, err := mirror.Sync(context.Background(), f.st, strings.NewReader(line), mirror.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	s.see("Maria Lopez-Ruiz")
	if !strings.Contains(s.text(), "PENDING") {
		t.Fatalf("a snapshot that predates the reset hid it:\n%s", s.text())
	}
	rec, _ := f.st.Get("p001")
	if len(rec.Pending) != 1 || rec.Pending[0].Action != model.ActSendReset {
		t.Fatalf("pending %+v", rec.Pending)
	}
	// the Lookup under the account searched again when the change came
	// (its answer addressed to it, not to the screen on top): back on it,
	// the results are current
	s.typ("\x1b")
	s.see("Find an account")
	s.see("Maria Lopez-Ruiz")
}

// Over SSH, a look-up by an old address reaches login_email_changed (P4):
// the console diagnoses the address the caller gave (issue 10).
func TestLoginEmailChangedOverSSH(t *testing.T) {
	f := serve(t, Config{})
	s := f.connect("sam", 80, 24)
	s.typ("dmoore@cityclinic.org")
	s.see("Daniel Moore")
	s.typ("\r")
	s.see("a previous email")
	s.typ("d")
	s.see("Ask the caller")
	s.typ("\r")
	s.see("login_email_changed")
}
