package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Roles of the people who use the console (DESIGN §3).
const (
	RoleAgent    = "agent"
	RoleLead     = "lead"
	RoleTrainer  = "trainer"
	RoleEngineer = "engineer"
	RoleAdmin    = "admin"
)

// StaffRoles lists the console roles.
var StaffRoles = []string{RoleAgent, RoleLead, RoleTrainer, RoleEngineer, RoleAdmin}

// Actions an agent may take on an account.
const (
	ActSendReset          = "send_password_reset"
	ActResendVerification = "resend_verification"
	ActLiftSuppression    = "lift_email_suppression"
	ActAddNote            = "add_note"
	ActReveal             = "reveal_pii"
	ActGrantExemption     = "grant_mfa_exemption"
	ActRevokeExemption    = "revoke_mfa_exemption"
	ActForgetDevices      = "forget_remembered_devices"
	ActRemoveFactor       = "remove_mfa_factor"
	ActIssueRecoveryCode  = "issue_recovery_code"
)

// mayDo says which roles may take each action on a live account (DESIGN
// §3). The trainer role is in none of them: trainers work only in the
// training sandbox, never on live accounts (rule: trainer limits).
var mayDo = map[string][]string{
	ActSendReset:          {RoleAgent, RoleLead, RoleAdmin},
	ActResendVerification: {RoleAgent, RoleLead, RoleAdmin},
	ActLiftSuppression:    {RoleAgent, RoleLead, RoleAdmin},
	ActAddNote:            {RoleAgent, RoleLead, RoleAdmin},
	ActReveal:             {RoleAgent, RoleLead, RoleAdmin},
	ActGrantExemption:     {RoleLead, RoleAdmin},
	ActRevokeExemption:    {RoleLead, RoleAdmin},
	ActForgetDevices:      {RoleLead, RoleAdmin},
	ActRemoveFactor:       {RoleLead, RoleAdmin},
	ActIssueRecoveryCode:  {RoleLead, RoleAdmin},
}

// ErrNotAllowed: the role may not take the action.
var ErrNotAllowed = errors.New("not allowed")

// Permit says whether role may take action, and if not, why, in words
// the agent can act on.
func Permit(role, action string) error {
	for _, r := range mayDo[action] {
		if r == role {
			return nil
		}
	}
	switch needs := mayDo[action]; {
	case role == RoleTrainer:
		return fmt.Errorf("%w: trainers act only in the training sandbox, never on live accounts", ErrNotAllowed)
	case len(needs) > 0 && needs[0] == RoleLead:
		return fmt.Errorf("%w: 2FA actions need a lead (you are %s); hand the call to a lead", ErrNotAllowed, role)
	}
	return fmt.Errorf("%w: role %s has no account actions", ErrNotAllowed, role)
}

// Message is a command for the platform or a notice to the account holder.
type Message struct {
	Type    string
	Payload map[string]string
}

// Effect is what an action does: the changed account, what to audit, and
// what to send. The store writes all of it in one transaction.
type Effect struct {
	Account  Account
	Action   string
	Reason   string
	Details  map[string]string
	Commands []Message
	Notify   []Message // to the account holder (NIST SP 800-63B-4 §4)
}

// ErrNeedsConfirm: the action would undo something recent; the agent must
// confirm a second time.
var ErrNeedsConfirm = errors.New("needs a second confirmation")

// ActionInput is what the agent decided with.
type ActionInput struct {
	By        string
	Role      string
	Now       time.Time
	Reason    string
	Confirmed bool     // second confirmation given
	Checks    []string // caller-verification checks that passed
	// CheckHow says how each of Checks was ticked ("space" on the
	// console's checklist, "--checks" on the command line): audited
	// beside them, so a trail shows a check was ticked deliberately.
	CheckHow []string
	Target   string // factor or device id, where the action takes one
	// Override names the diagnosis the agent confirmed past (ActionConflicts):
	// audited with the action, so a reset taken against "wrong portal" says so.
	Override string
}

// MinVerificationChecks: 2FA actions need at least this many checks.
const MinVerificationChecks = 2

