package screens

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"frontdoor/model"
	"frontdoor/tui"
)

// Ops is on-call's view of the server, live (engineer and admin:
// model.MaySeeOps): who is on, look-up and frame latency, the outbox's
// backlog and dead letters, sync lag, the store's size, and which
// findings diagnoses led with in the last hour, today and this week — a
// spike (emails_suppressed after an email provider's incident) shows
// within the hour. Its figures come from Env.Ops, about once a second,
// read off the update loop; the refresh stops when the screen closes.
type Ops struct {
	env    *tui.Env
	gen    int // the refresh chain's; a resumed screen starts a new one
	snap   tui.OpsSnapshot
	loaded bool
	sel    int // the leading finding chosen, to open (enter)
	keys   opsKeys
}

type opsKeys struct{ Up, Down, Open key.Binding }

// OpsRefresh is how often the Ops screen reads its figures again.
const OpsRefresh = time.Second

type (
	opsTickMsg struct {
		o   *Ops
		gen int
	}
	opsSnapMsg struct {
		o    *Ops
		gen  int
		snap tui.OpsSnapshot
	}
)

// NewOps builds the Ops screen.
func NewOps(env *tui.Env) *Ops {
	return &Ops{env: env, keys: opsKeys{
		Up:   key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "finding")),
		Down: key.NewBinding(key.WithKeys("down", "j")),
		Open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "drill in: who, when")),
	}}
}

// OpenOps is NewOps as the shell's Env.OpenOps wants it.
func OpenOps(env *tui.Env) tui.Screen { return NewOps(env) }

// Init implements tui.Screen: the first read at once.
func (o *Ops) Init() tea.Cmd { return o.read() }

// Resume restarts the refresh when the screen is on top again (the
// palette over it took its tick).
func (o *Ops) Resume() tea.Cmd {
	o.gen++
	return o.read()
}

// read asks Env.Ops for a snapshot, off the update loop (it reads the
// store).
func (o *Ops) read() tea.Cmd {
	source, gen := o.env.Ops, o.gen
	if source == nil {
		return nil
	}
	return func() tea.Msg { return opsSnapMsg{o: o, gen: gen, snap: source()} }
}

// Title implements tui.Screen.
func (o *Ops) Title() string { return "Ops" }

// Update implements tui.Screen.
func (o *Ops) Update(msg tea.Msg) (tui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case opsSnapMsg:
		if msg.o != o || msg.gen != o.gen {
			return o, nil // an older refresh's: the current one carries on
		}
		o.snap, o.loaded = msg.snap, true
		gen := o.gen
		return o, tui.Tick(o.env.Ctx, OpsRefresh, func(time.Time) tea.Msg { return opsTickMsg{o: o, gen: gen} })
	case opsTickMsg:
		if msg.o != o || msg.gen != o.gen {
			return o, nil
		}
		return o, o.read()
	case tea.KeyMsg:
		n := len(o.snap.Leads)
		switch {
		case key.Matches(msg, o.keys.Up):
			o.sel = max(o.sel-1, 0)
		case key.Matches(msg, o.keys.Down):
			o.sel = min(o.sel+1, max(n-1, 0))
		case key.Matches(msg, o.keys.Open) && o.sel < n:
			return o, o.env.Push(NewOpsFinding(o.env, o.snap.Leads[o.sel].Code))
		}
	}
	return o, nil
}

// View implements tui.Screen. The figures come first, one a line; the
// findings and the list of sessions share what height is left.
func (o *Ops) View(width, height int) string {
	st := o.env.Styles
	if !o.loaded {
		return st.Muted.Render("Reading the server's figures…")
	}
	s := o.snap
	now := o.env.Now()
	narrow := width < 60
	label := func(l string) string { return st.Label.Render(fmt.Sprintf("%-10s", l)) }
	var lines []string
	// lines are cut here with their styles kept (tui.Clip sanitises, so it
	// is for untrusted text before styling: names, codes, addresses)
	add := func(l string) { lines = append(lines, ansi.Truncate(l, width, "…")) }

	// who is on
	switch {
	case !s.Server:
		add(label("Sessions") + "this console only " + st.Muted.Render("(no SSH server in this process)"))
	default:
		names := whoIsOn(s.Sessions)
		line := label("Sessions") + fmt.Sprintf("%d open", len(s.Sessions))
		if len(names) > 0 {
			line += st.Muted.Render(" · " + strings.Join(names, ", "))
		}
		add(line)
	}
	add(label("Look-up") + latency(s.Lookup, "searches", narrow))
	add(label("Frame") + latency(s.Frame, "frames", narrow))
	out := fmt.Sprintf("%d pending", s.Outbox["pending"])
	if d := s.Outbox["dead"]; d > 0 {
		out += " · " + st.Bad.Render(fmt.Sprintf("%d dead", d))
		if !narrow {
			out += st.Muted.Render(" (frontdoor outbox)")
		}
	} else {
		out += " · 0 dead"
	}
	if !narrow {
		out += st.Muted.Render(fmt.Sprintf(" · %d delivered", s.Outbox["delivered"]))
	}
	add(label("Outbox") + out)
	if s.LastSync.IsZero() {
		add(label("Sync lag") + st.Muted.Render("no change-stream event applied yet"))
	} else {
		lag := max(now.Sub(s.LastSync), 0)
		txt := model.Duration(lag)
		if lag < time.Minute {
			txt = fmt.Sprintf("%d s", int(lag.Seconds()))
		}
		if !narrow {
			txt += st.Muted.Render(" (last event applied " + s.LastSync.UTC().Format("Jan 2 15:04:05") + " UTC)")
		}
		add(label("Sync lag") + txt)
	}
	add(label("Store") + bytesIEC(s.StoreBytes))
	for _, p := range s.Problems {
		add(st.Bad.Render("! " + tui.Sanitize(p)))
	}

	// what is left: findings first (the spike is the news), then sessions
	left := height - len(lines)
	showSessions := s.Server && len(s.Sessions) > 0 && left >= 8
	findRoom := left - 2 // a blank line and the heading
	if showSessions {
		findRoom = min(findRoom, max(len(s.Leads), 1), max(left/2-2, 3))
	}
	if findRoom >= 1 {
		lines = append(lines, "")
		lines = append(lines, o.findings(width, findRoom, narrow)...)
	}
	if showSessions {
		if room := height - len(lines) - 2; room >= 1 {
			lines = append(lines, "")
			lines = append(lines, o.sessions(width, room, now)...)
		}
	}
	if len(lines) > height {
		lines = lines[:max(height, 0)]
	}
	return strings.Join(lines, "\n")
}

