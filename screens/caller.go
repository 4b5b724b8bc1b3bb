package screens

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/training"
	"frontdoor/tui"
)

// Caller is the caller panel of a practice: what the caller said first,
// the questions an agent may ask and the answers given so far, hints,
// and "done". The trainee works the call on the real screens (l opens
// Lookup) and comes back here with ctrl+t.
type Caller struct {
	env       *tui.Env
	run       *training.Run
	selected  int
	answers   map[string]string
	hint      string
	scroll    tui.Scroller
	keys      callerKeys
	ending    bool // D pressed once: the next D ends the call
	hintTaken bool // the last key took a hint: View shows it, not the question
	follow    bool // View keeps the selection in sight (not after a page key)
	leaving   bool // esc pressed once: the next esc leaves (recorded as left, if worked on)
}

type callerKeys struct{ Up, Down, Ask, Lookup, Hint, Done, Leave key.Binding }

// NewCaller builds the caller panel over a practice.
func NewCaller(env *tui.Env, run *training.Run) *Caller {
	c := &Caller{env: env, run: run, answers: map[string]string{}, scroll: tui.NewScroller(), follow: true, keys: callerKeys{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "previous question")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "next question")),
		Ask:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ask")),
		Lookup: key.NewBinding(key.WithKeys("l", "/"), key.WithHelp("l", "look up the account")),
		Hint:   key.NewBinding(key.WithKeys("h"), key.WithHelp("h", fmt.Sprintf("hint (−%d)", training.CostHint))),
		Done:   key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "done: end the call and score it")),
		// the shell's back key (remapped with it): the caller panel is the
		// practice's first screen, where back has nowhere else to go
		Leave: key.NewBinding(key.WithKeys(env.Keys.Back.Keys()...), key.WithHelp(env.Keys.Back.Help().Key, "leave (recorded as left)")),
	}}
	for _, q := range training.Questions { // a panel opened again shows what was asked already
		if run.Asked(q.Key) {
			c.answers[q.Key], _ = run.Ask(q.Key)
		}
	}
	if h := run.HintsGiven(); len(h) > 0 {
		c.hint = h[len(h)-1]
	}
	c.scroll.Choosing = true // the arrows choose a question; the page keys scroll
	return c
}

// Init implements tui.Screen.
func (c *Caller) Init() tea.Cmd { return nil }

// Title implements tui.Screen.
func (c *Caller) Title() string { return callerTitle(c.run.Scenario) }

func callerTitle(sc training.Scenario) string { return "Caller · " + sc.Title }

// Update implements tui.Screen.
func (c *Caller) Update(msg tea.Msg) (tui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tui.AccountChangedMsg:
		// the trainee acted in the sandbox: the expected action ends the call
		if !c.run.Finished() && c.run.ExpectedTaken() {
			return c, c.finish("expected action taken")
		}
	case tea.KeyMsg:
		confirming, leaving := c.ending, c.leaving
		c.ending, c.leaving = false, false
		// the view follows the selection (or the hint just taken) until
		// the page keys scroll it elsewhere
		c.hintTaken, c.follow = false, true
		switch {
		case key.Matches(msg, c.keys.Leave):
			if !leaving {
				c.leaving = true
				return c, tui.Toast("Press " + c.keys.Leave.Help().Key + " again to leave the practice (recorded as left, with what you did); any other key goes on.")
			}
			return c, tui.Leave // OnLeave records what was done as left, and deletes the sandbox
		case key.Matches(msg, c.keys.Up):
			c.selected = max(c.selected-1, 0)
		case key.Matches(msg, c.keys.Down):
			c.selected = min(c.selected+1, len(training.Questions)-1)
		case key.Matches(msg, c.keys.Ask):
			return c, c.ask(c.selected)
		case len(msg.Runes) == 1 && msg.Runes[0] >= '1' && msg.Runes[0] <= '9':
			return c, c.ask(int(msg.Runes[0] - '1'))
		case key.Matches(msg, c.keys.Lookup):
			return c, c.env.Push(NewLookup(c.env))
		case key.Matches(msg, c.keys.Hint):
			h, _, ok := c.run.Hint()
			if !ok {
				return c, tui.Toast("No more hints for this call.")
			}
			c.hint, c.hintTaken = h, true
		case key.Matches(msg, c.keys.Done):
			if !confirming {
				// one D scores the call for good: a slip of the shift key
				// cost a trainee the scenario (newcomer walkthrough)
				c.ending = true
				return c, tui.Toast("Press D again to end the call and score it; any other key goes on.")
			}
			return c, c.finish("done")
		default:
			if c.scroll.Update(msg) {
				c.follow = false
			}
		}
	}
	return c, nil
}

