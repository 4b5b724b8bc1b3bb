package screens

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// Diagnose asks what the caller reports (their email, site, problem,
// flags) and shows the findings live: the first prominent with the steps
// to read out, the rest with their evidence. The findings come from
// model.Diagnose only. It diagnoses the address the caller gave: the one
// a look-up matched (a previous email too), or one the agent types in the
// email field, so no_account and login_email_changed are reachable.
type Diagnose struct {
	env      *tui.Env
	acc      *model.Account // nil: no account has the email
	email    string         // the caller's address, diagnosed
	typed    bool           // the agent typed email (not taken from the account)
	revealed string         // id of the account whose PII the agent revealed, or ""
	input    textinput.Model
	editing  bool
	site     int
	problem  int
	abroad   bool
	other    bool
	findings []model.Finding
	// asking: the interview stands and the findings wait until the agent
	// confirms the caller's answers or skips the questions (issue 12:
	// ask before answering)
	asking  bool
	skipped bool
	suggest model.Suggestion
	audited map[string]bool
	// call names this visit's diagnoses of one address in the audit
	// ("call"): Ops counts a call once, by its last answer, however many
	// keys the agent pressed (model.CountLeads). Another address is
	// another call.
	call   string
	scroll tui.Scroller
	keys   diagnoseKeys
}

type diagnoseKeys struct {
	Sites    []key.Binding
	Problems []key.Binding
	Abroad   key.Binding
	Other    key.Binding
	Copy     key.Binding
	Email    key.Binding
	Apply    key.Binding
	Cancel   key.Binding
	Back     key.Binding // esc while no email is set: leave
	Confirm  key.Binding
	Skip     key.Binding
	Ask      key.Binding
}

var siteLabels = map[string]string{
	model.SitePatient: "patient (headway.co)", model.SiteProvider: "provider (sigmund)",
	model.SiteCareers: "careers", model.SiteCapital: "capital", model.SiteUnknown: "unknown",
}

var problemKeys = []struct{ key, label string }{
	{"l", "can't log in"}, {"m", "no reset email"}, {"k", "reset link failed"},
	{"o", "no 2FA code"}, {"x", "lost 2FA"}, {"j", "can't join visit"}, {"f", "family account"},
}

// NewDiagnose builds the Diagnose screen for the caller's address email
// and acc, the account a look-up found by it (nil when none has it).
// revealed says the agent revealed acc's PII (DESIGN §3), so findings
// spell out emails and phones. It starts on site unknown, problem can't
// log in; with no email, it starts in the email field.
func NewDiagnose(env *tui.Env, acc *model.Account, email string, revealed bool) *Diagnose {
	d := &Diagnose{env: env, acc: acc, email: strings.TrimSpace(email), site: len(model.Sites) - 1, audited: map[string]bool{},
		call: rand.Text(), scroll: tui.NewScroller()}
	d.typed = acc == nil
	if revealed && acc != nil {
		d.revealed = acc.ID
	}
	d.input = tui.NewTextInput()
	d.input.Prompt = ""
	d.input.Placeholder = "the caller's email address"
	d.input.CharLimit = 254
	for i, s := range model.Sites {
		d.keys.Sites = append(d.keys.Sites, key.NewBinding(key.WithKeys(fmt.Sprint(i+1)), key.WithHelp(fmt.Sprint(i+1), "site: "+siteLabels[s])))
	}
	for _, p := range problemKeys {
		d.keys.Problems = append(d.keys.Problems, key.NewBinding(key.WithKeys(p.key), key.WithHelp(p.key, p.label)))
	}
	d.keys.Abroad = env.Keys.Bind("diagnose.abroad", "abroad", "a")
	d.keys.Other = env.Keys.Bind("diagnose.other_device", "other device", "w")
	d.keys.Copy = env.Keys.Bind("diagnose.copy", "copy steps", "c")
	d.keys.Email = env.Keys.Bind("diagnose.email", "caller's email", "e")
	d.keys.Apply = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "diagnose this email"))
	d.keys.Cancel = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "keep the email"))
	d.keys.Back = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	d.keys.Confirm = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "answered"))
	d.keys.Skip = env.Keys.Bind("diagnose.skip", "skip questions", "s")
	d.keys.Ask = env.Keys.Bind("diagnose.ask", "ask again", "i")
	// j and k pick problems here: scrolling is the arrows and pages only,
	// and help says so (it is built from these bindings)
	d.scroll.Keys.Up = key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "scroll up"))
	d.scroll.Keys.Down = key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "scroll down"))
	if d.email == "" {
		d.edit()
	} else {
		d.ask()
	}
	d.findings = env.Policy.Diagnose(acc, d.Report(), env.Now()) // whole before Init; Init audits
	return d
}

