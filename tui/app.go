package tui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aymanbagabas/go-osc52/v2"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"frontdoor/model"
	"frontdoor/store/backend"
)

// Screen is one page of the console: a small model the shell stacks.
// View gets the body's size (the shell draws header and footer) and may
// return more or fewer lines: the shell cuts and pads to fit.
type Screen interface {
	Init() tea.Cmd
	Update(msg tea.Msg) (Screen, tea.Cmd)
	View(width, height int) string
	Title() string
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// InputCapturer is a screen whose focused field wants every printable key,
// q and ? included; the shell then handles only ctrl+c.
type InputCapturer interface {
	CapturingInput() bool
}

// Returner is a screen told when the session comes back to it from a
// world it entered (tui.Enter, then tui.Leave): what it asked for while
// that world was on top (a tick) went to the other world's screens, so
// it asks again.
type Returner interface {
	Returned() tea.Cmd
}

// Deadliner is a screen that shows something that changes state at a
// known time (an exemption or remembered device expiring); the shell
// redraws then, so it is shown expired the second it is.
type Deadliner interface {
	NextDeadline(now time.Time) (time.Time, bool)
}

// Minimum usable size; below it the shell says so instead of drawing a
// broken layout.
const (
	MinWidth  = 60
	MinHeight = 16
)

// Largest size a frame is built at. A client may claim any window (an
// SSH PTY request says up to 65535×65535); frames are built at no more
// than this, so one client cannot make the server allocate gigabytes.
// Real terminals, even on large monitors, stay well inside it.
const (
	MaxWidth  = 1000
	MaxHeight = 500
)

// MaxKeyRunes bounds the text one key message may carry (a paste arrives
// as one): a megabyte pasted into a field is cut here, before any screen
// searches or draws it.
const MaxKeyRunes = 4096

type (
	tickMsg struct{}
	// ToastMsg shows a short message in the footer.
	ToastMsg struct {
		Text string
		Bad  bool
	}
	// AccountChangedMsg: another session (or this one) changed an account.
	// Every screen on the stack receives it.
	AccountChangedMsg struct{ ID string }
	// accountsChangedMsg is one store notification, from the store of the
	// world that subscribed: the shell hands each screen of that world an
	// AccountChangedMsg per account.
	accountsChangedMsg struct {
		from <-chan string
		ids  []string
	}
	// enterMsg switches the session to another world (Enter).
	enterMsg struct {
		env   *Env
		first Screen
	}
	leaveMsg   struct{}
	watchedMsg struct{ env *Env }
	// healthMsg: the store of env began or stopped answering (changed
	// closed).
	healthMsg struct {
		env     *Env
		changed <-chan struct{}
	}
	// QuitMsg ends the session, saying why afterwards.
	QuitMsg struct{ Reason string }

	clipboardMsg      struct{ text string }
	showHelpMsg       struct{}
	clipboardClearMsg struct{}
)

// CopyToClipboard puts text on the user's own clipboard (OSC 52). The
// sequence rides in the next frames rather than being written beside
// them: over SSH a separate write could land inside a frame's escape
// sequence.
func CopyToClipboard(text string) tea.Cmd {
	return func() tea.Msg { return clipboardMsg{text} }
}

// ShowHelp opens the help view: for a screen whose input takes "?" as a
// character, when it knows "?" cannot be meant as one.
func ShowHelp() tea.Msg { return showHelpMsg{} }

// Toast shows text in the footer for a few seconds.
func Toast(text string) tea.Cmd { return func() tea.Msg { return ToastMsg{Text: text} } }

// ToastError shows an error in the footer.
func ToastError(err error) tea.Cmd {
	return func() tea.Msg { return ToastMsg{Text: Explain(err), Bad: true} }
}

// Enter continues the session in another world, env, starting on first:
// a training sandbox, with its own store, clock and badge. The world
// left behind keeps its screens (they go on receiving its store's
// changes) and comes back, as it was, on Leave.
func Enter(env *Env, first Screen) tea.Cmd {
	return func() tea.Msg { return enterMsg{env, first} }
}

// Leave ends the current world and returns to the one it was entered from.
func Leave() tea.Msg { return leaveMsg{} }

// world is a session's place: an Env and its screens. The live console
// is the first; a practice is entered on top of it.
type world struct {
	env     *Env
	stack   []Screen
	changes <-chan string
	unsub   func()
}

// App is the shell: header, the screen stack, footer, help, idle logoff.
type App struct {
	env      *Env
	stack    []Screen
	outer    []world // the worlds entered from, innermost last
	w, h     int
	showHelp bool
	helpTop  int // the first line of help shown, when it scrolls
	toast    ToastMsg
	toastEnd time.Time
	// healthWait is the health channel a command waits on; storeDown,
	// the outage the session was last told of (watchHealth)
	healthWait <-chan struct{}
	storeDown  bool
	start      time.Time
	lastKey    time.Time
	warned     time.Time // the lastKey the idle warning was given for
	osc        string    // clipboard sequence to carry in frames for a moment
	exit       string
	ended      bool
	// askQuit: q was pressed and the shell asks before ending the session
	// (a q typed where no box had focus dropped an agent's caller)
	askQuit bool
	changes <-chan string
	unsub   func()
	help    help.Model
	ops     Screen // the Ops screen last opened, so it is not opened on itself
	// the header and footer as last drawn, with what they were drawn
	// from: most frames change neither, and styling them was a tenth of
	// the server's CPU with 100 agents typing (issue 14 profile)
	headerMemo, footerMemo Memo
}

// NewApp builds the shell around its first screen.
func NewApp(env *Env, first Screen) *App {
	h := help.New()
	h.Width = 0 // never set again: the footer and help fit keys themselves, dropping or wrapping whole bindings
	st := env.Styles
	h.Styles.ShortKey, h.Styles.FullKey = st.Key, st.Key
	h.Styles.ShortDesc, h.Styles.FullDesc = st.KeyDesc, st.KeyDesc
	h.Styles.ShortSeparator, h.Styles.FullSeparator = st.Muted, st.Muted
	h.Styles.Ellipsis = st.Muted
	now := env.Now()
	a := &App{env: env, stack: []Screen{first}, w: 80, h: 24, start: now, lastKey: now, help: h}
	a.changes, a.unsub = env.Store.Subscribe()
	if h := a.health(); h.Down != nil { // a login during an outage is told too
		a.storeDown = true
		a.toast, a.toastEnd = ToastMsg{Text: StoreDown(h), Bad: true}, now.Add(storeDownFor)
	}
	return a
}

// ExitReason says why the session ended, for the caller to print after
// the terminal is restored ("" for a plain quit).
func (a *App) ExitReason() string { return a.exit }

// Ended reports whether the session has been ended (by the user, idle
// logoff, its maximum length or the server).
func (a *App) Ended() bool { return a.ended }

// Close releases the store subscriptions and leaves every world entered
// (a practice's sandbox is deleted); call it when the program ends.
func (a *App) Close() {
	for len(a.outer) > 0 {
		a.leave()
	}
	a.unsub()
}

// Init starts the first screen, the clock and the change listener.
func (a *App) Init() tea.Cmd {
	// the wheel scrolls where a screen scrolls (k9s, lazygit); shift and a
	// drag still select text in most terminals
	return tea.Batch(a.top().Init(), a.nextTick(), a.listen(), a.watchWatchers(), a.watchHealth(), tea.EnableMouseCellMotion)
}

// clock is the session's wall clock: the first world's. A training
// world's clock stands at the scenario's time; idle logoff and the
// session's length still run on the real one.
func (a *App) clock() time.Time {
	if len(a.outer) > 0 {
		return a.outer[0].env.Now()
	}
	return a.env.Now()
}

// enter switches to another world, keeping this one to come back to.
func (a *App) enter(env *Env, first Screen) tea.Cmd {
	a.outer = append(a.outer, world{env: a.env, stack: a.stack, changes: a.changes, unsub: a.unsub})
	a.env, a.stack = env, []Screen{first}
	a.changes, a.unsub = env.Store.Subscribe()
	a.showHelp = false
	a.toast, a.toastEnd = ToastMsg{}, time.Time{}
	return tea.Batch(first.Init(), a.listen(), a.watchWatchers(), a.watchHealth())
}

// leave ends the current world and restores the one it was entered from.
func (a *App) leave() {
	if len(a.outer) == 0 {
		return
	}
	a.unsub()
	if a.env.OnLeave != nil {
		a.env.OnLeave()
	}
	w := a.outer[len(a.outer)-1]
	a.outer = a.outer[:len(a.outer)-1]
	a.env, a.stack, a.changes, a.unsub = w.env, w.stack, w.changes, w.unsub
	a.showHelp = false
	a.toast, a.toastEnd = ToastMsg{}, time.Time{}
}

// watchWatchers waits for the watchers of this world to change, so the
// header's "watched by" shows at once.
func (a *App) watchWatchers() tea.Cmd {
	env := a.env
	if env.Watched == nil {
		return nil
	}
	_, changed := env.Watched()
	done := env.Ctx.Done()
	return func() tea.Msg {
		select {
		case <-changed:
			return watchedMsg{env}
		case <-done:
			return nil
		}
	}
}

// watchHealth waits for this world's store to begin or stop answering,
// so the header says so at once, on a screen nobody is typing in too.
// One wait at a time: a world left and come back to keeps its own.
func (a *App) watchHealth() tea.Cmd {
	env := a.env
	if env.Health == nil {
		return nil
	}
	_, changed := env.Health()
	if changed == nil || changed == a.healthWait {
		return nil // a store that cannot go, or a wait under way
	}
	a.healthWait = changed
	done := env.Ctx.Done()
	return func() tea.Msg {
		select {
		case <-changed:
			return healthMsg{env, changed}
		case <-done:
			return nil
		}
	}
}

// health is the store's health now; the zero value (answering) when
// the world cannot say.
func (a *App) health() backend.Health {
	if a.env.Health == nil {
		return backend.Health{}
	}
	h, _ := a.env.Health()
	return h
}

func (a *App) top() Screen { return a.stack[len(a.stack)-1] }

// listen waits for the next account change in the current world, or
// the world's end.
func (a *App) listen() tea.Cmd { return listenTo(world{env: a.env, changes: a.changes}) }

// listenTo waits for the next change of a world, or the world's end.
func listenTo(w world) tea.Cmd {
	ch, done := w.changes, w.env.Ctx.Done()
	return func() tea.Msg {
		select {
		case ids := <-ch:
			return accountsChangedMsg{from: ch, ids: strings.Split(ids, "\n")}
		case <-done:
			return nil
		}
	}
}

// nextTick wakes the shell at the next minute (the header clock), the
// idle deadline or the session's end, whichever comes first. Redrawing no
// more often keeps hundreds of idle sessions cheap.
func (a *App) nextTick() tea.Cmd {
	return Tick(a.env.Ctx, a.tickDelay(), func(time.Time) tea.Msg { return tickMsg{} })
}

// tickDelay is how long until the shell must next wake.
func (a *App) tickDelay() time.Duration {
	now := a.clock()
	next := now.Truncate(time.Minute).Add(time.Minute)
	for _, t := range []time.Time{a.lastKey.Add(a.env.IdleTimeout), a.lastKey.Add(a.env.IdleTimeout - a.idleWarning()), a.start.Add(a.env.MaxSession)} {
		if !t.After(now) {
			continue
		}
		if t.Before(next) {
			next = t
		}
	}
	if !a.toastEnd.IsZero() && a.toastEnd.Before(next) {
		next = a.toastEnd
	}
	delay := next.Sub(now)
	if d, ok := a.top().(Deadliner); ok {
		// deadlines are on the world's clock (a training scenario's stands still)
		if t, ok := d.NextDeadline(a.env.Now()); ok {
			delay = min(delay, t.Sub(a.env.Now()))
		}
	}
	return max(delay, 10*time.Millisecond)
}

// idleWarning is how long before the idle logoff the agent is warned:
// a minute, or half the idle time when that is shorter.
func (a *App) idleWarning() time.Duration { return min(time.Minute, a.env.IdleTimeout/2) }

func (a *App) quit(reason string) (tea.Model, tea.Cmd) {
	a.exit, a.ended = reason, true
	a.Close()
	return a, tea.Quit
}

// Update routes messages: keys to the top screen after the shell's own,
// account changes to every screen, everything else to the top screen.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		if msg.Width > 0 && msg.Height > 0 { // some clients send 0×0 first
			a.w, a.h = min(msg.Width, MaxWidth), min(msg.Height, MaxHeight)
		}
		return a, nil
	case tickMsg:
		now := a.clock()
		if now.Sub(a.lastKey) >= a.env.IdleTimeout {
			return a.quit("Logged off after " + a.env.IdleTimeout.String() + " without a key press.")
		}
		if now.Sub(a.start) >= a.env.MaxSession {
			return a.quit("Session ended: the longest session allowed is " + a.env.MaxSession.String() + ".")
		}
		if !a.toastEnd.IsZero() && !now.Before(a.toastEnd) {
			a.toast, a.toastEnd = ToastMsg{}, time.Time{}
		}
		if logoff := a.lastKey.Add(a.env.IdleTimeout); !now.Before(logoff.Add(-a.idleWarning())) && a.warned != a.lastKey {
			// a minute's notice: an agent reading a long note to a caller keeps the session with one key
			a.warned = a.lastKey
			a.toast = ToastMsg{Text: "No key pressed for a while: you will be logged off in " + logoff.Sub(now).Round(time.Second).String() + ". Press any key to stay.", Bad: true}
			a.toastEnd = logoff
		}
		return a, a.nextTick()
	case QuitMsg:
		return a.quit(msg.Reason)
	case showHelpMsg:
		a.showHelp, a.helpTop = true, 0
		return a, nil
	case clipboardMsg:
		a.osc = osc52.New(msg.text).String()
		return a, Tick(a.env.Ctx, time.Second, func(time.Time) tea.Msg { return clipboardClearMsg{} })
	case clipboardClearMsg:
		a.osc = ""
		return a, nil
	case ToastMsg:
		// on the wall clock: a training world's stands still, and its toasts
		// stayed for good (newcomer walkthrough: the debrief's way out hidden)
		a.toast, a.toastEnd = msg, a.clock().Add(6*time.Second)
		return a, a.nextTick()
	case Addressed:
		return a, a.deliver(msg)
	case accountsChangedMsg:
		if msg.from != a.changes {
			// a world the session is not in now: its screens stay current
			for i := range a.outer {
				if w := &a.outer[i]; w.changes == msg.from {
					cmds := tellChanged(w.stack, msg.ids)
					w.env.nav = w.env.nav[:0] // it cannot navigate while the session is elsewhere
					return a, tea.Batch(append(cmds, listenTo(*w))...)
				}
			}
			return a, nil // a world left behind for good
		}
		cmds := tellChanged(a.stack, msg.ids)
		return a, tea.Batch(append(cmds, a.listen(), a.navigate())...)
	case enterMsg:
		return a, a.enter(msg.env, msg.first)
	case leaveMsg:
		a.leave()
		cmds := []tea.Cmd{a.listen(), a.watchHealth()}
		if r, ok := a.stack[len(a.stack)-1].(Returner); ok {
			cmds = append(cmds, r.Returned())
		}
		return a, tea.Batch(cmds...)
	case watchedMsg:
		if msg.env != a.env {
			return a, nil
		}
		return a, a.watchWatchers()
	case healthMsg:
		if msg.changed == a.healthWait {
			a.healthWait = nil
		}
		if msg.env != a.env {
			return a, nil // a world left: watched again on return (leave)
		}
		h := a.health()
		if down := h.Down != nil; down != a.storeDown {
			// said once a change: the header keeps saying it
			a.storeDown = down
			text, stay := StoreBack, 6*time.Second
			if down {
				text, stay = StoreDown(h), storeDownFor
			}
			a.toast, a.toastEnd = ToastMsg{Text: text, Bad: down}, a.clock().Add(stay)
		}
		return a, tea.Batch(a.watchHealth(), a.nextTick())
	case tea.KeyMsg:
		return a.key(msg)
	case tea.MouseMsg:
		if Wheel(msg) == 0 || a.tooSmallNow() || a.showHelp {
			return a, nil // clicks and motion do nothing: every action has its key
		}
		a.lastKey = a.clock() // scrolling while reading to a caller is work
		return a, a.updateTop(msg)
	}
	return a, a.updateTop(msg)
}

