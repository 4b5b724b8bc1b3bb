package model

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type act func(Policy, Account, ActionInput) (Effect, error)

var actions = map[string]act{
	ActSendReset:          Policy.SendReset,
	ActResendVerification: Policy.ResendVerification,
	ActLiftSuppression:    Policy.LiftSuppression,
	ActAddNote:            Policy.AddNote,
	ActGrantExemption:     Policy.GrantExemption,
	ActRevokeExemption:    Policy.RevokeExemption,
	ActForgetDevices:      Policy.ForgetDevices,
	ActRemoveFactor:       Policy.RemoveFactor,
	ActIssueRecoveryCode:  Policy.IssueRecoveryCode,
}

// ready is an account and input on which action can succeed.
func ready(action string) (Account, ActionInput) {
	a := *base(provider, withFactors(FactorPhone, FactorTOTP, FactorRecoveryCode))
	a.RememberedDevices = []RememberedDevice{{ID: "d1", Label: "Chrome", RememberedAt: at(-time.Hour)}}
	in := ActionInput{By: "kay", Role: RoleLead, Now: now, Reason: "caller verified", Checks: VerificationChecks[:2], Target: ""}
	switch action {
	case ActResendVerification:
		a.EmailVerifiedAt = nil
	case ActLiftSuppression:
		a.EmailsUnsubscribedAt = at(-time.Hour)
	case ActRevokeExemption:
		a.MFAExemption = &Exemption{GrantedAt: at(-time.Hour), ExpiresAt: at(ExemptionLength - time.Hour)}
	case ActRemoveFactor:
		in.Target = "f1"
	}
	return a, in
}

// Every action leaves an account that validates: the store commits
// nothing else (CLI review: revoke-exemption cut the exemption short,
// which M7's exact length refuses, so every revoke failed).
func TestEveryActionLeavesAValidAccount(t *testing.T) {
	for action, decide := range actions {
		a, in := ready(action)
		if err := a.Validate(); err != nil {
			t.Fatalf("%s: the account it starts from: %v", action, err)
		}
		e, err := decide(DefaultPolicy, a, in)
		if err != nil {
			t.Errorf("%s: %v", action, err)
			continue
		}
		if err := e.Account.Validate(); err != nil {
			t.Errorf("%s leaves an account that does not validate: %v", action, err)
		}
	}
	a, in := ready(ActRevokeExemption)
	e, _ := DefaultPolicy.RevokeExemption(a, in)
	if e.Account.MFAExemption != nil || ExemptionActive(e.Account.MFAExemption, now) || e.Details["granted_at"] == "" {
		t.Errorf("revoked: exemption %+v, details %v", e.Account.MFAExemption, e.Details)
	}
}

// The trainer role may take no action on a live account, in model/ and
// not only at the SSH login (issue 9: mayDo let a trainer take every lead
// action).
func TestActionRoleGates(t *testing.T) {
	lead := map[string]bool{ActGrantExemption: true, ActRevokeExemption: true, ActForgetDevices: true, ActRemoveFactor: true, ActIssueRecoveryCode: true}
	for name, do := range actions {
		for _, role := range StaffRoles {
			a, in := ready(name)
			in.Role = role
			_, err := do(DefaultPolicy, a, in)
			allowed := role == RoleAdmin || role == RoleLead || (role == RoleAgent && !lead[name])
			if allowed && err != nil {
				t.Errorf("%s by %s: %v", name, role, err)
			}
			if !allowed && !errors.Is(err, ErrNotAllowed) {
				t.Errorf("%s by %s: err %v, want ErrNotAllowed", name, role, err)
			}
			if role == RoleTrainer && (err == nil || !strings.Contains(err.Error(), "training sandbox")) {
				t.Errorf("%s by a trainer: %v, want the sandbox refusal", name, err)
			}
		}
	}
}