// ask starts the interview, the answers the account's evidence points to
// pre-selected (model.Suggest).
func (d *Diagnose) ask() {
	d.asking, d.skipped = true, false
	d.suggest = d.env.Policy.Suggest(d.acc, d.env.Now())
	d.site = slices.Index(model.Sites, d.suggest.Site)
	d.problem = slices.Index(model.Problems, d.suggest.Problem)
}

// Init implements tui.Screen.
func (d *Diagnose) Init() tea.Cmd {
	if d.editing {
		return tea.Batch(d.rediagnose(), textinput.Blink)
	}
	return d.rediagnose()
}

// Title implements tui.Screen.
func (d *Diagnose) Title() string {
	switch {
	case d.email == "":
		return "Diagnose"
	case d.acc == nil:
		return "Diagnose " + tui.Sanitize(d.email) + " (no account)"
	}
	return "Diagnose · " + tui.Sanitize(d.acc.Name)
}

// CapturingInput: while the email field is focused, every key is typed.
func (d *Diagnose) CapturingInput() bool { return d.editing }

// reveal: the agent revealed the PII of the account diagnosed.
func (d *Diagnose) reveal() bool { return d.acc != nil && d.acc.ID == d.revealed }

// Report is what the agent has picked.
func (d *Diagnose) Report() model.Report {
	return model.Report{Email: d.email, Site: model.Sites[d.site], Problem: model.Problems[d.problem],
		Abroad: d.abroad, OtherDevice: d.other, Reveal: d.reveal()}
}

// edit focuses the email field. It starts with the address only if the
// agent typed it or revealed the account: a masked address stays masked.
func (d *Diagnose) edit() tea.Cmd {
	d.editing = true
	d.input.SetValue("")
	if d.typed || d.reveal() {
		d.input.SetValue(d.email)
	}
	d.input.CursorEnd()
	return d.input.Focus()
}

var errNeedEmail = errors.New("type the caller's full email address (name@domain)")

// setEmail diagnoses another address: the account it finds (current or
// previous email, P7), or none. Finding another account is a look-up,
// audited before anything of it is shown.
func (d *Diagnose) setEmail(email string) tea.Cmd {
	email = strings.TrimSpace(email)
	if model.ValidateEmail(email) != nil {
		return tui.ToastError(errNeedEmail)
	}
	var acc *model.Account
	rec, err := d.env.Store.ByEmail(email)
	switch {
	case err == nil:
		acc = &rec.Account
	case !errors.Is(err, store.ErrNotFound):
		return tui.ToastError(err)
	}
	if acc != nil && (d.acc == nil || d.acc.ID != acc.ID) {
		if err := d.env.Audit("lookup", acc.ID, "", map[string]string{"via": "diagnose: email field"}); err != nil {
			return tui.ToastError(fmt.Errorf("look-up not audited, not shown: %w", err))
		}
	}
	if model.NormalizeEmail(email) != model.NormalizeEmail(d.email) {
		d.call = rand.Text() // another caller's address: another call
	}
	d.acc, d.email, d.typed, d.editing = acc, email, true, false
	d.input.Blur()
	d.ask()
	return d.rediagnose()
}

// rediagnose runs the engine and audits each distinct report once: every
// one shown is an access to the account, audited; Ops counts the call's
// last (its "call" detail), not each key pressed.
func (d *Diagnose) rediagnose() tea.Cmd {
	r := d.Report()
	d.findings = d.env.Policy.Diagnose(d.acc, r, d.env.Now())
	if d.email == "" || d.asking {
		return nil // nothing shown yet: the agent is typing the address, or asking
	}
	if d.acc != nil {
		d.env.SetDiagnosed(d.acc.ID, r) // actions on the account are checked against it
	}
	sig := fmt.Sprintf("%s/%s/%s/%t/%t", model.NormalizeEmail(r.Email), r.Site, r.Problem, r.Abroad, r.OtherDevice)
	if d.audited[sig] {
		return nil
	}
	d.audited[sig] = true
	id := ""
	if d.acc != nil {
		id = d.acc.ID
	}
	answers := "answered"
	if d.skipped {
		answers = "skipped"
	}
	err := d.env.Audit("diagnose", id, "", map[string]string{"email": r.Email, "site": r.Site, "problem": r.Problem,
		"abroad": fmt.Sprint(r.Abroad), "other_device": fmt.Sprint(r.OtherDevice), "top": d.findings[0].Code, "questions": answers,
		"via": "console", "call": d.call})
	if err != nil {
		return tui.ToastError(fmt.Errorf("diagnosis not audited: %w", err))
	}
	return nil
}