// VerificationChecks is the caller-verification checklist for 2FA
// actions (CISA AA23-320A: help-desk MFA resets are a takeover path).
var VerificationChecks = []string{
	"Caller answered from the account's email address (reply or email link)",
	"Name and date of birth match the account (above)",
	"Caller gave a detail no screen shows (the date of their last visit)",
	"Called back on the phone number on file",
}

// VerificationKeys are the checks' short names, in the order of
// VerificationChecks: what an audit entry says was ticked.
var VerificationKeys = []string{"email_reply", "name_dob", "detail", "callback"}

// CheckTicks says which verification checks were ticked and how, by
// short name: "name_dob(space), detail(space)" (M8: support verifies
// identity before any 2FA recovery; DESIGN §3: each 2FA action after the
// caller-verification checklist). A check not in the list keeps its
// label; one whose way is not known says "(unsaid)".
func CheckTicks(checks, how []string) string {
	parts := make([]string, 0, len(checks))
	for i, c := range checks {
		name := c
		if k := slices.Index(VerificationChecks, c); k >= 0 {
			name = VerificationKeys[k]
		}
		way := "unsaid"
		if i < len(how) && how[i] != "" {
			way = how[i]
		}
		parts = append(parts, name+"("+way+")")
	}
	return strings.Join(parts, ", ")
}

func (in ActionInput) effect(a Account, action string) Effect {
	e := Effect{Account: a, Action: action, Reason: in.Reason, Details: map[string]string{}}
	if in.Override != "" {
		e.Details["override"] = in.Override
	}
	return e
}

func needVerified(in ActionInput) error {
	if len(in.Checks) < MinVerificationChecks {
		return fmt.Errorf("verify the caller first: %d of %d checks passed", len(in.Checks), MinVerificationChecks)
	}
	if strings.TrimSpace(in.Reason) == "" {
		return errors.New("a reason is required")
	}
	return nil
}

func checksDetail(e *Effect, in ActionInput) {
	e.Details["checks"] = strings.Join(in.Checks, "; ")
	e.Details["checks_ticked"] = CheckTicks(in.Checks, in.CheckHow)
}

// ErrSuppressed: the address is on the unsubscribed list, so no email can
// arrive; lifting the suppression is the remedy (R6). The Can… checks
// test it last: when they return it, it is the only obstacle.
var ErrSuppressed = errors.New("emails are suppressed by an unsubscribe (R6): lift the suppression first")

// ErrUnverified: the account has not verified its email (R7).
var ErrUnverified = errors.New("email not verified (R7): resend the verification email instead")

// accountOpen refuses email to a closed account (A3, A4).
func accountOpen(a Account) error {
	switch a.Status {
	case StatusDeactivated:
		return errors.New("account is deactivated (A3): no emails")
	case StatusTerminated:
		return errors.New("provider contract terminated (A4): no emails")
	}
	return nil
}

// CanSendReset says whether the platform may send this account a password
// reset email, and if not, why: a closed account (A3, A4), an unverified
// email (R7), suppressed emails (R6, checked last). The action and the
// diagnosis steps both ask it.
func CanSendReset(a Account) error {
	if err := accountOpen(a); err != nil {
		return err
	}
	if IsUnverified(a) {
		return ErrUnverified
	}
	if a.EmailsUnsubscribedAt != nil {
		return ErrSuppressed
	}
	return nil
}

// CanResendVerification says whether the verification email can be sent
// again (R7): only to an unverified, open account whose emails are not
// suppressed (R6, checked last).
func CanResendVerification(a Account) error {
	if !IsUnverified(a) {
		return errors.New("the email is already verified")
	}
	if err := accountOpen(a); err != nil {
		return err
	}
	if a.EmailsUnsubscribedAt != nil {
		return ErrSuppressed
	}
	return nil
}

