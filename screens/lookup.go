package screens

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// Lookup is the first screen: a search box, focused, and results that
// narrow as the agent types.
type Lookup struct {
	env      *tui.Env
	probes   *rate.Limiter // searches on masked values (emails, phones)
	warned   time.Time     // when a throttled search was last audited
	probed   string        // the last masked query let through (asked again, it is free)
	input    textinput.Model
	hits     []store.Hit
	more     int // matches past the first SearchLimit
	selected int
	err      error
	keys     lookupKeys
	// asked numbers the searches started, shown the one whose result is
	// on screen: a result that is not the latest asked is dropped, so a
	// slow search for "mar" never replaces the answer for "maria".
	asked, shown uint64
	query        string // what the results on screen answer
	// running counts the searches asked and not yet answered; behind
	// says a key was typed meanwhile and its search waits for them
	// (searchTyped)
	running int
	behind  bool
	// fresh: the agent came back from an account, so the query in the box
	// is the last caller's; the next key typed starts a new search
	// instead of appending to it (acc_00000003henry matched nothing)
	fresh     bool
	box       tui.InputFrame // the search box
	inputView tui.Memo       // the input's own view, by its value and cursor
	rows      tui.Memo       // the table as last drawn
	// limit is how many results are loaded: SearchLimit, and a page more
	// each time ↓ or pgdn goes past the last (k9s and gh-dash page on)
	limit int
	next  int // the row to select when the longer list comes, or -1
	page  int // rows the table showed last
}

// searchResult is a search's answer, tagged with the search that asked
// and addressed to the screen that asked (tui.Addressed) (issue 14:
// searches run off the update loop, as commands, and a stale one never
// wins).
type searchResult struct {
	seq   uint64
	hits  []store.Hit
	more  int
	err   error
	query string
}

type lookupKeys struct{ Up, Down, PageUp, PageDown, Open, Diagnose, Leave, Focus, Clear key.Binding }

// SearchLimit is how many results the table holds: about a 24-line
// window's worth, with "N more match" below. It was 50: at 200,000
// accounts a two-letter prefix then loaded and drew 50 records a key, 2.5
// times the look-up for rows hardly anyone scrolls to (issue 14: first 20
// results).
const SearchLimit = 20

// What the search box says it takes, long and short.
const (
	findHint      = "name, id, whole email, phone or its last 4 digits"
	findHintShort = "name, id, email, phone, last 4 digits"
)

// NewLookup builds the Lookup screen.
func NewLookup(env *tui.Env) *Lookup {
	in := tui.NewTextInput()
	in.Placeholder = findHint
	in.Prompt = "Find: "
	in.PromptStyle = env.Styles.Key
	in.CharLimit = 254
	in.Focus()
	return &Lookup{env: env, input: in, probes: rate.NewLimiter(probeRate, probeBurst), limit: SearchLimit, next: -1, keys: lookupKeys{
		Up:       key.NewBinding(key.WithKeys("up", "ctrl+p"), key.WithHelp("↑", "previous")),
		Down:     key.NewBinding(key.WithKeys("down", "ctrl+n"), key.WithHelp("↓", "next")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Diagnose: env.Keys.Bind("lookup.diagnose", "diagnose (type the caller's email there)", "ctrl+d"),
		Leave:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "leave search box")),
		Focus:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "new search")),
		// the box's own key (textinput), listed so help shows it
		Clear: key.NewBinding(key.WithKeys("ctrl+u"), key.WithHelp("ctrl+u", "clear the box")),
	}}
}

// Init implements tui.Screen: the empty box lists the agent's recent
// accounts.
func (l *Lookup) Init() tea.Cmd { return l.search() }

// Recent accounts: how many the empty box lists, and how far back.
const (
	recentAccounts = 10
	recentWindow   = 7 * 24 * time.Hour
)

// Title implements tui.Screen.
func (l *Lookup) Title() string { return "Find an account" }