func TestTwoFAActionsNeedVerificationAndNotify(t *testing.T) {
	for name := range map[string]bool{ActGrantExemption: true, ActForgetDevices: true, ActRemoveFactor: true, ActIssueRecoveryCode: true} {
		a, in := ready(name)
		in.Checks = VerificationChecks[:1]
		if _, err := actions[name](DefaultPolicy, a, in); err == nil || !strings.Contains(err.Error(), "verify the caller") {
			t.Errorf("%s with one check: %v", name, err)
		}
		a, in = ready(name)
		e, err := actions[name](DefaultPolicy, a, in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(e.Notify) == 0 || len(e.Commands) == 0 {
			t.Errorf("%s: commands %v, notifications %v", name, e.Commands, e.Notify)
		}
		if strings.Count(e.Details["checks"], ";") != 1 {
			t.Errorf("%s: checks not recorded: %q", name, e.Details["checks"])
		}
	}
	a, in := ready(ActRevokeExemption)
	if e, _ := DefaultPolicy.RevokeExemption(a, in); len(e.Notify) == 0 {
		t.Error("revoke does not notify")
	}
	a, in = ready(ActLiftSuppression)
	if e, _ := DefaultPolicy.LiftSuppression(a, in); len(e.Notify) == 0 {
		t.Error("lifting suppression does not notify (R6)")
	}
}

func TestExemptionRules(t *testing.T) {
	a, in := ready(ActGrantExemption)
	e, err := DefaultPolicy.GrantExemption(a, in)
	if err != nil {
		t.Fatal(err)
	}
	x := e.Account.MFAExemption
	if !x.ExpiresAt.Equal(now.Add(7*24*time.Hour)) || x.GrantedBy != "kay" {
		t.Fatalf("exemption %+v", x)
	}
	if _, err := DefaultPolicy.GrantExemption(e.Account, in); err == nil {
		t.Error("second active exemption granted (one at a time)")
	}
	in.Now = x.ExpiresAt.Add(time.Second)
	if _, err := DefaultPolicy.GrantExemption(e.Account, in); err != nil {
		t.Errorf("new exemption after expiry refused: %v", err)
	}
	client := *base(withFactors(FactorPhone))
	if _, err := DefaultPolicy.GrantExemption(client, in); err == nil || !strings.Contains(err.Error(), "M7") {
		t.Errorf("client exemption: %v", err)
	}
}

func TestLastProviderFactorGuard(t *testing.T) {
	a := *base(provider, withFactors(FactorPhone, FactorRecoveryCode))
	in := ActionInput{By: "kay", Role: RoleLead, Now: now, Reason: "r", Checks: VerificationChecks[:2], Target: "f1"}
	if _, err := DefaultPolicy.RemoveFactor(a, in); err == nil || !strings.Contains(err.Error(), "M1") {
		t.Fatalf("removed a provider's last method: %v", err)
	}
	in.Target = "f2" // the recovery code is not a method of its own
	if _, err := DefaultPolicy.RemoveFactor(a, in); err != nil {
		t.Fatalf("recovery code removal refused: %v", err)
	}
	in.Target = "f1"
	a.MFAExemption = &Exemption{GrantedAt: at(-time.Hour), ExpiresAt: at(time.Hour)}
	if _, err := DefaultPolicy.RemoveFactor(a, in); err != nil {
		t.Fatalf("with an active exemption the last method may go: %v", err)
	}
	c := *base(withFactors(FactorPhone))
	if _, err := DefaultPolicy.RemoveFactor(c, in); err != nil {
		t.Fatalf("a client's only method (2FA optional, M1): %v", err)
	}
}

func TestSendResetRules(t *testing.T) {
	in := ActionInput{By: "sam", Role: RoleAgent, Now: now}
	sup := *base(func(a *Account) { a.EmailsUnsubscribedAt = at(-time.Hour) })
	if _, err := DefaultPolicy.SendReset(sup, in); err == nil || !strings.Contains(err.Error(), "R6") {
		t.Errorf("suppressed: %v", err)
	}
	recent := *base(withResets(reset("r1", 9*time.Minute, ResetDelivered)))
	if _, err := DefaultPolicy.SendReset(recent, in); !errors.Is(err, ErrNeedsConfirm) {
		t.Errorf("reset 9 min ago: %v", err)
	}
	in.Confirmed = true
	e, err := DefaultPolicy.SendReset(recent, in)
	if err != nil || e.Account.Resets[1].ID != "r2" || e.Account.Resets[1].Status != ResetRequested {
		t.Fatalf("confirmed: %v %+v", err, e.Account.Resets)
	}
	in.Confirmed = false
	old := *base(withResets(reset("r1", 10*time.Minute, ResetDelivered)))
	if _, err := DefaultPolicy.SendReset(old, in); err != nil {
		t.Errorf("reset 10 min ago needs no second confirmation: %v", err)
	}
	unverified := *base(func(a *Account) { a.EmailVerifiedAt = nil })
	if _, err := DefaultPolicy.SendReset(unverified, in); err == nil || !strings.Contains(err.Error(), "R7") {
		t.Errorf("unverified: %v", err)
	}
	verified := *base()
	if _, err := DefaultPolicy.ResendVerification(verified, in); err == nil {
		t.Error("verification resent to a verified account")
	}
}

// TestCanPredicates: the eligibility the actions and the diagnosis steps
// share. Suppression is checked last, so ErrSuppressed means it is the
// only obstacle (R6).
func TestCanPredicates(t *testing.T) {
	sup := func(a *Account) { a.EmailsUnsubscribedAt = at(-time.Hour) }
	unverified := func(a *Account) { a.EmailVerifiedAt = nil }
	terminated := func(a *Account) { a.Status = StatusTerminated }
	cases := []struct {
		name string
		err  error
		want string // "" for nil; else a substring, or the sentinel's text
	}{
		{"reset: fine", CanSendReset(*base()), ""},
		{"reset: suppressed only (R6)", CanSendReset(*base(sup)), ErrSuppressed.Error()},
		{"reset: unverified and suppressed (R7 first)", CanSendReset(*base(sup, unverified)), ErrUnverified.Error()},
		{"reset: terminated (A4)", CanSendReset(*base(provider, terminated, sup)), "A4"},
		{"verification: verified", CanResendVerification(*base()), "already verified"},
		{"verification: suppressed only", CanResendVerification(*base(unverified, sup)), ErrSuppressed.Error()},
		{"verification: deactivated (A3)", CanResendVerification(*base(unverified, func(a *Account) { a.Status = StatusDeactivated })), "A3"},
		{"exemption: active provider", CanGrantExemption(*base(provider), now), ""},
		{"exemption: terminated provider (M7)", CanGrantExemption(*base(provider, terminated), now), "terminated"},
		{"exemption: client (M7)", CanGrantExemption(*base(), now), "for providers"},
		{"exemption: one already active", CanGrantExemption(*base(provider, func(a *Account) {
			a.MFAExemption = &Exemption{GrantedAt: at(-time.Hour), ExpiresAt: at(ExemptionLength - time.Hour)}
		}), now), "already active"},
		{"exemption: the last one ended exactly now", CanGrantExemption(*base(provider, func(a *Account) {
			a.MFAExemption = &Exemption{GrantedAt: at(-ExemptionLength), ExpiresAt: at(0)}
		}), now), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			switch {
			case c.want == "" && c.err != nil:
				t.Fatalf("refused: %v", c.err)
			case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
				t.Fatalf("err = %v, want %q", c.err, c.want)
			}
		})
	}
	if !errors.Is(CanSendReset(*base(sup)), ErrSuppressed) {
		t.Error("ErrSuppressed is not a sentinel")
	}
}

