package tui

import (
	"cmp"
	"context"
	"github.com/charmbracelet/x/ansi"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"frontdoor/store"
)

// page is a minimal screen for shell tests.
type page struct {
	name      string
	capturing bool
	got       []string
	env       *Env
	next      *page
	opens     string // the key that pushes next; "" is enter
}

func (p *page) Init() tea.Cmd { return nil }
func (p *page) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		p.got = append(p.got, k.String())
		if opens := cmp.Or(p.opens, "enter"); k.String() == opens && p.next != nil {
			return p, p.env.Push(p.next)
		}
	}
	return p, nil
}
func (p *page) View(w, h int) string { return "page " + p.name }
func (p *page) Title() string        { return p.name }
func (p *page) CapturingInput() bool { return p.capturing }
func (p *page) ShortHelp() []key.Binding {
	return []key.Binding{key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "do x"))}
}
func (p *page) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func testEnv(t *testing.T) (*Env, *clock) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := &clock{t: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	env := NewEnv(context.Background(), store.Actor{Name: "sam", Role: "agent"}, st, r)
	env.Clock = c.now
	return env, c
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func TestIdleLogoffCountsKeysNotRedraws(t *testing.T) {
	env, c := testEnv(t)
	app := NewApp(env, &page{name: "a"})
	c.t = c.t.Add(10 * time.Minute)
	app.Update(keyMsg("x")) // a key press resets the idle clock
	c.t = c.t.Add(14 * time.Minute)
	if app.Update(tickMsg{}); app.Ended() {
		t.Fatal("logged off 14 min after the last key")
	}
	app.Update(AccountChangedMsg{ID: "x"}) // screen updates are not activity
	c.t = c.t.Add(time.Minute)
	app.Update(tickMsg{})
	if !app.Ended() {
		t.Fatal("not logged off 15 min after the last key")
	}
	if !strings.Contains(app.ExitReason(), "without a key press") {
		t.Fatalf("reason %q", app.ExitReason())
	}
}

func TestMaxSession(t *testing.T) {
	env, c := testEnv(t)
	env.MaxSession = time.Hour
	app := NewApp(env, &page{name: "a"})
	for i := 0; i < 7; i++ {
		c.t = c.t.Add(10 * time.Minute)
		app.Update(keyMsg("x"))
	}
	if app.Update(tickMsg{}); !app.Ended() {
		t.Fatal("session outlived its maximum")
	}
}

func TestKeysRouting(t *testing.T) {
	env, _ := testEnv(t)
	second := &page{name: "second", capturing: true}
	first := &page{name: "first", env: env, next: second}
	app := NewApp(env, first)
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})

	app.Update(keyMsg("?"))
	if !strings.Contains(app.View(), "Keys on first") || !strings.Contains(app.View(), "do x") {
		t.Fatalf("help not shown:\n%s", app.View())
	}
	app.Update(keyMsg("esc"))
	if strings.Contains(app.View(), "Keys on") {
		t.Fatal("esc did not close help")
	}
	app.Update(keyMsg("enter"))
	app.Update(keyMsg("q")) // typed ahead: must reach the pushed, capturing screen
	if !strings.Contains(app.View(), "page second") || strings.Join(second.got, "") != "q" {
		t.Fatalf("type-ahead lost: second got %v\n%s", second.got, app.View())
	}
	app.Update(keyMsg("?")) // capturing: typed, not help
	if strings.Contains(app.View(), "Keys on") {
		t.Fatal("? opened help over a text field")
	}
	second.capturing = false
	app.Update(keyMsg("esc"))
	if !strings.Contains(app.View(), "page first") {
		t.Fatal("esc did not go back")
	}
	if app.Update(keyMsg("q")); app.Ended() {
		t.Fatal("q quit without asking")
	}
	if app.Update(keyMsg("y")); !app.Ended() {
		t.Fatal("q then y did not quit")
	}
}

