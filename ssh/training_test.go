package ssh

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"frontdoor/store"
	"frontdoor/training"
)

func withRoom(t *testing.T) Config {
	t.Helper()
	lib, err := training.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	room := training.NewRoom(lib)
	room.SandboxDir = t.TempDir()
	return Config{Room: room}
}

// sandboxes lists the practice sandboxes on disk.
func sandboxes(t *testing.T, cfg Config) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(cfg.Room.SandboxDir, "frontdoor-practice-*"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// A practice's sandbox is deleted when the client goes away mid-call.
// (A client that only closes its input keeps its console until the idle
// logoff, as a scripted client with no input, -tt < /dev/null, expects.)
func TestPracticeSandboxGoesWithTheSession(t *testing.T) {
	for name, leave := range map[string]func(*screen){
		"connection closed": func(s *screen) { s.conn.Close() },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := withRoom(t)
			f := serve(t, cfg)
			sam := f.run("sam", "practice sms-filtered", 80, 24)
			sam.badge("Rachel Stone")
			if n := len(sandboxes(t, cfg)); n != 1 {
				t.Fatalf("%d sandboxes during the practice, want 1", n)
			}
			leave(sam)
			deadline := time.Now().Add(5 * time.Second)
			for len(sandboxes(t, cfg)) > 0 || len(f.srv.Sessions()) > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("left after the client went away: sandboxes %v, sessions %+v", sandboxes(t, cfg), f.srv.Sessions())
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// badge checks the TRAINING badge stands in the header of the screen shown.
func (s *screen) badge(screen string) {
	s.t.Helper()
	s.see(screen)
	if head, _, _ := strings.Cut(s.text(), "\n"); !strings.Contains(head, "TRAINING") {
		s.t.Fatalf("no TRAINING badge on %s: %q", screen, head)
	}
}

// `ssh -t HOST practice NAME` runs a scenario end to end on the real
// screens with the badge on every one; a trainer watching sees the
// trainee's screen change, and the trainee sees who watches.
func TestPracticeAndWatchOverSSH(t *testing.T) {
	cfg := withRoom(t)
	f := serve(t, cfg)
	before, _ := f.st.AuditLog(store.AuditFilter{})
	sam := f.run("sam", "practice expired-link", 80, 24)
	sam.badge("Marcus Bell")
	sam.typ("3")
	sam.badge("link has expired")

	tina := f.run("tina", "watch sam", 80, 24)
	tina.see("Watching sam")
	tina.see("Marcus Bell")
	sam.see("watched by tina")

	sam.typ("l")
	sam.badge("Find an account")
	tina.see("Find an account")
	sam.typ("marcus")
	sam.see("Marcus Bell")
	sam.typ("\r")
	sam.badge("Latest sign-ins")
	sam.typ("d")
	sam.badge("Ask the caller")
	sam.typ("1")
	sam.typ("k")
	sam.typ("\r")
	sam.badge("reset_link_expired")
	sam.typ("\x1b")
	sam.see("Latest sign-ins")
	sam.typ("p")
	sam.badge("Reason (optional)")
	sam.typ("\r")
	sam.badge("Score 100 / 100")
	tina.see("Score 100 / 100")
	sam.typ("\r")
	sam.see("Practice · pick a scenario")
	if head, _, _ := strings.Cut(sam.text(), "\n"); strings.Contains(head, "TRAINING") {
		t.Fatalf("the badge stayed after the practice: %q", head)
	}
	tina.see("practice has ended")
	if left := sandboxes(t, cfg); len(left) > 0 {
		t.Fatalf("sandbox left after the practice: %v", left)
	}

	after, _ := f.st.AuditLog(store.AuditFilter{Actions: []string{training.ScoreAction}})
	if len(after) != 1 || after[0].Actor != "sam" || after[0].Details["score"] != "100" {
		t.Fatalf("score records: %+v", after)
	}
	all, _ := f.st.AuditLog(store.AuditFilter{})
	for _, e := range all[:len(all)-len(before)] {
		switch e.Action {
		case "ssh_login", training.ScoreAction:
		default:
			t.Fatalf("a practice wrote %q to the live trail: %+v", e.Action, e)
		}
	}
	if out, _ := f.st.Outbox(true); len(out) != 0 {
		t.Fatalf("the practice's reset reached the live outbox: %+v", out)
	}
}

// A trainer lands on the picker and can reach nothing live; with no
// training room on the server they are refused (TestTrainerKeptOffTheLiveStore).
func TestTrainerLandsOnPicker(t *testing.T) {
	f := serve(t, withRoom(t))
	tina := f.connect("tina", 80, 24)
	tina.see("Practice · pick a scenario")
	tina.typ("/") // Lookup's key elsewhere: nothing here
	tina.typ(":")
	tina.see("Commands")
	tina.typ("find")
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(tina.text(), "Find an account") {
		t.Fatalf("a trainer reached Lookup:\n%s", tina.text())
	}
	for _, tc := range []struct{ user, command, want string }{
		{"sam", "practice no-such-thing", "no scenario"},
		{"sam", "watch ann", "for trainers, leads and admins"},
		{"sam", "rm -rf /", "unknown command"},
		// no one of that name can practise: said, not waited for (issue 22, item 14)
		{"tina", "watch nobody", "no user is called nobody"},
	} {
		c, err := f.dial(tc.user, gossh.PublicKeys(f.keys[tc.user]))
		if err != nil {
			t.Fatal(err)
		}
		sess, _ := c.NewSession()
		sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{})
		out, _ := sess.CombinedOutput(tc.command)
		c.Close()
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("%s as %s: got %q, want %q", tc.command, tc.user, out, tc.want)
		}
	}
}

// A trainer watching a trainee gets what draws the trainee's screen and
// nothing else: the trainee's copy (OSC 52) must not write the trainer's
// clipboard, nor anything set the trainer's title (issue 20, item 15).
func TestWatcherGetsNoClipboardOrTitle(t *testing.T) {
	cfg := withRoom(t)
	f := serve(t, cfg)
	sam := f.run("sam", "practice expired-link", 80, 24)
	sam.badge("Marcus Bell")
	tina := f.run("tina", "watch sam", 80, 24)
	tina.see("Watching sam")
	tina.see("Marcus Bell")
	sam.typ("l")
	sam.badge("Find an account")
	sam.typ("marcus")
	sam.see("Marcus Bell")
	sam.typ("\r")
	sam.badge("Latest sign-ins")
	sam.typ("d")
	sam.badge("Ask the caller")
	sam.typ("1")
	sam.typ("k")
	sam.typ("\r")
	sam.badge("reset_link_expired")
	sam.typ("c")
	sam.see("Steps copied")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(sam.output(), "\x1b]52;") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(sam.output(), "\x1b]52;") {
		t.Fatal("the trainee's own terminal never got the copy: the test shows nothing")
	}
	time.Sleep(200 * time.Millisecond) // the frames that carried the copy have reached the watcher
	for _, bad := range []string{"\x1b]52;", "\x1b]0;", "\x1b]1;", "\x1b]2;", "\x1bP", "\x1b_", "\x1b^", "\a"} {
		if strings.Contains(tina.output(), bad) {
			t.Errorf("the watcher received %q", bad)
		}
	}
}