// SendReset asks the platform for a password reset email (R1, R3). A reset
// within ResendCaution of the last one kills the link just sent, so it
// needs a second confirmation.
func (p Policy) SendReset(a Account, in ActionInput) (Effect, error) {
	if err := Permit(in.Role, ActSendReset); err != nil {
		return Effect{}, err
	}
	if err := CanSendReset(a); err != nil {
		return Effect{}, err
	}
	if last, ok := LatestReset(a.Resets); ok && in.Now.Sub(*last.RequestedAt) < p.ResendCaution && !in.Confirmed {
		return Effect{}, fmt.Errorf("%w: a reset was requested %s; have the caller open the newest email first (R3)", ErrNeedsConfirm, RelTime(*last.RequestedAt, in.Now))
	}
	now := in.Now.UTC()
	r := Reset{ID: nextID("r", len(a.Resets), func(id string) bool { return hasReset(a, id) }),
		RequestedAt: &now, Portal: PortalFor(a.Role), Status: ResetRequested, RequestedBy: in.By}
	a.Resets = append(a.Resets, r)
	e := in.effect(a, ActSendReset)
	e.Details["reset"] = r.ID
	e.Commands = []Message{{Type: ActSendReset, Payload: map[string]string{"reset_id": r.ID, "portal": r.Portal}}}
	return e, nil
}

// IsUnverified: the account has not verified its email (R7).
func IsUnverified(a Account) bool { return a.Status == StatusPending || a.EmailVerifiedAt == nil }

// ResendVerification asks the platform to send the verification email
// again; only unverified accounts have one to send (R7).
func (p Policy) ResendVerification(a Account, in ActionInput) (Effect, error) {
	if err := Permit(in.Role, ActResendVerification); err != nil {
		return Effect{}, err
	}
	if err := CanResendVerification(a); err != nil {
		return Effect{}, err
	}
	e := in.effect(a, ActResendVerification)
	e.Commands = []Message{{Type: ActResendVerification}}
	return e, nil
}

// LiftSuppression removes the address from the unsubscribed list, so reset
// and verification emails can arrive again (R6). It needs a reason, and
// the holder is told.
func (p Policy) LiftSuppression(a Account, in ActionInput) (Effect, error) {
	if err := Permit(in.Role, ActLiftSuppression); err != nil {
		return Effect{}, err
	}
	if a.EmailsUnsubscribedAt == nil {
		return Effect{}, errors.New("emails are not suppressed")
	}
	if strings.TrimSpace(in.Reason) == "" {
		return Effect{}, errors.New("a reason is required")
	}
	since := a.EmailsUnsubscribedAt.UTC().Format(time.RFC3339)
	a.EmailsUnsubscribedAt = nil
	e := in.effect(a, ActLiftSuppression)
	e.Details["unsubscribed_at"] = since
	e.Commands = []Message{{Type: ActLiftSuppression}}
	e.Notify = []Message{{Type: "email_suppression_lifted"}}
	return e, nil
}

// MaxNoteLength bounds a support note.
const MaxNoteLength = 1000

// AddNote adds a support note, cleaned of control characters.
func (p Policy) AddNote(a Account, in ActionInput) (Effect, error) {
	if err := Permit(in.Role, ActAddNote); err != nil {
		return Effect{}, err
	}
	text := CleanText(in.Reason)
	if text == "" {
		return Effect{}, errors.New("the note is empty")
	}
	if len([]rune(text)) > MaxNoteLength {
		return Effect{}, fmt.Errorf("the note is longer than %d characters", MaxNoteLength)
	}
	now := in.Now.UTC()
	a.Notes = append(a.Notes, Note{At: &now, By: in.By, Text: text})
	e := in.effect(a, ActAddNote)
	e.Reason = ""
	e.Details["note"] = text
	return e, nil
}

