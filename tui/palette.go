package tui

import (
	"strings"

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
		press := pressOf(p.shown[p.selected].Keys()[0])
		p.env.Pop()
		return p, func() tea.Msg { return press }
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	p.filter()
	return p, cmd
}

// pressOf is the key press a binding's key name stands for.
func pressOf(name string) tea.KeyMsg {
	for t, n := range map[tea.KeyType]string{tea.KeyEnter: "enter", tea.KeyEsc: "esc", tea.KeyUp: "up", tea.KeyDown: "down",
		tea.KeyTab: "tab", tea.KeyPgUp: "pgup", tea.KeyPgDown: "pgdown", tea.KeySpace: " ", tea.KeyCtrlD: "ctrl+d",
		tea.KeyCtrlN: "ctrl+n", tea.KeyCtrlP: "ctrl+p", tea.KeyShiftTab: "shift+tab"} {
		if n == name {
			return tea.KeyMsg{Type: t}
		}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
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
