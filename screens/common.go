package screens

import (
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// when shows a time as the caller reads it and relatively: "7:46 PM EST
// (29 min ago)", in the account's zone, or UTC while the agent asked for
// it (tui.Env.CallerTime: one clock on every screen).
func (p *accountPage) when(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return p.env.CallerTime(*t, p.rec.Account.USState) + " (" + model.RelTime(*t, p.env.Now()) + ")"
}

// CallerState implements tui.CallerZoner: the header's clock reads in
// the caller's zone.
func (p *accountPage) CallerState() (string, bool) { return p.rec.Account.USState, true }

// rule tags a fact with the rule that explains it.
func rule(st tui.Styles, ids ...string) string {
	if len(ids) == 0 {
		return ""
	}
	return " " + st.Rule.Render("["+strings.Join(ids, " ")+"]")
}

// row is one "Label   value [rule]" line; value is our own text or
// already sanitised.
func row(st tui.Styles, label, value string) string {
	return st.Label.Render(fmt.Sprintf("%-12s", label)) + value
}

// actionDone is the result of an action run against the store.
type actionDone struct {
	rec  store.Record
	err  error
	what string
}

// decision is a model action with the policy bound.
type decision func(model.Account, model.ActionInput) (model.Effect, error)

// input is what an action is decided with, by this session's actor.
func input(env *tui.Env, reason string) model.ActionInput {
	return model.ActionInput{By: env.Actor.Name, Role: env.Actor.Role, Now: env.Now(), Reason: reason}
}

// run applies decide to the account at the version the agent saw, in one
// store transaction, with the agent's role as the registry has it now (a
// demoted lead acts as what they are). A stale version comes back as a
// conflict; a refusal is audited by the store.
func run(env *tui.Env, rec store.Record, action string, decide decision, in model.ActionInput, what string) tea.Cmd {
	return func() tea.Msg {
		r, err := env.Store.Act(rec.Account.ID, rec.Version, env.Actor, env.Now(), action, func(a model.Account, by store.Actor) (model.Effect, error) {
			in.Now, in.Role = env.Now(), by.Role
			e, err := decide(a, in)
			return e, model.Refused(in, err) // audited with its reason and target
		})
		return actionDone{rec: r, err: err, what: what}
	}
}

// queued says where an action's message to the platform went: in a
// practice, the sandbox's outbox, which goes nowhere ("the platform"
// misled trainees: newcomer walkthrough).
func queued(env *tui.Env) string {
	if env.Mode == tui.Training {
		return "queued in the practice sandbox (nothing leaves it)"
	}
	return "queued for the platform"
}

// refused tells the agent why an action cannot be taken, and audits that
// they tried (issue 9: refusals left no trace).
func refused(env *tui.Env, id, action string, err error) tea.Cmd {
	if aerr := env.Audit(store.ActionRefused, id, "", map[string]string{"action": action, "refusal": model.CleanText(err.Error())}); aerr != nil {
		err = &store.UnauditedRefusal{Refusal: err, Audit: aerr}
	}
	return tui.ToastError(err)
}

// accountPage is what every screen about one account shares: the record
// as last seen (actions are decided on its version), a reload when any
// session changes it, this screen's own action results, and scrolling.
type accountPage struct {
	env    *tui.Env
	rec    store.Record
	scroll tui.Scroller
}

func newAccountPage(env *tui.Env, rec store.Record) accountPage {
	return accountPage{env: env, rec: rec, scroll: tui.NewScroller()}
}

// track handles the messages about the record; ok is false for others.
func (p *accountPage) track(msg tea.Msg) (cmd tea.Cmd, ok bool) {
	switch msg := msg.(type) {
	case tui.AccountChangedMsg:
		return p.reload(msg.ID), true
	case actionDone:
		if msg.err != nil {
			// a version conflict reads "changed by NAME at TIME — review and retry"
			return tui.ToastError(fmt.Errorf("not done: %w", msg.err)), true
		}
		p.rec = msg.rec
		return tui.Toast(msg.what), true
	}
	return nil, false
}

// reload fetches the record again when a session changed it.
func (p *accountPage) reload(id string) tea.Cmd {
	if id != p.rec.Account.ID {
		return nil
	}
	r, err := p.env.Store.Get(id)
	if err != nil {
		return tui.ToastError(err)
	}
	changed := r.Version != p.rec.Version
	p.rec = r
	if changed && r.UpdatedBy != p.env.Actor.Name {
		return tui.Toast("Account updated by " + r.UpdatedBy + " just now")
	}
	return nil
}

// maskedOr shows PII masked unless revealed; revealed, written by
// format where one is given (a phone's dashes).
func maskedOr(revealed bool, value string, mask func(string) string, format ...func(string) string) string {
	if value == "" {
		return "—"
	}
	if revealed {
		for _, f := range format {
			value = f(value)
		}
		return tui.Sanitize(value)
	}
	return tui.Sanitize(mask(value))
}

// reveal asks for a reason, audits it, then shows PII on this screen (DESIGN §3).
func reveal(env *tui.Env, id string, done func()) tea.Cmd {
	if err := model.Permit(env.Actor.Role, model.ActReveal); err != nil {
		return refused(env, id, model.ActReveal, err)
	}
	return env.Push(tui.NewForm(env, tui.FormSpec{
		Title:     "Reveal personal details",
		Lines:     []string{"Email, phone and date of birth will be shown unmasked on this screen. The reveal is audited with your reason."},
		TextLabel: "Reason", TextNeed: true, Confirm: "reveal",
		Submit: func(r tui.FormResult) tea.Cmd {
			if err := env.Audit(model.ActReveal, id, r.Text, nil); err != nil {
				return tui.ToastError(err)
			}
			done()
			return tui.Toast("Revealed on this screen; audited.")
		},
	}))
}

// openAccount audits the look-up and opens the Account screen; matched is
// the address the look-up found it by, or "".
func openAccount(env *tui.Env, id, via, matched string) tea.Cmd {
	rec, err := env.Store.Get(id)
	if err != nil {
		return tui.ToastError(err)
	}
	if err := env.Audit("lookup", id, "", map[string]string{"via": via}); err != nil {
		return tui.ToastError(fmt.Errorf("look-up not audited, not shown: %w", err))
	}
	return env.Push(NewAccountFoundBy(env, rec, matched))
}

// pendingLines shows the account's actions the platform has not
// confirmed (rule S6): queued, sent, or failed, which the agent must
// know of (the caller was not helped). None: no lines.
func pendingLines(st tui.Styles, rec store.Record, now time.Time, width int) []string {
	if len(rec.Pending) == 0 {
		return nil
	}
	var b []string
	labels := model.PendingLabels(rec.Pending)
	for i, p := range rec.Pending {
		mark, style := "⧗ PENDING", st.Warn
		if p.State == model.PendingFailed {
			mark, style = "✗ FAILED", st.Bad
		}
		head := fmt.Sprintf("%s %s by %s %s: ", mark, p.Action, p.By, model.RelTime(p.At, now))
		label, tag := labels[i], rule(st, "S6")
		if tui.Width(head)+tui.Width(label)+tui.Width(tag) <= width {
			b = append(b, style.Render(head)+label+tag)
			continue
		}
		// too wide for one line: the label is read whole under its head,
		// not cut ("queued for t…" at 60 columns)
		b = append(b, style.Render(tui.Clip(strings.TrimSuffix(head, " "), width-tui.Width(tag)))+tag)
		for _, l := range strings.Split(tui.Wrap(label, width-2), "\n") {
			b = append(b, "  "+l)
		}
	}
	return append(b, "")
}

// conflicts is what the account's diagnosis says against action: the
// last one shown this session, or, when the agent has not diagnosed it,
// the one its evidence points to (model.Suggest).
func conflicts(env *tui.Env, a model.Account, action string) []model.Conflict {
	now := env.Now()
	r, ok := env.Diagnosed(a.ID)
	if !ok {
		s := env.Policy.Suggest(&a, now)
		r = model.Report{Email: a.Email, Site: s.Site, Problem: s.Problem}
	}
	return env.Policy.ActionConflicts(action, a, env.Policy.Diagnose(&a, r, now), now)
}

// leadFinding is the code of the account's first finding: on the
// diagnosis last shown this session, else on what its evidence points
// to (model.Suggest); "" for none.
func leadFinding(env *tui.Env, a model.Account) string {
	now := env.Now()
	r, ok := env.Diagnosed(a.ID)
	if !ok {
		s := env.Policy.Suggest(&a, now)
		r = model.Report{Email: a.Email, Site: s.Site, Problem: s.Problem}
	}
	if fs := env.Policy.Diagnose(&a, r, now); len(fs) > 0 {
		return fs[0].Code
	}
	return ""
}

// confirmPast puts an action's conflicts in front of its dialog: each
// named with its rule, a required tick to take it anyway, and a reason;
// it returns what the audit records as the override ("" when none).
func confirmPast(cs []model.Conflict, spec *tui.FormSpec) string {
	if len(cs) == 0 {
		return ""
	}
	var lines, codes []string
	for _, c := range cs {
		lines = append(lines, "⚠ The diagnosis says "+c.Why+" ["+c.Rule+"].")
		codes = append(codes, c.Code+" ("+c.Rule+")")
	}
	spec.Lines = append(lines, spec.Lines...)
	spec.Checks = append(spec.Checks, tui.Check{Label: "Take it anyway: I checked this with the caller", Required: true})
	spec.TextNeed = true
	return strings.Join(codes, ", ")
}
