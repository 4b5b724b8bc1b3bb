package screens

import (
	"context"
	"io"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"frontdoor/demo"
	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// BenchmarkLookupKeystroke is what a key typed in the Lookup costs the
// server besides the search's own look-up: the update, the search's
// answer taken in, and the frame drawn twice (the echo, then the
// results), as a session on a 256-colour terminal draws it at 80×24.
// One op is one key of typing "maria" and clearing it.
func BenchmarkLookupKeystroke(b *testing.B) {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	accs, _ := demo.Data(now)
	if err := st.SeedDemo(accs, now); err != nil {
		b.Fatal(err)
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	env := tui.NewEnv(context.Background(), store.Actor{Name: "sam", Role: model.RoleAgent}, st, r)
	env.Clock = func() time.Time { return now }
	var app tea.Model = tui.NewApp(env, NewLookup(env))
	app, _ = app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	var run func(cmd tea.Cmd)
	run = func(cmd tea.Cmd) {
		if cmd == nil {
			return
		}
		switch m := cmd().(type) {
		case tea.BatchMsg:
			for _, c := range m {
				run(c)
			}
		case tui.Addressed:
			var next tea.Cmd
			app, next = app.Update(m)
			run(next)
		}
	}
	keys := []tea.KeyMsg{}
	for _, c := range "maria" {
		keys = append(keys, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{c}})
	}
	for range 5 {
		keys = append(keys, tea.KeyMsg{Type: tea.KeyBackspace})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		var cmd tea.Cmd
		app, cmd = app.Update(keys[i%len(keys)])
		_ = app.View() // the echo
		run(cmd)
		_ = app.View() // the results
	}
}