// Resume implements tui.Resumer: back from an account, the next search
// starts empty; the results stay for ↑/↓ and enter until it does.
func (l *Lookup) Resume() tea.Cmd {
	l.fresh = l.input.Value() != ""
	if !l.fresh {
		return l.search() // the recent accounts, the one just left first
	}
	return nil
}

// startFresh empties the box for a new search.
func (l *Lookup) startFresh() {
	l.fresh = false
	l.input.SetValue("")
}

// CapturingInput: while the search box is focused, q and ? are typed.
func (l *Lookup) CapturingInput() bool { return l.input.Focused() }

// A search on what is masked on screen (an email, a phone) may be a
// guess at it: typing is a few a second, a script guessing phone numbers
// hundreds (second attack review: a full number in 7.6 s, unaudited).
// Past the rate such searches wait, and the session's throttling is
// audited, once a minute.
const (
	probeRate  = rate.Limit(1)
	probeBurst = 30
)

// search starts a look-up of what is in the box, as a command: the
// update loop only echoes the key (its frame is written at once), and
// the result, when it comes, is drawn in the next frame (tui.FPS).
// Throttling is decided here, at once, so a throttled guess is never
// searched at all.
func (l *Lookup) search() tea.Cmd {
	q := l.input.Value()
	l.asked++
	// only a new query is a guess: the same one asked again (the list
	// refreshed because a listed account changed, another page) tells
	// nothing new, and a sync's bursts of changes throttled and audited
	// agents who had typed nothing (round 3, on a cluster)
	if model.SearchesMasked(q) && q != l.probed && !l.probes.Allow() {
		l.shown = l.asked
		l.hits, l.more, l.selected = nil, 0, 0
		l.err = errors.New("too many email or phone look-ups in a row: wait a few seconds, then type again")
		if now := l.env.Now(); now.Sub(l.warned) > time.Minute {
			l.warned = now
			if err := l.env.Audit("lookup_throttled", "", "", map[string]string{"rate": "1/s", "burst": fmt.Sprint(probeBurst)}); err != nil {
				l.err = err
			}
		}
		return nil
	}
	if model.SearchesMasked(q) {
		l.probed = q
	}
	if q != l.query {
		l.limit, l.next = SearchLimit, -1 // a new query starts at the first page
	}
	seq, st, limit := l.asked, l.env.Store, l.limit
	l.running++
	l.behind = false // this search answers what is in the box now
	if strings.TrimSpace(q) == "" {
		// the box is empty: the accounts this agent opened last, to jump
		// back to (a caller who rings again, the call that dropped)
		actor, now := l.env.Actor.Name, l.env.Now()
		return func() tea.Msg {
			hits, err := st.Recent(actor, recentAccounts, now, recentWindow)
			return tui.Addressed{To: l, Msg: searchResult{seq: seq, hits: hits, err: err, query: q}}
		}
	}
	return func() tea.Msg {
		hits, more, err := searchShared(st, q, limit)
		return tui.Addressed{To: l, Msg: searchResult{seq: seq, hits: hits, more: more, err: err, query: q}}
	}
}

// searches makes identical look-ups asked at once one look-up
// (singleflight): after a deploy a floor comes back and types, and the
// first letters of names are few, so many sessions ask for "m" or "ma"
// at the same moment, each once the heaviest look-up there is at 1M
// (the most matches to count). A look-up joins one under way only for
// the same store, query and page, while the store has told of no account
// change since it began (Store.AccountsChanged): a screen told of a
// change asks again and starts its own.
var searches singleflight.Group

type searchAnswer struct {
	hits []store.Hit
	more int
}

// searchShared answers a look-up, with any identical one under way; the
// one that runs holds a search slot, those that join it hold none.
func searchShared(st *store.Store, q string, limit int) ([]store.Hit, int, error) {
	key := fmt.Sprintf("%p\x00%d\x00%d\x00%s", st, st.AccountsChanged(), limit, q)
	v, err, shared := searches.Do(key, func() (any, error) {
		searchSlots <- struct{}{}
		defer func() { <-searchSlots }()
		hits, more, err := st.SearchCount(q, limit)
		return searchAnswer{hits, more}, err
	})
	a, _ := v.(searchAnswer)
	if shared {
		a.hits = slices.Clone(a.hits) // each session's own slice of the same records
	}
	return a.hits, a.more, err
}

