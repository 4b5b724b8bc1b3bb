package tui

import (
	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
)

// NewTextInput is every text box of the console: a textinput without
// its paste key and with a steady cursor.
//
// Paste (ctrl+v) in bubbles' textinput reads the clipboard of the
// machine the program runs on, by running xclip, xsel or wl-paste: over
// SSH that is the server's clipboard, not the agent's, and a process
// started on the server for every ctrl+v a remote user sends. An agent
// pastes with their own terminal (bracketed paste), which needs no key.
//
// A blinking cursor redraws the box twice a second in every idle
// session, and each blink is bytes down every agent's link.
func NewTextInput() textinput.Model {
	in := textinput.New()
	in.KeyMap.Paste.SetEnabled(false)
	in.Cursor.SetMode(cursor.CursorStatic)
	return in
}
