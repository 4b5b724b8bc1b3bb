package screens

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// Resets is the whole story of every reset, newest first: requested,
// sent, delivered, clicked, used, expired or superseded, each step with
// its time and the rule that explains it, the live link marked.
type Resets struct {
	accountPage
	acts emailActions
}

// NewResets builds the Resets screen.
func NewResets(env *tui.Env, rec store.Record) *Resets {
	return &Resets{accountPage: newAccountPage(env, rec), acts: newEmailActions(env)}
}

// Init implements tui.Screen.
func (s *Resets) Init() tea.Cmd { return nil }

// Title implements tui.Screen.
func (s *Resets) Title() string { return "Resets · " + tui.Sanitize(s.rec.Account.Name) }

// Update implements tui.Screen.
func (s *Resets) Update(msg tea.Msg) (tui.Screen, tea.Cmd) {
	if cmd, ok := s.track(msg); ok {
		return s, cmd
	}
	if k, ok := msg.(tea.KeyMsg); ok {
		if cmd, ok := s.acts.handle(s.env, s.rec, k); ok {
			return s, cmd
		}
		s.scroll.Update(k)
	}
	if m, ok := msg.(tea.MouseMsg); ok {
		s.scroll.Update(m)
	}
	return s, nil
}

// View implements tui.Screen.
func (s *Resets) View(width, height int) string {
	return s.scroll.View(s.body(width), width, height)
}

func (s *Resets) body(width int) string {
	st, now, p, a := s.env.Styles, s.env.Now(), s.env.Policy, s.rec.Account
	var b []string
	add := func(l string) { b = append(b, l) }

	b = append(b, pendingLines(st, s.rec, now, width)...)
	// warnings first: they decide what the agent does next
	for _, w := range p.ResetWarnings(a, now) {
		// wrapped, not cut: the end of a warning is often what to say
		add(tui.Hang(st.Warn.Render("⚠ "), w.Text+" ["+w.Rule+"]", width))
	}
	if len(b) > 0 && b[len(b)-1] != "" {
		add("")
	}
	add(st.Muted.Render(tui.Wrap(fmt.Sprintf("Links expire %s after sending (R8). Portal: %s (R1).", model.Duration(p.ResetLinkLifetime), model.PortalHost(a.Role)), width)))
	add("")

	states := p.ResetStates(a.Resets, now)
	order := make([]int, len(a.Resets))
	for i := range order {
		order[i] = i
	}
	order = latest(order, func(i int) int64 { return a.Resets[i].RequestedAt.UnixNano() }, len(order))
	if len(order) == 0 {
		add(st.Muted.Render("No reset has ever been requested for this account."))
	}
	for _, i := range order {
		r, rs := a.Resets[i], states[i]
		head := st.Title.Render(tui.Clip(r.ID, 12)) + "  " + strings.ToUpper(rs.Status) + rule(st, rs.Rule)
		if m := rs.Mark(); m != "" {
			style := st.Good
			if rs.Replaced || rs.OnItsWay {
				style = st.Warn
			}
			head += "  " + style.Render(m)
		}
		if r.RequestedBy != "" {
			head += st.Muted.Render("  by " + tui.Clip(r.RequestedBy, 20))
		}
		add(head)
		for _, ts := range p.ResetTimeline(r, rs, now) {
			at := ts.Text
			if ts.At != nil {
				at = s.when(ts.At)
			}
			if at != "" && ts.Note != "" && !strings.HasPrefix(ts.Note, "(") {
				at += " —" // two phrases, not one run-on ("no email yet a request that …")
			}
			if at != "" {
				at += " "
			}
			lead := fmt.Sprintf("  %-11s ", ts.Label)
			if tui.Width(lead+at+ts.Note) <= width {
				add(lead + at + st.Muted.Render(ts.Note))
			} else { // wrapped under the time, not cut: the note says where to look
				add(tui.Hang(lead, at+ts.Note, width))
			}
		}
		add("")
	}
	return strings.Join(b, "\n")
}

// ShortHelp implements tui.Screen.
func (s *Resets) ShortHelp() []key.Binding { return s.acts.bindings() }

// FullHelp implements tui.Screen.
func (s *Resets) FullHelp() [][]key.Binding {
	return [][]key.Binding{s.acts.bindings(), s.scroll.Bindings()}
}