// Update implements tui.Screen.
func (d *Diagnose) Update(msg tea.Msg) (tui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tui.AccountChangedMsg:
		if d.acc != nil && msg.ID == d.acc.ID {
			if r, err := d.env.Store.Get(msg.ID); err == nil {
				d.acc = &r.Account
				return d, d.rediagnose()
			}
		}
	case tea.KeyMsg:
		if d.editing {
			switch {
			case key.Matches(msg, d.keys.Apply):
				return d, d.setEmail(d.input.Value())
			case key.Matches(msg, d.keys.Cancel) && d.email != "":
				d.editing = false
				d.input.Blur()
				return d, nil
			case key.Matches(msg, d.keys.Back) && d.email == "":
				// no email yet (ctrl+d from Find): nothing to keep, so esc
				// goes back; it did nothing, and only ctrl+c, ending the
				// session, left (newcomer walkthrough)
				return d, d.env.Pop()
			}
			var cmd tea.Cmd
			d.input, cmd = d.input.Update(msg)
			return d, cmd
		}
		if key.Matches(msg, d.keys.Email) {
			return d, d.edit()
		}
		switch {
		case d.asking && key.Matches(msg, d.keys.Confirm):
			d.asking = false
			return d, d.rediagnose()
		case d.asking && key.Matches(msg, d.keys.Skip):
			d.asking, d.skipped = false, true
			return d, d.rediagnose()
		case !d.asking && key.Matches(msg, d.keys.Ask):
			d.asking = true
			return d, nil
		}
		for i, k := range d.keys.Sites {
			if key.Matches(msg, k) {
				d.site = i
				return d, d.rediagnose()
			}
		}
		for i, k := range d.keys.Problems {
			if key.Matches(msg, k) {
				d.problem = i
				return d, d.rediagnose()
			}
		}
		switch {
		case key.Matches(msg, d.keys.Abroad):
			d.abroad = !d.abroad
			return d, d.rediagnose()
		case key.Matches(msg, d.keys.Other):
			d.other = !d.other
			return d, d.rediagnose()
		case key.Matches(msg, d.keys.Copy) && !d.asking:
			return d, d.copySteps()
		}
		d.scroll.Update(msg)
	case tea.MouseMsg:
		d.scroll.Update(msg)
	default:
		if d.editing { // the cursor's blink
			var cmd tea.Cmd
			d.input, cmd = d.input.Update(msg)
			return d, cmd
		}
	}
	return d, nil
}

// StepsText is the first finding's steps as plain text, for the clipboard.
func (d *Diagnose) StepsText() string {
	f := d.findings[0]
	var b strings.Builder
	b.WriteString(f.Title + "\n")
	for i, s := range f.Steps {
		fmt.Fprintf(&b, "%d. %s\n", i+1, s)
	}
	return b.String()
}

// copySteps puts our own text (never account text) on the agent's clipboard.
func (d *Diagnose) copySteps() tea.Cmd {
	if d.email == "" {
		return tui.ToastError(errNeedEmail)
	}
	return tea.Batch(tui.CopyToClipboard(d.StepsText()), tui.Toast("Steps copied to your clipboard (OSC 52)"))
}

