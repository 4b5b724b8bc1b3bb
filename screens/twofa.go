package screens

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// TwoFA shows every factor and its state, remembered devices, the
// exemption, the risks and what the caller can do alone; leads act from
// here after verifying the caller.
type TwoFA struct {
	accountPage
	cursor int // over factors, then remembered devices
	keys   twofaKeys
}

type twofaKeys struct {
	Up, Down, Grant, Revoke, Remove, ForgetAll, Recovery key.Binding
	RevealDOB                                            key.Binding // in the checklist
}

// NewTwoFA builds the 2FA screen.
func NewTwoFA(env *tui.Env, rec store.Record) *TwoFA {
	s := &TwoFA{accountPage: newAccountPage(env, rec), keys: twofaKeys{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "choose factor or device")),
		Down:      key.NewBinding(key.WithKeys("down", "j")),
		Grant:     env.Keys.Bind("twofa.grant", "grant exemption", "g"),
		Revoke:    env.Keys.Bind("twofa.revoke", "revoke exemption", "R"),
		Remove:    env.Keys.Bind("twofa.remove", "remove chosen factor/device", "x"),
		ForgetAll: env.Keys.Bind("twofa.forget_all", "forget all devices", "f"),
		Recovery:  env.Keys.Bind("twofa.recovery", "issue recovery code", "i"),
		// a control key: the checklist's typing goes to the reason
		RevealDOB: key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "reveal birth date")),
	}}
	s.scroll.Choosing = true // the arrows choose a factor or device; the page keys scroll
	return s
}

// Init implements tui.Screen.
func (s *TwoFA) Init() tea.Cmd { return nil }

// Title implements tui.Screen.
func (s *TwoFA) Title() string { return "2FA · " + tui.Sanitize(s.rec.Account.Name) }

func (s *TwoFA) items() int { return len(s.rec.Account.Factors) + len(s.rec.Account.RememberedDevices) }

// Update implements tui.Screen.
func (s *TwoFA) Update(msg tea.Msg) (tui.Screen, tea.Cmd) {
	if cmd, ok := s.track(msg); ok {
		s.cursor = min(s.cursor, max(s.items()-1, 0)) // a factor or device may be gone
		return s, cmd
	}
	switch msg := msg.(type) {
	case tea.KeyMsg:
		p, a := s.env.Policy, s.rec.Account
		switch {
		case key.Matches(msg, s.keys.Up):
			s.cursor = max(s.cursor-1, 0)
		case key.Matches(msg, s.keys.Down):
			s.cursor = min(s.cursor+1, max(s.items()-1, 0))
		case key.Matches(msg, s.keys.Grant):
			length := model.Words(model.ExemptionLength)
			return s, s.verified(model.ActGrantExemption, p.GrantExemption, "Grant 2FA exemption ("+length+")", "",
				[]string{"The provider gets " + length + " to sign in at sigmund.headway.co and reset their methods: Settings → Login tab → Reset (M7).",
					"The provider is notified."}, "Exemption granted for "+length)
		case key.Matches(msg, s.keys.Revoke):
			return s, dialog(s.env, s.rec, model.ActRevokeExemption, p.RevokeExemption, "Revoke 2FA exemption",
				[]string{"The exemption ends now; the provider is notified."}, true, "Exemption revoked")
		case key.Matches(msg, s.keys.ForgetAll):
			return s, s.verified(model.ActForgetDevices, p.ForgetDevices, "Forget all remembered devices", "",
				[]string{"Every device will ask for a 2FA code at the next sign-in (M4).", "The account holder is notified."}, "Remembered devices forgotten")
		case key.Matches(msg, s.keys.Remove):
			if s.items() == 0 {
				return s, nil
			}
			if s.cursor < len(a.Factors) {
				f := a.Factors[s.cursor]
				return s, s.verified(model.ActRemoveFactor, p.RemoveFactor, "Remove "+model.FactorName(f.Type), f.ID,
					[]string{"Removes the " + tui.Sanitize(model.FactorTitle(f)) + " from the account.",
						"The account holder is notified and must enroll again (M12: at least two methods)."}, "Factor removed")
			}
			d := a.RememberedDevices[s.cursor-len(a.Factors)]
			return s, s.verified(model.ActForgetDevices, p.ForgetDevices, "Forget "+tui.Sanitize(d.Label), d.ID,
				[]string{"That device will ask for a 2FA code at the next sign-in (M4).", "The account holder is notified."}, "Device forgotten")
		case key.Matches(msg, s.keys.Recovery):
			return s, s.verified(model.ActIssueRecoveryCode, p.IssueRecoveryCode, "Issue a new recovery code", "",
				[]string{"The platform generates a new recovery code and delivers it to the account holder; the console never sees it (M2, M8)."}, "New recovery code requested")
		default:
			s.scroll.Update(msg)
		}
	case tea.MouseMsg:
		s.scroll.Update(msg)
	}
	return s, nil
}

