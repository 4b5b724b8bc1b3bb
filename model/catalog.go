package model

// ActionSpec names an account action for the command line (`frontdoor
// act`) and the palette: one table, so both say the same names and take
// the same decisions.
type ActionSpec struct {
	Name     string // kebab-case: send-reset, lift-suppression, …
	Action   string // the audited action (ActSendReset, …)
	Summary  string
	Decide   func(Policy, Account, ActionInput) (Effect, error)
	Verified bool   // a 2FA action: the caller-verification checklist first
	Target   string // "factor" or "device" when it acts on one; "" otherwise
}

// Catalog lists the account actions in the order the palette shows them.
var Catalog = []ActionSpec{
	{"send-reset", ActSendReset, "send a password reset email (R1, R3)", Policy.SendReset, false, ""},
	{"resend-verification", ActResendVerification, "resend the verification email (R7)", Policy.ResendVerification, false, ""},
	{"lift-suppression", ActLiftSuppression, "take the address off the unsubscribed list so emails arrive (R6)", Policy.LiftSuppression, false, ""},
	{"add-note", ActAddNote, "add a support note (the reason is the note)", Policy.AddNote, false, ""},
	{"grant-exemption", ActGrantExemption, "give a provider one week to sign in without 2FA and reset it (M7)", Policy.GrantExemption, true, ""},
	{"revoke-exemption", ActRevokeExemption, "end a provider's 2FA exemption now (M7)", Policy.RevokeExemption, false, ""},
	{"forget-devices", ActForgetDevices, "make remembered devices ask for a code again (M4); --target one device", Policy.ForgetDevices, true, "device"},
	{"remove-factor", ActRemoveFactor, "remove one 2FA method (--target FACTOR)", Policy.RemoveFactor, true, "factor"},
	{"issue-recovery-code", ActIssueRecoveryCode, "have the platform issue a new recovery code (M8)", Policy.IssueRecoveryCode, true, ""},
}

// ActionByName finds an action by its kebab-case name.
func ActionByName(name string) (ActionSpec, bool) {
	for _, a := range Catalog {
		if a.Name == name {
			return a, true
		}
	}
	return ActionSpec{}, false
}
