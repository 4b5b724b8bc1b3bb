package screens

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/model"
	"frontdoor/training"
	"frontdoor/tui"
)

// Debrief ends a practice: the score and what made it, then the case as
// the ladder explains it (the rung, the rule ids, the evidence and the
// steps), like a flight simulator's debrief. Leaving it leaves the
// practice (its sandbox is deleted) and returns to the picker.
type Debrief struct {
	env      *tui.Env
	res      training.Result
	err      error
	sc       training.Scenario
	findings []model.Finding
	scroll   tui.Scroller
	keys     debriefKeys
}

type debriefKeys struct{ Leave key.Binding }

// NewDebrief builds the debrief of a finished practice; err says the
// score could not be recorded.
func NewDebrief(env *tui.Env, run *training.Run, res training.Result, err error) *Debrief {
	return &Debrief{env: env, res: res, err: err, sc: run.Scenario, findings: run.Explain(env.Policy), scroll: tui.NewScroller(),
		keys: debriefKeys{Leave: key.NewBinding(key.WithKeys("enter", "esc", "q"), key.WithHelp("enter", "leave the practice"))}}
}

// Init implements tui.Screen.
func (d *Debrief) Init() tea.Cmd { return nil }

// Title implements tui.Screen.
func (d *Debrief) Title() string { return "Debrief · " + d.sc.Title }

// CapturingInput: every key is the debrief's; esc and q leave the
// practice rather than going back into a call that has ended.
func (d *Debrief) CapturingInput() bool { return true }

// Update implements tui.Screen.
func (d *Debrief) Update(msg tea.Msg) (tui.Screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		if key.Matches(k, d.keys.Leave) {
			return d, tui.Leave
		}
		d.scroll.Update(k)
	}
	return d, nil
}

// View implements tui.Screen.
func (d *Debrief) View(width, height int) string {
	st, r := d.env.Styles, d.res
	mark := func(ok bool) string {
		if ok {
			return st.Good.Render("✓")
		}
		return st.Bad.Render("✗")
	}
	var b []string
	b = append(b, st.Title.Render(fmt.Sprintf("Score %d / %d", r.Score, training.MaxScore))+st.Muted.Render(fmt.Sprintf("   %s · took %s", r.Ended, r.Took)))
	if d.err != nil {
		b = append(b, st.Bad.Render(tui.Hang("", d.err.Error(), width)))
	}
	b = append(b, "")
	if r.NothingDone {
		b = append(b, tui.Hang(mark(false)+" ", "Nothing was done on this call: no diagnosis, no action. Nothing to score.", width))
	}
	yours := "you ran no diagnosis."
	if r.FirstFinding != "" {
		yours = "your first diagnosis led with " + r.FirstFinding + "."
	}
	findingMark := mark(r.RightFinding)
	if r.RightFinding && r.WrongDiagnoses > 0 {
		findingMark = st.Warn.Render("~") // reached, not first: the line below says what it cost
	}
	b = append(b, tui.Hang(findingMark+" ", fmt.Sprintf("Finding: the call leads with %s (rung %d); %s",
		d.sc.Expect.Finding, training.Rung(d.sc.Expect.Finding), yours), width))
	if r.WrongDiagnoses > 0 {
		b = append(b, tui.Hang(mark(false)+" ", fmt.Sprintf("%d diagnosis(es) led elsewhere first (−%d each).", r.WrongDiagnoses, training.CostWrongDiagnosis), width))
	}
	want := "no action: the steps are the answer"
	if len(d.sc.Expect.Actions) > 0 {
		want = strings.Join(d.sc.Expect.Actions, ", ")
	}
	taken := "none"
	if len(r.Taken) > 0 {
		taken = strings.Join(r.Taken, ", ")
	}
	b = append(b, tui.Hang(mark(r.RightActions)+" ", "Action: expected "+want+"; you took "+taken+".", width))
	if len(r.WrongActions) == 0 && !r.NothingDone { // no points for no work
		b = append(b, mark(true)+" No wrong action.")
	}
	for _, w := range r.WrongActions {
		b = append(b, tui.Hang(mark(false)+" ", "Wrong: "+w, width))
	}
	if r.Hints > 0 {
		used := fmt.Sprintf("%d hints used (−%d each).", r.Hints, training.CostHint)
		if r.Hints == 1 {
			used = fmt.Sprintf("1 hint used (−%d).", training.CostHint)
		}
		b = append(b, tui.Hang(st.Warn.Render("•")+" ", used, width))
	}
	b = append(b, "", st.Label.Render("The case"))
	for i, f := range d.findings {
		head := fmt.Sprintf("rung %d · %s", training.Rung(f.Code), f.Code)
		if len(f.Rules) > 0 {
			head += " · " + strings.Join(f.Rules, ", ")
		}
		if i == 0 {
			b = append(b, st.Title.Render(tui.Clip(head, width)), tui.Hang("  ", f.Title, width))
			for _, e := range f.Evidence {
				b = append(b, st.Muted.Render(tui.Hang("  · ", e, width)))
			}
			for n, s := range f.Steps {
				b = append(b, tui.Hang(fmt.Sprintf("  %d. ", n+1), s, width))
			}
			if len(d.findings) > 1 {
				b = append(b, st.Label.Render("  Also held, lower on the ladder:"))
			}
			continue
		}
		b = append(b, st.Muted.Render(tui.Clip("  "+head, width)))
	}
	if d.sc.Debrief != "" {
		b = append(b, "", tui.Hang(st.Label.Render("Why ")+"", d.sc.Debrief, width))
	}
	return d.scroll.View(strings.Join(b, "\n"), width, height)
}

// ShortHelp implements tui.Screen.
func (d *Debrief) ShortHelp() []key.Binding {
	return append([]key.Binding{d.keys.Leave}, d.scroll.PageBindings()...)
}

// FullHelp implements tui.Screen.
func (d *Debrief) FullHelp() [][]key.Binding {
	return [][]key.Binding{{d.keys.Leave}, d.scroll.Bindings()}
}
