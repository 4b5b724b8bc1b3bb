package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"frontdoor/store"
	"frontdoor/store/backend"
)

// storeError is an outage as a cluster store words it.
func storeError(extra ...error) error {
	return fmt.Errorf("store etcd://10.0.0.1:2379,10.0.0.2:2379/frontdoor/: %w", errors.Join(append([]error{backend.ErrUnavailable}, extra...)...))
}

func TestExplainSaysAnOutagePlainly(t *testing.T) {
	refusal := errors.New("account is deactivated (A3): no emails")
	for _, c := range []struct {
		name      string
		err       error
		want, not []string
	}{
		{"an action while down", fmt.Errorf("not done: %w", storeError()),
			[]string{"not done: the store is not answering (nothing written)", "STORE DOWN"}, []string{"etcd://", "10.0.0.1"}},
		{"a commit without an answer", fmt.Errorf("not done: %w", storeError(backend.ErrOutcomeUnknown)),
			[]string{"not done: the store did not confirm it, so it may have been done", "reopen the account"}, []string{"etcd://", "nothing written"}},
		{"a refusal whose audit failed keeps the refusal", fmt.Errorf("not done: %w", &store.UnauditedRefusal{Refusal: refusal, Audit: storeError()}),
			[]string{"account is deactivated (A3): no emails; refusal not audited: the store is not answering"}, []string{"etcd://", "\n", `\x0a`}},
		{"a look-up not shown", fmt.Errorf("look-up not audited, not shown: %w", storeError()),
			[]string{"look-up not audited, not shown: the store is not answering"}, []string{"etcd://"}},
		{"another error is left as it is, on one line", errors.Join(errors.New("first"), errors.New("second")),
			[]string{"first · second"}, []string{"\n", "store is not answering"}},
		{"an error of the function's own is not an outage", fmt.Errorf("not done: %w", refusal),
			[]string{"not done: account is deactivated (A3): no emails"}, []string{"store is not answering"}},
	} {
		got := Explain(c.err)
		if n := len([]rune(got)); strings.Contains(c.name, "look-up") && n > 2*MinWidth-4 {
			t.Errorf("%s: %d characters: cut in the footer's two lines at %d columns: %q", c.name, n, MinWidth, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", c.name, got, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: %q says %q", c.name, got, n)
			}
		}
	}
}

// health is a store's health as a test sets it, told the way a
// cluster's front end tells it (a channel closed on each change).
type health struct {
	now     backend.Health
	changed chan struct{}
}

func (h *health) get() (backend.Health, <-chan struct{}) { return h.now, h.changed }
func (h *health) set(now backend.Health) {
	h.now = now
	close(h.changed)
	h.changed = make(chan struct{})
}

// An outage shows in the header, at 80 columns and the narrowest, with a toast
// saying what still works; its end is told too. The session hears of
// it without a key pressed (a command waiting on the store's channel).
func TestTheHeaderSaysTheStoreIsDown(t *testing.T) {
	env, _ := testEnv(t)
	h := &health{changed: make(chan struct{})}
	env.Health = h.get
	app := NewApp(env, &page{name: "Find an account"})
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	wait := app.watchHealth()
	if wait == nil {
		t.Fatal("no command waits on the store's health")
	}
	if head := strings.SplitN(app.View(), "\n", 2)[0]; strings.Contains(head, "STORE DOWN") {
		t.Fatalf("a healthy store shown down: %q", head)
	}

	since := time.Date(2026, 12, 7, 19, 10, 13, 0, time.UTC)
	h.set(backend.Health{Down: errors.New("no member answers"), Since: since})
	msg := wait()
	_, cmd := app.Update(msg)
	v := app.View()
	lines := strings.Split(v, "\n")
	if strings.Contains(lines[0], "LIVE") || !strings.Contains(lines[0], "STORE DOWN 19:10") || !strings.Contains(lines[0], "Find an account") {
		t.Fatalf("header during an outage: %q", lines[0])
	}
	if !strings.Contains(v, "not answering since 19:10:13 UTC") || !strings.Contains(v, "search works") {
		t.Fatalf("no toast saying the outage:\n%s", v)
	}
	app.Update(WindowSizeFor(MinWidth, MinHeight))
	narrow := app.View()
	if head := strings.SplitN(narrow, "\n", 2)[0]; !strings.Contains(head, "STORE DOWN") || !strings.Contains(head, "Find") || lipgloss.Width(head) > MinWidth {
		t.Fatalf("header at the narrowest: %q", head)
	}
	if !strings.Contains(strings.Join(strings.Fields(narrow), " "), "fail until it is back.") {
		t.Fatalf("the outage's toast is cut at the narrowest:\n%s", narrow)
	}
	if cmd == nil {
		t.Fatal("the session stopped listening after the outage began")
	}

	h.set(backend.Health{})
	app.Update(healthMsg{env, app.healthWait})
	app.Update(WindowSizeFor(80, 24))
	v = app.View()
	if strings.Contains(strings.SplitN(v, "\n", 2)[0], "STORE DOWN") || !strings.Contains(v, StoreBack) {
		t.Fatalf("after the store came back:\n%s", v)
	}
}

// A session that logs in during an outage sees it in the header, and
// is told what still works.
func TestALoginDuringAnOutageSeesIt(t *testing.T) {
	env, _ := testEnv(t)
	h := &health{now: backend.Health{Down: errors.New("no member answers"), Since: time.Date(2026, 12, 7, 19, 10, 0, 0, time.UTC)}, changed: make(chan struct{})}
	env.Health = h.get
	app := NewApp(env, &page{name: "a"})
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	v := app.View()
	if head := strings.SplitN(v, "\n", 2)[0]; !strings.Contains(head, "STORE DOWN 19:10") {
		t.Fatalf("header: %q", head)
	}
	if !strings.Contains(v, "search works") {
		t.Fatalf("a login during an outage is not told what works:\n%s", v)
	}
}

// WindowSizeFor is a resize to w×h.
func WindowSizeFor(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// A form submitted while the store is down stays open with what was
// typed, saying why; once the store is back, enter sends it.
func TestAFormWaitsOutAnOutage(t *testing.T) {
	env, _ := testEnv(t)
	h := &health{now: backend.Health{Down: errors.New("no member answers"), Since: time.Now()}, changed: make(chan struct{})}
	env.Health = h.get
	var got *FormResult
	f := NewForm(env, FormSpec{Title: "Send a reset", Checks: []Check{{Label: "name", Required: true}}, TextLabel: "Reason", TextNeed: true,
		Submit: func(r FormResult) tea.Cmd { got = &r; return nil }})
	f.Update(keyMsg(" "))
	f.Update(tea.KeyMsg{Type: tea.KeyTab})
	for _, k := range []string{"r", "e", "t", "r", "y", "enter"} {
		f.Update(keyMsg(k))
	}
	if v := f.View(80, 24); got != nil || !strings.Contains(v, "nothing sent") || !strings.Contains(v, "retry") {
		t.Fatalf("submitted while the store is down (%+v):\n%s", got, v)
	}
	h.set(backend.Health{})
	f.Update(keyMsg("enter"))
	if got == nil || got.Text != "retry" || !got.Ticked[0] {
		t.Fatalf("once back, the kept answers were not sent: %+v", got)
	}
}