// q asks before it ends the session: the "q" of "quinn" typed where no
// box has focus drops nobody's call (issue 22, item 1).
func TestQuitAsksFirst(t *testing.T) {
	env, _ := testEnv(t)
	first := &page{name: "first", env: env}
	app := NewApp(env, first)
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	for _, k := range []string{"q", "u", "i", "n", "n"} {
		app.Update(keyMsg(k))
		if app.Ended() {
			t.Fatalf("typing quinn ended the session at %q", k)
		}
		if k == "q" && !strings.Contains(app.View(), "End this session") {
			t.Fatalf("q did not ask:\n%s", app.View())
		}
	}
	if strings.Join(first.got, "") != "inn" || strings.Contains(app.View(), "End this session") {
		t.Fatalf("the key that answered the question reached the screen, or it stayed: %q\n%s", first.got, app.View())
	}
	app.Update(keyMsg("q"))
	if app.Update(keyMsg("y")); !app.Ended() {
		t.Fatal("q, y did not quit")
	}
}

func TestCtrlCAlwaysQuits(t *testing.T) {
	env, _ := testEnv(t)
	app := NewApp(env, &page{name: "a", capturing: true})
	if app.Update(keyMsg("ctrl+c")); !app.Ended() {
		t.Fatal("ctrl+c did not quit a capturing screen")
	}
}

func TestHeaderBadgesAndToast(t *testing.T) {
	env, _ := testEnv(t)
	for _, m := range []Mode{Live, Demo, Training} {
		env.Mode = m
		app := NewApp(env, &page{name: "a"})
		app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		head := strings.SplitN(app.View(), "\n", 2)[0]
		if !strings.Contains(head, string(m)) || !strings.Contains(head, "sam · agent · 09:00 UTC") {
			t.Fatalf("header %q", head)
		}
	}
	app := NewApp(env, &page{name: "a"})
	app.Update(tea.WindowSizeMsg{Width: 60, Height: 16})
	app.Update(ToastMsg{Text: strings.Repeat("a long refusal reason ", 5) + "press u", Bad: true})
	v := app.View()
	if lipgloss.Height(v) != 16 || !strings.Contains(v, "press u") {
		t.Fatalf("two-line toast broke the frame or lost its end:\n%s", v)
	}
}

func TestFormRules(t *testing.T) {
	env, _ := testEnv(t)
	var got *FormResult
	f := NewForm(env, FormSpec{Title: "t", Checks: []Check{{Label: "a"}, {Label: "b"}, {Label: "must", Required: true}},
		MinChecks: 2, TextLabel: "Reason", TextNeed: true,
		Submit: func(r FormResult) tea.Cmd { got = &r; return nil }})
	send := func(keys ...string) {
		for _, k := range keys {
			f.Update(keyMsg(k))
		}
	}
	send("enter")
	if got != nil || !strings.Contains(f.View(80, 24), "Tick “must” first") {
		t.Fatal("required check not enforced")
	}
	f.Update(tea.KeyMsg{Type: tea.KeyTab})
	f.Update(tea.KeyMsg{Type: tea.KeyTab})
	send(" ", "enter")
	if got != nil || !strings.Contains(f.View(80, 24), "at least 2") {
		t.Fatalf("minimum checks not enforced:\n%s", f.View(80, 24))
	}
	f.Update(tea.KeyMsg{Type: tea.KeyShiftTab})
	send(" ", "enter")
	if got != nil || !strings.Contains(f.View(80, 24), "Reason is required") {
		t.Fatal("reason not enforced")
	}
	send("c", "a", "l", "l", "enter")
	if got == nil || got.Count() != 2 || got.Text != "call" {
		t.Fatalf("result %+v", got)
	}
}

