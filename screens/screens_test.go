package screens

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"frontdoor/demo"
	"frontdoor/internal/corpus"
	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

var now = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	accs, _ := demo.Data(now)
	if err := st.SeedDemo(accs, now); err != nil {
		t.Fatal(err)
	}
	return st
}

func newEnv(t *testing.T, st *store.Store, name, role string) *tui.Env {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	env := tui.NewEnv(ctx, store.Actor{Name: name, Role: role}, st, r)
	env.Clock = func() time.Time { return now }
	return env
}

type harness struct {
	t   *testing.T
	tm  *teatest.TestModel
	env *tui.Env
}

func start(t *testing.T, env *tui.Env, w, h int) *harness {
	t.Helper()
	app := tui.NewApp(env, NewLookup(env))
	tm := teatest.NewTestModel(t, app, teatest.WithInitialTermSize(w, h))
	t.Cleanup(func() { tm.Quit() })
	return &harness{t: t, tm: tm, env: env}
}

// see waits until the screen shows want.
func (h *harness) see(want string) {
	h.t.Helper()
	teatest.WaitFor(h.t, h.tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
		teatest.WithDuration(3*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func (h *harness) typ(s string) { h.tm.Type(s) }

func (h *harness) key(k tea.KeyType) { h.tm.Send(tea.KeyMsg{Type: k}) }

// frame ends the program and returns its last frame.
func (h *harness) frame() string {
	h.t.Helper()
	h.tm.Quit()
	return h.tm.FinalModel(h.t, teatest.WithFinalTimeout(3*time.Second)).View()
}

func (h *harness) open(query, name string) {
	h.t.Helper()
	h.typ(query)
	h.see(name)
	h.key(tea.KeyEnter)
	h.see("Latest sign-ins")
}

func TestLookupGolden(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.typ("m")
	h.see("Maria Lopez")
	golden.RequireEqual(t, []byte(h.frame()))
}

func TestLookupNoMatchOffersDiagnosis(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.typ("someone@example.org")
	h.see("diagnose this email anyway")
	h.key(tea.KeyEnter)
	h.see("Ask the caller")
	h.key(tea.KeyEnter)
	h.see("no_account")
}

func TestAccountGolden(t *testing.T) {
	st := newStore(t)
	h := start(t, newEnv(t, st, "sam", model.RoleAgent), 80, 24)
	h.open("james hill", "James Hill")
	golden.RequireEqual(t, []byte(h.frame()))
	log, _ := st.AuditLog(store.AuditFilter{Account: "demo-006"})
	if len(log) == 0 || log[0].Action != "lookup" || log[0].Actor != "sam" {
		t.Fatalf("opening an account was not audited: %+v", log)
	}
}

func TestDiagnoseGolden(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.diagnoseSofia()
	golden.RequireEqual(t, []byte(h.frame()))
}

// diagnoseSofia diagnoses Sofia Rossi's reset link that failed on the
// patient portal: its lead finding is reset_link_superseded.
func (h *harness) diagnoseSofia() {
	h.t.Helper()
	h.open("sofia", "Sofia Rossi")
	h.typ("d")
	h.see("Ask the caller")
	h.typ("1k")
	h.key(tea.KeyEnter)
	h.see("reset_link_superseded")
}

// The interview asks before it answers: where the account's evidence
// points, the answer is pre-selected and says why (issue 12).
func TestDiagnoseInterviewGolden(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.open("james hill", "James Hill")
	h.typ("d")
	h.see("from the sign-in history")
	golden.RequireEqual(t, []byte(h.frame()))
}

func TestResetsGolden(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.open("tom.baker", "Tom Baker")
	h.typ("r")
	h.see("requests in 24 h")
	golden.RequireEqual(t, []byte(h.frame()))
}

func TestTwoFAGolden(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "kay", model.RoleLead), 80, 40)
	h.open("claire", "Claire Dubois")
	h.typ("2")
	h.see("Remembered devices")
	golden.RequireEqual(t, []byte(h.frame()))
}

// TestTwoFAOffersWhatApplies: the Actions list says why an action the
// model would refuse is not available (rule M7), and the footer offers
// the exemption key that applies — grant, or revoke while one runs —
// not one that would only be refused.
func TestTwoFAOffersWhatApplies(t *testing.T) {
	st := newStore(t)
	env := newEnv(t, st, "kay", model.RoleLead)
	footer := func(s *TwoFA) string {
		var ks []string
		for _, b := range s.ShortHelp() {
			ks = append(ks, b.Help().Desc)
		}
		return strings.Join(ks, ", ")
	}
	client, err := st.ByEmail("tom.baker@verizon.net")
	if err != nil {
		t.Fatal(err)
	}
	s := NewTwoFA(env, client)
	if body := s.View(100, 80); !strings.Contains(body, "grant exemption — exemptions are for providers (M7)") {
		t.Errorf("a client's 2FA screen does not say why no exemption:\n%s", body)
	}
	if f := footer(s); strings.Contains(f, "exemption") {
		t.Errorf("a client's footer offers %q", f)
	}

	provider, err := st.ByEmail("dr.claire.dubois@duboiscounsel.com")
	if err != nil {
		t.Fatal(err)
	}
	if f := footer(NewTwoFA(env, provider)); !strings.Contains(f, "grant exemption") {
		t.Errorf("an active provider's footer does not offer the exemption: %q", f)
	}
	until := now.Add(time.Hour)
	provider.Account.MFAExemption = &model.Exemption{GrantedAt: &now, ExpiresAt: &until, GrantedBy: "kay", Reason: "phone lost"}
	s = NewTwoFA(env, provider)
	if f := footer(s); strings.Contains(f, "grant exemption") || !strings.Contains(f, "revoke exemption") {
		t.Errorf("with an exemption running, the footer offers %q, want revoke and not grant", f)
	}
	if body := s.View(100, 80); !strings.Contains(body, "already active: it ends in") {
		t.Errorf("with an exemption running, the Actions list does not say so:\n%s", body)
	}
}

// TestChangingProblemReordersFindings: the same account leads with a
// different finding per problem.
func TestChangingProblemReordersFindings(t *testing.T) {
	st := newStore(t)
	env := newEnv(t, st, "sam", model.RoleAgent)
	rec, _ := st.ByEmail("dr.james.hill@hillcounseling.com")
	d := NewDiagnose(env, &rec.Account, rec.Account.Email, false)
	d.Init()
	if log, _ := st.AuditLog(store.AuditFilter{Account: rec.Account.ID}); len(log) != 0 {
		t.Fatalf("a diagnosis was audited (so shown) before the caller was asked: %+v", log)
	}
	d.Update(tea.KeyMsg{Type: tea.KeyEnter}) // the caller answered
	firstOf := func(keys string) string {
		for _, r := range keys {
			d.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		}
		return d.findings[0].Code
	}
	if got := firstOf("1l"); got != "wrong_portal" {
		t.Fatalf("patient/can't log in: %s", got)
	}
	if got := firstOf("2x"); got != "mfa_recovery_code" {
		t.Fatalf("provider/lost 2FA: %s", got)
	}
	if got := firstOf("o"); got != "mfa_sms_filtered" {
		t.Fatalf("provider/no code: %s", got)
	}
	if got := firstOf("a"); got != "mfa_phone_abroad" {
		t.Fatalf("abroad: %s", got)
	}
	if !strings.Contains(d.StepsText(), "US (+1)") {
		t.Fatalf("copied steps: %q", d.StepsText())
	}
	log, _ := st.AuditLog(store.AuditFilter{Account: rec.Account.ID})
	if len(log) < 4 || log[0].Details["top"] != "mfa_phone_abroad" {
		t.Fatalf("diagnoses not audited: %+v", log)
	}
}

func TestSmallAndOddSizes(t *testing.T) {
	env := newEnv(t, newStore(t), "sam", model.RoleAgent)
	app := tui.NewApp(env, NewLookup(env))
	for _, sz := range [][2]int{{1, 1}, {20, 5}, {59, 24}, {80, 15}, {0, 0}, {500, 200}, {60, 16}} {
		app.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		v := app.View()
		w, h := sz[0], sz[1]
		if w == 0 { // 0×0 is ignored: the last real size stands
			continue
		}
		if lipgloss.Width(v) > w || lipgloss.Height(v) > h {
			t.Fatalf("%dx%d: frame is %dx%d", w, h, lipgloss.Width(v), lipgloss.Height(v))
		}
		small := w < tui.MinWidth || h < tui.MinHeight
		if small != strings.Contains(v, "too small") && w >= 20 {
			t.Fatalf("%dx%d: too-small view = %v:\n%s", w, h, !small, v)
		}
	}
}

// TestNaughtyNamesKeepTheLayout: hostile account text never breaks a frame.
func TestNaughtyNamesKeepTheLayout(t *testing.T) {
	st := newStore(t)
	env := newEnv(t, st, "sam", model.RoleAgent)
	for i, s := range corpus.Naughty(t) {
		if i%7 != 0 || strings.TrimSpace(s) == "" { // a spread, to keep the test quick
			continue
		}
		rec, _ := st.Get("demo-001")
		rec.Account.Name = s
		rec.Account.Notes = []model.Note{{At: &now, By: s, Text: s}}
		for _, scr := range []tui.Screen{NewAccount(env, rec), NewResets(env, rec), NewTwoFA(env, rec), NewDiagnose(env, &rec.Account, s, false)} {
			app := tui.NewApp(env, scr)
			app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			v := app.View()
			if lipgloss.Height(v) != 24 || lipgloss.Width(v) > 80 {
				t.Fatalf("name %q: %T frame is %dx%d", s, scr, lipgloss.Width(v), lipgloss.Height(v))
			}
			if strings.ContainsAny(strings.ReplaceAll(stripSGR(v), "\n", ""), "\x1b\x07\u202e\u009b") {
				t.Fatalf("name %q: control characters reached the frame", s)
			}
		}
	}
}

func TestHistoryShowsColleaguesActions(t *testing.T) {
	h, _ := colleaguesResetInHistory(t, 80, 24)
	golden.RequireEqual(t, []byte(h.frame()))
}

// colleaguesResetInHistory is sam's History of Noah Kim, in a window of
// width × height, after ann sent him a reset at the time it returns.
func colleaguesResetInHistory(t *testing.T, width, height int) (*harness, time.Time) {
	t.Helper()
	st := newStore(t)
	ann := newEnv(t, st, "ann", model.RoleAgent)
	rec, _ := st.ByEmail("noah.kim@icloud.com")
	if msg := run(ann, rec, model.ActSendReset, ann.Policy.SendReset, input(ann, ""), "ok")().(actionDone); msg.err != nil {
		t.Fatal(msg.err)
	}
	h := start(t, newEnv(t, st, "sam", model.RoleAgent), width, height)
	h.open("noah", "Noah Kim")
	h.typ("h")
	h.see("send_password_reset")
	return h, ann.Now()
}

func BenchmarkAccountViewLongHistory(b *testing.B) {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r := lipgloss.NewRenderer(io.Discard)
	env := tui.NewEnv(context.Background(), store.Actor{Name: "sam", Role: model.RoleAgent}, st, r)
	env.Clock = func() time.Time { return now }
	accs, _ := demo.Data(now)
	a := accs[0]
	for i := 0; i < 10_000; i++ {
		t := now.Add(-time.Duration(i) * time.Minute)
		a.Logins = append(a.Logins, model.Login{At: &t, Portal: model.PortalPatient, Result: model.LoginOK})
	}
	scr := NewAccount(env, store.Record{Version: 1, Account: a})
	for b.Loop() {
		scr.View(80, 22)
	}
}

// History masks the email another agent's diagnosis recorded: it is
// shown only after a reveal (issue 9: History spelled it out, even to an
// engineer, who may not reveal).
func TestHistoryMasksPII(t *testing.T) {
	st := newStore(t)
	ann := newEnv(t, st, "ann", model.RoleAgent)
	rec, _ := st.ByEmail("noah.kim@icloud.com")
	if err := ann.Audit("diagnose", rec.Account.ID, "", map[string]string{"email": "noah.kim@icloud.com", "phone": "+12125550188", "site": "patient"}); err != nil {
		t.Fatal(err)
	}
	h := start(t, newEnv(t, st, "eng", model.RoleEngineer), 100, 30)
	h.open("noah", "Noah Kim")
	h.typ("h")
	h.see("email=n***m@icloud.com")
	if f := h.frame(); strings.Contains(f, "noah.kim@icloud.com") || strings.Contains(f, "5550188") {
		t.Fatalf("History shows PII unmasked:\n%s", f)
	}
}

// The help of every screen, built from the bindings it really has
// (issue 12: keys that tell the truth), at 80×24.
func TestHelpGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		keys string // after opening Ava Patel's account; "" for Lookup
	}{
		{"Lookup", ""}, {"Account", "-"}, {"Diagnose", "d"}, {"Resets", "r"}, {"TwoFA", "2"}, {"History", "h"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := start(t, newEnv(t, newStore(t), "kay", model.RoleLead), 80, 24)
			if c.keys != "" {
				h.open("ava patel", "Ava Patel")
				if c.keys != "-" {
					h.typ(c.keys)
				}
			}
			h.typ("?")
			h.see("to close help")
			golden.RequireEqual(t, []byte(h.frame()))
		})
	}
}

