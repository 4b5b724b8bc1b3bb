package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

func TestLoadKeys(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "keys.json")
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	if k, err := LoadKeys(filepath.Join(dir, "none.json")); err != nil || !key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}, k.Quit) {
		t.Fatalf("no file: %v", err)
	}
	k, err := LoadKeys(write(`{"quit": ["Q"], "email.send_reset": ["P", "ctrl+r"], "back": ["esc", "ctrl+b"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("Q")}, k.Quit) || key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}, k.Quit) {
		t.Fatal("quit not remapped to Q")
	}
	b := k.Bind("email.send_reset", "send reset", "p")
	if b.Help().Key != "P" || !key.Matches(tea.KeyMsg{Type: tea.KeyCtrlR}, b) {
		t.Fatalf("send reset: %+v", b.Keys())
	}
	for _, c := range []struct{ file, want string }{
		{`{"nope": ["x"]}`, `"nope": not a binding`},
		{`{"diagnose.sites": ["x"]}`, `not a binding`},
		{`{"quit": ["ctrl+c"]}`, "ctrl+c always quits"},
		{`{"email.send_reset": ["d"]}`, `both take "d" on the account screen`},
		{`{"twofa.grant": ["j"]}`, `both take "j" on the twofa screen`},
		{`{"quit": []}`, "at least one key"},
		// keys no keys.json moves: help showed the binding, the key did
		// the fixed thing (attack review, round 3)
		{`{"zone": ["ctrl+t"]}`, `"ctrl+t" is a fixed key (it opens Practice)`},
		{`{"quit": ["enter"]}`, `"enter" is a fixed key`},
		{`{"email.add_note": ["down"]}`, `"down" is a fixed key`},
		{`{"palette": ["ctrl+u"]}`, `both take "ctrl+u" on the lookup screen`},
		{`{"lookup.box": ["x"]}`, `not a binding`},
		{`[1]`, "want {"},
	} {
		if _, err := LoadKeys(write(c.file)); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "keys.json") {
			t.Errorf("%s: %v, want %q naming the file", c.file, err, c.want)
		}
	}
}
