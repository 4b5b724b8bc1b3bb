package screens

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// Account shows one account: which door it uses, its state, 2FA, next
// visit, latest logins and resets, each fact tagged with its rule.
type Account struct {
	accountPage
	matched  string // the address the look-up found it by ("" : not by an email)
	revealed bool
	keys     accountKeys
	acts     emailActions
	// next is the footer's order (model.NextActions) and what it was
	// worked out from: a diagnosis a frame was too much
	next    []string
	nextFor string
}

type accountKeys struct{ Diagnose, Resets, TwoFA, History, Reveal, CopyID, CopyEmail key.Binding }

// NewAccount builds the Account screen for a record already audited as
// looked up.
func NewAccount(env *tui.Env, rec store.Record) *Account { return NewAccountFoundBy(env, rec, "") }

// NewAccountFoundBy builds the Account screen for a record a look-up found
// by the address matched (current or previous email; "" when found by
// name, phone or id). Diagnose starts from that address: the caller's.
func NewAccountFoundBy(env *tui.Env, rec store.Record, matched string) *Account {
	return &Account{accountPage: newAccountPage(env, rec), matched: matched, acts: newEmailActions(env),
		keys: accountKeys{
			Diagnose: env.Keys.Bind("account.diagnose", "diagnose", "d"),
			Resets:   env.Keys.Bind("account.resets", "resets", "r"),
			TwoFA:    env.Keys.Bind("account.2fa", "2FA", "2"),
			History:  env.Keys.Bind("account.history", "history", "h"),
			Reveal:   env.Keys.Bind("account.reveal", "reveal PII", "v"),
			// y as k9s and lazygit yank
			CopyID:    env.Keys.Bind("account.copy_id", "copy account id", "y"),
			CopyEmail: env.Keys.Bind("account.copy_email", "copy email (revealed)", "Y"),
		}}
}

// Init implements tui.Screen.
func (s *Account) Init() tea.Cmd { return nil }

// Title implements tui.Screen.
func (s *Account) Title() string {
	return tui.Sanitize(s.rec.Account.Name) + " · " + s.rec.Account.ID
}

// Update implements tui.Screen.
func (s *Account) Update(msg tea.Msg) (tui.Screen, tea.Cmd) {
	if cmd, ok := s.track(msg); ok {
		return s, cmd
	}
	switch msg := msg.(type) {
	case tea.KeyMsg:
		a := &s.rec.Account
		switch {
		case key.Matches(msg, s.keys.Diagnose):
			return s, s.env.Push(NewDiagnose(s.env, a, s.callerEmail(), s.revealed))
		case key.Matches(msg, s.keys.Resets):
			return s, s.env.Push(NewResets(s.env, s.rec))
		case key.Matches(msg, s.keys.TwoFA):
			return s, s.env.Push(NewTwoFA(s.env, s.rec))
		case key.Matches(msg, s.keys.History):
			return s, s.env.Push(NewHistory(s.env, *a))
		case key.Matches(msg, s.keys.Reveal):
			return s, reveal(s.env, a.ID, func() { s.revealed = true })
		case key.Matches(msg, s.keys.CopyID):
			return s, tea.Batch(tui.CopyToClipboard(a.ID), tui.Toast("Account id "+a.ID+" copied to your clipboard (OSC 52)"))
		case key.Matches(msg, s.keys.CopyEmail):
			// the whole address is PII: only once revealed (audited)
			if !s.revealed {
				return s, tui.ToastError(fmt.Errorf("reveal the email first (%s): a copy spells it out", s.keys.Reveal.Help().Key))
			}
			return s, tea.Batch(tui.CopyToClipboard(a.Email), tui.Toast("Email copied to your clipboard (OSC 52)"))
		}
		if cmd, ok := s.acts.handle(s.env, s.rec, msg); ok {
			return s, cmd
		}
		s.scroll.Update(msg)
	case tea.MouseMsg:
		s.scroll.Update(msg)
	}
	return s, nil
}

// callerEmail is the address to diagnose: the one the caller gave, which
// the look-up matched, else the account's current email.
func (s *Account) callerEmail() string {
	if s.matched != "" {
		return s.matched
	}
	return s.rec.Account.Email
}

// View implements tui.Screen.
func (s *Account) View(width, height int) string {
	return s.scroll.View(s.body(width), width, height)
}

