package screens

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/store"
	"frontdoor/tui"
)

// OpsFinding is one Ops figure opened: the diagnoses of the last seven
// days that led with one finding, newest first — when, by whom, on which
// account — so on-call sees who a spike is reaching (k9s's drill-down).
type OpsFinding struct {
	env     *tui.Env
	code    string
	entries []store.AuditEntry
	err     error
	loaded  bool
	scroll  tui.Scroller
}

type opsFindingMsg struct {
	entries []store.AuditEntry
	err     error
}

// NewOpsFinding builds the screen for finding code.
func NewOpsFinding(env *tui.Env, code string) *OpsFinding {
	return &OpsFinding{env: env, code: code, scroll: tui.NewScroller()}
}

// Init implements tui.Screen: the audit trail is read off the update loop.
func (s *OpsFinding) Init() tea.Cmd {
	st, code, since := s.env.Store, s.code, s.env.Now().Add(-7*24*time.Hour)
	return func() tea.Msg {
		log, err := st.AuditLog(store.AuditFilter{Actions: []string{"diagnose"}, Since: since})
		var out []store.AuditEntry
		for _, e := range log {
			if e.Details["top"] == code && e.Details["via"] != store.DiagnoseViaCLI {
				out = append(out, e)
			}
		}
		return tui.Addressed{To: s, Msg: opsFindingMsg{out, err}}
	}
}

// Title implements tui.Screen.
func (s *OpsFinding) Title() string { return "Ops · " + tui.Sanitize(s.code) }

// Update implements tui.Screen.
func (s *OpsFinding) Update(msg tea.Msg) (tui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case opsFindingMsg:
		s.entries, s.err, s.loaded = msg.entries, msg.err, true
	case tea.KeyMsg, tea.MouseMsg:
		s.scroll.Update(msg)
	}
	return s, nil
}

// View implements tui.Screen.
func (s *OpsFinding) View(width, height int) string {
	st := s.env.Styles
	switch {
	case s.err != nil:
		return st.Bad.Render(tui.Clip(s.err.Error(), width))
	case !s.loaded:
		return st.Muted.Render("Reading the audit trail…")
	}
	lines := []string{st.Title.Render(tui.Clip(fmt.Sprintf("%d diagnoses led with %s in the last 7 days, newest first", len(s.entries), s.code), width)), ""}
	if len(s.entries) == 0 {
		lines = append(lines, st.Muted.Render("None."))
	}
	for _, e := range s.entries {
		lines = append(lines, e.At.UTC().Format("Jan 2 15:04 UTC")+"  "+tui.Fit(e.Actor, 14)+" "+tui.Clip(e.Account, max(width-34, 8)))
	}
	return s.scroll.View(strings.Join(lines, "\n"), width, height)
}

// ShortHelp implements tui.Screen.
func (s *OpsFinding) ShortHelp() []key.Binding { return s.scroll.PageBindings() }

// FullHelp implements tui.Screen.
func (s *OpsFinding) FullHelp() [][]key.Binding { return [][]key.Binding{s.scroll.Bindings()} }
