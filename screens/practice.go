package screens

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"frontdoor/model"
	"frontdoor/training"
	"frontdoor/tui"
)

// Practice is the training room's door: the scenario picker, and the
// practices open now, to watch. A trainer lands here; anyone opens it
// with the practice hotkey or from the palette.
type Practice struct {
	env      *tui.Env
	room     *training.Room
	selected int
	start    string // a scenario to start at once (ssh HOST practice NAME)
	desks    []*training.Desk
	gen      int // the tick chain that may refresh desks (practiceTick)
	keys     practiceKeys
}

type practiceKeys struct{ Up, Down, Start, Watch key.Binding }

// PracticeHotkey opens the picker from any live screen (issue 13: any
// role may practise).
func PracticeHotkey(env *tui.Env, room *training.Room) tui.Hotkey {
	return tui.Hotkey{Key: key.NewBinding(key.WithKeys("ctrl+t"), key.WithHelp("ctrl+t", "practice")), Title: practiceTitle,
		Open: func() tui.Screen { return NewPractice(env, room, "") }}
}

// NewPractice builds the picker; start names a scenario to open at once.
func NewPractice(env *tui.Env, room *training.Room, start string) *Practice {
	return &Practice{env: env, room: room, start: start, desks: room.Practising(), keys: practiceKeys{
		Up:    key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "previous")),
		Down:  key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "next")),
		Start: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start / watch")),
		Watch: key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "watch the selected practice")),
	}}
}

// practiceTick refreshes who is practising; gen names the tick chain,
// one at a time (Returned starts a new one).
type practiceTick struct {
	p   *Practice
	gen int
}

// Init starts the named scenario, if any, and the refresh of who is
// practising.
func (p *Practice) Init() tea.Cmd {
	cmds := []tea.Cmd{p.tick()}
	if p.start != "" {
		name := p.start
		p.start = ""
		sc, ok := p.room.Library.Find(name)
		if !ok {
			cmds = append(cmds, tui.ToastError(fmt.Errorf("no scenario %q: pick one from the list", name)))
		} else {
			cmds = append(cmds, p.begin(sc))
		}
	}
	return tea.Batch(cmds...)
}

func (p *Practice) tick() tea.Cmd {
	gen := p.gen
	return tui.Tick(p.env.Ctx, time.Second, func(time.Time) tea.Msg { return practiceTick{p, gen} })
}

// Returned implements tui.Returner: back from a practice, the list of
// who is practising is read at once and kept fresh again (its ticks
// had gone to the practice's screens, and it stood still: training
// review).
func (p *Practice) Returned() tea.Cmd {
	p.gen++ // a chain still running, if one is, ends at its next tick
	p.refresh()
	return p.tick()
}

// refresh reads who is practising, keeping the same row selected as
// practices open and close above it.
func (p *Practice) refresh() {
	n := len(p.desks)
	p.desks = p.room.Practising()
	p.selected = min(max(p.selected+len(p.desks)-n, 0), max(p.rows()-1, 0))
}

// Title implements tui.Screen.
func (p *Practice) Title() string { return practiceTitle }

const practiceTitle = "Practice · pick a scenario"

// rows: the practices open now (to watch), then the scenarios.
func (p *Practice) rows() int { return len(p.room.Library) + len(p.desks) }

// Update implements tui.Screen.
func (p *Practice) Update(msg tea.Msg) (tui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case practiceTick:
		if msg.p != p || msg.gen != p.gen {
			return p, nil
		}
		p.refresh()
		return p, p.tick()
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, p.keys.Up):
			p.selected = max(p.selected-1, 0)
		case key.Matches(msg, p.keys.Down):
			p.selected = min(p.selected+1, max(p.rows()-1, 0))
		case key.Matches(msg, p.keys.Start), key.Matches(msg, p.keys.Watch):
			if p.selected < len(p.desks) {
				return p, p.env.Push(NewWatch(p.env, p.room, p.desks[p.selected].Trainee))
			}
			if i := p.selected - len(p.desks); key.Matches(msg, p.keys.Start) && i < len(p.room.Library) {
				return p, p.begin(p.room.Library[i])
			}
		}
	}
	return p, nil
}