// A remapped key is the one that works, and the one footer and help show.
func TestRemappedKeys(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keys.json")
	os.WriteFile(p, []byte(`{"account.resets": ["T"], "quit": ["Q"]}`), 0o600)
	keys, err := tui.LoadKeys(p)
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv(t, newStore(t), "sam", model.RoleAgent)
	env.Keys = keys
	rec, _ := env.Store.Get("demo-006")
	var shown []string
	for _, b := range NewAccount(env, rec).ShortHelp() {
		shown = append(shown, b.Help().Key+" "+b.Help().Desc)
	}
	if !slices.Contains(shown, "T resets") {
		t.Fatalf("the footer does not show the remapped key: %v", shown)
	}
	h := start(t, env, 80, 24)
	h.open("james hill", "James Hill")
	h.typ("r") // the old key does nothing now
	h.typ("T")
	h.see("Links expire")
	h.frame()
}

// Guessing masked values is throttled and audited: a script of phone
// numbers runs into the limit, a person typing an address does not.
func TestLookupProbesAreThrottled(t *testing.T) {
	st, l := searchedFor(t, "sam", "maria.lopez@gmail.com")
	throttled := 0
	for i := range 200 {
		l.input.SetValue(fmt.Sprintf("+1 212 555 %04d", 100+i))
		searchNow(l)
		if l.err != nil {
			throttled++
		}
	}
	if throttled < 150 {
		t.Fatalf("%d of 200 guesses throttled", throttled)
	}
	log, _ := st.AuditLog(store.AuditFilter{Actions: []string{"lookup_throttled"}})
	if len(log) != 1 || log[0].Actor != "sam" {
		t.Fatalf("throttling audited %d times: %+v", len(log), log)
	}
}

