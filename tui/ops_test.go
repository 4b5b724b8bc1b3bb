package tui

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// resumable is a page that counts being on top again.
type resumable struct {
	page
	resumed int
}

func (r *resumable) Resume() tea.Cmd { r.resumed++; return nil }
func (r *resumable) Update(msg tea.Msg) (Screen, tea.Cmd) {
	_, cmd := r.page.Update(msg)
	return r, cmd
}

// TestResumeAfterPaletteAndBack: a screen under the palette, or under a
// screen closed with esc, is told it is on top again (the Ops screen
// restarts its refresh on it).
func TestResumeAfterPaletteAndBack(t *testing.T) {
	env, _ := testEnv(t)
	first := &resumable{page: page{name: "first", env: env}}
	first.next = &page{name: "second", env: env}
	a := NewApp(env, first)
	a.Update(keyMsg(":"))
	if _, ok := a.top().(*Palette); !ok {
		t.Fatalf("the palette did not open: %T", a.top())
	}
	a.Update(keyMsg("esc"))
	if a.top() != Screen(first) || first.resumed != 1 {
		t.Fatalf("after the palette: top %T, resumed %d", a.top(), first.resumed)
	}
	a.Update(keyMsg("enter")) // opens second
	a.Update(keyMsg("esc"))   // back
	if a.top() != Screen(first) || first.resumed != 2 {
		t.Fatalf("after back: top %T, resumed %d", a.top(), first.resumed)
	}
}

// TestTimeFramesTimesUpdateAndView: one observation per message, when
// the View after its Update is drawn.
func TestTimeFramesTimesUpdateAndView(t *testing.T) {
	env, _ := testEnv(t)
	var seen []time.Duration
	m := TimeFrames(NewApp(env, &page{name: "p", env: env}), func(d time.Duration) { seen = append(seen, d) })
	m.View() // the first frame has no message before it
	for range 3 {
		m, _ = m.Update(keyMsg("x"))
		m.View()
	}
	if len(seen) != 3 {
		t.Fatalf("%d frames timed, want 3", len(seen))
	}
	if _, ok := m.(*timedModel); !ok {
		t.Fatalf("Update returned %T, not the timing wrapper", m)
	}
}
