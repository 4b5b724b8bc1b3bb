package screens

import (
	"context"
	"io"
	"strings"
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

// No screen's frame shows an escape sequence as text, at any colour
// profile: a styled string passed through the sanitiser prints its own
// colour codes escaped (issue 12: the TwoFA risk lines showed
// \x1b[38;5;179m). Every screen, every demo account, 256 colours, 16
// colours and none.
func TestNoVisibleEscapesAtAnyProfile(t *testing.T) {
	st := newStore(t)
	accs, _ := demo.Data(now)
	for _, profile := range []termenv.Profile{termenv.ANSI256, termenv.ANSI, termenv.Ascii} {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(profile)
		env := tui.NewEnv(context.Background(), store.Actor{Name: "kay", Role: model.RoleLead}, st, r)
		env.Clock = func() time.Time { return now }
		for _, a := range accs {
			rec, err := st.Get(a.ID)
			if err != nil {
				t.Fatal(err)
			}
			screens := map[string]tui.Screen{
				"Account":  NewAccount(env, rec),
				"Resets":   NewResets(env, rec),
				"TwoFA":    NewTwoFA(env, rec),
				"History":  NewHistory(env, rec.Account),
				"Diagnose": NewDiagnose(env, &rec.Account, rec.Account.Email, false),
			}
			for name, s := range screens {
				s.Init()
				frame := s.View(100, 60)
				if i := strings.Index(frame, `\x1b`); i >= 0 {
					t.Fatalf("%s of %s at profile %d shows an escape as text: …%s…", name, a.ID, profile, frame[max(i-40, 0):min(i+40, len(frame))])
				}
				if profile == termenv.Ascii && strings.Contains(frame, "\x1b") {
					t.Fatalf("%s of %s with no colour emits an escape", name, a.ID)
				}
			}
		}
	}
}

// What the sanitiser would escape never reaches a text box: a paste of
// a bidi override, an escape and a bell into the search box searches
// for the rest, and the frame carries none of them raw (the box drew
// its value as typed: attack review, round 3).
func TestAPasteOfControlsNeverReachesTheBox(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("mar\u202eia\x1b\a lo\u2066pez\u0085"), Paste: true})
	h.see("Maria Lopez")
	f := h.frame()
	for _, bad := range []string{"\u202e", "\u2066", "\x1b\a", "\a", "\u0085"} {
		if strings.Contains(f, bad) {
			t.Errorf("%q reached the frame raw:\n%q", bad, f)
		}
	}
	if !strings.Contains(f, "Find: maria lopez") {
		t.Errorf("the box does not hold what was pasted, less the controls:\n%s", f)
	}
}