// The same masked query asked again — the list refreshed because a
// listed account changed — is not a guess and spends nothing: a sync's
// bursts of changes throttled and audited an agent who had typed
// nothing (round 3, on a cluster).
func TestLookupRefreshesAreNotProbes(t *testing.T) {
	st, l := searchedFor(t, "lee", "maria.lopez@gmail.com")
	id := l.hits[0].Account.ID
	for range 3 * probeBurst {
		if cmd := l.refresh(id); cmd != nil {
			l.Update(cmd().(tui.Addressed).Msg)
		}
		if l.err != nil {
			t.Fatalf("a refresh of the same query was throttled: %v", l.err)
		}
	}
	if log, _ := st.AuditLog(store.AuditFilter{Actions: []string{"lookup_throttled"}}); len(log) != 0 {
		t.Fatalf("refreshes audited as throttled: %+v", log)
	}
}

// searchedFor is agent's Lookup on a demo store, query searched: its one
// account found.
func searchedFor(t *testing.T, agent, query string) (*store.Store, *Lookup) {
	t.Helper()
	st := newStore(t)
	l := NewLookup(newEnv(t, st, agent, model.RoleAgent))
	l.input.SetValue(query)
	searchNow(l)
	if l.err != nil || len(l.hits) != 1 {
		t.Fatalf("%q: %v %d hits", query, l.err, len(l.hits))
	}
	return st, l
}

