// Package tui is the application shell and its kit: the per-session Env,
// the navigation stack, header, footer and help, toasts, the form used for
// confirm and reason dialogs, styles and keys, and the sanitiser that all
// untrusted text passes through. It imports no screen: screens are handed
// to it (tui.NewApp(env, first)) and push each other with tui.Push.
package tui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/charmbracelet/lipgloss"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/store/backend"
)

// Mode says what data a session is on; the header shows it.
type Mode string

// Modes.
const (
	Live     Mode = "LIVE"
	Demo     Mode = "DEMO"
	Training Mode = "TRAINING"
)

// Env is one session's world: who acts, on which store, by which clock,
// with which renderer (over SSH each client has its own colour profile,
// so styles are never package-level). Screens get everything from it.
type Env struct {
	Actor    store.Actor
	Store    *store.Store
	Mode     Mode
	Clock    func() time.Time
	Policy   model.Policy
	Renderer *lipgloss.Renderer
	Styles   Styles
	Keys     KeyMap

	// IdleTimeout logs the session off after this long without a key
	// (HIPAA 164.312(a)(2)(iii)); MaxSession ends it regardless.
	IdleTimeout time.Duration
	MaxSession  time.Duration

	// Ctx ends with the session; long-running commands watch it.
	Ctx context.Context

	// Hotkeys open screens from anywhere in this world (the palette lists
	// them too): practice from the live console, the caller panel in a
	// training sandbox.
	Hotkeys []Hotkey
	// Publish, when set, gets every frame the shell draws in this world:
	// a trainer watching a practice sees it (training.Desk).
	Publish func(frame string)
	// Watched, when set, says who is watching this world's frames, and
	// gives a channel closed when that changes; the header shows them.
	Watched func() (names []string, changed <-chan struct{})
	// Health says whether the store answers now (a cluster can be out of
	// reach), and gives a channel closed when that changes; the header
	// shows an outage (store.Store.Health).
	Health func() (backend.Health, <-chan struct{})
	// OnLeave runs when the shell leaves this world (tui.Leave): a
	// practice deletes its sandbox.
	OnLeave func()
	// Ops, when set, reads the Ops screen's figures (the caller's: the
	// SSH server, or the local console); OpenOps builds that screen
	// (screens.OpenOps). With both set, roles that may (model.MaySeeOps)
	// open it with its key or the palette.
	Ops     func() OpsSnapshot
	OpenOps func(*Env) Screen

	// UTC: the agent pressed the zone key: times are shown in UTC, not
	// in the caller's zone (DOMAIN §7), until pressed again.
	UTC bool

	nav []Screen // pending navigation: a screen to push, or nil to pop

	reports map[string]model.Report // the last diagnosis shown, per account, this session
}

// Diagnosed is the report of the last diagnosis this session showed for
// an account: what the caller said, so actions can be checked against it.
func (e *Env) Diagnosed(id string) (model.Report, bool) {
	r, ok := e.reports[id]
	return r, ok
}

// SetDiagnosed records the report a diagnosis of the account was shown for.
func (e *Env) SetDiagnosed(id string, r model.Report) {
	if e.reports == nil {
		e.reports = map[string]model.Report{}
	}
	e.reports[id] = r
}

// CallerTime says t for the agent to read to a caller in usState: in
// the caller's zone, labelled ("7:46 PM EST", the date when not today
// there; DOMAIN §7), or in UTC while the agent asked for it (the zone
// key). One clock for every screen.
func (e *Env) CallerTime(t time.Time, usState string) string {
	if e.UTC {
		u, n := t.UTC(), e.Now().UTC()
		if u.YearDay() == n.YearDay() && u.Year() == n.Year() {
			return u.Format("15:04 UTC")
		}
		return u.Format("Mon Jan 2, 15:04 UTC")
	}
	return model.CallerTime(t, e.Now(), usState)
}

// CallerZoner is a screen about one caller's account: the header's clock
// reads in that caller's zone there.
type CallerZoner interface {
	CallerState() (usState string, ok bool)
}

// Push opens s on top of the current screen. The shell applies it before
// the next message, so keys typed ahead reach the new screen.
func (e *Env) Push(s Screen) tea.Cmd {
	e.nav = append(e.nav, s)
	return nil
}

// Pop closes the current screen, before the next message.
func (e *Env) Pop() tea.Cmd {
	e.nav = append(e.nav, nil)
	return nil
}

// Hotkey is a key that opens a screen from any screen of its world.
type Hotkey struct {
	Key   key.Binding
	Title string // the title of the screen it opens: on that screen it is left out
	Open  func() Screen
}

// NewEnv fills in the defaults around the parts only the caller knows.
func NewEnv(ctx context.Context, actor store.Actor, st *store.Store, r *lipgloss.Renderer) *Env {
	mode := Live
	if st.Meta("dataset") == "demo" {
		mode = Demo
	}
	return &Env{
		Actor: actor, Store: st, Mode: mode, Clock: time.Now, Policy: model.DefaultPolicy,
		Renderer: r, Styles: NewStyles(r), Keys: DefaultKeys(),
		IdleTimeout: 15 * time.Minute, MaxSession: 12 * time.Hour, Ctx: ctx,
		Health: st.Health,
	}
}

// Now is the session's clock.
func (e *Env) Now() time.Time { return e.Clock() }

// Audit records an event by this session's actor, with their role as
// the registry has it now. A failure to audit is returned (a removed user
// gets store.ErrRevoked): callers must not show data they could not audit.
func (e *Env) Audit(action, account, reason string, details map[string]string) error {
	return e.Store.AuditAs(e.Actor, store.AuditEntry{At: e.Now(),
		Action: action, Account: account, Reason: reason, Details: details})
}