func (s *Account) body(width int) string {
	st, now, a := s.env.Styles, s.env.Now(), s.rec.Account
	p := s.env.Policy
	var b []string
	add := func(l string) { b = append(b, l) }
	w := width - 13

	b = append(b, pendingLines(st, s.rec, now, width)...)
	add(st.Title.Render(tui.Clip(a.Name, width/2)) + st.Muted.Render(fmt.Sprintf("  %s · v%d, changed by %s %s",
		a.ID, s.rec.Version, tui.Clip(s.rec.UpdatedBy, 20), model.RelTime(s.rec.UpdatedAt, now))))
	add(row(st, "Role", a.Role+" → "+st.Key.Render(model.PortalHost(a.Role))+" ("+model.PortalLabel(a.Role)+")"+rule(st, "P3", "P4", "P5")))
	status := a.Status
	switch a.Status {
	case model.StatusActive:
		status = st.Good.Render("active")
	case model.StatusDeactivated:
		status = st.Bad.Render("deactivated") + " — records retained, never deleted" + rule(st, "A3")
	case model.StatusTerminated:
		status = st.Bad.Render("terminated") + " — contract ended; notes retrieval via support" + rule(st, "A4")
	case model.StatusPending:
		status = st.Warn.Render("pending verification")
	}
	add(row(st, "Status", status))
	email := maskedOr(s.revealed, a.Email, model.MaskEmail)
	if model.IsUnverified(a) {
		email += "  " + st.Warn.Render("NOT VERIFIED") + " — must verify before signing in" + rule(st, "R7")
	} else {
		email += "  " + st.Good.Render("verified") + " " + model.RelTime(*a.EmailVerifiedAt, now)
	}
	add(row(st, "Email", email))
	if s.matched != "" && model.NormalizeEmail(s.matched) != model.NormalizeEmail(a.Email) {
		add(row(st, "Found by", st.Warn.Render("a previous email")+": "+maskedOr(s.revealed, s.matched, model.MaskEmail)+
			", now "+maskedOr(s.revealed, a.Email, model.MaskEmail)+rule(st, "P4")))
	}
	for _, pe := range a.PreviousEmails {
		add(row(st, "  previous", maskedOr(s.revealed, pe, model.MaskEmail)+st.Muted.Render(" (old login email)")+rule(st, "P4")))
	}
	if a.EmailsUnsubscribedAt != nil {
		// two lines: on one, 80 columns cut off what it means and its rule
		add(row(st, "Emails", st.Bad.Render("SUPPRESSED")+" since "+s.when(a.EmailsUnsubscribedAt)+rule(st, "R6")))
		add(row(st, "", "no reset or verification email can arrive"))
	} else {
		add(row(st, "Emails", "deliverable"+rule(st, "R6")))
	}
	state := "—"
	if a.USState != "" {
		state = tui.Sanitize(a.USState)
	}
	add(row(st, "State", state+rule(st, "P2")))
	add(row(st, "Phone", maskedOr(s.revealed, a.Phone, model.MaskPhone, model.FormatPhone)))
	if a.DateOfBirth != "" {
		add(row(st, "Born", maskedOr(s.revealed, a.DateOfBirth, model.MaskDate)+rule(st, "A1")))
	}
	add(row(st, "Sign-in", tui.Clip(strings.Join(a.SignInMethods, ", "), w)+rule(st, "P3")))

	need := "optional for clients"
	if model.MFARequired(a.Role) {
		need = "required for providers"
	}
	add(row(st, "2FA", need+rule(st, "M1")+" · "+tui.Clip(model.FactorSummary(a), w-30)))
	if x := a.MFAExemption; x != nil {
		if model.ExemptionActive(x, now) {
			add(row(st, "  exemption", st.Warn.Render("ACTIVE")+" until "+s.when(x.ExpiresAt)+rule(st, "M7")))
		} else {
			add(row(st, "  exemption", st.Muted.Render("expired "+model.RelTime(*x.ExpiresAt, now))+rule(st, "M7")))
		}
	}
	if v := p.NextVisit(a.Appointments, now); v != nil {
		line := fmt.Sprintf("telehealth%s, %s %s", withWhom(v), model.Starts(*v.StartsAt, now), s.when(v.StartsAt))
		open := ""
		if p.InJoinWindow(*v, now) {
			open = " — " + st.Good.Render("Join session is open")
		}
		// clip the account's text, then style: the sanitiser never sees a styled string
		tag := rule(st, "T1") // the rule too is room taken: the window clipped the line again ("……")
		add(row(st, "Next visit", tui.Clip(line, w-tui.Width(open)-tui.Width(tag))+open+tag))
	} else {
		add(row(st, "Next visit", "telehealth: none "+p.VisitWindow()+rule(st, "T1")))
	}

	add("")
	add(st.Title.Render("Latest sign-ins") + rule(st, "P5"))
	logins := latest(a.Logins, func(l model.Login) int64 { return l.At.Unix() }, 5)
	if len(logins) == 0 {
		add(st.Muted.Render("  none on file"))
	}
	for _, l := range logins {
		res := l.Result
		if model.LoginFailed(res) {
			res = st.Warn.Render(res)
		}
		wrong := ""
		if model.WrongPortal(a.Role, l) {
			wrong = " " + st.Bad.Render("wrong portal")
		}
		add(fmt.Sprintf("  %-14s %-9s %s%s  %s", model.RelTime(*l.At, now), l.Portal, res, wrong, tui.Clip(l.Browser, 20)))
	}
	add("")
	add(st.Title.Render("Latest resets") + rule(st, "R3", "R8") + st.Muted.Render("  ("+s.keys.Resets.Help().Key+": full timeline)"))
	states := p.ResetStates(a.Resets, now)
	idx := make([]int, len(a.Resets))
	for i := range idx {
		idx[i] = i
	}
	idx = latest(idx, func(i int) int64 { return a.Resets[i].RequestedAt.Unix() }, 5)
	if len(idx) == 0 {
		add(st.Muted.Render("  none"))
	}
	for _, i := range idx {
		r, rs := a.Resets[i], states[i]
		live := ""
		if m := rs.Mark(); m != "" {
			style := st.Good
			if rs.Replaced || rs.OnItsWay {
				style = st.Warn
			}
			live = " " + style.Render(m)
		}
		add(fmt.Sprintf("  %-6s requested %-14s %s%s%s", tui.Clip(r.ID, 6), model.RelTime(*r.RequestedAt, now), rs.Status, live, rule(st, rs.Rule)))
	}
	if len(a.Notes) > 0 {
		add("")
		add(st.Title.Render("Notes"))
		for _, n := range latest(a.Notes, func(n model.Note) int64 { return n.At.Unix() }, 5) {
			add(tui.Hang("  "+st.Muted.Render(model.RelTime(*n.At, now)+" "+tui.Clip(n.By, 16)+": "), n.Text, width))
		}
	}
	return strings.Join(b, "\n")
}