// View implements tui.Screen.
func (d *Diagnose) View(width, height int) string {
	st := d.env.Styles
	var top []string
	chips := func(label string, items []string, sel int, keyOf func(int) string) string {
		return st.Label.Render(fmt.Sprintf("%-8s", label)) + "  " + chipRow(st, items, sel, keyOf)
	}
	siteNames := make([]string, len(model.Sites))
	for i, s := range model.Sites {
		siteNames[i] = siteLabels[s]
	}
	top = append(top, wrapChips(chips("Site", siteNames, d.site, func(i int) string { return fmt.Sprint(i + 1) }), width, chipIndent))
	probNames := make([]string, len(problemKeys))
	for i, p := range problemKeys {
		probNames[i] = p.label
	}
	top = append(top, wrapChips(chips("Problem", probNames, d.problem, func(i int) string { return problemKeys[i].key }), width, chipIndent))
	top = append(top, st.Label.Render(fmt.Sprintf("%-8s", "Flags"))+"  "+flagChip(st, d.abroad, "a", "caller is abroad")+"  "+flagChip(st, d.other, "w", "on another device"))
	top = append([]string{d.emailRow(width)}, top...)
	header := strings.Join(top, "\n")
	headerLines := strings.Count(header, "\n") + 1
	if d.email == "" {
		return header + "\n\n" + st.Muted.Render(tui.Wrap("Type the caller's email address and press enter: the account it belongs to (current or previous email) is diagnosed, or none.", width))
	}
	if d.asking {
		return d.interview(width, height)
	}

	f := d.findings[0]
	inner := min(width-4, 100)
	var lead strings.Builder
	// the lead finding whole, not cut: the box wraps it ("No known cause:
	// collect details and…" at 60 columns; newcomer walkthrough)
	lead.WriteString(st.Title.Render(f.Title) + rule(st, f.Rules...) + st.Muted.Render("  "+f.Code) + "\n")
	// a wrapped line hangs under its text, not under its bullet or
	// number, so where each step begins is seen at a glance
	for _, e := range f.Evidence {
		lead.WriteString(st.Muted.Render(tui.Hang("• ", e, inner)) + "\n")
	}
	lead.WriteString(st.Label.Render("Read to the caller:") + "\n")
	for i, s := range f.Steps {
		lead.WriteString(tui.Hang(fmt.Sprintf("%d. ", i+1), s, inner) + "\n")
	}
	body := st.Lead.Width(inner + 2).Render(strings.TrimRight(lead.String(), "\n"))
	if len(d.findings) > 1 {
		body += "\n" + st.Title.Render("Also holds") + "\n"
		for _, o := range d.findings[1:] {
			ev := ""
			if len(o.Evidence) > 0 {
				ev = " — " + o.Evidence[0]
			}
			body += tui.Clip("• "+o.Title+ev, width-1) + rule(st, o.Rules...) + "\n"
		}
	}
	return header + "\n" + d.scroll.View(body, width, height-headerLines-1)
}

// interview is what to ask the caller before any answer: where they sign
// in, with the clues that tell the services and portals apart (P6), and
// what happens; the account's evidence pre-selects and says why.
func (d *Diagnose) interview(width, height int) string {
	st := d.env.Styles
	w := min(width, 100)
	var b []string
	add := func(s string) { b = append(b, s) }
	// indented wraps: continuation lines stand under their first
	indented := func(prefix, s string, width int) string {
		return prefix + strings.ReplaceAll(tui.Wrap(s, width-tui.Width(prefix)), "\n", "\n"+strings.Repeat(" ", tui.Width(prefix)))
	}
	why := func(s string) {
		if s != "" {
			add(st.Good.Render(indented("   ◆ ", s, w)))
		}
	}
	add(d.emailRow(width))
	// a line too long for the window splits where its parts meet rather
	// than being cut off (60 columns cut the questions' ends)
	pair := func(a, b string, gap string) {
		if tui.Width(a)+tui.Width(gap)+tui.Width(b) <= w {
			add(a + gap + b)
		} else {
			add(a)
			add(b)
		}
	}
	pair(st.Title.Render("Ask the caller before answering"), st.Muted.Render("findings show once they have answered"), st.Muted.Render(" — "))
	add("")
	add(st.Label.Render("1. Which site are you signing in on?") + rule(st, "P1", "P5", "P6"))
	siteNames := make([]string, len(model.Sites))
	for i, s := range model.Sites {
		siteNames[i] = siteLabels[s]
	}
	add("   " + wrapChips(chipRow(st, siteNames, d.site, func(i int) string { return fmt.Sprint(i + 1) }), w-3, 3))
	why(d.suggest.SiteWhy)
	for _, c := range model.SiteClues {
		add(st.Muted.Render(indented("   · ", c, w)))
	}
	add("")
	add(st.Label.Render("2. What happens when you try?"))
	probNames := make([]string, len(problemKeys))
	for i, p := range problemKeys {
		probNames[i] = p.label
	}
	add("   " + wrapChips(chipRow(st, probNames, d.problem, func(i int) string { return problemKeys[i].key }), w-3, 3))
	why(d.suggest.ProblemWhy)
	add(st.Label.Render(indented("3. ", "Are you abroad? On a device other than the one you set 2FA up on?", w)))
	add("   " + flagChip(st, d.abroad, "a", "abroad") + "  " + flagChip(st, d.other, "w", "on another device"))
	add("")
	pair(st.Key.Render(d.keys.Confirm.Help().Key)+" the caller answered: show the findings", st.Key.Render(d.keys.Skip.Help().Key)+" skip the questions", "   ")
	return d.scroll.View(strings.Join(b, "\n"), width, height)
}

