package screens

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	gossh "golang.org/x/crypto/ssh"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/training"
	"frontdoor/tui"
)

func room(t *testing.T) *training.Room {
	t.Helper()
	lib, err := training.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	r := training.NewRoom(lib)
	r.SandboxDir = t.TempDir()
	return r
}

func startPractice(t *testing.T, env *tui.Env, r *training.Room, scenario string) *harness {
	t.Helper()
	env.Hotkeys = append(env.Hotkeys, PracticeHotkey(env, r))
	app := tui.NewApp(env, NewPractice(env, r, scenario))
	tm := teatest.NewTestModel(t, app, teatest.WithInitialTermSize(80, 24))
	t.Cleanup(func() {
		tm.Quit()
		tm.WaitFinished(t, teatest.WithFinalTimeout(3*time.Second))
		app.Close() // as the server does: a practice left open deletes its sandbox
	})
	return &harness{t: t, tm: tm, env: env}
}

// liveState is everything of the live store a practice must not touch.
type liveState struct {
	accounts []byte
	users    []store.User
	outbox   []store.OutboxMessage
	audit    []store.AuditEntry
}

func snapshot(t *testing.T, st *store.Store) liveState {
	t.Helper()
	var b bytes.Buffer
	if _, err := st.Export(&b); err != nil {
		t.Fatal(err)
	}
	users, _ := st.Users()
	outbox, _ := st.Outbox(true)
	audit, _ := st.AuditLog(store.AuditFilter{})
	return liveState{b.Bytes(), users, outbox, audit}
}

func TestPracticePickerGolden(t *testing.T) {
	h := startPractice(t, newEnv(t, newStore(t), "tina", model.RoleTrainer), room(t), "")
	h.see("capital-borrower")
	golden.RequireEqual(t, []byte(h.frame()))
}

func TestCallerPanelGolden(t *testing.T) {
	h := startPractice(t, newEnv(t, newStore(t), "tess", model.RoleAgent), room(t), "unverified-new-client")
	h.see("Amy Chen")
	h.typ("1")
	h.see("amy.chen@yahoo.com")
	h.typ("3")
	h.see("verify something")
	golden.RequireEqual(t, []byte(h.frame()))
}

// A whole practice on the real screens: the caller panel, Lookup,
// Account, the Diagnose interview, an action in the sandbox, the debrief
// and back to the picker. The TRAINING badge stands on every screen; the
// live store is exactly as it was but for the one score record.
func TestPracticeEndToEndTouchesOnlyTheScore(t *testing.T) {
	live := newStore(t)
	before := snapshot(t, live)
	h := startPractice(t, newEnv(t, live, "tess", model.RoleAgent), room(t), "unverified-new-client")
	h.see("Amy Chen")
	h.typ("l")
	h.see("Find an account")
	h.typ("amy")
	h.see("amy")
	h.key(tea.KeyEnter)
	h.see("Latest sign-ins")
	h.typ("d")
	h.see("Ask the caller")
	h.typ("1l")
	h.key(tea.KeyEnter)
	h.see("email_unverified")
	h.key(tea.KeyEsc)
	h.see("Latest sign-ins")
	h.typ("e")
	h.see("Resend verification email")
	h.key(tea.KeyEnter)
	h.see("Score 100 / 100")
	h.key(tea.KeyEnter)
	h.see("Practice · pick a scenario")
	final := h.frame()
	if bytes.Contains([]byte(final), []byte("TRAINING")) {
		t.Fatalf("the badge stayed after the practice:\n%s", final)
	}

	after := snapshot(t, live)
	if !bytes.Equal(before.accounts, after.accounts) || !reflect.DeepEqual(before.users, after.users) || !reflect.DeepEqual(before.outbox, after.outbox) {
		t.Fatal("the practice changed live accounts, users or outbox")
	}
	if len(after.audit) != len(before.audit)+1 {
		t.Fatalf("live audit grew by %d entries, want 1 (the score): %+v", len(after.audit)-len(before.audit), after.audit[:len(after.audit)-len(before.audit)])
	}
	score := after.audit[0]
	if score.Action != training.ScoreAction || score.Actor != "tess" || score.Account != "" || score.Details["score"] != "100" || score.Details["scenario"] != "unverified-new-client" {
		t.Fatalf("score record: %+v", score)
	}
	if !reflect.DeepEqual(before.audit, after.audit[1:]) {
		t.Fatal("the live audit trail changed beneath the score")
	}
	if problems, err := live.Check(); err != nil || len(problems) > 0 {
		t.Fatalf("check after a practice: %v %v", problems, err)
	}
}

func TestDebriefGolden(t *testing.T) {
	h := startPractice(t, newEnv(t, newStore(t), "tess", model.RoleAgent), room(t), "reset-bounced")
	h.see("Grace Okafor")
	h.typ("h")
	h.see("latest reset's status")
	h.typ("D") // once asks; any other key goes on
	h.see("Press D again")
	h.typ("D")
	h.see("Score")
	golden.RequireEqual(t, []byte(h.frame()))
}