// CleanText is what is stored of text an agent typed: one line, no
// control, format or bidi characters, trimmed.
func CleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == '\u2028', r == '\u2029', r == unicode.ReplacementChar:
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// GrantExemption gives a provider who lost their phone or app
// ExemptionLength (one week, M7) to sign in and reset their methods,
// after caller verification.
func (p Policy) GrantExemption(a Account, in ActionInput) (Effect, error) {
	if err := Permit(in.Role, ActGrantExemption); err != nil {
		return Effect{}, err
	}
	if err := Unavailable(ActGrantExemption, a, in.Now); err != nil {
		return Effect{}, err
	}
	if err := needVerified(in); err != nil {
		return Effect{}, err
	}
	now := in.Now.UTC()
	until := now.Add(ExemptionLength)
	a.MFAExemption = &Exemption{GrantedAt: &now, ExpiresAt: &until, GrantedBy: in.By, Reason: CleanText(in.Reason)}
	e := in.effect(a, ActGrantExemption)
	checksDetail(&e, in)
	e.Details["expires_at"] = until.Format(time.RFC3339)
	e.Commands = []Message{{Type: ActGrantExemption, Payload: map[string]string{"expires_at": until.Format(time.RFC3339)}}}
	e.Notify = []Message{{Type: "mfa_exemption_granted", Payload: map[string]string{"expires_at": until.Format(time.RFC3339)}}}
	return e, nil
}

// CanGrantExemption says whether this account may be given a 2FA
// exemption now (M7), and if not, why: exemptions are for active
// providers, one at a time. GrantExemption and the diagnosis both ask it.
func CanGrantExemption(a Account, now time.Time) error {
	if a.Role != RoleProvider {
		return errors.New("exemptions are for providers (M7); clients reset 2FA themselves (M6) or go through identity verification (M8)")
	}
	if a.Status != StatusActive {
		return fmt.Errorf("account is %s: exemptions are for active providers (M7)", a.Status)
	}
	if ExemptionActive(a.MFAExemption, now) {
		// how long it has left, not a clock time: the words reach screens
		// that show the caller's zone and a CLI that shows UTC, and a UTC
		// time beside the screen's EST read as a second exemption
		return fmt.Errorf("an exemption is already active: it ends in %s (M7)", Duration(a.MFAExemption.ExpiresAt.Sub(now)))
	}
	return nil
}

// Unavailable says why action cannot be taken on a now, as far as the
// account alone shows (before a caller is verified or a target chosen);
// nil when it can. The decisions refuse with it, and the 2FA screen
// words it beside the action's key before the agent tries.
func Unavailable(action string, a Account, now time.Time) error {
	switch action {
	case ActGrantExemption:
		return CanGrantExemption(a, now)
	case ActRevokeExemption:
		if !ExemptionActive(a.MFAExemption, now) {
			return errors.New("no active exemption")
		}
	case ActForgetDevices:
		if len(a.RememberedDevices) == 0 {
			return errors.New("no remembered devices")
		}
	}
	return nil
}

// RevokeExemption ends an active exemption now: the account holds none
// after it, and the audit entry keeps what it was.
func (p Policy) RevokeExemption(a Account, in ActionInput) (Effect, error) {
	if err := Permit(in.Role, ActRevokeExemption); err != nil {
		return Effect{}, err
	}
	if err := Unavailable(ActRevokeExemption, a, in.Now); err != nil {
		return Effect{}, err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return Effect{}, errors.New("a reason is required")
	}
	// gone, not cut short: an exemption lasts exactly ExemptionLength
	// or is not there (DOMAIN §6 refuses any other length, so the
	// platform's snapshot of a revoked one has none); the audit entry
	// keeps what it was
	x := a.MFAExemption
	a.MFAExemption = nil
	e := in.effect(a, ActRevokeExemption)
	e.Details["granted_at"] = x.GrantedAt.UTC().Format(time.RFC3339)
	e.Details["expires_at"] = x.ExpiresAt.UTC().Format(time.RFC3339) // as it stood
	e.Commands = []Message{{Type: ActRevokeExemption}}
	e.Notify = []Message{{Type: "mfa_exemption_revoked"}}
	return e, nil
}