// Actions the diagnosis says are wrong here (issue 12), table by table.
func TestActionConflicts(t *testing.T) {
	now := time.Date(2026, 11, 10, 18, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	f := func(codes ...string) []Finding {
		var out []Finding
		for _, c := range codes {
			out = append(out, Finding{Code: c})
		}
		return out
	}
	live := Account{ID: "a", USState: "NY", Resets: []Reset{{ID: "r1", RequestedAt: at(-20 * time.Minute), SentAt: at(-19 * time.Minute), DeliveredAt: at(-19 * time.Minute), Status: ResetDelivered}}}
	expired := Account{ID: "b", Resets: []Reset{{ID: "r1", RequestedAt: at(-2 * time.Hour), SentAt: at(-2 * time.Hour), DeliveredAt: at(-2 * time.Hour), Status: ResetDelivered}}}
	for _, c := range []struct {
		name     string
		action   string
		acc      Account
		findings []Finding
		want     []string
	}{
		{"reset, wrong portal", ActSendReset, Account{}, f("wrong_portal", "bad_password"), []string{"wrong_portal"}},
		{"reset, careers", ActSendReset, Account{}, f("other_service_careers"), []string{"other_service_careers"}},
		{"reset, blocked", ActSendReset, Account{}, f("login_blocked"), []string{"login_blocked"}},
		{"reset, a live delivered link (R3)", ActSendReset, live, f("browser_session"), []string{"live_link"}},
		{"reset, the link expired", ActSendReset, expired, f("browser_session"), nil},
		{"reset, nothing against it", ActSendReset, Account{}, f("bad_password"), nil},
		{"verification, suppressed (R6)", ActResendVerification, Account{}, f("email_unverified", "emails_suppressed"), []string{"emails_suppressed"}},
		{"exemption, a recovery code (M8)", ActGrantExemption, Account{}, f("mfa_recovery_code", "mfa_provider_exemption"), []string{"mfa_recovery_code"}},
		{"lift, never against", ActLiftSuppression, Account{}, f("emails_suppressed"), nil},
	} {
		var got []string
		for _, x := range DefaultPolicy.ActionConflicts(c.action, c.acc, c.findings, now) {
			got = append(got, x.Code)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestCheckTicks: the audit names each ticked check and how it was ticked.
func TestCheckTicks(t *testing.T) {
	for _, tc := range []struct {
		checks, how []string
		want        string
	}{
		{VerificationChecks[1:3], []string{"space", "space"}, "name_dob(space), detail(space)"},
		{[]string{VerificationChecks[0], VerificationChecks[3]}, []string{"--checks", "--checks"}, "email_reply(--checks), callback(--checks)"},
		{VerificationChecks[:2], nil, "email_reply(unsaid), name_dob(unsaid)"},
		{nil, nil, ""},
	} {
		if got := CheckTicks(tc.checks, tc.how); got != tc.want {
			t.Errorf("CheckTicks(%q, %q) = %q, want %q", tc.checks, tc.how, got, tc.want)
		}
	}
}