// TestFormTypingNeverTicks: on any form, text typed while a check has the
// focus goes to the text field and ticks nothing; only space ticks, and
// the result says so (issue 20, item 17: "lost code x" ticked a check).
func TestFormTypingNeverTicks(t *testing.T) {
	env, _ := testEnv(t)
	for _, focus := range []int{0, 1, 2} {
		var got *FormResult
		f := NewForm(env, FormSpec{Title: "t", Checks: []Check{{Label: "a"}, {Label: "b"}, {Label: "c"}}, MinChecks: 1,
			TextLabel: "Reason", TextNeed: true, Submit: func(r FormResult) tea.Cmd { got = &r; return nil }})
		for range focus {
			f.Update(tea.KeyMsg{Type: tea.KeyTab})
		}
		for _, r := range "lost code x" {
			f.Update(keyMsg(string(r)))
		}
		f.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(" x x "), Paste: true})
		f.Update(keyMsg("enter"))
		if got != nil || strings.Contains(f.View(80, 24), "[x]") || f.input.Value() != "lost code x x x " {
			t.Fatalf("focus %d: typing ticked or was lost: %+v %q\n%s", focus, got, f.input.Value(), f.View(80, 24))
		}
		for range focus + 1 { // from the reason back to that check: space ticks it, deliberately
			f.Update(tea.KeyMsg{Type: tea.KeyTab})
		}
		f.Update(keyMsg(" "))
		f.Update(keyMsg("enter"))
		if got == nil || got.Count() != 1 || !got.Ticked[focus] || got.How[focus] != "space" || got.Text != "lost code x x x" {
			t.Fatalf("focus %d: result %+v", focus, got)
		}
	}
	// a form without a text field takes no letter as a tick either
	f := NewForm(env, FormSpec{Title: "t", Checks: []Check{{Label: "a", Required: true}}, Submit: func(FormResult) tea.Cmd { return nil }})
	f.Update(keyMsg("x"))
	if f.ticked[0] || !strings.Contains(f.View(80, 24), "Space ticks") {
		t.Fatalf("x on a lone check:\n%s", f.View(80, 24))
	}
}

type expiring struct {
	page
	at time.Time
}

func (e *expiring) NextDeadline(now time.Time) (time.Time, bool) { return e.at, e.at.After(now) }

// TestRedrawAtScreenDeadline: the shell wakes when a shown state expires,
// not at the next minute.
func TestRedrawAtScreenDeadline(t *testing.T) {
	env, c := testEnv(t)
	c.t = c.t.Add(10 * time.Second)
	scr := &expiring{page: page{name: "x"}, at: c.t.Add(3 * time.Second)}
	app := NewApp(env, scr)
	if d := app.tickDelay(); d != 3*time.Second {
		t.Fatalf("wakes in %v, want 3s", d)
	}
	scr.at = c.t.Add(-time.Second) // past: back to the minute
	if d := app.tickDelay(); d != 50*time.Second {
		t.Fatalf("wakes in %v, want 50s", d)
	}
}

func TestFormFitsItsWidth(t *testing.T) {
	env, _ := testEnv(t)
	for _, w := range []int{60, 80, 120} {
		f := NewForm(env, FormSpec{Title: "t", Lines: []string{strings.Repeat("word ", 40)},
			Checks: []Check{{Label: strings.Repeat("long label ", 12)}}, TextLabel: "Reason", Submit: func(FormResult) tea.Cmd { return nil }})
		v := f.View(w, 24)
		if got := lipgloss.Width(v); got > w {
			t.Fatalf("form at %d columns is %d wide:\n%s", w, got, v)
		}
		for _, l := range strings.Split(v, "\n") {
			if strings.HasPrefix(l, "│ ─") || strings.HasPrefix(l, "─") {
				t.Fatalf("a border wrapped at %d columns:\n%s", w, v)
			}
		}
	}
}

func TestPaletteRunsTheScreensOwnKey(t *testing.T) {
	env, _ := testEnv(t)
	pg := &page{name: "a"}
	app := NewApp(env, pg)
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	app.Update(keyMsg(":"))
	if !strings.Contains(app.View(), "do x") {
		t.Fatalf("palette does not list the screen's keys:\n%s", app.View())
	}
	for _, r := range "zzz" {
		app.Update(keyMsg(string(r)))
	}
	if !strings.Contains(app.View(), "No command matches") {
		t.Fatal("filter did not narrow")
	}
	for range 3 {
		app.Update(tea.KeyMsg{Type: tea.KeyBackspace})
	}
	app.Update(keyMsg("d"))
	_, cmd := app.Update(keyMsg("enter"))
	app.Update(cmd()) // the palette presses x on the screen below
	if strings.Join(pg.got, ",") != "x" || !strings.Contains(app.View(), "page a") {
		t.Fatalf("screen got %v\n%s", pg.got, app.View())
	}
}

