package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// ctrl+v in a console text box starts nothing on the server: no command
// (bubbles' would read the server's clipboard), and the box is unchanged.
// A bracketed paste from the agent's terminal still lands.
func TestTextInputReadsNoServerClipboard(t *testing.T) {
	in := NewTextInput()
	in.Focus()
	in.SetValue("ab")
	in, cmd := in.Update(tea.KeyMsg{Type: tea.KeyCtrlV})
	if cmd != nil {
		t.Fatalf("ctrl+v returned a command (%T): the server's clipboard would be read", cmd())
	}
	if got := in.Value(); got != "ab" {
		t.Fatalf("ctrl+v changed the box to %q", got)
	}
	in, _ = in.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("cd"), Paste: true})
	if got := in.Value(); got != "abcd" {
		t.Fatalf("a bracketed paste gave %q, want %q", got, "abcd")
	}
}