// searchNow runs the search for what is in the box and shows its result,
// as the program would.
func searchNow(l *Lookup) {
	if cmd := l.search(); cmd != nil {
		l.Update(cmd().(tui.Addressed).Msg)
	}
}

// A search runs as a command tagged with the search that asked: when
// answers come out of order, the older never replaces the newer, and
// enter before the answer has come opens what the box now says.
func TestLookupStaleResultNeverWins(t *testing.T) {
	env := newEnv(t, newStore(t), "sam", model.RoleAgent)
	l := NewLookup(env)
	l.input.SetValue("maria")
	older := l.search()
	l.input.SetValue("ava")
	newer := l.search()
	l.Update(newer().(tui.Addressed).Msg)
	l.Update(older().(tui.Addressed).Msg)
	if len(l.hits) == 0 || l.hits[0].Account.Name != "Ava Patel" {
		t.Fatalf("after a stale answer the results are %+v", l.hits)
	}
	l.input.SetValue("maria")
	_ = l.search() // typed, its answer not in yet
	if len(l.hits) == 0 || l.hits[0].Account.Name != "Ava Patel" {
		t.Fatal("results changed before the search answered")
	}
	l.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if len(l.hits) == 0 || l.hits[0].Account.Name != "Maria Lopez" {
		t.Fatalf("enter acted on %+v, not on what the box says", l.hits)
	}
}