func TestClipboardRidesInTheFrame(t *testing.T) {
	env, _ := testEnv(t)
	app := NewApp(env, &page{name: "a"})
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	app.Update(CopyToClipboard("1. Go to headway.co")())
	want := "\x1b]52;c;" + "MS4gR28gdG8gaGVhZHdheS5jbw==" + "\a"
	if !strings.Contains(app.View(), want) {
		t.Fatalf("no OSC 52 in the frame: %q", strings.SplitN(app.View(), "\n", 2)[0])
	}
	if lipgloss.Width(strings.SplitN(app.View(), "\n", 2)[0]) > 80 {
		t.Fatal("the sequence took cells")
	}
	app.Update(clipboardClearMsg{})
	if strings.Contains(app.View(), "\x1b]52") {
		t.Fatal("sequence not cleared")
	}
}

// A client may claim a 65535×65535 window; frames are never built larger
// than MaxWidth×MaxHeight (issue 9: one session took the server down).
func TestHugeWindowIsClamped(t *testing.T) {
	env, _ := testEnv(t)
	app := NewApp(env, &page{name: "a"})
	app.Update(tea.WindowSizeMsg{Width: 65535, Height: 65535})
	frame := app.View()
	lines := strings.Split(frame, "\n")
	if len(lines) != MaxHeight {
		t.Fatalf("frame has %d lines, want %d", len(lines), MaxHeight)
	}
	for i, l := range lines {
		if w := Width(l); w > MaxWidth {
			t.Fatalf("line %d is %d cells wide, want at most %d", i, w, MaxWidth)
		}
	}
	// a storm of resizes, large and tiny, leaves a frame of the last size
	for i := range 2000 {
		app.Update(tea.WindowSizeMsg{Width: 1 + i*37%70000, Height: 1 + i*13%70000})
	}
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if got := len(strings.Split(app.View(), "\n")); got != 24 {
		t.Fatalf("after the storm the frame has %d lines, want 24", got)
	}
}

// Behind "Terminal too small" no key acts: at 40×12 an agent typed a
// look-up and sent a password reset with nothing on screen.
func TestNoKeysBehindTooSmallView(t *testing.T) {
	env, _ := testEnv(t)
	second := &page{name: "second", env: env}
	first := &page{name: "first", env: env, next: second}
	app := NewApp(env, first)
	app.Update(tea.WindowSizeMsg{Width: 40, Height: 12})
	for _, k := range []string{"h", "enter", "x", "?", ":", "esc", "q"} {
		_, cmd := app.Update(keyMsg(k))
		if cmd != nil {
			if _, quit := cmd().(tea.QuitMsg); quit {
				t.Fatalf("%q quit behind the too-small view", k)
			}
		}
	}
	if len(first.got) != 0 || len(app.stack) != 1 || app.showHelp {
		t.Fatalf("keys reached the screen behind the too-small view: got %q, stack %d, help %v", first.got, len(app.stack), app.showHelp)
	}
	if v := app.View(); !strings.Contains(v, "Terminal too small") || !strings.Contains(v, "40×12") || !strings.Contains(v, "ctrl+c") {
		t.Fatalf("too-small view cut short:\n%s", v)
	}
	// ctrl+c still quits
	if _, cmd := app.Update(keyMsg("ctrl+c")); cmd == nil || !app.Ended() {
		t.Fatal("ctrl+c did not quit behind the too-small view")
	}
}

// A megabyte pasted as one key message reaches the screen cut to MaxKeyRunes.
func TestHugePasteIsCut(t *testing.T) {
	env, _ := testEnv(t)
	p := &page{name: "a", capturing: true}
	app := NewApp(env, p)
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(strings.Repeat("a", 1<<20)), Paste: true})
	if len(p.got) != 1 || len([]rune(strings.Trim(p.got[0], "[]"))) > MaxKeyRunes {
		t.Fatalf("paste reached the screen at %d runes, want at most %d", len(p.got[0]), MaxKeyRunes)
	}
}