// ForgetDevices makes remembered devices ask for a code again (M4): one,
// by id in Target, or all when Target is "".
func (p Policy) ForgetDevices(a Account, in ActionInput) (Effect, error) {
	if err := Permit(in.Role, ActForgetDevices); err != nil {
		return Effect{}, err
	}
	if err := Unavailable(ActForgetDevices, a, in.Now); err != nil {
		return Effect{}, err
	}
	if err := needVerified(in); err != nil {
		return Effect{}, err
	}
	var keep []RememberedDevice
	var gone []string
	for _, d := range a.RememberedDevices {
		if in.Target == "" || d.ID == in.Target {
			gone = append(gone, d.ID)
		} else {
			keep = append(keep, d)
		}
	}
	if len(gone) == 0 {
		return Effect{}, errors.New("no such remembered device")
	}
	a.RememberedDevices = keep
	if a.RememberedDevices == nil {
		a.RememberedDevices = []RememberedDevice{}
	}
	e := in.effect(a, ActForgetDevices)
	checksDetail(&e, in)
	e.Details["devices"] = strings.Join(gone, ",")
	e.Commands = []Message{{Type: ActForgetDevices, Payload: map[string]string{"devices": strings.Join(gone, ",")}}}
	e.Notify = []Message{{Type: "remembered_devices_forgotten"}}
	return e, nil
}

// Refusal is a decision's refusal with what the refused action was for:
// the operator's reason and, for an action on one part of an account,
// that part (a factor, a device). The message is the refusal's; the
// store's audit entry of the refusal keeps the rest (DESIGN §3: a
// reason on every action; training tells a wrong factor tried from the
// right one).
type Refusal struct {
	Target, Reason string
	Err            error
}

func (e *Refusal) Error() string { return e.Err.Error() }
func (e *Refusal) Unwrap() error { return e.Err }

// Refused wraps a decision's refusal with what in asked; nil passes.
func Refused(in ActionInput, err error) error {
	if err == nil {
		return nil
	}
	return &Refusal{Target: in.Target, Reason: in.Reason, Err: err}
}

// RemoveFactor removes one 2FA method. A provider must keep a method
// (M1) unless an exemption is active to set up new ones (M7).
func (p Policy) RemoveFactor(a Account, in ActionInput) (Effect, error) {
	if err := Permit(in.Role, ActRemoveFactor); err != nil {
		return Effect{}, err
	}
	if err := needVerified(in); err != nil {
		return Effect{}, err
	}
	idx := -1
	methods := 0
	for i, f := range a.Factors {
		if f.ID == in.Target {
			idx = i
		}
		if f.Type != FactorRecoveryCode {
			methods++
		}
	}
	if idx < 0 {
		return Effect{}, fmt.Errorf("no factor %q", in.Target)
	}
	f := a.Factors[idx]
	if a.Role == RoleProvider && f.Type != FactorRecoveryCode && methods == 1 && !ExemptionActive(a.MFAExemption, in.Now) {
		return Effect{}, errors.New("this is the provider's last 2FA method (M1): grant an exemption first (M7)")
	}
	a.Factors = append(a.Factors[:idx:idx], a.Factors[idx+1:]...)
	e := in.effect(a, ActRemoveFactor)
	checksDetail(&e, in)
	e.Details["factor"] = f.ID + " (" + f.Type + ")"
	e.Commands = []Message{{Type: ActRemoveFactor, Payload: map[string]string{"factor_id": f.ID, "type": f.Type}}}
	e.Notify = []Message{{Type: "mfa_factor_removed", Payload: map[string]string{"type": f.Type}}}
	return e, nil
}

// IssueRecoveryCode asks the platform to generate and deliver a new
// recovery code (M2, M8). The console never sees or shows the code.
func (p Policy) IssueRecoveryCode(a Account, in ActionInput) (Effect, error) {
	if err := Permit(in.Role, ActIssueRecoveryCode); err != nil {
		return Effect{}, err
	}
	if err := needVerified(in); err != nil {
		return Effect{}, err
	}
	e := in.effect(a, ActIssueRecoveryCode)
	checksDetail(&e, in)
	e.Commands = []Message{{Type: ActIssueRecoveryCode}}
	e.Notify = []Message{{Type: "recovery_code_issued"}}
	return e, nil
}

func hasReset(a Account, id string) bool {
	for _, r := range a.Resets {
		if r.ID == id {
			return true
		}
	}
	return false
}

// nextID picks prefix+N for the first N > n that is not taken.
func nextID(prefix string, n int, taken func(string) bool) string {
	for i := n + 1; ; i++ {
		id := fmt.Sprintf("%s%d", prefix, i)
		if !taken(id) {
			return id
		}
	}
}