// Keys typed while a search runs start none of their own: once it
// answers, one search asks for what the box says then (issue 23: a
// floor typing faster than the server searches), and enter before that
// answer opens what the box says, not the older answer.
func TestLookupTypedWhileSearchingSearchesOnce(t *testing.T) {
	env := newEnv(t, newStore(t), "sam", model.RoleAgent)
	l := NewLookup(env)
	l.Update(l.Init()().(tui.Addressed).Msg) // the recent accounts
	typ := func(r rune) tea.Cmd {
		_, cmd := l.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		return cmd
	}
	first := typ('a')
	if first == nil {
		t.Fatal("the first key started no search")
	}
	asked := l.asked
	for _, r := range "va pat" {
		typ(r)
	}
	if l.asked != asked {
		t.Fatalf("%d searches started while one ran, want none", l.asked-asked)
	}
	// the first answers: it is not drawn (it answers "a", the box says
	// "ava pat": a frame for nothing), and one search for the whole box
	// follows
	recent := l.hits
	var next tea.Cmd
	for _, m := range collect(first) {
		if a, ok := m.(tui.Addressed); ok {
			_, next = l.Update(a.Msg)
		}
	}
	if next == nil || l.asked != asked+1 {
		t.Fatalf("after the answer: %d more searches asked, cmd %v; want one", l.asked-asked, next)
	}
	if l.query != "" || !slices.EqualFunc(l.hits, recent, func(a, b store.Hit) bool { return a.Account.ID == b.Account.ID }) {
		t.Fatalf("the answer to %q was drawn under a box that says %q", l.query, l.input.Value())
	}
	l.Update(next().(tui.Addressed).Msg)
	if len(l.hits) == 0 || l.hits[0].Account.Name != "Ava Patel" || l.query != "ava pat" {
		t.Fatalf("the box says %q, the results answer %q: %+v", l.input.Value(), l.query, l.hits)
	}
	// typed while one runs, then enter before it answers: enter searches
	// what the box says
	typ(' ')
	typ('x')
	l.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if l.query != "ava pat x" || len(l.hits) != 0 {
		t.Fatalf("enter acted on the answer to %q (%d hits), not on what the box says", l.query, len(l.hits))
	}
}