// A watcher sees the trainee's screen change; the trainee sees they are
// watched.
func TestWatchFollowsTrainee(t *testing.T) {
	trainee, w := watching(t, 100, 30)
	w.see("Rachel Stone")
	trainee.see("watched by tina")
	trainee.typ("4")
	w.see("home in Denver")
	w.key(tea.KeyEsc)
	trainee.typ("5") // any redraw: the header no longer names the watcher
	trainee.see("same one as always")
}

// A trainee's screen larger than the trainer's window is shown from its
// top left with a line that says so, not cut with nothing to tell.
func TestWatchSaysALargerScreenIsCut(t *testing.T) {
	_, w := watching(t, 60, 16)
	w.see("screen is 80×24: this window shows its top left")
}

// watching is tess on a practice call (80×24) and tina, a trainer,
// watching her in a window of width × height.
func watching(t *testing.T, width, height int) (trainee, watcher *harness) {
	t.Helper()
	r := room(t)
	live := newStore(t)
	addUser(t, live, "tess", model.RoleAgent)
	trainee = startPractice(t, newEnv(t, live, "tess", model.RoleAgent), r, "sms-filtered")
	trainee.see("Rachel Stone")
	env := newEnv(t, live, "tina", model.RoleTrainer)
	tm := teatest.NewTestModel(t, tui.NewApp(env, NewWatch(env, r, "tess")), teatest.WithInitialTermSize(width, height))
	t.Cleanup(func() { tm.Quit() })
	return trainee, &harness{t: t, tm: tm, env: env}
}

// In a practice an action's toast says where its message went: the
// sandbox, not the platform.
func TestPracticeActionsSayTheSandbox(t *testing.T) {
	env := newEnv(t, newStore(t), "tess", model.RoleAgent)
	for mode, want := range map[tui.Mode]string{tui.Training: "queued in the practice sandbox", tui.Demo: "queued for the platform"} {
		env.Mode = mode
		if got := queued(env); !strings.Contains(got, want) {
			t.Errorf("%s: %q", mode, got)
		}
	}
}

// A practice can be left: esc on the caller panel asks, a second leaves
// for the picker and the sandbox goes; opened and left at once, nothing
// is recorded, worked on and left, a record ended "left" with what was
// done; D D at once scores nothing done as 0 (issue 22, item 13: no way
// out but a score, and 60/100 for doing nothing).
func TestPracticeCanBeLeft(t *testing.T) {
	live := newStore(t)
	before := snapshot(t, live)
	h := startPractice(t, newEnv(t, live, "tess", model.RoleAgent), room(t), "reset-bounced")
	h.see("Grace Okafor")
	h.key(tea.KeyEsc)
	h.key(tea.KeyEsc)
	h.see("Practice · pick a scenario")
	if after := snapshot(t, live); !reflect.DeepEqual(before.audit, after.audit) {
		t.Fatalf("opening and leaving at once recorded something: %+v", after.audit[:len(after.audit)-len(before.audit)])
	}
	// worked on, then left: recorded as left, with what was done
	// (training review: a trainee took the hints, left, and the next,
	// clean run was all the report showed)
	h.key(tea.KeyEnter)
	h.see("Ask the caller")
	h.key(tea.KeyEsc)
	h.see("Press esc again to leave the practice (recorded as left")
	h.typ("h") // any other key goes on: a hint taken, still on the call
	lib, _ := training.Builtin()
	h.see(lib[0].Hints[0][:12])
	h.key(tea.KeyEsc)
	h.key(tea.KeyEsc)
	h.see("Practice · pick a scenario")
	after := snapshot(t, live)
	added := after.audit[:len(after.audit)-len(before.audit)]
	if len(added) != 1 || added[0].Action != training.ScoreAction || added[0].Details["ended"] != training.EndedLeft || added[0].Details["hints"] != "1" {
		t.Fatalf("leaving after a hint recorded %+v, want one score record, ended left, one hint", added)
	}
	before = after

	h.key(tea.KeyEnter) // the first scenario, at once ended
	h.see("Ask the caller")
	h.typ("D")
	h.see("Press D again")
	h.typ("D")
	h.see("Nothing was done on this call")
	if f := stripSGR(h.frame()); !strings.Contains(f, "Score 0 / 100") {
		t.Fatalf("nothing done, not scored 0:\n%s", f)
	}
}

// addUser registers name in st, as `frontdoor user add` does.
func addUser(t *testing.T, st *store.Store, name, role string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddUser(name, role, []string{string(gossh.MarshalAuthorizedKey(k))}, store.Actor{Name: "root", Role: model.RoleAdmin}, now); err != nil {
		t.Fatal(err)
	}
}