// A minute before the idle logoff the agent is warned; a key keeps the
// session, and the warning comes again before the next logoff.
func TestIdleWarningAMinuteBefore(t *testing.T) {
	env, c := testEnv(t)
	app := NewApp(env, &page{name: "a"})
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	c.t = c.t.Add(13*time.Minute + 59*time.Second)
	app.Update(tickMsg{})
	if strings.Contains(app.View(), "logged off in") {
		t.Fatal("warned more than a minute early")
	}
	if d := app.tickDelay(); d != time.Second {
		t.Fatalf("next wake in %v, want at the warning (1s)", d)
	}
	c.t = c.t.Add(time.Second)
	app.Update(tickMsg{})
	if !strings.Contains(app.View(), "logged off in 1m0s") {
		t.Fatalf("no warning a minute before:\n%s", app.View())
	}
	app.Update(keyMsg("x"))
	c.t = c.t.Add(14 * time.Minute)
	app.Update(tickMsg{})
	if app.Ended() || !strings.Contains(app.View(), "logged off in 1m0s") {
		t.Fatalf("after a key: ended %v, warned again %v", app.Ended(), strings.Contains(app.View(), "logged off"))
	}
}

// The palette finds actions by the words agents use, and offers quit.
func TestPaletteFindsAgentsWords(t *testing.T) {
	env, _ := testEnv(t)
	b := func(k, d string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, d)) }
	groups := [][]key.Binding{{b("u", "lift suppression"), b("g", "grant 2FA exemption"), b("e", "resend verification")}, {env.Keys.Quit}}
	for q, want := range map[string]string{"unsubscribe": "lift suppression", "exempt": "grant 2FA exemption", "verification": "resend verification", "quit": "quit", "exit": "quit"} {
		p := NewPalette(env, "x", groups)
		p.input.SetValue(q)
		p.filter()
		if len(p.shown) == 0 || p.Commands()[0].Help().Desc != want {
			t.Errorf("%q finds %v, want %q", q, p.shown, want)
		}
	}
}

// A toast said on one screen does not follow the agent to the next.
func TestToastStaysOnItsScreen(t *testing.T) {
	env, _ := testEnv(t)
	second := &page{name: "second", env: env}
	app := NewApp(env, &page{name: "first", env: env, next: second})
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	app.Update(ToastMsg{Text: "Reset requested"})
	app.Update(keyMsg("enter")) // opens the second screen
	if strings.Contains(app.View(), "Reset requested") {
		t.Fatal("the toast followed the agent to another screen")
	}
}

// A line a scrolling screen cuts at the window's edge ends in "…".
func TestScrollerMarksCutLines(t *testing.T) {
	s := NewScroller()
	out := s.View("short\n"+strings.Repeat("long words ", 20), 30, 5)
	lines := strings.Split(out, "\n")
	if !strings.HasSuffix(strings.TrimRight(lines[1], " "), "…") || Width(lines[1]) > 30 {
		t.Fatalf("cut line %q", lines[1])
	}
	if strings.Contains(lines[0], "…") {
		t.Fatalf("a short line was marked: %q", lines[0])
	}
}

// The header and footer are kept between frames (Memo) but follow what
// they are drawn from: the clock's minute, a watcher, the screen's keys
// as capturing input changes them, the width.
func TestHeaderAndFooterFollowTheirInputs(t *testing.T) {
	env, clk := testEnv(t)
	var watchers []string
	env.Watched = func() ([]string, <-chan struct{}) { return watchers, nil }
	p := &page{name: "a"}
	app := NewApp(env, p)
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	lines := func() []string { return strings.Split(app.View(), "\n") }
	if l := lines(); !strings.Contains(l[0], "09:00") || !strings.Contains(l[23], "q quit") {
		t.Fatalf("first frame: %q … %q", l[0], l[23])
	}
	clk.t = clk.t.Add(time.Minute)
	watchers = []string{"tina"}
	p.capturing = true // the shell's q is typed now, so not offered
	l := lines()
	if !strings.Contains(l[0], "09:01") || !strings.Contains(l[0], "watched by tina") {
		t.Fatalf("header kept its old inputs: %q", l[0])
	}
	if strings.Contains(l[23], "q quit") {
		t.Fatalf("footer kept its old keys: %q", l[23])
	}
	app.Update(tea.WindowSizeMsg{Width: 60, Height: 24})
	for i, line := range lines() {
		if w := lipgloss.Width(line); w > 60 {
			t.Fatalf("line %d is %d wide at 60: %q", i, w, line)
		}
	}
	// short of room, the clock stays whole: the watchers' names and who
	// is signed in give way (training review: "caller 12" at 60 columns)
	watchers = []string{"tina", "kay", "a-trainer-with-a-long-name"}
	if l := lines(); !strings.HasSuffix(strings.TrimRight(l[0], " "), "09:01 UTC") || !strings.Contains(l[0], "watched") {
		t.Fatalf("at 60 columns with three watchers: %q", l[0])
	}
}