// verified runs a 2FA action behind the caller-verification checklist.
// A role that may not act is told so at once, with the reason.
func (s *TwoFA) verified(action string, decide decision, title, target string, lines []string, done string) tea.Cmd {
	env, rec := s.env, s.rec
	probe := input(env, "probe")
	probe.Target = target
	probe.Checks = model.VerificationChecks
	if _, err := decide(rec.Account, probe); err != nil {
		return refused(env, rec.Account.ID, action, err)
	}
	checks := make([]tui.Check, len(model.VerificationChecks))
	for i, c := range model.VerificationChecks {
		checks[i] = tui.Check{Label: c}
	}
	spec := tui.FormSpec{
		Title: title, Lines: append(lines, fmt.Sprintf("Verify the caller: tick what passed (at least %d).", model.MinVerificationChecks)),
		Checks: checks, MinChecks: model.MinVerificationChecks,
		TextLabel: "Reason", TextNeed: true, Confirm: "confirm",
	}
	// what the name and birth date check is checked against, the birth
	// date revealed here (audited): a lead had to cancel, reveal on the
	// Account and start over
	a := rec.Account
	onFile := func(revealed bool) []string {
		return []string{"On file: " + tui.Sanitize(a.Name) + " · born " + maskedOr(revealed, a.DateOfBirth, model.MaskDate)}
	}
	spec.Detail = onFile(false)
	if a.DateOfBirth != "" && model.Permit(env.Actor.Role, model.ActReveal) == nil {
		spec.Detail[0] += " (" + s.keys.RevealDOB.Help().Key + " reveals it, audited)"
		spec.Actions = []tui.FormAction{{Key: s.keys.RevealDOB, Do: func() ([]string, error) {
			if err := env.Audit(model.ActReveal, a.ID, "caller verification for "+action, map[string]string{"field": "date_of_birth"}); err != nil {
				return nil, err
			}
			return onFile(true), nil
		}}}
	}
	override := confirmPast(conflicts(env, rec.Account, action), &spec)
	spec.Submit = func(r tui.FormResult) tea.Cmd {
		in := input(env, r.Text)
		in.Target, in.Override = target, override
		for i, t := range r.Ticked {
			if t && i < len(model.VerificationChecks) { // the last may be the override's tick
				in.Checks = append(in.Checks, model.VerificationChecks[i])
				in.CheckHow = append(in.CheckHow, r.How[i])
			}
		}
		return run(env, rec, action, decide, in, done)
	}
	return env.Push(tui.NewForm(env, spec))
}

// View implements tui.Screen.
func (s *TwoFA) View(width, height int) string {
	return s.scroll.View(s.body(width), width, height)
}

