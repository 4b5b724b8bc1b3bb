package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// A scrolling body says when there is more below its edge, and stops
// saying it at the bottom.
func TestScrollerSaysMoreBelow(t *testing.T) {
	s := NewScroller()
	content := strings.TrimSpace(strings.Repeat("line\n", 10))
	if v := s.View(content, 40, 5); !strings.Contains(v, "more below") {
		t.Fatalf("no sign of more below:\n%s", v)
	}
	s.Update(tea.KeyMsg{Type: tea.KeyPgDown})
	s.Update(tea.KeyMsg{Type: tea.KeyPgDown})
	if v := s.View(content, 40, 5); strings.Contains(v, "more below") {
		t.Fatalf("at the bottom, still more below:\n%s", v)
	}
	v := s.View("short", 40, 5)
	if strings.Contains(v, "more below") {
		t.Fatal("content that fits says more below")
	}
	if v != "short\n\n\n\n" {
		t.Fatalf("lines padded with spaces: %q", v)
	}
}