// Frames are not padded with spaces (the renderer erases the rest of a
// short line): a line costs its text, and a block is still h lines.
func TestFitBlockCutsButDoesNotPad(t *testing.T) {
	got := fitBlock("ab\n"+strings.Repeat("x", 12)+"\nc\nd\ne", 10, 4)
	want := "ab\n" + strings.Repeat("x", 9) + "…\nc\nd"
	if got != want {
		t.Fatalf("fitBlock = %q, want %q", got, want)
	}
	if got := fitBlock("ab", 10, 3); got != "ab\n\n" {
		t.Fatalf("short block = %q", got)
	}
}

// fitBlock's quick way (a block that fits, padded) gives what splitting,
// cutting and joining it gives.
func TestFitBlockQuickWayIsTheLongWay(t *testing.T) {
	long := func(s string, w, h int) string {
		lines := strings.Split(s, "\n")
		if len(lines) > h {
			lines = lines[:h]
		}
		for i, l := range lines {
			if ansi.StringWidth(l) > w {
				lines[i] = ansi.Truncate(l, w, "…")
			}
		}
		for len(lines) < h {
			lines = append(lines, "")
		}
		return strings.Join(lines, "\n")
	}
	for _, s := range []string{"", "\n", "ab", "ab\n", "ab\ncd", "a\nb\nc\nd", "\x1b[1mbold\x1b[0m\n› Zoë — …│", "李小龍李小龍", strings.Repeat("x", 11), "x\n\n\n"} {
		for _, w := range []int{1, 4, 10, 80} {
			for _, h := range []int{1, 2, 4, 6} {
				if got, want := fitBlock(s, w, h), long(s, w, h); got != want {
					t.Errorf("fitBlock(%q, %d, %d) = %q, want %q", s, w, h, got, want)
				}
			}
		}
	}
}

// Keys read together arrive as one message with several runes: a screen
// of single-key commands gets them one by one, a text box gets them as
// typed, and a key that opens a text box has the rest typed into it.
func TestKeysReadTogether(t *testing.T) {
	env, _ := testEnv(t)
	p := &page{name: "a"}
	app := NewApp(env, p)
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("1k")})
	if strings.Join(p.got, ",") != "1,k" {
		t.Fatalf("single-key screen got %q", p.got)
	}
	// more than a burst is no one typing: nothing runs
	app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(strings.Repeat("v", 100))})
	if len(p.got) != 2 {
		t.Fatalf("a flood of command keys ran %d of them", len(p.got)-2)
	}
	box := &page{name: "box", capturing: true}
	app = NewApp(env, box)
	app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("maria")})
	if strings.Join(box.got, ",") != "maria" {
		t.Fatalf("text box got %q", box.got)
	}
	// e on the first page opens a text box: what follows is typed there
	box2 := &page{name: "box2", capturing: true}
	first := &page{name: "first", env: env, next: box2, opens: "e"}
	app = NewApp(env, first)
	app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("xeab@c")})
	if strings.Join(first.got, ",") != "x,e" || strings.Join(box2.got, ",") != "ab@c" {
		t.Fatalf("first page got %q, the box it opened %q", first.got, box2.got)
	}
}