// collect runs cmd and the batches it returns, giving their messages.
func collect(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch m := cmd().(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range m {
			out = append(out, collect(c)...)
		}
		return out
	default:
		return []tea.Msg{m}
	}
}

// Help at the smallest window: no key group is cut to "…" sideways, and
// what does not fit below is said to be there.
func TestHelpAtMinimumSize(t *testing.T) {
	env := newEnv(t, newStore(t), "kay", model.RoleLead)
	h := start(t, env, 60, 16)
	h.open("ava patel", "Ava Patel")
	h.typ("d") // Diagnose: three groups, 23 keys
	h.see("Ask the caller")
	h.typ("?")
	h.see("Keys on Diagnose")
	frame := stripSGR(h.frame())
	for i, line := range strings.Split(frame, "\n") {
		if w := lipgloss.Width(line); w > 60 {
			t.Fatalf("line %d is %d wide: %q", i, w, line)
		}
	}
	if !strings.Contains(frame, "more keys below") {
		t.Fatalf("help taller than the window, and nothing says so:\n%s", frame)
	}
	if !strings.Contains(frame, "site: patient") || !strings.Contains(frame, "no reset email") {
		t.Fatalf("a key group is missing:\n%s", frame)
	}

	// it scrolls: the keys that work everywhere, at its end, are reached
	h = start(t, env, 60, 16)
	h.open("ava patel", "Ava Patel")
	h.typ("d")
	h.see("Ask the caller")
	h.typ("?")
	h.see("Keys on Diagnose")
	h.key(tea.KeyPgDown)
	h.key(tea.KeyPgDown)
	h.key(tea.KeyPgDown)
	h.see("more keys above")
	frame = stripSGR(h.frame())
	if !strings.Contains(frame, "Everywhere") || strings.Contains(frame, "more keys below") {
		t.Fatalf("help scrolled to its end does not show the last keys:\n%s", frame)
	}
}

// A query longer than the box keeps the box one line high when the
// window narrows, before any key.
func TestLongQuerySurvivesResize(t *testing.T) {
	env := newEnv(t, newStore(t), "sam", model.RoleAgent)
	l := NewLookup(env)
	l.input.SetValue(strings.Repeat("abcdefghij", 9))
	l.View(80, 20)
	box := strings.Split(stripSGR(l.View(60, 12)), "\n")
	if !strings.HasPrefix(box[2], "└") {
		t.Fatalf("the search box is not one line high at 60 columns:\n%s", strings.Join(box[:4], "\n"))
	}
}

// Back from an account, the next caller's name starts a new search: it
// had been appended to the last query ("james hillmaria", no match), and
// / focuses an empty box (issue 22, item 2).
func TestNextSearchStartsEmpty(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.open("james hill", "James Hill")
	h.key(tea.KeyEsc)
	h.see("Typing starts a new search")
	h.typ("maria")
	h.see("Maria Lopez")
	f := stripSGR(h.frame())
	if !strings.Contains(f, "Find: maria") || strings.Contains(f, "hillmaria") {
		t.Fatalf("the next search did not start empty:\n%s", f)
	}

	h = start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.typ("maria")
	h.see("Maria Lopez")
	h.key(tea.KeyEsc) // leave the box
	h.typ("/")
	h.typ("james")
	h.see("James Hill")
	if f := stripSGR(h.frame()); !strings.Contains(f, "Find: james") {
		t.Fatalf("/ did not focus an empty box:\n%s", f)
	}
}

