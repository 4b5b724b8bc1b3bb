package screens

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/model"
	"frontdoor/store"
)

// The look-up gives the name its room at 80 columns and shows the old
// address a caller gave, not the current one under "old:" (issue 22,
// item 11).
func TestLookupShowsWholeNamesAndTheOldAddress(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.typ("zoe")
	h.see("demo-")
	if f := stripSGR(h.frame()); !strings.Contains(f, "Zoë O'Brien-Núñez ") {
		t.Fatalf("the name was cut at 80 columns:\n%s", f)
	}
	h = start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.typ("dmoore@cityclinic.org")
	h.see("Daniel Moore")
	f := stripSGR(h.frame())
	if !strings.Contains(f, "old: d***e@cityclini") || strings.Contains(f, "old: d***e@mooremind") {
		t.Fatalf("old: did not show the old address:\n%s", f)
	}
}

// A revealed phone is written as it is read aloud, and a reset that
// sent nothing reads as two phrases (issue 22, item 11).
func TestRevealedPhoneAndUnsentReset(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 30)
	h.open("maria", "Maria Lopez")
	h.typ("v")
	h.see("Reveal personal details")
	h.typ("caller asked")
	h.key(tea.KeyEnter)
	h.see("Revealed on this screen")
	if f := stripSGR(h.frame()); !strings.Contains(f, "+1 212-555-0101") {
		t.Fatalf("revealed phone not formatted:\n%s", f)
	}

	env := newEnv(t, newStore(t), "sam", model.RoleAgent)
	at := now.Add(-time.Hour)
	rec := store.Record{Account: model.Account{ID: "x1", Name: "X", Role: model.RoleClient,
		Resets: []model.Reset{{ID: "r1", RequestedAt: &at, Status: model.ResetRequested}, {ID: "r2", RequestedAt: &now, SentAt: &now, Status: model.ResetSent}}}}
	v := stripSGR(NewResets(env, rec).View(80, 20))
	if !strings.Contains(v, "no email yet — a request that sent nothing") {
		t.Fatalf("timeline text runs on:\n%s", v)
	}
}

// After a new reset is sent, the old link is not shown as simply live:
// the screens say what to tell the caller, that the new link is on its
// way and the old one stops once it arrives (R3; issue 22, item 5).
func TestNewResetOnItsWay(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 40)
	h.open("sofia", "Sofia Rossi")
	h.typ("p")
	h.see("still works")
	h.key(tea.KeyEnter)
	h.see("Tick")
	h.typ(" ")
	h.key(tea.KeyTab)
	h.typ("caller deleted the email")
	h.key(tea.KeyEnter)
	h.see("Reset requested")
	f := stripSGR(h.frame())
	if strings.Contains(f, "● live link") || !strings.Contains(f, "works until the new link arrives") {
		t.Fatalf("Account: the old link still reads live:\n%s", f)
	}
	h = start(t, newEnv(t, h.env.Store, "sam", model.RoleAgent), 80, 40)
	h.open("sofia", "Sofia Rossi")
	h.typ("r")
	h.see("Links expire")
	f = stripSGR(h.frame())
	if !strings.Contains(f, "Tell the caller: a new link is on its way") || !strings.Contains(f, "once the newer request's email arrives") || strings.Contains(f, "only the newest link works") {
		t.Fatalf("Resets does not say what to tell the caller:\n%s", f)
	}
}

// One clock: the times an agent may read aloud are in the caller's zone,
// labelled, on Account, Resets and 2FA as on Diagnose, the header's
// clock too; z shows UTC instead, and back (DOMAIN §7; issue 22, item 4).
func TestTimesInTheCallersZone(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.open("tom.baker", "Tom Baker") // NY
	h.typ("r")
	h.see("requests in 24 h")
	h.typ("z")
	h.see("Times in UTC")
	f := stripSGR(h.frame())
	if !strings.Contains(f, "requested   09:10 UTC") || !strings.Contains(f, "09:30 UTC") {
		t.Fatalf("z did not show UTC:\n%s", f)
	}
	h = start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.open("tom.baker", "Tom Baker")
	h.typ("r")
	h.see("requests in 24 h")
	f = stripSGR(h.frame())
	if !strings.Contains(f, "requested   4:10 AM EST") || !strings.Contains(f, "caller 4:30 AM EST") || strings.Contains(f, " UTC") {
		t.Fatalf("times not in the caller's zone:\n%s", f)
	}
}

