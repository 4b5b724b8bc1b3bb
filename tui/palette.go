package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// Palette is the command list: what the agent can do from where they
// are, searchable by what it does and by the words agents use for it.
// It lists the screen's own key bindings, then those of the screens
// under it (an account's actions from Diagnose: choosing one goes back
// there, as esc would, and presses its key), then the shell's. Built
// from the same bindings as help, it can never offer what the keys do
// not.
type Palette struct {
	env      *Env
	title    string
	all      []entry
	shown    []entry
	input    textinput.Model
	selected int
}

// entry is one command: a binding, and how many screens down it is.
type entry struct {
	b     key.Binding
	depth int    // 0: the screen on top (or the shell)
	where string // the title of the screen it is on, when below
}

// PaletteLevel is the bindings of one screen of the stack, depth screens
// below the top (0: the top and the shell).
type PaletteLevel struct {
	Title  string
	Depth  int
	Groups [][]key.Binding
}

// NewPalette builds a palette over the top screen's bindings (disabled
// ones are left out).
func NewPalette(env *Env, title string, groups [][]key.Binding) *Palette {
	return NewStackPalette(env, title, []PaletteLevel{{Title: title, Groups: groups}})
}

// NewStackPalette builds a palette over several screens' bindings, the
// top's first: a description offered by a screen above is not offered
// again from below.
func NewStackPalette(env *Env, title string, levels []PaletteLevel) *Palette {
	in := NewTextInput()
	in.Prompt = ": "
	in.PromptStyle = env.Styles.Key
	in.Placeholder = "what do you want to do? (reset link, email, search, back …)"
	in.Focus()
	p := &Palette{env: env, title: title, input: in}
	seen := map[string]bool{}
	for _, l := range levels {
		for _, g := range l.Groups {
			for _, b := range g {
				h := b.Help()
				if !b.Enabled() || h.Desc == "" || len(b.Keys()) == 0 || seen[h.Desc] {
					continue
				}
				if press, ok := pressOf(b.Keys()[0]); !ok || !key.Matches(press, b) {
					continue // a key no single press gives cannot be run from here
				}
				if l.Depth > 0 && moveKeys[b.Keys()[0]] {
					continue // moving about a screen below is not a command here
				}
				seen[h.Desc] = true
				e := entry{b: b, depth: l.Depth}
				if l.Depth > 0 {
					e.where = l.Title
				}
				p.all = append(p.all, e)
			}
		}
	}
	p.filter()
	return p
}

// moveKeys move about a screen rather than act: from a screen below they
// would only move its cursor.
var moveKeys = map[string]bool{"enter": true, "esc": true, "up": true, "down": true, "pgup": true, "pgdown": true,
	"k": true, "j": true, "b": true, " ": true, "ctrl+u": true, "ctrl+p": true, "ctrl+n": true}

// agentWords are the words agents type for what the bindings call by
// another name: "unsubscribe" finds "lift suppression", "spam" the emails
// that may have gone there.
var agentWords = map[string][]string{
	"unsubscribe": {"suppression"}, "unsubscribed": {"suppression"}, "suppressed": {"suppression"},
	"exempt": {"exemption"}, "verification": {"verif"}, "verify": {"verif"}, "confirm": {"verif"},
	"password": {"reset"}, "forgot": {"reset"}, "link": {"reset"},
	"email": {"reset", "verif", "suppression", "email"}, "mail": {"reset", "verif", "suppression", "email"},
	"spam": {"reset", "verif", "suppression"}, "junk": {"reset", "verif", "suppression"}, "promotions": {"reset", "verif"},
	"2fa": {"2fa", "factor", "exemption", "recovery"}, "mfa": {"2fa", "factor", "exemption", "recovery"},
	"phone": {"2fa", "factor"}, "code": {"recovery", "2fa"}, "device": {"device"},
	"quit": {"quit"}, "exit": {"quit"}, "logout": {"quit"}, "leave": {"quit", "back"},
	"back": {"back"}, "return": {"back"}, "previous": {"back"},
	"search": {"search"}, "find": {"search"}, "lookup": {"search"}, "caller": {"search", "caller"}, "account": {"search"},
	"unmask": {"reveal"}, "mask": {"reveal"}, "show": {"reveal"}, "pii": {"reveal"}, "birth": {"reveal"}, "dob": {"reveal"},
	"audit": {"history"}, "log": {"history"}, "recent": {"recent"}, "jump": {"recent"},
	"comment": {"note"}, "why": {"diagnose"}, "troubleshoot": {"diagnose"}, "timeline": {"reset"},
	"clipboard": {"copy"}, "id": {"copy"}, "time": {"times"}, "zone": {"times"}, "utc": {"times"}, "clock": {"times"},
}

func (p *Palette) filter() {
	q := strings.ToLower(strings.TrimSpace(p.input.Value()))
	p.shown = p.shown[:0]
	for _, e := range p.all {
		if q == "" || matches(e.b, q) {
			p.shown = append(p.shown, e)
		}
	}
	// what says the words itself first, then what agents' words lead to;
	// within each, this screen's before the ones below
	slices.SortStableFunc(p.shown, func(a, b entry) int {
		return cmp.Compare(rank(a, q), rank(b, q))
	})
	p.selected = min(p.selected, max(len(p.shown)-1, 0))
}

// rank orders a match: 0 when its description has q itself, 1 when
// only agents' words lead there.
func rank(e entry, q string) int {
	if q == "" || strings.Contains(strings.ToLower(e.b.Help().Desc), q) {
		return 0
	}
	return 1
}