// `ssh -t HOST watch NAME` starts a session on the watch: esc and q stop
// watching and end the session, ? shows help and : the palette, as the
// footer says; a name no user has is said at once, not waited for
// (issue 22, item 14).
func TestWatchAloneAnswersTheShellKeys(t *testing.T) {
	r := room(t)
	live := newStore(t)
	addUser(t, live, "tess", model.RoleAgent)
	start := func(trainee string) (*harness, *tui.App) {
		env := newEnv(t, live, "tina", model.RoleTrainer)
		app := tui.NewApp(env, NewWatchSession(env, r, trainee))
		tm := teatest.NewTestModel(t, app, teatest.WithInitialTermSize(100, 30))
		t.Cleanup(func() { tm.Quit() })
		return &harness{t: t, tm: tm, env: env}, app
	}
	w, _ := start("tess")
	teatest.WaitFor(t, w.tm.Output(), func(b []byte) bool {
		s := stripSGR(string(b))
		return strings.Contains(s, "tess is not practising now") && strings.Contains(s, "? help") && strings.Contains(s, ": commands")
	}, teatest.WithDuration(3*time.Second))
	w.typ("?")
	w.see("stop watching and log off")
	w.typ("?") // closes help
	w.typ(":")
	w.see("Commands · Watching tess")
	w.key(tea.KeyEsc) // closes the palette, not the watch
	w.see("tess is not practising now")
	for _, k := range []tea.KeyMsg{{Type: tea.KeyEsc}, {Type: tea.KeyRunes, Runes: []rune("q")}} {
		w, app := start("tess")
		w.see("tess is not practising now")
		w.tm.Send(k)
		w.tm.WaitFinished(t, teatest.WithFinalTimeout(3*time.Second))
		if why := app.ExitReason(); !strings.Contains(why, "Stopped watching tess") {
			t.Errorf("%s: the session did not end saying so: %q", k, why)
		}
	}
	nobody, _ := start("nobody")
	nobody.see("No user is called nobody")
}

// The picker shows each call as the caller has it, never the finding it
// teaches: that is the answer, kept for the debrief (issue 22, item 12:
// "reset_link_superseded · rung 13" beside a description cut off).
func TestPickerKeepsTheAnswer(t *testing.T) {
	r := room(t)
	env := newEnv(t, newStore(t), "tess", model.RoleAgent)
	p := NewPractice(env, r, "")
	for _, width := range []int{80, 100, 160} {
		for i, sc := range r.Library {
			p.selected = i
			v := stripSGR(p.View(width, 60))
			if strings.Contains(v, sc.Expect.Finding) || strings.Contains(v, "rung") {
				t.Fatalf("width %d, %s selected: the picker shows the answer %s:\n%s", width, sc.Name, sc.Expect.Finding, v)
			}
			if !strings.Contains(v, sc.Caller.Name+": “") {
				t.Fatalf("width %d: %s's caller is not shown:\n%s", width, sc.Name, v)
			}
			if width == 160 && !strings.Contains(v, sc.Title) {
				t.Fatalf("width %d: %q is cut off:\n%s", width, sc.Title, v)
			}
		}
	}
}

// Back on the picker from a practice, who is practising is shown at
// once and kept fresh: the picker's refresh had gone to the practice's
// screens, and a trainer back from one never saw a trainee start
// (training review).
func TestPickerRefreshesAfterAPractice(t *testing.T) {
	r := room(t)
	h := startPractice(t, newEnv(t, newStore(t), "tina", model.RoleLead), r, "")
	h.see(practiceTitle)
	h.key(tea.KeyEnter)
	h.see("Ask the caller")
	desk := r.Sit("sam", "expired-link", now) // sam starts one meanwhile
	defer desk.Leave()
	time.Sleep(1500 * time.Millisecond) // the picker's tick went to the practice's screen
	h.key(tea.KeyEsc)
	h.key(tea.KeyEsc)
	h.see("watch sam")
}

// On a small window the caller panel keeps the chosen question (and a
// hint just taken) in sight, and its "more below" names the page keys,
// not the arrows, which choose (training review: at 60×16 ↓ moved the
// choice off screen while the footer said ↓ scrolls).
func TestCallerPanelKeepsTheChoiceInSight(t *testing.T) {
	lib, err := training.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	run, err := training.Start(lib[0], t.TempDir(), "tess", func() time.Time { return now }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	env := newEnv(t, newStore(t), "tess", model.RoleAgent)
	c := NewCaller(env, run)
	last := len(training.Questions)
	for range last - 1 {
		c.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'j'}})
	}
	want := fmt.Sprintf("%d %s", last, training.Questions[last-1].Ask)
	if f := stripSGR(c.View(60, 10)); !strings.Contains(f, want[:20]) {
		t.Errorf("question %d chosen, not in sight:\n%s", last, f)
	}
	c.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'k'}})
	c.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'k'}})
	c.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'h'}})
	if f := stripSGR(c.View(60, 10)); !strings.Contains(f, lib[0].Hints[0][:12]) {
		t.Errorf("a hint just taken is not in sight:\n%s", f)
	}
	for range last {
		c.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'k'}})
	}
	if f := stripSGR(c.View(60, 10)); !strings.Contains(f, "more below: pgdn") || strings.Contains(f, "↓/j or") {
		t.Errorf("more below names the arrows, which choose:\n%s", f)
	}
}
