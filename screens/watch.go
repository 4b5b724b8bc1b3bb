package screens

import (
	"context"
	"errors"
	"fmt"
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
	// alone: the session's only screen (ssh -t HOST watch NAME), where
	// stopping has nothing to go back to and ends the session
	alone bool
}

type watchKeys struct{ Leave, Help, Palette key.Binding }

type (
	watchFrameMsg struct{ w *Watch }
	watchRetryMsg struct{ w *Watch }
)

// MayWatch: the roles that may watch a practice (trainers, and the leads
// and admins who coach).
func MayWatch(role string) bool {
	return role == model.RoleTrainer || role == model.RoleLead || role == model.RoleAdmin
}

// NewWatch builds the Watch screen for trainee's practice, opened over
// another screen (the picker's practices): stopping goes back to it.
func NewWatch(env *tui.Env, room *training.Room, trainee string) *Watch {
	return newWatch(env, room, trainee, false)
}

// NewWatchSession builds the Watch screen a session starts on (ssh -t
// HOST watch NAME): stopping ends the session, as its footer says.
func NewWatchSession(env *tui.Env, room *training.Room, trainee string) *Watch {
	return newWatch(env, room, trainee, true)
}

func newWatch(env *tui.Env, room *training.Room, trainee string, alone bool) *Watch {
	// the watch takes every key (nothing typed may reach the trainee, and
	// the shell's back would drop it still sitting in): it answers the
	// shell's own keys itself, as the shell would
	k := env.Keys
	leave := "stop watching"
	if alone {
		leave = "stop watching and log off"
	}
	keys := append(append([]string{}, k.Back.Keys()...), k.Quit.Keys()...)
	return &Watch{env: env, room: room, trainee: trainee, stop: func() {}, alone: alone, keys: watchKeys{
		Leave:   key.NewBinding(key.WithKeys(keys...), key.WithHelp(k.Back.Help().Key, leave)),
		Help:    k.Help,
		Palette: k.Palette,
	}}
}

// Init starts watching.
func (w *Watch) Init() tea.Cmd { return w.join() }

// join sits in on the trainee's practice, or waits a second for it.
func (w *Watch) join() tea.Cmd {
	if !MayWatch(w.env.Actor.Role) {
		w.status = "Watching a practice is for trainers, leads and admins."
		return nil
	}
	if _, err := w.env.Store.User(w.trainee); err != nil {
		// no one of that name can start a practice: waiting would be forever
		w.status = "No user is called " + w.trainee + ": there is no practice of theirs to watch."
		return nil
	}
	d, stop, err := w.room.Watch(w.trainee, w.env.Actor.Name)
	if err != nil {
		if errors.Is(err, training.ErrNotPractising) {
			w.status = w.trainee + " is not practising now. Waiting for them to start a practice…"
		} else {
			w.status = err.Error()
			return nil
		}
		return tui.Tick(w.env.Ctx, time.Second, func(time.Time) tea.Msg { return watchRetryMsg{w} })
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
// watching (and are not taken by the shell, so the watch ends cleanly);
// ? and : open help and the palette as the shell's would.
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
			return w, tui.Tick(w.env.Ctx, time.Second, func(time.Time) tea.Msg { return watchRetryMsg{w} })
		}
		return w, w.next()
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, w.keys.Leave):
			w.stop()
			w.desk = nil
			if w.alone {
				return w, func() tea.Msg { return tui.QuitMsg{Reason: "Stopped watching " + w.trainee + "."} }
			}
			return w, w.env.Pop()
		case key.Matches(msg, w.keys.Help):
			return w, tui.ShowHelp
		case key.Matches(msg, w.keys.Palette):
			return w, w.env.Push(tui.NewPalette(w.env, w.Title(), w.FullHelp()))
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
	wide := 0
	for _, l := range lines {
		wide = max(wide, tui.Width(l))
	}
	if wide > width || len(lines) > height {
		// the trainee's window is larger: say so on the last row rather
		// than cut their screen with nothing to tell it is cut
		lines = lines[:min(len(lines), max(height-1, 0))]
		lines = append(lines, st.Warn.Render(tui.Clip(fmt.Sprintf("%s's screen is %d×%d: this window shows its top left; a larger one shows it all", w.trainee, wide, len(strings.Split(w.frame, "\n"))), width)))
	}
	return strings.Join(lines, "\n")
}

// ShortHelp implements tui.Screen: the shell's help and palette too,
// which it leaves out of the footer of a screen that takes every key.
func (w *Watch) ShortHelp() []key.Binding {
	return []key.Binding{w.keys.Help, w.keys.Palette, w.keys.Leave}
}

// FullHelp implements tui.Screen.
func (w *Watch) FullHelp() [][]key.Binding {
	return [][]key.Binding{{w.keys.Leave, w.keys.Help, w.keys.Palette}}
}