// searchSlots bounds the look-ups running at once across a server's
// sessions to one core less than it has: a floor of agents pressing keys
// at the same moment then has a core left to echo their keys and draw
// their frames while the look-ups queue, instead of every echo waiting
// behind every look-up (issue 23: 200 agents typing at once on 2 cores);
// keys typed while a session's look-up waits start none (searchTyped).
var searchSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))

// show puts a search's result on screen if it answers the latest search
// asked for; any other is stale (commands finish in any order). The
// cursor stays on its account when the same query is searched again (a
// refresh after a change), else goes to the top.
func (l *Lookup) show(r searchResult) {
	l.running = max(l.running-1, 0)
	if r.seq != l.asked {
		return
	}
	was := ""
	if l.selected < len(l.hits) {
		was = l.hits[l.selected].Account.ID
	}
	again := r.query == l.query
	l.hits, l.more, l.err, l.shown, l.query = r.hits, r.more, r.err, r.seq, r.query
	l.selected = 0
	for i, h := range l.hits {
		if again && h.Account.ID == was {
			l.selected = i
		}
	}
	if again && l.next >= 0 {
		l.selected = min(l.next, max(len(l.hits)-1, 0))
	}
	l.next = -1
}

// moveDown moves the choice n rows down; past the last row, when more
// match, it loads the next page and moves on into it.
func (l *Lookup) moveDown(n int) tea.Cmd {
	last := max(len(l.hits)-1, 0)
	if l.selected+n > last && l.more > 0 {
		l.limit += SearchLimit
		l.next = l.selected + n
		return l.search()
	}
	l.selected = min(l.selected+n, last)
	return nil
}

// settle makes the screen answer what is in the box now, searching in
// place if the latest search's result has not come yet: enter must open
// the account the agent sees the query for, not one a key behind.
func (l *Lookup) settle() {
	if l.shown == l.asked && !l.behind {
		return
	}
	if cmd := l.search(); cmd != nil {
		if m, ok := cmd().(tui.Addressed); ok {
			l.show(m.Msg.(searchResult))
		}
	}
}

// refresh searches again when an account among the results changed (a
// synced snapshot, a colleague's action), keeping the cursor on the same
// account.
func (l *Lookup) refresh(id string) tea.Cmd {
	for _, h := range l.hits {
		if h.Account.ID == id {
			return l.search()
		}
	}
	return nil
}

