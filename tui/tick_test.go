package tui

import (
	"context"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// A session's tick ends with the session, not when its timer would have
// fired (an hour here); until then it fires as tea.Tick does.
func TestTickEndsWithTheSession(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan tea.Msg, 1)
	go func() { got <- Tick(ctx, time.Hour, func(time.Time) tea.Msg { return "fired" })() }()
	cancel()
	select {
	case m := <-got:
		if m != nil {
			t.Fatalf("a tick of an ended session gave %v", m)
		}
	case <-time.After(10 * time.Second): // a liveness bound, not a timing
		t.Fatal("the tick outlived its session")
	}
	if m := Tick(context.Background(), time.Millisecond, func(time.Time) tea.Msg { return "fired" })(); m != "fired" {
		t.Fatalf("a tick gave %v", m)
	}
}