// matches: every word of q is in the binding's description or is its
// key, or begins a word agents use for what the description says
// ("reset link" finds "send reset").
func matches(b key.Binding, q string) bool {
	if strings.Contains(strings.ToLower(b.Help().Desc), q) {
		return true
	}
	for _, w := range strings.Fields(q) {
		if !matchesWord(b, w) {
			return false
		}
	}
	return true
}

func matchesWord(b key.Binding, q string) bool {
	desc := strings.ToLower(b.Help().Desc)
	if strings.Contains(desc, q) || b.Help().Key == q {
		return true
	}
	for word, means := range agentWords {
		if strings.HasPrefix(word, q) && len(q) >= 3 || word == q {
			for _, m := range means {
				if strings.Contains(desc, m) {
					return true
				}
			}
		}
	}
	return false
}

// Init implements Screen.
func (p *Palette) Init() tea.Cmd { return textinput.Blink }

// Title implements Screen.
func (p *Palette) Title() string { return "Commands · " + p.title }

// CapturingInput: the palette's filter takes every key.
func (p *Palette) CapturingInput() bool { return true }

// Update implements Screen.
func (p *Palette) Update(msg tea.Msg) (Screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		var cmd tea.Cmd
		p.input, cmd = p.input.Update(msg)
		return p, cmd
	}
	switch k.Type {
	case tea.KeyEsc:
		return p, p.env.Pop()
	case tea.KeyUp:
		p.selected = max(p.selected-1, 0)
		return p, nil
	case tea.KeyDown:
		p.selected = min(p.selected+1, max(len(p.shown)-1, 0))
		return p, nil
	case tea.KeyEnter:
		if len(p.shown) == 0 {
			return p, nil
		}
		e := p.shown[p.selected]
		press, _ := pressOf(e.b.Keys()[0]) // ok: NewPalette kept only bindings it can press
		p.env.Pop()
		for range e.depth { // back to the screen the command is on, as esc would
			p.env.Pop()
		}
		return p, func() tea.Msg { return press }
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	p.filter()
	return p, cmd
}

// pressOf is the key press a binding's key name stands for: the one
// tea.KeyMsg a terminal sends for that key, so the screen below gets
// exactly what pressing it gives (ctrl+t is KeyCtrlT). The name's letters
// are never typed one by one: "ctrl+t" pressed c, t, r, l, +, t, and r
// opened Resets (issue 20). ok is false when no single press has the name.
func pressOf(name string) (press tea.KeyMsg, ok bool) {
	rest := name
	if r, alt := strings.CutPrefix(name, "alt+"); alt && r != "" {
		press.Alt, rest = true, r
	}
	if t, named := keyTypes[rest]; named {
		press.Type = t
		if t == tea.KeySpace {
			press.Runes = []rune{' '} // as the terminal's space arrives
		}
	} else if rs := []rune(rest); len(rs) == 1 && unicode.IsPrint(rs[0]) {
		press.Type, press.Runes = tea.KeyRunes, rs
	} else {
		return tea.KeyMsg{}, false
	}
	return press, press.String() == name
}

// keyTypes are Bubble Tea's key names and their types, read from
// KeyType.String once, so no name is spelt here.
var keyTypes = func() map[string]tea.KeyType {
	m := map[string]tea.KeyType{}
	for t := tea.KeyType(-512); t < 512; t++ {
		if n := t.String(); n != "" && t != tea.KeyRunes {
			if _, dup := m[n]; !dup {
				m[n] = t
			}
		}
	}
	return m
}()

// Commands are the palette's entries as filtered now, in order.
func (p *Palette) Commands() []key.Binding {
	out := make([]key.Binding, len(p.shown))
	for i, e := range p.shown {
		out[i] = e.b
	}
	return out
}

// View implements Screen.
func (p *Palette) View(width, height int) string {
	st := p.env.Styles
	p.input.Width = max(width-8, 1)
	var b strings.Builder
	b.WriteString(st.Input.Width(width-2).Render(p.input.View()) + "\n")
	if len(p.shown) == 0 {
		b.WriteString(st.Muted.Render("No command matches."))
	}
	// the rows the window has; when the list is longer, one tells what
	// is off it and the rows scroll to keep the selection in sight (the
	// list stopped at the window's foot, and enter ran an entry the agent
	// could not see: attack review, round 3)
	rows, top := max(height-4, 1), 0
	if len(p.shown) > rows {
		rows = max(rows-1, 1)
		top = min(max(p.selected-rows+1, 0), len(p.shown)-rows)
	}
	for i, e := range p.shown {
		if i < top {
			continue
		}
		if i >= top+rows {
			break
		}
		h := e.b.Help()
		desc := h.Desc
		if e.where != "" {
			desc += " · on " + e.where // esc goes back there first
		}
		line := "  " + Fit(desc, width-16) + " " + st.Key.Render(h.Key)
		if i == p.selected {
			line = st.Selected.Render(Pointer+" "+Fit(desc, width-16)+" "+h.Key) + ""
		}
		b.WriteString(line + "\n")
	}
	if above, below := top, len(p.shown)-top-rows; above > 0 || below > 0 {
		var more []string
		if above > 0 {
			more = append(more, fmt.Sprintf("↑ %d more", above))
		}
		if below > 0 {
			more = append(more, fmt.Sprintf("↓ %d more", below))
		}
		b.WriteString(st.Muted.Render(strings.Join(more, " · ")) + "\n")
	}
	return b.String()
}

// ShortHelp implements Screen.
func (p *Palette) ShortHelp() []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
	}
}

// FullHelp implements Screen.
func (p *Palette) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }
