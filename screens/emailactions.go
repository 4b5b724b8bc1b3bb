package screens

import (
	"errors"
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// emailActions are the agent's actions on an account's email: send a
// password reset, resend verification, lift suppression, add a note.
// Account and Resets both offer them.
type emailActions struct{ keys emailKeys }

type emailKeys struct{ SendReset, Verify, Lift, Note key.Binding }

func newEmailActions(env *tui.Env) emailActions {
	return emailActions{keys: emailKeys{
		SendReset: env.Keys.Bind("email.send_reset", "send reset", "p"),
		Verify:    env.Keys.Bind("email.resend_verification", "resend verification", "e"),
		Lift:      env.Keys.Bind("email.lift_suppression", "lift suppression", "u"),
		Note:      env.Keys.Bind("email.add_note", "add note", "n"),
	}}
}

func (e emailActions) bindings() []key.Binding {
	return []key.Binding{e.keys.SendReset, e.keys.Verify, e.keys.Lift, e.keys.Note}
}

// handle opens the dialog for an action key; ok is false for other keys.
func (e emailActions) handle(env *tui.Env, rec store.Record, msg tea.KeyMsg) (tea.Cmd, bool) {
	p := env.Policy
	switch {
	case key.Matches(msg, e.keys.SendReset):
		return e.sendResetDialog(env, rec), true
	case key.Matches(msg, e.keys.Verify):
		if _, err := p.ResendVerification(rec.Account, input(env, "probe")); err != nil {
			return e.refused(env, rec.Account.ID, model.ActResendVerification, err), true
		}
		return dialog(env, rec, model.ActResendVerification, p.ResendVerification, "Resend verification email",
			[]string{"The platform sends the verification email again to the account's address (R7).",
				"Ask the caller to check spam, junk and Gmail's Promotions tab (R4)."},
			false, "Verification email "+queued(env)), true
	case key.Matches(msg, e.keys.Lift):
		return dialog(env, rec, model.ActLiftSuppression, p.LiftSuppression, "Lift email suppression",
			[]string{"Removes the address from the unsubscribed list so reset and verification emails arrive again (R6).",
				"The account holder is notified. Ask the caller's agreement first."},
			true, "Suppression lifted; holder will be notified"), true
	case key.Matches(msg, e.keys.Note):
		return env.Push(tui.NewForm(env, tui.FormSpec{
			Title: "Add a note", TextLabel: "Note", TextNeed: true, Confirm: "save note",
			Lines: []string{"Notes are visible to every agent and kept with the account."},
			Submit: func(r tui.FormResult) tea.Cmd {
				return run(env, rec, model.ActAddNote, p.AddNote, input(env, r.Text), "Note added")
			},
		})), true
	}
	return nil, false
}

// dialog checks the action can be done now (so a refusal is said at once,
// with its reason), then asks for confirmation and, if needed, a reason.
func dialog(env *tui.Env, rec store.Record, action string, decide decision, title string, lines []string, needReason bool, done string) tea.Cmd {
	probe := input(env, "probe")
	if _, err := decide(rec.Account, probe); err != nil {
		return refused(env, rec.Account.ID, action, err)
	}
	// every action's audit entry carries the agent's reason; some require one
	spec := tui.FormSpec{Title: title, Lines: lines, Confirm: "confirm", TextLabel: "Reason", TextNeed: needReason}
	override := confirmPast(conflicts(env, rec.Account, action), &spec)
	spec.Submit = func(r tui.FormResult) tea.Cmd {
		in := input(env, r.Text)
		in.Override = override
		return run(env, rec, action, decide, in, done)
	}
	return env.Push(tui.NewForm(env, spec))
}

// refused says why policy refused an action, and audits the attempt;
// where model names the remedy (ErrSuppressed: lift the suppression;
// ErrUnverified: resend the verification), it adds the key that takes it.
func (e emailActions) refused(env *tui.Env, id, action string, err error) tea.Cmd {
	switch {
	case errors.Is(err, model.ErrSuppressed):
		err = fmt.Errorf("%w — press %s", err, e.keys.Lift.Help().Key)
	case errors.Is(err, model.ErrUnverified):
		err = fmt.Errorf("%w — press %s", err, e.keys.Verify.Help().Key)
	}
	return refused(env, id, action, err)
}

// sendResetDialog: a reset kills every earlier link (R3). Within the
// caution window of the last one, the agent confirms twice: first that
// the caller opened the newest email.
func (e emailActions) sendResetDialog(env *tui.Env, rec store.Record) tea.Cmd {
	p := env.Policy
	a := rec.Account
	_, err := p.SendReset(a, input(env, ""))
	second := errors.Is(err, model.ErrNeedsConfirm)
	if err != nil && !second {
		return e.refused(env, a.ID, model.ActSendReset, err)
	}
	lines := []string{
		"The platform emails a reset link to the account's address, for the " + model.PortalHost(a.Role) + " portal (R1).",
		"Any earlier reset link stops working (R3). The console never sees or sets a password.",
	}
	if subject, ok := model.ResetEmailSubject(a.Role); ok {
		lines = append(lines, "Tell the caller: the subject is \""+subject+"\" (R2).")
	}
	spec := tui.FormSpec{Title: "Send password reset", Lines: lines, Confirm: "send reset", TextLabel: "Reason"}
	if second {
		spec.Lines = append([]string{"⚠ " + err.Error() + "."}, spec.Lines...)
		spec.Checks = []tui.Check{{Label: "The caller opened the newest reset email and its link fails", Required: true}}
	}
	override := confirmPast(conflicts(env, a, model.ActSendReset), &spec)
	spec.Submit = func(r tui.FormResult) tea.Cmd {
		in := input(env, r.Text)
		in.Confirmed, in.Override = second, override
		return run(env, rec, model.ActSendReset, p.SendReset, in, "Reset requested: "+queued(env))
	}
	return env.Push(tui.NewForm(env, spec))
}
