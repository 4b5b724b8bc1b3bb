package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// wrap word-wraps our own text to w cells, without padding lines, so a
// caller can append to the last one.
func wrap(s string, w int) string {
	return ansi.Wrap(s, max(w, 1), "")
}

// Wrap word-wraps text to w cells after sanitising it.
func Wrap(s string, w int) string { return wrap(Sanitize(s), w) }

// Hang word-wraps untrusted text to w cells after a lead that is our own
// (it may be styled: it is not sanitised), continuation lines indented
// under the text: notes and reasons are read whole, not cut with "…".
func Hang(lead, s string, w int) string {
	indent := Width(lead)
	return lead + strings.ReplaceAll(Wrap(s, max(w-indent, 10)), "\n", "\n"+strings.Repeat(" ", indent))
}

// Scroller is a scrolling body for screens longer than the terminal.
type Scroller struct {
	vp   viewport.Model
	Keys ScrollKeys
	// Choosing: the screen's arrows move a selection, not the page; the
	// page keys scroll, and "more below" names them alone (the caller
	// panel said ↓/j, which chose the next question off screen)
	Choosing bool
	// the content lines the next View keeps in sight (Keep); 0, 0: none
	keepFrom, keepTo int
}

// ScrollKeys move a Scroller.
type ScrollKeys struct{ Up, Down, PageUp, PageDown key.Binding }

// NewScroller builds a Scroller.
func NewScroller() Scroller {
	vp := viewport.New(0, 0)
	vp.KeyMap = viewport.KeyMap{} // keys are routed explicitly below
	return Scroller{vp: vp, Keys: ScrollKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", " "), key.WithHelp("pgdn", "page down")),
	}}
}

// wheelLines is how far one notch of a mouse wheel scrolls.
const wheelLines = 3

// Update scrolls on the scroll keys and the mouse wheel; it reports
// whether it used the message.
func (s *Scroller) Update(msg tea.Msg) bool {
	if m, ok := msg.(tea.MouseMsg); ok {
		switch Wheel(m) {
		case -1:
			s.vp.ScrollUp(wheelLines)
		case 1:
			s.vp.ScrollDown(wheelLines)
		default:
			return false
		}
		return true
	}
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return false
	}
	switch {
	case key.Matches(k, s.Keys.Up):
		s.vp.ScrollUp(1)
	case key.Matches(k, s.Keys.Down):
		s.vp.ScrollDown(1)
	case key.Matches(k, s.Keys.PageUp):
		s.vp.PageUp()
	case key.Matches(k, s.Keys.PageDown):
		s.vp.PageDown()
	default:
		return false
	}
	return true
}

// Keep has the next View scroll as little as it must to show content
// lines from to to (the selection and what belongs to it): a screen
// whose arrows choose calls it before View, so the choice never goes
// off screen.
func (s *Scroller) Keep(from, to int) { s.keepFrom, s.keepTo = from, max(to, from) }

// View shows content in a w×h window at the current scroll position.
func (s *Scroller) View(content string, w, h int) string {
	s.vp.Width, s.vp.Height = max(w, 1), max(h, 1)
	// the viewport cuts long lines without a mark: cut them here, with "…"
	lines := strings.Split(content, "\n")
	for i, l := range lines {
		if Width(l) > s.vp.Width {
			lines[i] = ansi.Truncate(l, s.vp.Width, "…")
		}
	}
	s.vp.SetContent(strings.Join(lines, "\n"))
	if s.vp.PastBottom() {
		s.vp.GotoBottom()
	}
	if s.keepTo > 0 {
		// the last row may be the "more below" line: keep above it
		room := max(s.vp.Height-1, 1)
		switch {
		case s.keepTo-s.keepFrom+1 > room || s.keepFrom < s.vp.YOffset:
			s.vp.SetYOffset(s.keepFrom)
		case s.keepTo >= s.vp.YOffset+room:
			s.vp.SetYOffset(s.keepTo - room + 1)
		}
		s.keepFrom, s.keepTo = 0, 0
	}
	rows := strings.Split(s.vp.View(), "\n")
	for i, r := range rows {
		// the viewport pads each line to the width with spaces; the
		// renderer erases a short line's rest itself (3 bytes)
		rows[i] = strings.TrimRight(r, " ")
	}
	if !s.vp.AtBottom() && h >= 3 {
		// what is below the edge is said to be there: at 60×16 the Account
		// screen's resets were cut off without a sign (newcomer walkthrough)
		keys := s.Keys.Down.Help().Key + " or " + s.Keys.PageDown.Help().Key
		if s.Choosing {
			keys = s.Keys.PageDown.Help().Key
		}
		rows[len(rows)-1] = Clip("↓ more below: "+keys, w)
	}
	return strings.Join(rows, "\n")
}

// Wheel is -1 for a mouse wheel turned up, 1 down, 0 for any other
// mouse message.
func Wheel(m tea.MouseMsg) int {
	if m.Action != tea.MouseActionPress {
		return 0
	}
	switch m.Button {
	case tea.MouseButtonWheelUp:
		return -1
	case tea.MouseButtonWheelDown:
		return 1
	}
	return 0
}

// PageBindings lists only the page keys, for screens whose arrows choose.
func (s *Scroller) PageBindings() []key.Binding {
	return []key.Binding{s.Keys.PageUp, s.Keys.PageDown}
}

// Bindings lists the scroll keys for help.
func (s *Scroller) Bindings() []key.Binding {
	return []key.Binding{s.Keys.Up, s.Keys.Down, s.Keys.PageUp, s.Keys.PageDown}
}

// Column is one table column; Width 0 takes what is left.
type Column struct {
	Title string
	Width int
}

// Table renders rows of untrusted cells in fixed columns, each cell
// sanitised and fitted, the selected row reversed. Only the rows that fit
// in height are drawn, keeping the selection in view.
func Table(st Styles, cols []Column, rows [][]string, selected, width, height int) string {
	widths := make([]int, len(cols))
	used := 2 // the selection mark
	flex := -1
	for i, c := range cols {
		widths[i] = c.Width
		if c.Width == 0 {
			flex = i
		}
		used += c.Width + 1
	}
	if flex >= 0 {
		widths[flex] = max(width-used, 4)
	}
	line := func(cells []string, mark string) string {
		parts := make([]string, len(cols))
		for i := range cols {
			cell := ""
			if i < len(cells) {
				cell = cells[i]
			}
			parts[i] = Fit(cell, widths[i])
		}
		return mark + strings.Join(parts, " ")
	}
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = c.Title
	}
	room := max(height-1, 1)
	var b strings.Builder
	b.Grow((width + 24) * (min(len(rows), room) + 1)) // a line each and its styling: grown once, not doubled a row at a time
	b.WriteString(st.Label.Render(line(head, "  ")))
	first := 0
	if selected >= room {
		first = selected - room + 1
	}
	for i := first; i < len(rows) && i < first+room; i++ {
		l := line(rows[i], "  ")
		if i == selected { // a mark as well as reverse video: NO_COLOR and ASCII terminals show no attributes
			l = st.Selected.Render(line(rows[i], Pointer+" "))
		}
		b.WriteString("\n" + l)
	}
	return b.String()
}

// Pointer marks the selected row or field, in every colour profile.
const Pointer = "›"

// Col is a Column; Width 0 takes what is left.
func Col(title string, width int) Column { return Column{Title: title, Width: width} }
