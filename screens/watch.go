package screens

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/model"
	"frontdoor/training"
	"frontdoor/tui"
)

// Watch follows a trainee's practice live, read-only: the trainee's
// screen as they see it, redrawn as it changes. The trainee's header says
// who is watching. Waits for the trainee when they are not practising yet.
type Watch struct {
	env     *tui.Env
	room    *training.Room
	trainee string
	desk    *training.Desk
	stop    func()
	frame   string
	status  string
	keys    watchKeys
}

type watchKeys struct{ Leave key.Binding }

type (
	watchFrameMsg struct{ w *Watch }
	watchRetryMsg struct{ w *Watch }
)

// MayWatch: the roles that may watch a practice (trainers, and the leads
// and admins who coach).
func MayWatch(role string) bool {
	return role == model.RoleTrainer || role == model.RoleLead || role == model.RoleAdmin
}

// NewWatch builds the Watch screen for trainee's practice.
func NewWatch(env *tui.Env, room *training.Room, trainee string) *Watch {
	return &Watch{env: env, room: room, trainee: trainee, stop: func() {},
		keys: watchKeys{Leave: key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "stop watching"))}}
}

// Init starts watching.
func (w *Watch) Init() tea.Cmd { return w.join() }

// join sits in on the trainee's practice, or waits a second for it.
func (w *Watch) join() tea.Cmd {
	if !MayWatch(w.env.Actor.Role) {
		w.status = "Watching a practice is for trainers, leads and admins."
		return nil
	}
	d, stop, err := w.room.Watch(w.trainee, w.env.Actor.Name)
	if err != nil {
		if errors.Is(err, training.ErrNotPractising) {
			w.status = "Waiting for " + w.trainee + " to start a practice…"
		} else {
			w.status = err.Error()
			return nil
		}
		return tea.Tick(time.Second, func(time.Time) tea.Msg { return watchRetryMsg{w} })
	}
	w.desk, w.stop = d, stop
	context.AfterFunc(w.env.Ctx, stop) // the watcher's session ended
	w.status = ""
	return w.next()
}

// next waits for the trainee's next frame.
func (w *Watch) next() tea.Cmd {
	_, changed, ended := w.desk.Frame()
	if ended {
		return nil
	}
	done := w.env.Ctx.Done()
	return func() tea.Msg {
		select {
		case <-changed:
			return watchFrameMsg{w}
		case <-done:
			return nil
		}
	}
}

// Title implements tui.Screen.
func (w *Watch) Title() string {
	if w.desk != nil {
		return "Watching " + w.trainee + " · " + w.desk.Scenario + " · read-only"
	}
	return "Watching " + w.trainee
}

// CapturingInput: nothing typed reaches the trainee; esc and q stop
// watching (and are not taken by the shell, so the watch ends cleanly).
func (w *Watch) CapturingInput() bool { return true }

// Update implements tui.Screen.
func (w *Watch) Update(msg tea.Msg) (tui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case watchRetryMsg:
		if msg.w == w && w.desk == nil {
			return w, w.join()
		}
	case watchFrameMsg:
		if msg.w != w || w.desk == nil {
			return w, nil
		}
		frame, _, ended := w.desk.Frame()
		w.frame = frame
		if ended {
			w.stop()
			w.desk, w.frame = nil, ""
			w.status = w.trainee + "'s practice has ended. Waiting for the next one…"
			return w, tea.Tick(time.Second, func(time.Time) tea.Msg { return watchRetryMsg{w} })
		}
		return w, w.next()
	case tea.KeyMsg:
		if key.Matches(msg, w.keys.Leave) {
			w.stop()
			w.desk = nil
			return w, w.env.Pop()
		}
	}
	return w, nil
}

// View implements tui.Screen: the trainee's frame, cut to this window.
func (w *Watch) View(width, height int) string {
	st := w.env.Styles
	if w.desk == nil || w.frame == "" {
		status := w.status
		if status == "" {
			status = "Waiting for " + w.trainee + "'s screen…"
		}
		return st.Muted.Render(tui.Hang("", status, width))
	}
	lines := strings.Split(w.frame, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	return strings.Join(lines, "\n")
}

// ShortHelp implements tui.Screen.
func (w *Watch) ShortHelp() []key.Binding { return []key.Binding{w.keys.Leave} }

// FullHelp implements tui.Screen.
func (w *Watch) FullHelp() [][]key.Binding { return [][]key.Binding{{w.keys.Leave}} }
