package screens

import (
	"fmt"
	"github.com/charmbracelet/lipgloss"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// History is the account's audit trail, newest first: who looked it up,
// diagnosed it or acted on it, when and why. An agent sees at once that a
// colleague sent a reset five minutes ago.
type History struct {
	env     *tui.Env
	id      string
	name    string
	entries []store.AuditEntry
	err     error
	scroll  tui.Scroller
}

// historyLimit bounds how much of a long trail is shown.
const historyLimit = 200

// NewHistory builds the History screen for an account.
func NewHistory(env *tui.Env, a model.Account) *History {
	h := &History{env: env, id: a.ID, name: a.Name, scroll: tui.NewScroller()}
	h.load()
	return h
}

func (h *History) load() {
	h.entries, h.err = h.env.Store.AuditLog(store.AuditFilter{Account: h.id, Limit: historyLimit})
}

// Init implements tui.Screen.
func (h *History) Init() tea.Cmd { return nil }

// Title implements tui.Screen.
func (h *History) Title() string { return "History · " + tui.Sanitize(h.name) }

// Update implements tui.Screen.
func (h *History) Update(msg tea.Msg) (tui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tui.AccountChangedMsg:
		if msg.ID == h.id {
			h.load()
		}
	case tea.KeyMsg:
		h.scroll.Update(msg)
	case tea.MouseMsg:
		h.scroll.Update(msg)
	}
	return h, nil
}

// View implements tui.Screen.
func (h *History) View(width, height int) string {
	st, now := h.env.Styles, h.env.Now()
	if h.err != nil {
		return st.Bad.Render(tui.Clip(h.err.Error(), width))
	}
	if len(h.entries) == 0 {
		return st.Muted.Render("Nothing recorded for this account yet.")
	}
	var b []string
	for _, e := range h.entries {
		head := fmt.Sprintf("%-16s %-22s %s", model.RelTime(e.At, now), tui.Clip(e.Actor+" ("+e.Role+")", 22), e.Action)
		at, d := e.At.UTC().Format(time.DateTime), details(e.Details)
		if lipgloss.Width(head)+2+len(at) <= width {
			b = append(b, st.Title.Render(head)+st.Muted.Render("  "+at))
		} else {
			// a narrow window: the time leads the details' line rather
			// than being cut off the end of the head's
			b = append(b, st.Title.Render(tui.Clip(head, width)))
			if d == "" {
				d = at + " UTC"
			} else {
				d = at + " UTC · " + d
			}
		}
		if e.Reason != "" {
			b = append(b, tui.Hang("  "+st.Label.Render("reason "), e.Reason, width))
		}
		if d != "" {
			b = append(b, st.Muted.Render(tui.Hang("  ", d, width)))
		}
	}
	if len(h.entries) == historyLimit {
		b = append(b, st.Muted.Render(fmt.Sprintf("Newest %d shown; `frontdoor audit --account %s` has all.", historyLimit, h.id)))
	}
	return h.scroll.View(strings.Join(b, "\n"), width, height)
}

// details shows an entry's details with PII masked (model.MaskDetail).
func details(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+model.MaskDetail(k, m[k]))
	}
	return strings.Join(parts, " · ")
}

// ShortHelp implements tui.Screen.
func (h *History) ShortHelp() []key.Binding { return h.scroll.PageBindings() }

// FullHelp implements tui.Screen.
func (h *History) FullHelp() [][]key.Binding { return [][]key.Binding{h.scroll.Bindings()} }
