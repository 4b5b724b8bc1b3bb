package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds the keys every screen shares. Screens declare their own
// bindings the same way; help is generated from both.
type KeyMap struct {
	Quit, ForceQuit, Help, Back, Palette key.Binding
}

// DefaultKeys is the shell's key map.
func DefaultKeys() KeyMap {
	return KeyMap{
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Palette:   key.NewBinding(key.WithKeys(":", "ctrl+k"), key.WithHelp(":", "commands")),
	}
}
