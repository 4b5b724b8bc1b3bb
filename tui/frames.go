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

// FPS is the most frames a second a program draws. At Bubble Tea's
// default 60 a key and the search it starts could land in two frames
// 16 ms apart; at 120 a look-up answered within 8 ms is drawn in the
// same frame as the key's echo (issue 14, item 3). A frame is drawn only
// when the view changed, so an idle session costs nothing more.
const FPS = 120