// begin opens a practice: a sandbox made from the scenario, a world of
// its own (its store, its fixed clock, the TRAINING badge) entered on the
// caller panel, and a desk in the room for watchers. The live store is
// reached once, when the practice ends: its score, through record.
func (p *Practice) begin(sc training.Scenario) tea.Cmd {
	live := p.env
	record := func(r training.Result) error {
		return live.Audit(training.ScoreAction, "", "", r.Details())
	}
	run, err := training.Start(sc, p.room.SandboxDir, live.Actor.Name, live.Clock, record)
	if err != nil {
		return tui.ToastError(fmt.Errorf("scenario %s: %w", sc.Name, err))
	}
	ctx, cancel := context.WithCancel(live.Ctx)
	desk := p.room.Sit(live.Actor.Name, sc.Name, live.Now())
	env := tui.NewEnv(ctx, run.Actor(), run.Sandbox.Store, live.Renderer)
	env.Mode, env.Policy, env.Keys = tui.Training, live.Policy, live.Keys
	env.Clock = func() time.Time { return sc.Now } // the scenario's time stands still: its findings do not drift
	env.IdleTimeout, env.MaxSession = live.IdleTimeout, live.MaxSession
	env.Publish, env.Watched = desk.Publish, desk.Watchers
	end := func() {
		desk.Leave()
		if !run.Finished() && run.Worked() {
			_, _ = run.Finish(training.EndedLeft) // what was tried stays in the report
		}
		_ = run.Close()
	}
	stop := context.AfterFunc(live.Ctx, end) // the session ended mid-practice
	env.OnLeave = func() {
		stop()
		cancel()
		end()
	}
	env.Hotkeys = []tui.Hotkey{{Key: key.NewBinding(key.WithKeys("ctrl+t"), key.WithHelp("ctrl+t", "caller")),
		Title: callerTitle(sc), Open: func() tui.Screen { return NewCaller(env, run) }}}
	return tui.Enter(env, NewCaller(env, run))
}

// View implements tui.Screen.
func (p *Practice) View(width, height int) string {
	st := p.env.Styles
	rows := make([][]string, 0, p.rows())
	now := p.env.Now()
	for _, d := range p.desks {
		rows = append(rows, []string{"▶ watch " + d.Trainee, "now", d.Scenario + " · since " + model.RelTime(d.Since, now)})
	}
	for _, sc := range p.room.Library {
		rows = append(rows, []string{sc.Name, sc.Difficulty, sc.Title})
	}
	intro := st.Muted.Render(tui.Clip("A scripted caller, the real screens, a sandbox: nothing here touches live data.", width))
	// the selected call as the caller puts it: the situation, never the
	// finding it teaches, which is the answer and waits for the debrief
	caller := ""
	if i := p.selected - len(p.desks); i >= 0 && i < len(p.room.Library) {
		sc := p.room.Library[i]
		lines := strings.Split(tui.Hang("☎ ", sc.Caller.Name+": “"+sc.Caller.Opening+"”", width), "\n")
		if len(lines) > callerLines {
			lines = lines[:callerLines]
			lines[callerLines-1] = tui.Clip(lines[callerLines-1]+" …", width)
		}
		caller = strings.Join(lines, "\n")
	}
	head := intro + "\n" + caller
	cols := []tui.Column{tui.Col("scenario", 26), tui.Col("level", 6), tui.Col("the call", 0)}
	return head + "\n\n" + tui.Table(st, cols, rows, p.selected, width, height-lipgloss.Height(head)-1)
}

// callerLines: the most lines the selected caller's words take above the
// list.
const callerLines = 3

// ShortHelp implements tui.Screen.
func (p *Practice) ShortHelp() []key.Binding {
	return []key.Binding{p.keys.Start, p.keys.Up, p.keys.Down}
}

// FullHelp implements tui.Screen.
func (p *Practice) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.keys.Up, p.keys.Down, p.keys.Start, p.keys.Watch}}
}