// A toast goes after six seconds of the wall clock, also in a world
// whose own clock stands still (a training scenario's "now").
func TestToastExpiresInAStillWorld(t *testing.T) {
	env, wall := testEnv(t)
	app := NewApp(env, &page{name: "live"})
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	still, _ := testEnv(t)
	fixed := time.Date(2026, 11, 24, 17, 0, 0, 0, time.UTC)
	still.Clock = func() time.Time { return fixed }
	app.Update(enterMsg{still, &page{name: "practice"}})
	app.Update(ToastMsg{Text: "Reset requested"})
	if !strings.Contains(app.View(), "Reset requested") {
		t.Fatal("no toast")
	}
	wall.t = wall.t.Add(7 * time.Second)
	app.Update(tickMsg{})
	if strings.Contains(app.View(), "Reset requested") {
		t.Fatal("the toast stayed in a world whose clock stands still")
	}
}

// The hint under the checks follows the focus: once typing has gone to
// the reason, no check has the pointer, and the hint says how back.
func TestFormHintFollowsTheFocus(t *testing.T) {
	env, _ := testEnv(t)
	f := NewForm(env, FormSpec{Title: "t", Checks: []Check{{Label: "a"}}, TextLabel: "Reason",
		Submit: func(FormResult) tea.Cmd { return nil }})
	if v := f.View(80, 24); !strings.Contains(v, "space ticks the check at") {
		t.Fatalf("on a check:\n%s", v)
	}
	f.Update(keyMsg("x"))
	if v := f.View(80, 24); strings.Contains(v, "space ticks the check at") || !strings.Contains(v, "back to the checks") {
		t.Fatalf("on the reason:\n%s", v)
	}
}

// What the agent fills in is always in the window: in one too short for
// the whole form, the explanation above is cut with a line saying so,
// and the required reason box stays (at 60×20 it fell below the window).
func TestFormKeepsItsFieldsInAShortWindow(t *testing.T) {
	env, _ := testEnv(t)
	long := strings.Repeat("an explanation of what this does and why ", 6)
	f := NewForm(env, FormSpec{Title: "Remove the authenticator app", Lines: []string{long, long},
		Detail:    []string{"Name on file: Priya Shah", "Born: 1990-**-**"},
		Checks:    []Check{{Label: "I checked the name"}, {Label: "I checked the birth date"}},
		TextLabel: "Reason", TextNeed: true, Submit: func(FormResult) tea.Cmd { return nil }})
	f.input.SetValue("lost app")
	for _, c := range []struct{ w, h int }{{60, 16}, {60, 18}, {80, 18}, {80, 40}} {
		v := f.View(c.w, c.h)
		if got := lipgloss.Height(v); got > c.h {
			t.Errorf("%d×%d: the form is %d lines:\n%s", c.w, c.h, got, v)
		}
		for _, want := range []string{"Remove the authenticator app", "I checked the birth date", "Reason (required)", "lost app", "Name on file: Priya Shah", "Born: 1990"} {
			if !strings.Contains(v, want) {
				t.Errorf("%d×%d: %q is not shown:\n%s", c.w, c.h, want, v)
			}
		}
		if cut := strings.Contains(v, "cut to fit"); cut != (c.h < 40) {
			t.Errorf("%d×%d: said to be cut: %v:\n%s", c.w, c.h, cut, v)
		}
	}
}

// A form with only a detail above its fields keeps to the window too.
func TestFormWithOnlyADetailKeepsToTheWindow(t *testing.T) {
	env, _ := testEnv(t)
	var detail []string
	for i := range 12 {
		detail = append(detail, "detail line "+string(rune('a'+i)))
	}
	f := NewForm(env, FormSpec{Title: "t", Detail: detail, Checks: []Check{{Label: "checked"}},
		TextLabel: "Reason", TextNeed: true, Submit: func(FormResult) tea.Cmd { return nil }})
	for _, h := range []int{12, 14, 16, 18} {
		v := f.View(60, h)
		if got := lipgloss.Height(v); got > h || !strings.Contains(v, "Reason (required)") {
			t.Errorf("60×%d: %d lines:\n%s", h, got, v)
		}
	}
}