// chipRow shows choices, the picked one in brackets (attributes vanish on
// NO_COLOR and ASCII terminals).
func chipRow(st tui.Styles, items []string, sel int, keyOf func(int) string) string {
	parts := make([]string, len(items))
	for i, it := range items {
		s := keyOf(i) + " " + it
		if i == sel {
			parts[i] = st.Selected.Render("[" + s + "]")
		} else {
			parts[i] = st.Muted.Render(s)
		}
	}
	return strings.Join(parts, "  ")
}

func flagChip(st tui.Styles, on bool, k, label string) string {
	if on {
		return st.Selected.Render("[x] " + k + " " + label)
	}
	return st.Muted.Render("[ ] " + k + " " + label)
}

// emailRow shows the caller's address: masked when it came from an
// account whose PII is not revealed, as typed when the agent typed it.
func (d *Diagnose) emailRow(width int) string {
	st := d.env.Styles
	label := st.Label.Render(fmt.Sprintf("%-8s", "Email")) + "  "
	if d.editing {
		d.input.Width = max(width-14, 10)
		return label + d.input.View()
	}
	shown := d.email
	if !d.typed && !d.reveal() {
		shown = model.MaskEmail(d.email)
	}
	note := ""
	if d.acc != nil && model.NormalizeEmail(d.email) != model.NormalizeEmail(d.acc.Email) {
		note = " (a previous email of the account)"
	}
	return label + tui.Clip(tui.Sanitize(shown)+note, width-24) + st.Muted.Render("  "+d.keys.Email.Help().Key+": change")
}

// wrapChips breaks a long chip row onto two lines when it does not fit.
// chipIndent is where the chips start after a row's label ("%-8s" and
// two spaces): wrapped chips line up under the first.
const chipIndent = 10

// wrapChips wraps a row of chips at width, each wrapped line indented
// to where the row's first chip starts.
func wrapChips(s string, width, indent int) string {
	if tui.Width(s) <= width {
		return s
	}
	parts := strings.Split(s, "  ")
	var lines []string
	cur := ""
	for _, p := range parts {
		if cur != "" && tui.Width(cur+"  "+p) > width {
			lines = append(lines, cur)
			cur = strings.Repeat(" ", indent) + p
			continue
		}
		if cur == "" {
			cur = p
		} else {
			cur += "  " + p
		}
	}
	return strings.Join(append(lines, cur), "\n")
}

// ShortHelp implements tui.Screen.
func (d *Diagnose) ShortHelp() []key.Binding {
	if d.editing && d.email == "" {
		return []key.Binding{d.keys.Apply, d.keys.Back}
	}
	if d.editing {
		return []key.Binding{d.keys.Apply, d.keys.Cancel}
	}
	if d.asking {
		return []key.Binding{d.keys.Confirm, d.keys.Skip,
			key.NewBinding(key.WithKeys("1"), key.WithHelp("1-5", "site")),
			key.NewBinding(key.WithKeys("l"), key.WithHelp("l/m/k/o/x/j/f", "problem"))}
	}
	return []key.Binding{d.keys.Ask, d.keys.Email,
		key.NewBinding(key.WithKeys("1"), key.WithHelp("1-5", "site")),
		key.NewBinding(key.WithKeys("l"), key.WithHelp("l/m/k/o/x/j/f", "problem")),
		d.keys.Abroad, d.keys.Other, d.keys.Copy,
	}
}

// FullHelp implements tui.Screen.
func (d *Diagnose) FullHelp() [][]key.Binding {
	return [][]key.Binding{d.keys.Sites, d.keys.Problems, append([]key.Binding{d.keys.Confirm, d.keys.Skip, d.keys.Ask, d.keys.Email, d.keys.Abroad, d.keys.Other, d.keys.Copy}, d.scroll.Bindings()...)}
}

// CallerState implements tui.CallerZoner: the header's clock reads in
// the caller's zone, as the steps do.
func (d *Diagnose) CallerState() (string, bool) {
	if d.acc == nil {
		return "", false
	}
	return d.acc.USState, true
}