// The list is labelled by the query it answers, not by the box: the key
// that empties the box is echoed before the recent accounts come, and
// until then the list on screen is the last search's, not "Your recent
// accounts" (it was, and redrawn a line lower: a frame of every row).
func TestLookupListSaysWhatItAnswers(t *testing.T) {
	env := newEnv(t, newStore(t), "sam", model.RoleAgent)
	l := NewLookup(env)
	l.input.Focus()
	l.input.SetValue("maria")
	l.Update(l.search()().(tui.Addressed).Msg)
	if len(l.hits) == 0 || l.query != "maria" {
		t.Fatalf("no results for maria: %+v", l.hits)
	}
	l.input.SetValue("")
	pending := l.search() // the recent accounts, not answered yet
	if v := l.View(80, 24); strings.Contains(v, "Your recent accounts") || !strings.Contains(v, "Maria") {
		t.Fatalf("the box emptied over maria's results:\n%s", v)
	}
	l.Update(pending().(tui.Addressed).Msg)
	if v := l.View(80, 24); !strings.Contains(v, "Your recent accounts") && !strings.Contains(v, "Type the caller") {
		t.Fatalf("the recent accounts' answer did not change the list:\n%s", v)
	}
}

// Typing after esc left the search box starts a new search: it was
// ignored, and enter then opened the last search's pick, an audited
// look-up of the wrong caller (newcomer walkthrough).
func TestTypingAfterEscSearchesAgain(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.typ("james hill")
	h.see("James Hill")
	h.key(tea.KeyEsc) // leave the box
	h.typ("maria")
	h.see("Maria Lopez")
	h.key(tea.KeyEnter)
	h.see("Latest sign-ins")
	if f := stripSGR(h.frame()); !strings.Contains(strings.SplitN(f, "\n", 2)[0], "Maria Lopez") {
		t.Fatalf("enter after typing opened another account:\n%s", f)
	}
}

// Diagnose opened from Find with no email (ctrl+d) is left with esc:
// there is no email to keep, and esc did nothing; only ctrl+c, ending
// the session, left it (newcomer walkthrough).
func TestDiagnoseWithoutAnEmailIsLeftWithEsc(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.see("Find")
	h.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlD})
	h.see("esc back")
	h.key(tea.KeyEsc)
	h.typ("maria")
	h.see("Maria Lopez")
	if f := stripSGR(h.frame()); !strings.Contains(strings.SplitN(f, "\n", 2)[0], "Find an account") {
		t.Fatalf("esc did not leave Diagnose:\n%s", f)
	}
}

// The lead finding is shown whole at the narrowest window, wrapped by
// its box: it was cut to "An older reset link was used: only…" at 60
// (the title since reworded).
func TestDiagnoseLeadIsWholeAt60(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 60, 24)
	h.diagnoseSofia()
	words := strings.Join(strings.Fields(strings.ReplaceAll(stripSGR(h.frame()), "┃", " ")), " ")
	if !strings.Contains(words, "Only the newest reset link works: an older one was sent or opened") {
		t.Fatalf("the lead finding is cut at 60 columns: %s", words)
	}
}

