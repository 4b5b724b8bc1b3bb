package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// Check is one tick box on a form.
type Check struct {
	Label    string
	Required bool // the form cannot be sent without it
}

// FormSpec describes a dialog: what it will do, what must be ticked, and
// whether a reason (or any text) is needed. Every confirm dialog, reason
// prompt and checklist in the console is one of these.
type FormSpec struct {
	Title     string
	Lines     []string // the effect, warnings: our own text, shown as is
	Checks    []Check
	MinChecks int    // at least this many ticked
	TextLabel string // "" for no text field
	TextNeed  bool   // the text must not be empty
	Confirm   string // the confirm key's description, e.g. "send reset"
	// Submit turns the answers into the action. The form closes first, so
	// the action's result lands on the screen below.
	Submit func(r FormResult) tea.Cmd
}

// FormResult is what the user answered.
type FormResult struct {
	Ticked []bool
	Text   string
}

// Count says how many boxes were ticked.
func (r FormResult) Count() int {
	n := 0
	for _, t := range r.Ticked {
		if t {
			n++
		}
	}
	return n
}

// Form is the dialog screen for a FormSpec.
type Form struct {
	env    *Env
	spec   FormSpec
	ticked []bool
	focus  int // 0..len(checks)-1 the boxes, len(checks) the text field
	input  textinput.Model
	err    string
	keys   formKeys
}

type formKeys struct{ Next, Prev, Toggle, Submit, Cancel key.Binding }

// NewForm builds a dialog.
func NewForm(env *Env, spec FormSpec) *Form {
	in := textinput.New()
	in.CharLimit = 500
	in.Prompt = ""
	in.PromptStyle = env.Styles.Key
	f := &Form{env: env, spec: spec, ticked: make([]bool, len(spec.Checks)), input: in,
		keys: formKeys{
			Next:   key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next")),
			Prev:   key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous")),
			Toggle: key.NewBinding(key.WithKeys(" ", "x"), key.WithHelp("space", "tick")),
			Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", orDefault(spec.Confirm, "confirm"))),
			Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}}
	if len(spec.Checks) == 0 && spec.TextLabel != "" {
		f.input.Focus()
	}
	return f
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Init implements Screen.
func (f *Form) Init() tea.Cmd { return textinput.Blink }

// Title implements Screen.
func (f *Form) Title() string { return f.spec.Title }

// CapturingInput: a dialog takes every key; esc cancels it.
func (f *Form) CapturingInput() bool { return true }

func (f *Form) onText() bool { return f.spec.TextLabel != "" && f.focus == len(f.spec.Checks) }

func (f *Form) fields() int {
	n := len(f.spec.Checks)
	if f.spec.TextLabel != "" {
		n++
	}
	return n
}

func (f *Form) move(d int) {
	if f.fields() == 0 {
		return
	}
	f.focus = (f.focus + d + f.fields()) % f.fields()
	if f.onText() {
		f.input.Focus()
	} else {
		f.input.Blur()
	}
}

// Update implements Screen.
func (f *Form) Update(msg tea.Msg) (Screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		var cmd tea.Cmd
		f.input, cmd = f.input.Update(msg)
		return f, cmd
	}
	switch {
	case key.Matches(k, f.keys.Cancel):
		return f, f.env.Pop()
	case key.Matches(k, f.keys.Submit):
		return f.submit()
	case key.Matches(k, f.keys.Next):
		f.move(1)
		return f, nil
	case key.Matches(k, f.keys.Prev):
		f.move(-1)
		return f, nil
	case !f.onText() && key.Matches(k, f.keys.Toggle) && f.focus < len(f.ticked):
		f.ticked[f.focus] = !f.ticked[f.focus]
		f.err = ""
		return f, nil
	}
	if f.onText() {
		var cmd tea.Cmd
		f.input, cmd = f.input.Update(msg)
		f.err = ""
		return f, cmd
	}
	return f, nil
}

func (f *Form) submit() (Screen, tea.Cmd) {
	r := FormResult{Ticked: append([]bool(nil), f.ticked...), Text: strings.TrimSpace(f.input.Value())}
	for i, c := range f.spec.Checks {
		if c.Required && !f.ticked[i] {
			f.err = "Tick “" + c.Label + "” first."
			return f, nil
		}
	}
	if r.Count() < f.spec.MinChecks {
		f.err = "Tick at least " + strconv.Itoa(f.spec.MinChecks) + " of the checks."
		return f, nil
	}
	if f.spec.TextNeed && r.Text == "" {
		f.err = f.spec.TextLabel + " is required."
		if !f.onText() {
			f.focus = len(f.spec.Checks)
			f.input.Focus()
		}
		return f, nil
	}
	f.env.Pop() // close first, so the action's result lands on the screen below
	return f, f.spec.Submit(r)
}

// View implements Screen.
func (f *Form) View(width, height int) string {
	st := f.env.Styles
	// lipgloss Width counts padding, not the border: the box is outer+2
	// wide on screen and holds outer-2 cells of text.
	outer := min(width-2, 80)
	w := outer - 2
	var b strings.Builder
	b.WriteString(st.Title.Render(Clip(f.spec.Title, w)) + "\n\n")
	for _, l := range f.spec.Lines {
		b.WriteString(wrap(l, w) + "\n")
	}
	if len(f.spec.Lines) > 0 {
		b.WriteString("\n")
	}
	for i, c := range f.spec.Checks {
		box := "[ ] "
		if f.ticked[i] {
			box = "[x] "
		}
		line := "  " + box + Clip(c.Label, w-6)
		if f.focus == i {
			line = st.Selected.Render(Pointer + " " + box + Clip(c.Label, w-6))
		}
		b.WriteString(line + "\n")
	}
	if f.spec.TextLabel != "" {
		label := f.spec.TextLabel + " (optional)"
		if f.spec.TextNeed {
			label = f.spec.TextLabel + " (required)"
		}
		f.input.Width = max(w-6, 1) // inside the field's own border and padding, and the cursor
		if len(f.spec.Checks) > 0 {
			b.WriteString("\n")
		}
		b.WriteString(st.Label.Render(label) + "\n" + st.Input.Width(w-2).Render(f.input.View()) + "\n")
	}
	if f.err != "" {
		b.WriteString(st.Bad.Render(Clip(f.err, w)) + "\n")
	}
	return st.Box.Width(outer).Render(strings.TrimRight(b.String(), "\n"))
}

// ShortHelp implements Screen.
func (f *Form) ShortHelp() []key.Binding {
	keys := []key.Binding{f.keys.Submit, f.keys.Cancel}
	if f.fields() > 1 {
		keys = append(keys, f.keys.Next)
	}
	if len(f.spec.Checks) > 0 {
		keys = append(keys, f.keys.Toggle)
	}
	return keys
}

// FullHelp implements Screen.
func (f *Form) FullHelp() [][]key.Binding {
	return [][]key.Binding{{f.keys.Submit, f.keys.Cancel, f.keys.Next, f.keys.Prev, f.keys.Toggle}}
}
