package tui

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Tick is tea.Tick that gives up when ctx (the session's) ends. A
// program's tea.Tick outlives the program: its goroutine waits for the
// timer, holding the whole session (screens, results, styles) until it
// fires — up to a minute for the shell's clock. A floor of 300 sessions
// reconnecting left 600 goroutines and their sessions behind for that
// minute (issue 23).
func Tick(ctx context.Context, d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case at := <-t.C:
			return fn(at)
		case <-ctx.Done():
			return nil
		}
	}
}