func (s *TwoFA) body(width int) string {
	st, now, p, a := s.env.Styles, s.env.Now(), s.env.Policy, s.rec.Account
	b := pendingLines(st, s.rec, now, width)
	add := func(l string) { b = append(b, l) }
	need := "optional for clients, recommended"
	if model.MFARequired(a.Role) {
		need = "required for every provider"
	}
	add(row(st, "2FA", need+rule(st, "M1")))
	add(row(st, "Email codes", yesNo(model.EmailCodesAvailable(a))+rule(st, "M3")))

	add("")
	rows := [][]string{}
	for _, f := range a.Factors {
		last := "—"
		if f.LastUsedAt != nil {
			last = model.RelTime(*f.LastUsedAt, now)
		}
		enrolled := "—"
		if f.EnrolledAt != nil {
			enrolled = model.RelTime(*f.EnrolledAt, now)
		}
		rows = append(rows, []string{model.FactorName(f.Type), model.FactorDetail(f), enrolled, last, yesNo(model.UsableAbroad(f.Type))})
	}
	sel := -1
	if s.cursor < len(a.Factors) {
		sel = s.cursor
	}
	add(st.Title.Render("Factors") + rule(st, "M2", "M11"))
	if len(rows) == 0 {
		add(st.Muted.Render("  none enrolled"))
	} else {
		add(tui.Table(st, []tui.Column{tui.Col("Method", 22), tui.Col("Detail", 0), tui.Col("Enrolled", 10), tui.Col("Last used", 10), tui.Col("Abroad", 6)}, rows, sel, width, len(rows)+1))
	}
	add(row(st, "Recovery", model.RecoveryCodeState(a)+rule(st, "M2", "M8")))
	add(row(st, "", st.Muted.Render("one-time: using it issues a new one")))

	add("")
	add(st.Title.Render("Remembered devices") + rule(st, "M4") + st.Muted.Render("  (asked again after "+model.Words(p.RememberedDeviceLength)+")"))
	if len(a.RememberedDevices) == 0 {
		add(st.Muted.Render("  none"))
	}
	for i, d := range a.RememberedDevices {
		exp := p.DeviceExpires(d)
		state := st.Good.Render("active") + ", expires " + s.when(&exp)
		if !p.DeviceActive(d, now) {
			state = st.Muted.Render("expired " + model.RelTime(exp, now))
		}
		line := "  " + tui.Fit(d.Label, 24) + " " + state
		if len(a.Factors)+i == s.cursor {
			line = st.Selected.Render(tui.Pointer+" "+tui.Fit(d.Label, 24)) + " " + state
		}
		add(line)
	}

	add("")
	if x := a.MFAExemption; x != nil {
		if model.ExemptionActive(x, now) {
			add(row(st, "Exemption", st.Warn.Render("ACTIVE")+" — "+model.Duration(x.ExpiresAt.Sub(now))+" left, until "+s.when(x.ExpiresAt)+rule(st, "M7")))
		} else {
			add(row(st, "Exemption", "expired "+s.when(x.ExpiresAt)+rule(st, "M7")))
		}
		add(row(st, "", st.Muted.Render("granted by "+tui.Clip(x.GrantedBy, 20)+": "+tui.Clip(x.Reason, width-40))))
	} else {
		add(row(st, "Exemption", "none"+rule(st, "M7")))
	}

	if risks := model.Risks(a); len(risks) > 0 {
		add("")
		add(st.Title.Render("Risks"))
		for _, r := range risks {
			// style the mark after wrapping: the sanitiser must never see a styled string
			add(tui.Hang(st.Warn.Render("⚠ "), r.Text, width-8) + rule(st, r.Rule))
		}
	}
	add("")
	add(st.Title.Render("What the caller can do themselves"))
	for _, h := range model.SelfHelp(a, now) {
		add(tui.Hang("• ", h.Text, width-8) + rule(st, h.Rule))
	}

	add("")
	add(st.Title.Render("Actions") + st.Muted.Render(" — each after verifying the caller; the holder is notified"))
	for _, k := range []struct {
		b      key.Binding
		action string
	}{{s.keys.Grant, model.ActGrantExemption}, {s.keys.Revoke, model.ActRevokeExemption}, {s.keys.Remove, model.ActRemoveFactor},
		{s.keys.ForgetAll, model.ActForgetDevices}, {s.keys.Recovery, model.ActIssueRecoveryCode}} {
		h := k.b.Help()
		line := "  " + st.Key.Render(fmt.Sprintf("%-2s", h.Key)) + " " + h.Desc
		if err := model.Permit(s.env.Actor.Role, k.action); err != nil {
			line = st.Muted.Render(fmt.Sprintf("  %-2s %s — needs a lead", h.Key, h.Desc))
		} else if why := s.notNow(k.action, now); why != "" {
			// the key still answers (with the same reason); the list says
			// it before the agent tries
			line = st.Muted.Render(tui.Hang(fmt.Sprintf("  %-2s %s — ", h.Key, h.Desc), tui.Sanitize(why), width-2))
		}
		add(line)
	}
	return strings.Join(b, "\n")
}

// NextDeadline is the next exemption or remembered-device expiry (M4, M7).
func (s *TwoFA) NextDeadline(now time.Time) (time.Time, bool) {
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if x := s.rec.Account.MFAExemption; x != nil {
		consider(*x.ExpiresAt)
	}
	for _, d := range s.rec.Account.RememberedDevices {
		consider(s.env.Policy.DeviceExpires(d))
	}
	return next, !next.IsZero()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// notNow is why action cannot be taken on this account now, "" when it
// can: the model's words (model.Unavailable); the screen shows them.
func (s *TwoFA) notNow(action string, now time.Time) string {
	if err := model.Unavailable(action, s.rec.Account, now); err != nil {
		return err.Error()
	}
	return ""
}

// ShortHelp implements tui.Screen: the exemption key that applies now,
// grant or revoke, not one the model would refuse.
func (s *TwoFA) ShortHelp() []key.Binding {
	keys := []key.Binding{s.keys.Up}
	now := s.env.Now()
	if s.notNow(model.ActGrantExemption, now) == "" {
		keys = append(keys, s.keys.Grant)
	} else if s.notNow(model.ActRevokeExemption, now) == "" {
		keys = append(keys, s.keys.Revoke)
	}
	return append(keys, s.keys.Remove, s.keys.Recovery)
}

// FullHelp implements tui.Screen.
func (s *TwoFA) FullHelp() [][]key.Binding {
	return [][]key.Binding{{s.keys.Up, s.keys.Grant, s.keys.Revoke}, {s.keys.Remove, s.keys.ForgetAll, s.keys.Recovery}, s.scroll.PageBindings()}
}