// Update implements tui.Screen.
func (l *Lookup) Update(msg tea.Msg) (tui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tui.AccountChangedMsg:
		return l, l.refresh(msg.ID)
	case searchResult:
		if msg.seq == l.asked && msg.query != l.input.Value() {
			// typed past: the box changed while this search ran. Its
			// answer is for a query the agent no longer sees; drawn, it
			// is a frame (~1.4 KB at 1M) that flickers before the box's
			// own answer. The box is searched instead; the list on screen
			// stays until that answers.
			l.running = max(l.running-1, 0)
			if l.running == 0 {
				return l, l.search()
			}
			return l, nil
		}
		l.show(msg)
		if l.query == l.input.Value() {
			l.behind = false // keys typed while it ran came back to its query
		}
		if l.behind && l.running == 0 {
			return l, l.search() // what was typed while it ran
		}
		return l, nil
	}
	if m, ok := msg.(tea.MouseMsg); ok {
		// the wheel moves the choice, as ↑/↓ do
		l.selected = min(max(l.selected+tui.Wheel(m), 0), max(len(l.hits)-1, 0))
		return l, nil
	}
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		var cmd tea.Cmd
		l.input, cmd = l.input.Update(msg)
		return l, cmd
	}
	switch {
	case k.String() == "?" && strings.TrimSpace(l.input.Value()) == "":
		return l, tui.ShowHelp // no address, name or id starts with "?"
	case key.Matches(k, l.keys.Up):
		l.selected = max(l.selected-1, 0)
		return l, nil
	case key.Matches(k, l.keys.Down):
		return l, l.moveDown(1)
	case key.Matches(k, l.keys.PageDown):
		return l, l.moveDown(max(l.page-1, 1))
	case key.Matches(k, l.keys.PageUp):
		l.selected = max(l.selected-max(l.page-1, 1), 0)
		return l, nil
	case key.Matches(k, l.keys.Open):
		l.settle()
		if len(l.hits) > 0 {
			h := l.hits[l.selected]
			matched := ""
			if h.MatchedBy == "email" || h.MatchedBy == "previous email" {
				matched, _, _ = model.MatchedEmail(h.Account, l.input.Value())
			}
			return l, openAccount(l.env, h.Account.ID, "search: "+h.MatchedBy, matched)
		}
		if strings.TrimSpace(l.input.Value()) == "" {
			return l, nil
		}
		return l, l.diagnoseAnyway()
	case key.Matches(k, l.keys.Diagnose):
		return l, l.diagnoseDirect()
	case l.input.Focused() && key.Matches(k, l.keys.Leave):
		l.input.Blur()
		return l, nil
	case key.Matches(k, l.keys.Focus) && (!l.input.Focused() || l.fresh || l.input.Value() == ""):
		// also from the palette, back from an account: never a typed "/"
		// a fresh filter, as k9s's and lazygit's /
		l.startFresh()
		l.input.Focus()
		return l, tea.Batch(textinput.Blink, l.search())
	}
	if !l.input.Focused() {
		if k.Type != tea.KeyRunes || k.Paste {
			return l, nil
		}
		// typing after esc starts a new search, as back from an account
		// (it was ignored, and enter then opened the last search's pick:
		// an audited look-up of the wrong caller; newcomer walkthrough);
		// the shell's own keys (q, ?, :) never reach here
		l.startFresh()
		l.input.Focus()
	}
	if l.fresh && (k.Type == tea.KeyRunes || k.Type == tea.KeySpace || k.Type == tea.KeyBackspace) {
		l.startFresh()
		if k.Type == tea.KeyBackspace {
			return l, l.searchTyped()
		}
	}
	before := l.input.Value()
	var cmd tea.Cmd
	l.input, cmd = l.input.Update(msg)
	if l.input.Value() != before {
		return l, tea.Batch(cmd, l.searchTyped())
	}
	return l, cmd
}

// searchTyped searches for what a key left in the box, unless a search
// is still running: then the box's query is searched once that answers.
// Keys typed faster than the server searches (a floor of agents typing
// at once on a busy server, issue 23) start one search, not one each
// whose answers nobody would see; a server keeping up searches every key.
func (l *Lookup) searchTyped() tea.Cmd {
	if l.running > 0 {
		l.behind = true
		return nil
	}
	return l.search()
}

// diagnoseAnyway opens Diagnose for an email no account has: the caller
// may be on another Headway, or using another address (no_account).
func (l *Lookup) diagnoseAnyway() tea.Cmd {
	q := strings.TrimSpace(l.input.Value())
	if model.ValidateEmail(q) != nil {
		return tui.ToastError(errNotEmail)
	}
	if r, err := l.env.Store.ByEmail(q); err == nil {
		return openAccount(l.env, r.Account.ID, "email", q)
	}
	return l.env.Push(NewDiagnose(l.env, nil, q, false))
}

// diagnoseDirect opens Diagnose without a look-up first: on the typed
// email if it is one, else on an empty email field for the caller's
// address. The Diagnose screen finds (and audits) the account itself.
func (l *Lookup) diagnoseDirect() tea.Cmd {
	d := NewDiagnose(l.env, nil, "", false)
	if q := strings.TrimSpace(l.input.Value()); model.ValidateEmail(q) == nil {
		return tea.Batch(l.env.Push(d), d.setEmail(q))
	}
	return l.env.Push(d)
}