// tellChanged tells every screen of a stack which accounts changed.
func tellChanged(stack []Screen, ids []string) []tea.Cmd {
	var cmds []tea.Cmd
	for _, id := range ids {
		for i, s := range stack {
			var c tea.Cmd
			stack[i], c = s.Update(AccountChangedMsg{ID: id})
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// Addressed is a message for one screen, wherever it is: on top, under
// the screen the agent opened since, or in a world the session has left
// for a while (practice). A command a screen started answers this way, so
// its answer is neither lost nor taken by whichever screen is on top
// when it comes (a Lookup's search, refreshed under the Account screen
// after a synced change).
type Addressed struct {
	To  Screen
	Msg tea.Msg
}

// deliver hands m to its screen; a screen that is no longer in any stack
// (closed) does not get it.
func (a *App) deliver(m Addressed) tea.Cmd {
	if a.top() == m.To {
		return a.updateTop(m.Msg)
	}
	stacks := [][]Screen{a.stack}
	for _, w := range a.outer {
		stacks = append(stacks, w.stack)
	}
	for _, st := range stacks {
		for i, s := range st {
			if s == m.To {
				var cmd tea.Cmd
				st[i], cmd = s.Update(m.Msg) // not on top: it does not navigate
				return cmd
			}
		}
	}
	return nil
}

func (a *App) updateTop(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	a.stack[len(a.stack)-1], cmd = a.top().Update(msg)
	return tea.Batch(cmd, a.navigate())
}

// navigate applies the pushes and pops screens asked for via the Env.
// A toast belongs to the screen it was said on: it does not follow the
// agent to another.
func (a *App) navigate() tea.Cmd {
	var cmds []tea.Cmd
	if len(a.env.nav) > 0 {
		a.toast, a.toastEnd = ToastMsg{}, time.Time{}
	}
	popped := false
	for _, s := range a.env.nav {
		if s == nil {
			if len(a.stack) > 1 {
				a.stack = a.stack[:len(a.stack)-1]
				popped = true
			}
			continue
		}
		a.stack = append(a.stack, s)
		a.showHelp = false
		cmds = append(cmds, s.Init())
	}
	if popped && (len(a.env.nav) == 0 || a.env.nav[len(a.env.nav)-1] == nil) {
		cmds = append(cmds, a.resume())
	}
	a.env.nav = a.env.nav[:0]
	return tea.Batch(cmds...)
}

// capturing: the screen on top is taking typed text (a search box, a
// form's field), so keys are text, not commands.
func (a *App) capturing() bool {
	c, ok := a.top().(InputCapturer)
	return ok && c.CapturingInput()
}

// maxKeyBurst is the most keys read together that are taken one by one.
const maxKeyBurst = 8

// oneByOne handles keys that came in one read as one message (Bubble Tea
// gives runes read together as one key: a fast typist over a slow link,
// tmux's send-keys) one key at a time, as if typed apart: a screen that
// reads single keys matched none of "1k" and dropped both (newcomer
// walkthrough). Once a key opens a text field, the rest is typed into it.
func (a *App) oneByOne(msg tea.KeyMsg) tea.Cmd {
	var cmds []tea.Cmd
	for i, r := range msg.Runes {
		if a.ended {
			break
		}
		k := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}
		if i > 0 && a.capturing() {
			k.Runes = msg.Runes[i:]
			_, cmd := a.key(k)
			return tea.Batch(append(cmds, cmd)...)
		}
		_, cmd := a.key(k)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// resume tells the screen now on top that it is again (Resumer).
func (a *App) resume() tea.Cmd {
	if r, ok := a.top().(Resumer); ok {
		return r.Resume()
	}
	return nil
}

// opsOffered: the Ops screen can be opened from here — the session has
// one, the role may see it (model.MaySeeOps), it is not already on top,
// and the screen on top has no key of its own where Ops's is (Diagnose
// takes "o" for a problem).
func (a *App) opsOffered() bool {
	e := a.env
	if e.Ops == nil || e.OpenOps == nil || !model.MaySeeOps(e.Actor.Role) || (a.ops != nil && a.top() == a.ops) {
		return false
	}
	press, _ := pressOf(e.Keys.Ops.Keys()[0])
	for _, g := range a.top().FullHelp() {
		for _, b := range g {
			if key.Matches(press, b) {
				return false
			}
		}
	}
	return true
}

func (a *App) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	a.lastKey = a.clock()
	k := a.env.Keys
	if key.Matches(msg, k.ForceQuit) {
		return a.quit("")
	}
	if a.tooSmallNow() {
		// nothing acts behind the too-small notice: the agent cannot see
		// what a key would do
		return a, nil
	}
	if len(msg.Runes) > MaxKeyRunes {
		msg.Runes = msg.Runes[:MaxKeyRunes]
	}
	if msg.Type == tea.KeyRunes {
		// what Sanitize would escape (controls, bidi overrides, other
		// invisible format characters) never reaches a text box: the box
		// draws its value as typed, and a pasted U+202E reached the
		// terminal raw (attack review, round 3)
		untypable := func(r rune) bool { return !Typable(r) }
		if slices.ContainsFunc(msg.Runes, untypable) { // a copy only then: not on every key
			msg.Runes = slices.DeleteFunc(slices.Clone(msg.Runes), untypable)
			if len(msg.Runes) == 0 {
				return a, nil
			}
		}
	}
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !a.capturing() {
		if len(msg.Runes) > maxKeyBurst {
			// no one types that many keys within one read: text pasted
			// where commands are read, or a script; taken one by one it
			// could run a command per rune (an audited reveal, say)
			return a, nil
		}
		return a, a.oneByOne(msg)
	}
	if a.askQuit {
		// only y ends it: any other key (the "u" of "quinn") stays
		a.askQuit = false
		if msg.String() == "y" || msg.String() == "Y" {
			return a.quit("")
		}
		return a, nil
	}
	if a.showHelp {
		switch msg.String() {
		case "down", "j":
			a.helpTop++
		case "up", "k":
			a.helpTop--
		case "pgdown", " ":
			a.helpTop += max(a.h-4, 1)
		case "pgup":
			a.helpTop -= max(a.h-4, 1)
		case "home", "g":
			a.helpTop = 0
		}
		a.helpTop = max(a.helpTop, 0) // the end is clamped where it is drawn
		if key.Matches(msg, k.Help, k.Back, k.Quit) {
			a.showHelp = false
		}
		return a, nil
	}
	for _, h := range a.env.Hotkeys {
		if key.Matches(msg, h.Key) {
			if h.Title != a.top().Title() { // on top already: nothing to open
				a.env.Push(h.Open())
			}
			return a, a.navigate()
		}
	}
	if c, ok := a.top().(InputCapturer); !ok || !c.CapturingInput() {
		switch {
		case key.Matches(msg, k.Quit):
			a.askQuit = true
			return a, nil
		case key.Matches(msg, k.Help):
			a.showHelp, a.helpTop = true, 0
			return a, nil
		case key.Matches(msg, k.Palette):
			a.env.Push(a.Palette())
			return a, a.navigate()
		case key.Matches(msg, k.Zone) && !a.topTakes(k.Zone):
			a.env.UTC = !a.env.UTC
			if a.env.UTC {
				return a, Toast("Times in UTC; " + k.Zone.Help().Key + " again for the caller's zone.")
			}
			return a, Toast("Times in the caller's zone (DOMAIN §7).")
		case key.Matches(msg, k.Ops) && a.opsOffered():
			a.ops = a.env.OpenOps(a.env)
			a.env.Push(a.ops)
			return a, a.navigate()
		case key.Matches(msg, k.Back) && len(a.stack) > 1:
			a.stack = a.stack[:len(a.stack)-1]
			a.toast, a.toastEnd = ToastMsg{}, time.Time{}
			return a, a.resume()
		}
	}
	return a, a.updateTop(msg)
}

// View draws header, body and footer: exactly h lines, none wider than w.
func (a *App) View() string {
	if a.ended {
		return ""
	}
	if a.tooSmallNow() {
		return fitBlock(a.tooSmall(), a.w, a.h)
	}
	foot := a.footer()
	bodyH := a.h - 1 - lipgloss.Height(foot)
	var body string
	if a.showHelp {
		body = a.fullHelp()
		if lines := strings.Split(body, "\n"); len(lines) > bodyH && bodyH > 1 {
			// taller than the window: it scrolls, a line kept to say so
			// (at 60×16 the keys that work everywhere were out of reach)
			a.helpTop = min(a.helpTop, len(lines)-(bodyH-1))
			shown := lines[a.helpTop : a.helpTop+bodyH-1]
			more := "↓ more keys below"
			switch {
			case a.helpTop+bodyH-1 >= len(lines):
				more = "↑ more keys above"
			case a.helpTop > 0:
				more = "↑/↓ more keys above and below"
			}
			body = strings.Join(shown, "\n") + "\n" + a.env.Styles.Warn.Render(Clip(more+" · esc or ? closes help", a.w))
		}
	} else {
		body = a.top().View(a.w, bodyH)
	}
	head := a.header()
	var frame string
	if fits(body, a.w, bodyH) {
		// the frame written once, padded where the body is short: not
		// fitted, then copied again into the frame (a keystroke's garbage)
		var b strings.Builder
		pad := bodyH - 1 - strings.Count(body, "\n")
		b.Grow(len(head) + len(body) + pad + len(foot) + 2)
		b.WriteString(head)
		b.WriteByte('\n')
		b.WriteString(body)
		for range pad {
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
		b.WriteString(foot)
		frame = b.String()
	} else {
		frame = head + "\n" + fitBlock(body, a.w, bodyH) + "\n" + foot
	}
	if a.env.Publish != nil {
		a.env.Publish(frame)
	}
	return frame
}

// Palette is the command palette the shell opens over the screen on top
// (its palette key): the screen's own bindings, the hotkeys, help and
// quit, and Ops where it is offered. Nil when the screen takes every key,
// where the palette key does not open it.
func (a *App) Palette() *Palette {
	if c, ok := a.top().(InputCapturer); ok && c.CapturingInput() {
		return nil
	}
	k := a.env.Keys
	shell := append(a.hotkeys(), k.Help, k.Quit, k.Zone) // "quit" and "help" are commands too
	if a.opsOffered() {
		shell = append(shell, k.Ops)
	}
	if len(a.stack) > 1 {
		shell = append(shell, k.Back)
	}
	// the top screen's and the shell's, then every screen's below it: what
	// the agent can reach from here, not only this screen's keys
	levels := []PaletteLevel{{Title: a.top().Title(), Groups: append(a.top().FullHelp(), shell)}}
	for i := len(a.stack) - 2; i >= 0; i-- {
		s := a.stack[i]
		levels = append(levels, PaletteLevel{Title: s.Title(), Depth: len(a.stack) - 1 - i, Groups: s.FullHelp()})
	}
	return NewStackPalette(a.env, a.top().Title(), levels)
}

// topTakes: the screen on top has a key of its own where b's is.
func (a *App) topTakes(b key.Binding) bool {
	press, _ := pressOf(b.Keys()[0])
	for _, g := range a.top().FullHelp() {
		for _, o := range g {
			if key.Matches(press, o) {
				return true
			}
		}
	}
	return false
}

// hotkeys are the current world's hotkey bindings, but the one that
// opens the screen on top.
func (a *App) hotkeys() []key.Binding {
	var out []key.Binding
	for _, h := range a.env.Hotkeys {
		if h.Title != a.top().Title() {
			out = append(out, h.Key)
		}
	}
	return out
}

// tooSmallNow: the window is below the minimum, so the shell shows only
// the too-small notice and takes no key but ctrl+c.
func (a *App) tooSmallNow() bool { return a.w < MinWidth || a.h < MinHeight }

func (a *App) tooSmall() string {
	st := a.env.Styles
	// wrapped, not cut: at 40×12 the size and how to quit were cut off
	return st.Warn.Render("Terminal too small") + "\n" +
		wrap("frontdoor needs at least "+strconv.Itoa(MinWidth)+"×"+strconv.Itoa(MinHeight)+"; this one is "+
			strconv.Itoa(a.w)+"×"+strconv.Itoa(a.h)+". Enlarge the window, or press ctrl+c to quit.", a.w)
}

func (a *App) header() string {
	var watched []string
	if a.env.Watched != nil {
		watched, _ = a.env.Watched()
	}
	title, clock := a.top().Title(), a.env.Now().UTC().Format("15:04 MST")
	if z, ok := a.top().(CallerZoner); ok && !a.env.UTC {
		if state, ok := z.CallerState(); ok {
			clock = "caller " + model.CallerTime(a.env.Now(), a.env.Now(), state)
		}
	}
	down := ""
	if h := a.health(); h.Down != nil {
		down = "STORE DOWN " + h.Since.UTC().Format("15:04") // since
	}
	key := strings.Join([]string{string(a.env.Mode), strconv.Itoa(a.w), title, clock, a.osc, strings.Join(watched, ","), down}, "\x00")
	return a.headerMemo.Get(key, func() string {
		st := a.env.Styles
		badge := st.BadgeLive
		switch a.env.Mode {
		case Demo:
			badge = st.BadgeDemo
		case Training:
			badge = st.BadgeTraining
		}
		left := st.Header.Render("frontdoor") + " " + badge.Render(string(a.env.Mode)) + " "
		if down != "" {
			// in the mode's place (LIVE beside it read as a contradiction,
			// and at 60 columns the title had no room left)
			left = st.Header.Render("frontdoor") + " " + st.BadgeDown.Render(down) + " "
		}
		right := " " + a.env.Actor.Name + " · " + a.env.Actor.Role + " · " + clock
		watch := ""
		if len(watched) > 0 {
			watch = st.Warn.Render("watched by "+strings.Join(watched, ", ")) + " "
		}
		room := a.w - lipgloss.Width(left+watch) - lipgloss.Width(right)
		// short of room, the clock stays (a trainee reads the caller's time
		// aloud; at 60 columns "watched by" cut it to "caller 12"): the
		// watchers' names go first, then who is signed in
		if room < 1 && watch != "" {
			watch = st.Warn.Render("watched") + " "
			room = a.w - lipgloss.Width(left+watch) - lipgloss.Width(right)
		}
		if room < 1 {
			right = " " + clock
			room = a.w - lipgloss.Width(left+watch) - lipgloss.Width(right)
		}
		left += watch
		// the clipboard sequence takes no cells; the renderer writes it once,
		// with the line, and again only if the line changes meanwhile
		return ansi.Truncate(left+st.Title.Render(Fit(title, max(room, 0)))+st.HeaderDim.Render(right), a.w, "") + a.osc
	})
}

// quitQuestion is the footer while the shell asks before quitting.
const quitQuestion = "End this session (and any call on screen)? y quits · any other key stays"

func (a *App) footer() string {
	st := a.env.Styles
	if a.askQuit {
		// wrapped, not cut: at 60 columns "any other key stays" was lost
		return st.ToastBad.Render(wrap(quitQuestion, a.w))
	}
	if a.toast.Text != "" {
		return a.footerMemo.Get("toast\x00"+strconv.Itoa(a.w)+strconv.FormatBool(a.toast.Bad)+"\x00"+a.toast.Text, func() string {
			s := st.Toast
			if a.toast.Bad {
				s = st.ToastBad
			}
			// up to two lines: a refusal's reason and what to do must both show
			lines := strings.Split(wrap(Sanitize(a.toast.Text), a.w), "\n")
			if len(lines) > 2 {
				lines = lines[:2]
				lines[1] = Clip(lines[1]+" …", a.w)
			}
			return s.Render(strings.Join(lines, "\n"))
		})
	}
	// "? help" and "esc back" first, on every screen; then the screen's
	// own keys, which it orders by what matters now (an account's lead
	// finding's action first); then the shell's others. When space is
	// short the shell's others give way first, then the screen's from
	// the end: at 80 columns an account showed only "d diagnose …"
	var shell, later []key.Binding
	capturing := a.capturing()
	if !capturing {
		shell = append(shell, a.env.Keys.Help)
	}
	if len(a.stack) > 1 && !capturing {
		shell = append(shell, a.env.Keys.Back)
	}
	later = append(later, a.hotkeys()...) // they work while typing too
	if !capturing {
		later = append(later, a.env.Keys.Palette, a.env.Keys.Quit)
	}
	own := a.top().ShortHelp()
	var sig strings.Builder // what the footer is drawn from
	sig.WriteString(strconv.Itoa(a.w) + "\x00" + strconv.Itoa(len(shell)) + "\x00" + strconv.Itoa(len(own)))
	for _, b := range append(append(append([]key.Binding{}, shell...), own...), later...) {
		sig.WriteString("\x00" + strconv.FormatBool(b.Enabled()) + b.Help().Key + "\x01" + b.Help().Desc)
	}
	return a.footerMemo.Get(sig.String(), func() string {
		more := a.env.Styles.Muted.Render(" …") // more on ?
		for n := len(later); n >= 0; n-- {
			s := a.help.ShortHelpView(append(append(append([]key.Binding{}, shell...), own...), later[:n]...))
			if n < len(later) {
				s += more
			}
			if lipgloss.Width(s) <= a.w {
				return s
			}
		}
		for n := len(own); n >= 0; n-- {
			s := a.help.ShortHelpView(append(append([]key.Binding{}, shell...), own[:n]...)) + more
			if lipgloss.Width(s) <= a.w || n == 0 {
				return ansi.Truncate(s, a.w, "…")
			}
		}
		return ""
	})
}

func (a *App) fullHelp() string {
	k := a.env.Keys
	everywhere := []key.Binding{k.Help, k.Palette, k.Back, k.Quit, k.ForceQuit, k.Zone}
	if a.opsOffered() {
		everywhere = append(everywhere, k.Ops)
	}
	st := a.env.Styles
	own := st.Muted.Render("No keys of its own.")
	if groups := a.top().FullHelp(); len(groups) > 0 {
		own = a.helpColumns(groups)
	}
	// the screen's keys in columns, the shell's on lines of their own
	// below: at 80 columns a fourth column was cut to "…"
	return st.Title.Render("Keys on "+Clip(a.top().Title(), a.w-8)) + "\n\n" + own +
		"\n\n" + a.wrapKeys(st.Label.Render("Everywhere "), everywhere) +
		"\n\n" + st.Muted.Render("Press ? or esc to close help.")
}

// helpColumns lays the screen's key groups out side by side, as many to
// a row as fit the width (at 60 columns Diagnose's third group had been
// cut to "…", hiding half its keys).
func (a *App) helpColumns(groups [][]key.Binding) string {
	for per := len(groups); per > 1; per-- {
		var rows []string
		for i := 0; i < len(groups); i += per {
			rows = append(rows, a.help.FullHelpView(groups[i:min(i+per, len(groups))]))
		}
		if out := strings.Join(rows, "\n\n"); lipgloss.Width(out) <= a.w {
			return out
		}
	}
	var rows []string
	for _, g := range groups {
		rows = append(rows, a.help.FullHelpView([][]key.Binding{g}))
	}
	return strings.Join(rows, "\n\n")
}

// wrapKeys writes "key desc • key desc …" after label, onto as many lines
// as the width needs, never cutting a binding (Ops's key had been cut off
// the end at 80 columns).
func (a *App) wrapKeys(label string, keys []key.Binding) string {
	var lines []string
	line, lineKeys := label, 0
	for _, b := range keys {
		if !b.Enabled() {
			continue
		}
		one := a.help.ShortHelpView([]key.Binding{b})
		sep := ""
		if lineKeys > 0 {
			sep = a.env.Styles.Muted.Render(" • ")
		}
		if lineKeys > 0 && lipgloss.Width(line+sep+one) > a.w {
			lines = append(lines, line)
			line, sep, lineKeys = strings.Repeat(" ", lipgloss.Width(label)), "", 0
		}
		line += sep + one
		lineKeys++
	}
	return strings.Join(append(lines, line), "\n")
}

// fitBlock cuts s to at most w columns by exactly h lines; a line cut
// short ends in "…", so nothing is lost without a mark. Lines are not
// padded with spaces: the renderer ends a short line by erasing the rest
// of it (3 bytes), where padding sent up to a whole line of spaces for
// every line a keystroke changed.
// fits: s has at most h lines, none wider than w.
func fits(s string, w, h int) bool {
	n := 0
	for rest := s; ; {
		n++
		if n > h {
			return false
		}
		line := rest
		i := strings.IndexByte(rest, '\n')
		if i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		}
		if len(line) > w && Width(line) > w { // a cell takes a byte or more
			return false
		}
		if i < 0 {
			return true
		}
	}
}

func fitBlock(s string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if fits(s, w, h) {
		// a screen's body nearly always fits: padded with the lines it
		// lacks, not split and joined again (a frame's copy a keystroke)
		return s + strings.Repeat("\n", h-1-strings.Count(s, "\n"))
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if len(l) > w && Width(l) > w { // a cell takes a byte or more
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
