package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// TimeFrames wraps a program's model so that each message's Update and
// the View Bubble Tea draws right after it are timed together and told to
// observe: what one frame costs the server (frontdoor_frame_duration_seconds).
func TimeFrames(m tea.Model, observe func(time.Duration)) tea.Model {
	if observe == nil {
		return m
	}
	return &timedModel{Model: m, observe: observe}
}

type timedModel struct {
	tea.Model
	observe func(time.Duration)
	start   time.Time
}

func (t *timedModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	t.start = time.Now()
	m, cmd := t.Model.Update(msg)
	t.Model = m
	return t, cmd
}

func (t *timedModel) View() string {
	v := t.Model.View()
	if !t.start.IsZero() {
		t.observe(time.Since(t.start))
		t.start = time.Time{}
	}
	return v
}

// FPS is the most frames a second a program draws. Programs run with
// tea.WithFramesOnChange (third_party/bubbletea/FRONTDOOR.md): a frame
// is written as soon as the view changes, a key's echo at once, and the
// next no sooner than 1/FPS after it, so a look-up answered within 8 ms
// lands in the frame after the echo; an idle session wakes for nothing
// (issue 23: upstream's ticker woke each session 120 times a second).
const FPS = 120