var errNotEmail = errors.New("type the caller's full email address to diagnose it")

// View implements tui.Screen.
func (l *Lookup) View(width, height int) string {
	st := l.env.Styles
	// the text's width: inside the box's border and padding (4), less
	// the prompt and the cursor past the end (a query of 70 letters at
	// 80 columns wrapped the box onto a second line: round 3)
	if w := max(width-5-tui.Width(l.input.Prompt)-1, 10); w != l.input.Width {
		// the box's scroll offset is only worked out on an update: after a
		// resize a long query wrapped the box over three lines until the
		// next key (newcomer walkthrough); setting the cursor works it out
		l.input.Width = w
		l.input.SetCursor(l.input.Position())
		// the box's hint is read whole: the short one where the long one
		// would be cut ("…or its last 4 …" at 60 columns)
		l.input.Placeholder = findHint
		if tui.Width(findHint) > w {
			l.input.Placeholder = findHintShort
		}
	}
	var b strings.Builder
	b.Grow((width + 24) * height) // the screen and its styling, grown once
	// the box is drawn twice a key (the echo, then the results): the
	// input's view, a styled run per part, is made once
	in := l.inputView.Get(l.input.Value()+"\x00"+strconv.Itoa(l.input.Position())+"\x00"+strconv.FormatBool(l.input.Focused())+"\x00"+strconv.Itoa(l.input.Width), l.input.View)
	b.WriteString(l.box.Render(st, width, in) + "\n")
	if l.fresh && l.input.Focused() {
		b.WriteString(st.Muted.Render(tui.Clip("Typing starts a new search; ↑/↓ and enter pick from these.", width)) + "\n")
		height--
	}
	// what the list shows is said by the query it answers, not by the
	// box: a key's echo comes before its results, and the box emptied
	// over the last results had them labelled "Your recent accounts"
	// (and redrawn a line lower) until the recent ones came
	q := strings.TrimSpace(l.query)
	switch {
	case l.err != nil:
		b.WriteString(st.Bad.Render(tui.Clip(l.err.Error(), width)))
	case q == "" && len(l.hits) > 0:
		b.WriteString(st.Label.Render(tui.Clip("Your recent accounts — ↑/↓ and enter to open one again, or type to search:", width)) + "\n")
		b.WriteString(l.rows.Get(fmt.Sprint("recent ", l.shown, " ", l.selected, " ", width, " ", height), func() string { return l.table(width, height-5) }))
	case q == "":
		b.WriteString(st.Muted.Render("Type the caller's name, account id, whole email, or phone (or its last 4).") + "\n" +
			st.Muted.Render("Results narrow as you type; ↑/↓ to choose, enter to open."))
	case len(l.hits) == 0:
		b.WriteString(st.Warn.Render("No account matches “"+tui.Clip(q, width-30)+"”.") + "\n")
		if model.ValidateEmail(q) == nil {
			b.WriteString("Press " + st.Key.Render("enter") + " to diagnose this email anyway: another Headway, or another address? " + st.Rule.Render("[P1 R5]"))
		} else {
			b.WriteString(st.Muted.Render("Try another spelling, the work or personal email, or the phone number."))
		}
	default:
		// a key's echo is drawn before its results come: the table it
		// shows is the last one, not styled again
		l.page = height - 5 // the rows the table shows
		b.WriteString(l.rows.Get(fmt.Sprint(l.shown, " ", l.selected, " ", width, " ", height), func() string { return l.table(width, height-4) }))
		if l.more > 0 {
			more := fmt.Sprintf("%d more match", l.more)
			if len(l.hits)+l.more >= store.SearchBound {
				more = fmt.Sprintf("over %d more match", l.more) // counting stopped there
			}
			b.WriteString("\n" + st.Muted.Render(tui.Clip(more+fmt.Sprintf(" — ↓ past the last shows %d more, or type more to narrow.", min(l.more, SearchLimit)), width)))
		}
	}
	return b.String()
}