func (c *Caller) ask(i int) tea.Cmd {
	if i < 0 || i >= len(training.Questions) {
		return nil
	}
	c.selected = i
	q := training.Questions[i]
	a, err := c.run.Ask(q.Key)
	if err != nil {
		return tui.ToastError(err)
	}
	c.answers[q.Key] = a
	return nil
}

// finish scores the practice and shows the debrief.
func (c *Caller) finish(ended string) tea.Cmd {
	res, err := c.run.Finish(ended)
	return c.env.Push(NewDebrief(c.env, c.run, res, err))
}

// View implements tui.Screen.
func (c *Caller) View(width, height int) string {
	st := c.env.Styles
	sc := c.run.Scenario
	var b []string
	b = append(b, st.Title.Render(tui.Clip("☎ "+sc.Caller.Name, width)))
	// one line an entry, up to the keep range: b's index is the line's
	b = append(b, strings.Split(tui.Hang("  ", "“"+sc.Caller.Opening+"”", width), "\n")...)
	b = append(b, "", st.Label.Render("Ask the caller"))
	keepFrom, keepTo := 0, 0 // the selected question and its answer, kept in sight
	for i, q := range training.Questions {
		if i == c.selected {
			keepFrom = len(b)
		}
		mark := "  "
		line := fmt.Sprintf("%d %s", i+1, q.Ask)
		if i == c.selected {
			mark = tui.Pointer + " "
		}
		l := tui.Clip(mark+line, width)
		if i == c.selected {
			l = st.Selected.Render(l)
		}
		b = append(b, l)
		if a, ok := c.answers[q.Key]; ok {
			if i == c.selected { // the selected answer whole; the others on one line each
				b = append(b, strings.Split(st.Good.Render(tui.Hang("    ", "“"+a+"”", width)), "\n")...)
			} else {
				b = append(b, st.Good.Render(tui.Clip("    “"+tui.Sanitize(a)+"”", width)))
			}
		}
		if i == c.selected {
			keepTo = len(b) - 1
		}
	}
	b = append(b, "")
	used := len(c.run.HintsGiven())
	hintLine := fmt.Sprintf("Hints: %d of %d used", used, len(sc.Hints))
	b = append(b, st.Label.Render(tui.Clip(hintLine, width)))
	if c.hint != "" {
		from := len(b)
		b = append(b, strings.Split(st.Warn.Render(tui.Hang("  ", c.hint, width)), "\n")...)
		if c.hintTaken { // a hint just taken (and paid for) is shown, not left below
			keepFrom, keepTo = from, len(b)-1
		}
	}
	if len(b)+3 <= height {
		b = append(b, "", st.Muted.Render(tui.Hang("", "Work the call on the real screens: l looks up the account; ctrl+t comes back here. D, pressed twice, ends the call and scores it; "+c.keys.Leave.Help().Key+", twice, leaves it (recorded as left).", width)))
	}
	if c.follow {
		c.scroll.Keep(keepFrom, keepTo)
	}
	return c.scroll.View(strings.Join(b, "\n"), width, height)
}

// ShortHelp implements tui.Screen.
func (c *Caller) ShortHelp() []key.Binding {
	return []key.Binding{c.keys.Ask, c.keys.Lookup, c.keys.Hint, c.keys.Done, c.keys.Leave}
}

// FullHelp implements tui.Screen.
func (c *Caller) FullHelp() [][]key.Binding {
	return [][]key.Binding{{c.keys.Up, c.keys.Down, c.keys.Ask}, {c.keys.Lookup, c.keys.Hint, c.keys.Done, c.keys.Leave}, c.scroll.PageBindings()}
}