// whoIsOn names the users on, in the order they came, with how many
// sessions each has when more than one ("sam ×8").
func whoIsOn(ss []tui.OpsSession) []string {
	var order []string
	n := map[string]int{}
	for _, x := range ss {
		u := tui.Sanitize(x.User)
		if n[u] == 0 {
			order = append(order, u)
		}
		n[u]++
	}
	for i, u := range order {
		if n[u] > 1 {
			order[i] = fmt.Sprintf("%s ×%d", u, n[u])
		}
	}
	return order
}

// findings is the heading and up to room rows of the leading findings.
func (o *Ops) findings(width, room int, narrow bool) []string {
	st := o.env.Styles
	leads := o.snap.Leads
	codeW := max(min(28, width-22), 8)
	spike := " ▲ spike"
	if narrow {
		codeW, spike = max(width-20, 8), " ▲"
	}
	head := st.Title.Render(tui.Fit("Leading findings", codeW)) + st.Label.Render(fmt.Sprintf("%5s %6s %5s", "1 h", "today", "7 d"))
	out := []string{ansi.Truncate(head, width, "…")}
	if len(leads) == 0 {
		return append(out, st.Muted.Render(tui.Clip("No diagnosis this week.", width)))
	}
	shown := leads
	if len(leads) > room {
		shown = leads[:max(room-1, 0)]
	}
	for i, c := range shown {
		mark := "  "
		if i == o.sel {
			mark = tui.Pointer + " " // enter opens it
		}
		row := mark + tui.Fit(c.Code, codeW-2) + fmt.Sprintf("%5d %6d %5d", c.Hour, c.Today, c.Week)
		if c.Spike {
			row = st.Bad.Render(row + spike)
		}
		out = append(out, ansi.Truncate(row, width, "…"))
	}
	if len(shown) < len(leads) {
		out = append(out, st.Muted.Render(tui.Clip(fmt.Sprintf("… %d more findings", len(leads)-len(shown)), width)))
	}
	return out
}

// sessions is the heading and up to room rows of who is on.
func (o *Ops) sessions(width, room int, now time.Time) []string {
	st := o.env.Styles
	ss := o.snap.Sessions
	out := []string{st.Title.Render("Who is on")}
	shown := ss
	if len(ss) > room {
		shown = ss[:max(room-1, 0)]
	}
	for _, x := range shown {
		out = append(out, ansi.Truncate(tui.Fit(x.User, 16)+" "+tui.Fit(x.Role, 9)+" "+tui.Fit(x.Remote, 16)+" "+
			st.Muted.Render("since "+model.RelTime(x.Started, now)), width, "…"))
	}
	if len(shown) < len(ss) {
		out = append(out, st.Muted.Render(tui.Clip(fmt.Sprintf("… %d more (frontdoor sessions)", len(ss)-len(shown)), width)))
	}
	return out
}

// latency says p50 and p99 of recent samples.
func latency(l tui.Latency, what string, narrow bool) string {
	if l.N == 0 {
		return "no " + what + " yet"
	}
	s := "p50 " + ms(l.P50) + " · p99 " + ms(l.P99)
	if !narrow {
		s += fmt.Sprintf("   (last %d %s)", l.N, what)
	}
	return s
}

// ms says a short duration in milliseconds, to two significant places.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f < 1:
		return fmt.Sprintf("%.2f ms", f)
	case f < 100:
		return fmt.Sprintf("%.1f ms", f)
	}
	return fmt.Sprintf("%.0f ms", f)
}

// bytesIEC says a size in KiB, MiB or GiB.
func bytesIEC(n int64) string {
	const k = 1024
	switch {
	case n < k:
		return fmt.Sprintf("%d B", n)
	case n < k*k:
		return fmt.Sprintf("%.1f KiB", float64(n)/k)
	case n < k*k*k:
		return fmt.Sprintf("%.1f MiB", float64(n)/(k*k))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(k*k*k))
}

// ShortHelp implements tui.Screen.
func (o *Ops) ShortHelp() []key.Binding { return []key.Binding{o.keys.Open, o.keys.Up} }

// FullHelp implements tui.Screen.
func (o *Ops) FullHelp() [][]key.Binding { return [][]key.Binding{{o.keys.Open, o.keys.Up}} }