// table lists the hits with what tells two Maria Lopezes apart: the
// masked email, role, status, the phone's last four digits and, from 100
// columns, when the account was made; the id is never cut.
func (l *Lookup) table(width, height int) string {
	idW := 2
	for _, h := range l.hits {
		idW = max(idW, tui.Width(tui.Sanitize(h.Account.ID)))
	}
	// the name is what the caller said: below 100 columns the creation
	// month gives way to it ("Liam Thomps…" beside a whole id column)
	created := 10
	phW := 4
	for _, h := range l.hits {
		if h.MatchedBy == "phone" {
			phW = 8 // "0142 2fa": a 2FA phone matched
		}
	}
	cols := []tui.Column{tui.Col("Name", 0), tui.Col("Email", 21), tui.Col("Role", 8), tui.Col("Status", 7),
		tui.Col("Ph", phW), tui.Col("Created", created), tui.Col("Id", idW)}
	wide := width >= 100
	if !wide {
		cols = slices.Delete(cols, 5, 6)
	}
	if width < 76 {
		cols = []tui.Column{tui.Col("Name", 0), tui.Col("Email", 18), tui.Col("Role", 8), tui.Col("Id", idW)}
	}
	rows := make([][]string, len(l.hits))
	for i, h := range l.hits {
		a := h.Account
		if h.Corrupt { // only its id is known: opening it says what is wrong
			a.Name = "⚠ record does not decode (frontdoor check)"
		}
		email := model.MaskEmail(a.Email)
		if h.MatchedBy == "previous email" {
			// the old address the caller gave, not the current one
			if m, prev, ok := model.MatchedEmail(a, l.query); ok && prev {
				email = "old: " + model.MaskEmail(m)
			}
		}
		phone, made := "", ""
		if d := model.PhoneLast4(a.Phone); d != "" {
			phone = d
		}
		if h.MatchedBy == "phone" {
			phone = matchedPhone(a, l.query, phone)
		}
		if a.CreatedAt != nil {
			made = a.CreatedAt.UTC().Format("2006-01-02")[:created]
		}
		switch {
		case width < 76:
			rows[i] = []string{a.Name, email, a.Role, a.ID}
		case !wide:
			rows[i] = []string{a.Name, email, a.Role, model.StatusShort(a.Status), phone, a.ID}
		default:
			rows[i] = []string{a.Name, email, a.Role, model.StatusShort(a.Status), phone, made, a.ID}
		}
	}
	return tui.Table(l.env.Styles, cols, rows, l.selected, width, height)
}

// matchedPhone is the last four digits of the phone the query found:
// the account's, or else a 2FA phone's, marked "2fa" (a search by the
// number codes go to showed the account phone's digits beside it, which
// did not match what was typed: walkthrough). A listed hit carries no
// factors, so a phone match the account phone does not hold is a 2FA
// phone's, and its digits are the query's. shown is what the column
// says otherwise.
func matchedPhone(a model.Account, query, shown string) string {
	q := model.Digits(query)
	if len(q) < 4 || strings.Contains(model.Digits(a.Phone), q) {
		return shown
	}
	return q[len(q)-4:] + " 2fa"
}

// ShortHelp implements tui.Screen.
func (l *Lookup) ShortHelp() []key.Binding {
	if l.input.Focused() {
		return []key.Binding{l.keys.Open, l.keys.Up, l.keys.Down, l.keys.Leave}
	}
	return []key.Binding{l.keys.Open, l.keys.Focus}
}

// FullHelp implements tui.Screen.
func (l *Lookup) FullHelp() [][]key.Binding {
	return [][]key.Binding{{l.keys.Open, l.keys.Up, l.keys.Down, l.keys.PageUp, l.keys.PageDown}, {l.keys.Diagnose, l.keys.Leave, l.keys.Focus, l.keys.Clear}}
}
