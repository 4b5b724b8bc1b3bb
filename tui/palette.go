package tui

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// Palette lists the screen's own key bindings, searchable by what they
// do; choosing one presses its key on the screen below. Built from the
// same bindings as help, it can never offer what the keys do not.
type Palette struct {
	env      *Env
	title    string
	all      []key.Binding
	shown    []key.Binding
	input    textinput.Model
	selected int
}

// NewPalette builds a palette over bindings (disabled ones are left out).
func NewPalette(env *Env, title string, groups [][]key.Binding) *Palette {
	in := textinput.New()
	in.Prompt = ": "
	in.PromptStyle = env.Styles.Key
	in.Placeholder = "what do you want to do?"
	in.Focus()
	p := &Palette{env: env, title: title, input: in}
	seen := map[string]bool{}
	for _, g := range groups {
		for _, b := range g {
			h := b.Help()
			if !b.Enabled() || h.Desc == "" || len(b.Keys()) == 0 || seen[h.Desc] {
				continue
			}
			if press, ok := pressOf(b.Keys()[0]); !ok || !key.Matches(press, b) {
				continue // a key no single press gives cannot be run from here
			}
			seen[h.Desc] = true
			p.all = append(p.all, b)
		}
	}
	p.filter()
	return p
}

// agentWords are the words agents type for what the bindings call by
// another name: "unsubscribe" finds "lift suppression".
var agentWords = map[string][]string{
	"unsubscribe": {"suppression"}, "unsubscribed": {"suppression"}, "suppressed": {"suppression"},
	"exempt": {"exemption"}, "verification": {"verif"}, "verify": {"verif"}, "confirm": {"verif"},
	"password": {"reset"}, "forgot": {"reset"}, "link": {"reset"},
	"2fa": {"2fa", "factor", "exemption", "recovery"}, "mfa": {"2fa", "factor", "exemption", "recovery"},
	"phone": {"2fa", "factor"}, "code": {"recovery", "2fa"}, "device": {"device"},
	"quit": {"quit"}, "exit": {"quit"}, "logout": {"quit"}, "leave": {"quit", "back"},
	"unmask": {"reveal"}, "show": {"reveal"}, "pii": {"reveal"}, "audit": {"history"}, "log": {"history"},
	"comment": {"note"}, "why": {"diagnose"}, "troubleshoot": {"diagnose"}, "timeline": {"reset"},
}

func (p *Palette) filter() {
	q := strings.ToLower(strings.TrimSpace(p.input.Value()))
	p.shown = p.shown[:0]
	for _, b := range p.all {
		if q == "" || matches(b, q) {
			p.shown = append(p.shown, b)
		}
	}
	p.selected = min(p.selected, max(len(p.shown)-1, 0))
}

// matches: the binding's description or key has q, or q begins a word
// agents use for what the description says.
func matches(b key.Binding, q string) bool {
	desc := strings.ToLower(b.Help().Desc)
	if strings.Contains(desc, q) || strings.Contains(b.Help().Key, q) {
		return true
	}
	for word, means := range agentWords {
		if strings.HasPrefix(word, q) && len(q) >= 3 {
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
		press, _ := pressOf(p.shown[p.selected].Keys()[0]) // ok: NewPalette kept only bindings it can press
		p.env.Pop()
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
func (p *Palette) Commands() []key.Binding { return p.shown }

// View implements Screen.
func (p *Palette) View(width, height int) string {
	st := p.env.Styles
	p.input.Width = max(width-8, 1)
	var b strings.Builder
	b.WriteString(st.Input.Width(width-2).Render(p.input.View()) + "\n")
	if len(p.shown) == 0 {
		b.WriteString(st.Muted.Render("No command matches."))
	}
	for i, k := range p.shown {
		if i >= height-4 {
			break
		}
		h := k.Help()
		line := "  " + Fit(h.Desc, width-16) + " " + st.Key.Render(h.Key)
		if i == p.selected {
			line = st.Selected.Render(Pointer+" "+Fit(h.Desc, width-16)+" "+h.Key) + ""
		}
		b.WriteString(line + "\n")
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