// The footer shows what this account needs now: on a suppressed
// account, lifting the suppression comes first, at 80 columns too (it
// had listed d r 2 p n, and at 80 columns only "d diagnose …") (issue
// 22, item 7).
func TestFooterLeadsWithWhatTheAccountNeeds(t *testing.T) {
	for name, want := range map[string]string{"Paul Green": "u lift suppression", "Amy Chen": "e resend verification"} {
		h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
		h.open(strings.ToLower(name), name)
		lines := strings.Split(stripSGR(h.frame()), "\n")
		if foot := lines[len(lines)-1]; !strings.HasPrefix(foot, "? help • esc back • "+want) {
			t.Errorf("%s: footer %q, want %s first", name, foot, want)
		}
	}
}

// The caller-verification checklist contradicts no screen: it does not
// ask for a detail the Account shows (the state), and the birth date it
// asks the lead to match is revealed inside it, audited, not by
// cancelling and starting over (issue 22, item 9).
func TestChecklistRevealsTheBirthDate(t *testing.T) {
	st := newStore(t)
	h := start(t, newEnv(t, st, "kay", model.RoleLead), 80, 30)
	h.open("ava patel", "Ava Patel")
	h.typ("2")
	h.see("Remembered devices")
	h.typ("g")
	h.see("Verify the caller")
	h.key(tea.KeyCtrlR)
	h.see("born 19")
	f := stripSGR(h.frame())
	if strings.Contains(f, "U.S. state") || strings.Contains(f, "born 19*") || !strings.Contains(f, "Verify the caller") {
		t.Fatalf("checklist:\n%s", f)
	}
	log, _ := st.AuditLog(store.AuditFilter{Account: "demo-015", Actions: []string{model.ActReveal}})
	if len(log) != 1 || !strings.Contains(log[0].Reason, "caller verification") {
		t.Fatalf("the reveal was not audited: %+v", log)
	}
}

// y copies the account's id, Y its email once revealed, on the agent's
// own clipboard (OSC 52), as steps are copied (issue 22, item 10).
func TestCopyAccountIDAndEmail(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 100, 30)
	h.open("james hill", "James Hill")
	h.typ("Y")
	h.see("reveal the email first")
	h.typ("y")
	h.see("copied to your clipboard")
	if f := h.frame(); !strings.Contains(f, "\x1b]52;c;"+base64.StdEncoding.EncodeToString([]byte("demo-006"))) {
		t.Fatalf("the id is not in the frame's OSC 52:\n%q", f)
	}
	h = start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 100, 30)
	h.open("james hill", "James Hill")
	h.typ("v")
	h.see("Reveal personal details")
	h.typ("caller asked")
	h.key(tea.KeyEnter)
	h.see("Revealed on this screen")
	h.typ("Y")
	h.see("Email copied")
	rec, _ := h.env.Store.Get("demo-006")
	if f := h.frame(); !strings.Contains(f, base64.StdEncoding.EncodeToString([]byte(rec.Account.Email))) {
		t.Fatalf("the email is not in the frame's OSC 52:\n%q", f)
	}
}

// The mouse wheel scrolls a long screen and moves the Lookup's choice,
// as in k9s and lazygit (issue 22, item 10).
func TestMouseWheelScrolls(t *testing.T) {
	wheel := func(h *harness, b tea.MouseButton, n int) {
		for range n {
			h.tm.Send(tea.MouseMsg{Button: b, Action: tea.MouseActionPress})
		}
	}
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 16)
	h.open("james hill", "James Hill")
	wheel(h, tea.MouseButtonWheelDown, 4)
	h.typ("z") // a key after the wheel: its frame shows where the wheel left it
	h.see("Times in UTC")
	f := stripSGR(h.frame())
	if lines := strings.Split(f, "\n"); strings.Contains(lines[1], "James Hill") || !strings.Contains(f, "Latest") {
		t.Fatalf("the wheel did not scroll the Account:\n%s", f)
	}

	h = start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.typ("m")
	h.see("Maria Lopez")
	wheel(h, tea.MouseButtonWheelDown, 3)
	wheel(h, tea.MouseButtonWheelUp, 1)
	h.key(tea.KeyEnter) // the third row: Rosa Martinez
	h.see("Latest sign-ins")
	if f := stripSGR(h.frame()); !strings.Contains(strings.Split(f, "\n")[0], "Rosa Martinez") {
		t.Fatalf("the wheel did not move the choice:\n%s", f)
	}
}

