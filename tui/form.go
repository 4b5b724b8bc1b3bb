package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
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
	// Detail is what the checks are checked against (the name and birth
	// date on file), shown above them; an action may change it.
	Detail []string
	// Actions are keys the form takes besides its own (not printable ones:
	// typing goes to the text field), e.g. revealing the birth date the
	// checklist asks about without leaving it.
	Actions []FormAction
	// Submit turns the answers into the action. The form closes first, so
	// the action's result lands on the screen below.
	Submit func(r FormResult) tea.Cmd
}

// FormAction is a key a form takes that changes what it shows: Do
// returns the new Detail, or an error the form shows.
type FormAction struct {
	Key key.Binding
	Do  func() (detail []string, err error)
}

// FormResult is what the user answered.
type FormResult struct {
	Ticked []bool
	How    []string // how each tick was made ("space"), "" where not ticked
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
	how    []string // how each box was ticked, for the audit
	focus  int      // 0..len(checks)-1 the boxes, len(checks) the text field
	input  textinput.Model
	err    string
	keys   formKeys
}

type formKeys struct{ Next, Prev, Toggle, Submit, Cancel key.Binding }

// NewForm builds a dialog.
func NewForm(env *Env, spec FormSpec) *Form {
	in := NewTextInput()
	in.CharLimit = 500
	in.Prompt = ""
	in.PromptStyle = env.Styles.Key
	f := &Form{env: env, spec: spec, ticked: make([]bool, len(spec.Checks)), how: make([]string, len(spec.Checks)), input: in,
		keys: formKeys{
			Next: key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next")),
			Prev: key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous")),
			// space alone ticks: a letter ticked the check under the focus
			// while a lead typed what they took for the reason (issue 20)
			Toggle: key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "tick")),
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
	for _, a := range f.spec.Actions {
		if key.Matches(k, a.Key) {
			detail, err := a.Do()
			if err != nil {
				f.err = err.Error()
				return f, nil
			}
			f.spec.Detail, f.err = detail, ""
			return f, nil
		}
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
		f.how[f.focus] = ""
		if f.ticked[f.focus] {
			f.how[f.focus] = "space"
		}
		f.err = ""
		return f, nil
	case !f.onText() && typed(k):
		// text typed on a check is the reason the user meant to write:
		// it goes there, never lost and never a tick
		if f.spec.TextLabel == "" {
			f.err = "Space ticks the check under " + Pointer + "."
			return f, nil
		}
		f.focus = len(f.spec.Checks)
		f.input.Focus()
	}
	if f.onText() {
		var cmd tea.Cmd
		f.input, cmd = f.input.Update(msg)
		f.err = ""
		return f, cmd
	}
	return f, nil
}

// typed: k is text (a printable key or a paste), not a command.
func typed(k tea.KeyMsg) bool {
	return k.Type == tea.KeyRunes && !k.Alt || k.Type == tea.KeySpace && k.Paste
}

func (f *Form) submit() (Screen, tea.Cmd) {
	r := FormResult{Ticked: append([]bool(nil), f.ticked...), How: append([]string(nil), f.how...), Text: strings.TrimSpace(f.input.Value())}
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
	if f.env.Health != nil {
		if h, _ := f.env.Health(); h.Down != nil {
			// kept open with what was typed: the action would fail at once,
			// and the agent retyped the reason and the checks after it
			// (newcomer walkthrough)
			f.err = "STORE DOWN: nothing sent. Enter again once it is back."
			return f, nil
		}
	}
	f.env.Pop() // close first, so the action's result lands on the screen below
	return f, f.spec.Submit(r)
}

// View implements Screen. What the agent must fill in — the checks, the
// text box, the error — is always shown; in a window too short for the
// whole form the explanation above it is cut, with a line saying so (at
// 60×20 the required reason box fell below the window, and enter sent
// a reason never seen: newcomer walkthrough).
func (f *Form) View(width, height int) string {
	st := f.env.Styles
	// lipgloss Width counts padding, not the border: the box is outer+2
	// wide on screen and holds outer-2 cells of text.
	outer := min(width-2, 80)
	w := outer - 2
	// the effect and warnings, then what the checks are checked against
	var effect, detail []string
	for _, l := range f.spec.Lines {
		effect = append(effect, strings.Split(wrap(l, w), "\n")...)
	}
	for _, l := range f.spec.Detail {
		detail = append(detail, strings.Split(wrap(l, w), "\n")...)
	}
	var b strings.Builder
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
			// how the reason is reached from the checks, in no key at all
			hint := "space ticks the check at " + Pointer + "; typing goes to " + strings.ToLower(f.spec.TextLabel)
			if f.onText() {
				// no check has the pointer now: space is typed (newcomer
				// walkthrough: the hint sent them looking for it)
				hint = "↑ or shift+tab back to the checks (space ticks there)"
			}
			b.WriteString(st.Muted.Render(Clip(hint, w)) + "\n")
		}
		b.WriteString(st.Label.Render(label) + "\n" + st.Input.Width(w-2).Render(f.input.View()) + "\n")
	}
	if f.err != "" {
		b.WriteString(st.Bad.Render(wrap(f.err, w)) + "\n") // read whole: it says what to do
	}
	title := st.Title.Render(Clip(f.spec.Title, w)) + "\n\n"
	controls := strings.TrimRight(b.String(), "\n")
	// the box's border and padding, the title and its blank line, the
	// controls, and a blank line before them and between the parts
	room := height - (lipgloss.Height(st.Box.Render("x")) - 1) - 2 - lipgloss.Height(controls) - 1
	avail := room // for both parts and the blank between them
	if len(effect) > 0 && len(detail) > 0 {
		room--
	}
	if len(effect)+len(detail) > max(room, 0) {
		// the effect is cut first: the detail is what the checks ask about
		cut := st.Muted.Render(Clip("… (cut to fit: a taller window shows it all)", w))
		keep := max(room-len(detail)-1, 0)
		if keep > 0 && keep < len(effect) {
			effect = append(effect[:keep:keep], cut)
		} else if keep == 0 {
			effect = []string{cut}
			if len(detail) > room-1 { // the cut line takes one (the blank after it is counted)
				detail = detail[:max(room-1, 0)]
			}
		}
	}
	var lines []string
	for _, part := range [][]string{effect, detail} {
		if len(part) > 0 {
			if len(lines) > 0 {
				lines = append(lines, "")
			}
			lines = append(lines, part...)
		}
	}
	if len(lines) > max(avail, 0) {
		lines = lines[:max(avail, 0)] // the cut line may have added a blank
	}
	body := title
	if len(lines) > 0 {
		body += strings.Join(lines, "\n") + "\n\n"
	}
	return st.Box.Width(outer).Render(strings.TrimRight(body+controls, "\n"))
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
	for _, a := range f.spec.Actions {
		keys = append(keys, a.Key)
	}
	return keys
}

// FullHelp implements Screen.
func (f *Form) FullHelp() [][]key.Binding {
	own := []key.Binding{f.keys.Submit, f.keys.Cancel, f.keys.Next, f.keys.Prev, f.keys.Toggle}
	for _, a := range f.spec.Actions {
		own = append(own, a.Key)
	}
	return [][]key.Binding{own}
}