func withWhom(a *model.Appointment) string {
	if a.With == "" {
		return ""
	}
	return " with " + tui.Sanitize(a.With)
}

// latest returns up to n items, newest first by the given key. It runs
// on every frame, so it stays n log n however long an account's history.
func latest[T any](items []T, at func(T) int64, n int) []T {
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(at(b), at(a)) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// ShortHelp implements tui.Screen: the keys in the order this account
// needs them now (model.NextActions), the lead finding's action first.
func (s *Account) ShortHelp() []key.Binding {
	a := s.rec.Account
	now := s.env.Now()
	r, ok := s.env.Diagnosed(a.ID)
	if sig := fmt.Sprint(s.rec.Version, r, ok, now.Truncate(time.Minute).Unix()); sig != s.nextFor || s.next == nil {
		s.next, s.nextFor = s.env.Policy.NextActions(a, leadFinding(s.env, a), now), sig
	}
	byID := map[string]key.Binding{
		model.NextDiagnose: s.keys.Diagnose, model.NextResets: s.keys.Resets, model.NextTwoFA: s.keys.TwoFA,
		model.ActSendReset: s.acts.keys.SendReset, model.ActResendVerification: s.acts.keys.Verify,
		model.ActLiftSuppression: s.acts.keys.Lift, model.ActAddNote: s.acts.keys.Note,
	}
	var out []key.Binding
	for _, id := range s.next {
		out = append(out, byID[id])
	}
	return out
}

// FullHelp implements tui.Screen.
func (s *Account) FullHelp() [][]key.Binding {
	return [][]key.Binding{{s.keys.Diagnose, s.keys.Resets, s.keys.TwoFA, s.keys.History, s.keys.Reveal, s.keys.CopyID, s.keys.CopyEmail}, s.acts.bindings(), s.scroll.Bindings()}
}