// A search counts matches up to its bound; past it the screen says
// "over", not a count that reads as exact (at 1M accounts "m" matched
// tens of thousands and the screen said "1980 more match").
func TestLookupSaysOverWhenCountingStopped(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var b strings.Builder
	for i := 1; i <= store.SearchBound+30; i++ {
		fmt.Fprintf(&b, `{"id":"acc_%05d","email":"user%d@example.com","name":"Pat Number%05d","role":"client","status":"active","created_at":"2026-01-01T00:00:00Z"}`+"\n", i, i, i)
	}
	if _, err := st.Import(strings.NewReader(b.String()), "test", store.Actor{Name: "t", Role: model.RoleAdmin}, now); err != nil {
		t.Fatal(err)
	}
	h := start(t, newEnv(t, st, "sam", model.RoleAgent), 100, 30)
	h.typ("pat")
	h.see(fmt.Sprintf("over %d more match", store.SearchBound-20))
	h.typ(" number001")
	h.see("80 more match") // Number00100–00199: a whole count
	if strings.Contains(stripSGR(h.frame()), "over") {
		t.Fatalf("a whole count said over:\n%s", stripSGR(h.frame()))
	}
}

// Past the first 20 results, ↓ at the last row (or pgdn) loads the next
// page and moves on into it (issue 22, item 10).
func TestLookupPagesPastTheFirstResults(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var b strings.Builder
	for i := 1; i <= 45; i++ {
		fmt.Fprintf(&b, `{"id":"acc_%04d","email":"user%d@example.com","name":"Pat Number%02d","role":"client","status":"active","created_at":"2026-01-01T00:00:00Z","email_verified_at":"2026-01-01T00:05:00Z"}`+"\n", i, i, i)
	}
	if _, err := st.Import(strings.NewReader(b.String()), "test", store.Actor{Name: "t", Role: model.RoleAdmin}, now); err != nil {
		t.Fatal(err)
	}
	h := start(t, newEnv(t, st, "sam", model.RoleAgent), 80, 30)
	h.typ("pat")
	h.see("25 more match")
	for range 20 {
		h.key(tea.KeyDown)
	}
	h.see("5 more match")
	h.key(tea.KeyEnter)
	h.see("Latest sign-ins")
	if f := stripSGR(h.frame()); !strings.Contains(strings.Split(f, "\n")[0], "Pat Number21") {
		t.Fatalf("↓ past the 20th did not reach the 21st:\n%s", f)
	}
}

// The empty box lists the accounts this agent opened last, in this
// session and the ones before, to jump back to; another agent's are not
// there (issue 22, item 10).
func TestRecentAccounts(t *testing.T) {
	st := newStore(t)
	h := start(t, newEnv(t, st, "sam", model.RoleAgent), 80, 24)
	h.open("james hill", "James Hill")
	h.key(tea.KeyEsc)
	h.see("Typing starts a new search")
	h.typ("maria")
	h.see("Maria Lopez")
	h.key(tea.KeyEnter)
	h.see("Latest sign-ins")
	h.frame()

	h = start(t, newEnv(t, st, "sam", model.RoleAgent), 80, 24) // the next session
	h.see("Your recent accounts")
	h.key(tea.KeyDown)
	h.key(tea.KeyEnter) // the second: James Hill
	h.see("Latest sign-ins")
	if f := stripSGR(h.frame()); !strings.Contains(strings.Split(f, "\n")[0], "James Hill") {
		t.Fatalf("the recent list did not open James Hill:\n%s", f)
	}
	h = start(t, newEnv(t, st, "ann", model.RoleAgent), 80, 24)
	h.see("Type the caller's name")
	if f := stripSGR(h.frame()); strings.Contains(f, "recent") {
		t.Fatalf("another agent's history shown:\n%s", f)
	}
}