// A pending action's label is read whole at the narrowest window, under
// its head when both do not fit one line: it was cut to "queued for t…"
// at 60 columns. No line is wider than the window.
func TestPendingLabelWholeAt60(t *testing.T) {
	st := tui.NewStyles(lipgloss.NewRenderer(io.Discard))
	for _, state := range []string{model.PendingQueued, model.PendingDelivered, model.PendingFailed} {
		p := model.Pending{Action: "send_password_reset", By: "samantha.k", At: now.Add(-3 * time.Minute), State: state}
		rec := store.Record{Pending: []model.Pending{p}}
		for _, width := range []int{60, 80, 200} {
			lines := pendingLines(st, rec, now, width)
			for _, l := range lines {
				if w := tui.Width(stripSGR(l)); w > width {
					t.Errorf("%s at %d columns: a line of %d: %q", state, width, w, l)
				}
			}
			words := strings.Join(strings.Fields(stripSGR(strings.Join(lines, " "))), " ")
			if !strings.Contains(words, model.PendingLabels([]model.Pending{p})[0]) || !strings.Contains(words, "send_password_reset by samantha.k") {
				t.Errorf("%s at %d columns, not whole: %s", state, width, words)
			}
		}
	}
}

// The search box's hint is whole at every width the console runs at: the
// long one at 80 columns, a short one where the long one would be cut.
func TestFindHintWhole(t *testing.T) {
	for _, c := range []struct {
		width int
		want  string
	}{{80, findHint}, {60, findHintShort}} {
		l := NewLookup(newEnv(t, newStore(t), "sam", model.RoleAgent))
		if f := stripSGR(l.View(c.width, 24)); !strings.Contains(f, c.want) {
			t.Errorf("at %d columns the hint is not %q:\n%s", c.width, c.want, f)
		}
	}
}

// The Next visit line is clipped to leave room for its rule tag: the
// window clipped it a second time ("starts 3:40 PM ……", "[…").
func TestNextVisitFitsWithItsRule(t *testing.T) {
	for _, width := range []int{60, 70, 80} {
		h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), width, 24)
		h.open("lucas", "Lucas Brown")
		var line string
		for _, l := range strings.Split(stripSGR(h.frame()), "\n") {
			if strings.HasPrefix(l, "Next visit") {
				line = l
			}
		}
		if line == "" || strings.Contains(line, "……") || !strings.HasSuffix(line, "[T1]") || tui.Width(line) > width {
			t.Errorf("at %d columns: %q", width, line)
		}
	}
}

// A search by the number 2FA codes go to shows that number's digits,
// marked, not the account phone's (0106 beside a search for 0142).
func TestLookupShowsTheMatched2FAPhone(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 80, 24)
	h.typ("0142")
	h.see("James Hill")
	if f := stripSGR(h.frame()); !strings.Contains(f, "0142 2fa") {
		t.Fatalf("the 2FA phone's digits are not shown:\n%s", f)
	}
}

// In a window too narrow for an entry's time after its head, the time
// leads the details' line, whole, rather than being cut off.
func TestHistoryKeepsTheTimeInANarrowWindow(t *testing.T) {
	h, sent := colleaguesResetInHistory(t, 60, 20)
	stamp := sent.UTC().Format("2006-01-02 15:04")
	if f := h.frame(); !strings.Contains(f, stamp) || !regexp.MustCompile(`(?m)^\s+`+stamp+`:\d\d UTC`).MatchString(f) {
		t.Fatalf("the entry's time %s… is not whole on the details' line:\n%s", stamp, f)
	}
}

// At 60 columns a reset's timeline is read whole: a note too long for
// its line wraps under the time instead of being cut off (it says where
// the email is).
func TestResetsTimelineFitsSixtyColumns(t *testing.T) {
	h := start(t, newEnv(t, newStore(t), "sam", model.RoleAgent), 60, 40)
	h.open("sofia", "Sofia Rossi")
	h.typ("r")
	h.see("SUPERSEDED")
	f := strings.Join(strings.Fields(h.frame()), " ")
	for _, want := range []string{"look in spam/Promotions if not seen (R4)", "Portal: headway.co (R1)."} {
		if !strings.Contains(f, want) {
			t.Errorf("%q is not on the screen whole:\n%s", want, h.frame())
		}
	}
}
