package model

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func find(t *testing.T, fs []Finding, code string) Finding {
	t.Helper()
	for _, f := range fs {
		if f.Code == code {
			return f
		}
	}
	t.Fatalf("no %s in %v", code, codes(fs))
	return Finding{}
}

func joined(f Finding) string { return strings.Join(f.Steps, "\n") }

// TestMultiProblemLeadSteps: calls where several findings hold, and the
// lead's steps are doable on the account (DOMAIN §7, R6, R7, M7).
func TestMultiProblemLeadSteps(t *testing.T) {
	t.Run("unverified + suppressed + wrong site (P5, R7, R6)", func(t *testing.T) {
		acc := base(func(a *Account) {
			a.EmailVerifiedAt, a.Status = nil, StatusPending
			a.EmailsUnsubscribedAt = at(-30 * 24 * time.Hour)
		})
		fs := Diagnose(acc, rep(SiteProvider, ProblemCantLogIn), now)
		if got := codes(fs); !slices.Equal(got, []string{"wrong_portal", "email_unverified", "emails_suppressed"}) {
			t.Fatalf("findings %v", got)
		}
		steps := fs[0].Steps
		last := steps[len(steps)-1]
		if !strings.HasPrefix(last, liftFirst) || !strings.Contains(strings.ToLower(last), "verify your email first") {
			t.Errorf("the lead does not end with verifying the email, after lifting the suppression:\n%s", joined(fs[0]))
		}
		if strings.Contains(joined(fs[0]), "Forgot your password") {
			t.Errorf("a reset offered on an unverified account (policy refuses it, R7):\n%s", joined(fs[0]))
		}
		// email_unverified's own steps: each one needing an email says to lift first
		for _, s := range find(t, fs, "email_unverified").Steps[1:] {
			if !strings.HasPrefix(s, liftFirst) {
				t.Errorf("email step without the suppression first: %q", s)
			}
		}
	})
	t.Run("terminated + old email + lost 2FA (A4, P4, M7)", func(t *testing.T) {
		acc := base(provider, withFactors(FactorPhone), func(a *Account) { a.Status = StatusTerminated })
		r := rep(SiteProvider, ProblemLost2FA)
		r.Email = "pat@oldmail.com"
		fs := Diagnose(acc, r, now)
		got := codes(fs)
		if got[0] != "provider_terminated" || !slices.Contains(got, "login_email_changed") || slices.Contains(got, "mfa_provider_exemption") {
			t.Fatalf("findings %v", got)
		}
		for _, f := range fs {
			if strings.Contains(strings.ToLower(joined(f)), "exemption") {
				t.Errorf("%s offers an exemption to a terminated provider:\n%s", f.Code, joined(f))
			}
		}
		if s := joined(find(t, fs, "login_email_changed")); strings.Contains(s, "sign in with the current") {
			t.Errorf("sign-in suggested to a terminated provider (A4):\n%s", s)
		}
		if ev := strings.Join(fs[0].Evidence, "\n"); !strings.Contains(ev, "previous email") {
			t.Errorf("the lead does not say the caller gave an old address: %s", ev)
		}
	})
	t.Run("superseded + expired (R3, R8)", func(t *testing.T) {
		acc := base(withResets(reset("r1", 3*time.Hour, ResetDelivered), reset("r2", 2*time.Hour, ResetDelivered)))
		fs := Diagnose(acc, rep(SitePatient, ProblemResetLinkFailed), now)
		if got := codes(fs); !slices.Equal(got, []string{"reset_link_expired"}) {
			t.Fatalf("findings %v", got)
		}
		if !strings.Contains(joined(fs[0]), "Request one new reset") || !strings.Contains(joined(fs[0]), "Forgot your password") {
			t.Errorf("steps:\n%s", joined(fs[0]))
		}
	})
}

// TestStepsNeedingEmailSayLiftFirst: rule R6, on leads of every kind.
func TestStepsNeedingEmailSayLiftFirst(t *testing.T) {
	sup := func(a *Account) { a.EmailsUnsubscribedAt = at(-time.Hour) }
	for _, c := range []struct {
		name string
		acc  *Account
		r    Report
		want string // a step text that must come after the lift
	}{
		{"bad password: the reset", base(sup, func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginBadPassword, 5*time.Minute)} }), rep(SitePatient, ProblemCantLogIn), "Forgot your password"},
		{"escalate: the follow-up email", base(sup), rep(SitePatient, ProblemNo2FACode), "follow up by email"},
		{"login blocked: the follow-up email", base(sup, func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginBlocked, 5*time.Minute)} }), rep(SitePatient, ProblemCantLogIn), "follow up with you by email"},
		{"email code (M3)", base(sup, provider, withFactors(FactorPhone), func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginMFAOK, 48*time.Hour)} }), rep(SiteProvider, ProblemLost2FA), "the code goes to your login email"},
		{"visit too early: the reminder", base(sup, visitIn(2*time.Hour)), rep(SitePatient, ProblemCantJoinSession), "reminder email"},
		{"wrong portal: the reset", base(sup, provider), rep(SitePatient, ProblemCantLogIn), "Forgot your password"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := Diagnose(c.acc, c.r, now)[0]
			found := false
			for _, s := range f.Steps {
				if strings.Contains(s, c.want) {
					found = true
					if !strings.HasPrefix(s, liftFirst) {
						t.Errorf("%s: %q does not say to lift the suppression first", f.Code, s)
					}
				}
			}
			if !found {
				t.Fatalf("%s has no step with %q:\n%s", f.Code, c.want, joined(f))
			}
		})
	}
	// not suppressed: no such words
	f := Diagnose(base(), rep(SitePatient, ProblemNo2FACode), now)[0]
	if strings.Contains(joined(f), liftFirst) {
		t.Errorf("lift-first on an account whose emails are not suppressed:\n%s", joined(f))
	}
}

// TestUnverifiedEndsWithVerifyFirst: rule R7 for every finding ranked
// above email_unverified, and for a reset refused because of it.
func TestUnverifiedEndsWithVerifyFirst(t *testing.T) {
	unv := func(a *Account) { a.EmailVerifiedAt = nil }
	for _, c := range []struct {
		name string
		acc  *Account
		r    Report
	}{
		{"careers", base(unv), rep(SiteCareers, ProblemCantLogIn)},
		{"login email changed", base(unv), Report{Email: "pat@oldmail.com", Site: SitePatient, Problem: ProblemCantLogIn}},
		{"blocked", base(unv, func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginBlocked, time.Minute)} }), rep(SitePatient, ProblemCantLogIn)},
		{"wrong portal", base(unv, provider), rep(SitePatient, ProblemNoResetEmail)},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := Diagnose(c.acc, c.r, now)[0]
			if last := f.Steps[len(f.Steps)-1]; last != verifyFirst {
				t.Fatalf("%s ends with %q, want verifying the email first", f.Code, last)
			}
			if strings.Contains(joined(f), "Forgot your password") || strings.Contains(joined(f), "Request one new reset") {
				t.Errorf("%s offers a reset on an unverified account:\n%s", f.Code, joined(f))
			}
		})
	}
	// a closed account cannot be verified: no such step (policy refuses it)
	f := Diagnose(base(unv, func(a *Account) { a.Status = StatusDeactivated }), rep(SitePatient, ProblemCantLogIn), now)[0]
	if strings.Contains(joined(f), "Verify your email") {
		t.Errorf("verification offered to a deactivated account:\n%s", joined(f))
	}
	// a verified account: none
	f = Diagnose(base(provider), rep(SitePatient, ProblemCantLogIn), now)[0]
	if strings.Contains(joined(f), "Verify your email") {
		t.Errorf("verification offered to a verified account:\n%s", joined(f))
	}
}

// TestNoStepPolicyRefuses: across every account and report of the
// property set, a finding never suggests an action its policy check
// refuses on the account.
func TestNoStepPolicyRefuses(t *testing.T) {
	for _, acc := range propertyAccounts() {
		if acc == nil {
			continue
		}
		for _, r := range propertyReports(acc) {
			for _, f := range Diagnose(acc, r, now) {
				text := joined(f)
				// a reset step policy refuses only says to lift the
				// suppression (R6) or to verify the email (R7) first
				for _, s := range f.Steps {
					if err := CanSendReset(*acc); err != nil && !strings.HasPrefix(s, liftFirst) &&
						!(errors.Is(err, ErrUnverified) && strings.HasPrefix(s, afterVerify)) &&
						(strings.Contains(s, "Forgot your password") || strings.Contains(s, "Request one new reset")) {
						t.Fatalf("%s on %s offers a reset policy refuses (%v):\n%s", f.Code, acc.Status, err, text)
					}
				}
				if CanGrantExemption(*acc, now) != nil && strings.Contains(text, "grants a 2FA exemption") {
					t.Fatalf("%s offers an exemption policy refuses:\n%s", f.Code, text)
				}
			}
		}
	}
}

// TestEvidenceDoesNotContradict: "no failed sign-in" only when there is
// none on either portal (DOMAIN §7).
func TestEvidenceDoesNotContradict(t *testing.T) {
	// a client's failed provider sign-in two days ago: too old for
	// wrong_portal, but still on file
	acc := base(func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginBadPassword, 48*time.Hour)} })
	f := Diagnose(acc, rep(SitePatient, ProblemCantLogIn), now)[0]
	ev := strings.Join(f.Evidence, "\n")
	if f.Code != "browser_session" || strings.Contains(ev, "no failed") || !strings.Contains(ev, "latest failed sign-in 2 d ago on the provider portal") {
		t.Fatalf("%s evidence:\n%s", f.Code, ev)
	}
	f = Diagnose(base(), rep(SitePatient, ProblemCantLogIn), now)[0]
	if ev := strings.Join(f.Evidence, "\n"); !strings.Contains(ev, "no failed sign-in on file, on either portal") {
		t.Fatalf("clean account evidence:\n%s", ev)
	}
	// site unknown: it does not claim the caller is on the right portal
	f = Diagnose(base(), rep(SiteUnknown, ProblemCantLogIn), now)[0]
	if ev := strings.Join(f.Evidence, "\n"); strings.Contains(ev, "right") {
		t.Fatalf("site unknown, yet: %s", ev)
	}
}

// TestRevealMasksPII: steps and evidence spell out the caller's email and
// phone only when revealed.
func TestRevealMasksPII(t *testing.T) {
	maria := base(withFactors(FactorPhone), func(a *Account) { a.Email = "maria.lopez@gmail.com"; a.PreviousEmails = []string{"maria@oldmail.com"} })
	cases := []struct {
		name     string
		acc      *Account
		r        Report
		code     string
		masked   string
		revealed string
	}{
		{"plus-address suggestion (A2)", maria, Report{Email: "Maria.Lopez@gmail.com", Problem: ProblemFamilyAccount, Site: SitePatient}, "family_plus_address", "M***z+1@gmail.com", "Maria.Lopez+1@gmail.com"},
		{"plus-address builds before an existing +tag", nil, Report{Email: "mike.obi+kid1@gmail.com", Problem: ProblemFamilyAccount}, "family_plus_address", "m***i+name@gmail.com", "mike.obi+name@gmail.com"},
		{"no account", nil, Report{Email: "someone.else@example.org", Problem: ProblemCantLogIn}, "no_account", "s***e@example.org", "someone.else@example.org"},
		{"old email", maria, Report{Email: "maria@oldmail.com", Problem: ProblemCantLogIn, Site: SitePatient}, "login_email_changed", "m***a@oldmail.com", "maria.lopez@gmail.com"},
		{"phone factor", maria, Report{Email: "maria.lopez@gmail.com", Problem: ProblemNo2FACode, Site: SitePatient}, "mfa_sms_filtered", "+1 ***-***-0123", "+1 212-555-0123"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := func(reveal bool) string {
				r := c.r
				r.Reveal = reveal
				f := find(t, Diagnose(c.acc, r, now), c.code)
				return strings.Join(append(f.Evidence, f.Steps...), "\n")
			}
			hidden, shown := text(false), text(true)
			if !strings.Contains(hidden, c.masked) || strings.Contains(hidden, c.revealed) {
				t.Errorf("masked text lacks %q or spells out %q:\n%s", c.masked, c.revealed, hidden)
			}
			if !strings.Contains(shown, c.revealed) {
				t.Errorf("revealed text lacks %q:\n%s", c.revealed, shown)
			}
		})
	}
	// no finding of the property set spells out an email or the phone unrevealed
	for _, acc := range propertyAccounts() {
		for _, r := range propertyReports(acc) {
			for _, f := range Diagnose(acc, r, now) {
				all := strings.Join(append(f.Evidence, f.Steps...), "\n")
				for _, pii := range []string{r.Email, "2125550123"} {
					if strings.Contains(all, pii) {
						t.Fatalf("%s spells out %q unrevealed:\n%s", f.Code, pii, all)
					}
				}
			}
		}
	}
}

// TestCallerClockInSteps: clock times read to the caller are in the
// account's zone (DOMAIN §7), and words follow the policy.
func TestCallerClockInSteps(t *testing.T) {
	ca := func(a *Account) { a.USState = "CA" }
	f := Diagnose(base(ca, visitIn(90*time.Minute)), rep(SitePatient, ProblemCantJoinSession), now)[0]
	// now is 18:00 UTC = 10:00 AM PST; the visit 11:30 AM PST
	for _, want := range []string{"Your visit starts at 11:30 AM PST.", "Come back at 11:15 AM PST (15 minutes before the start).", "arrives 1 hour before the visit"} {
		if !strings.Contains(joined(f), want) {
			t.Errorf("telehealth_too_early lacks %q:\n%s", want, joined(f))
		}
	}
	f = Diagnose(base(func(a *Account) { a.USState = "NY" }, provider, withFactors(FactorPhone), exemption(-time.Hour)), rep(SiteProvider, ProblemLost2FA), now)[0]
	if want := "until Tue Nov 17, 12:00 PM EST"; !strings.Contains(joined(f), want) {
		t.Errorf("mfa_exemption_active lacks %q:\n%s", want, joined(f))
	}
	f = Diagnose(base(withResets(reset("r1", 3*time.Hour, ResetDelivered), reset("r2", 20*time.Minute, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), now)[0]
	if want := "sent at 12:40 PM EST; its link works until 1:40 PM EST"; !strings.Contains(joined(f), want) {
		t.Errorf("reset_link_superseded (no state: Eastern) lacks %q:\n%s", want, joined(f))
	}
}

func TestWordsFollowThePolicy(t *testing.T) {
	p := DefaultPolicy
	p.JoinOpens, p.ReminderLead, p.ResetLinkLifetime = 10*time.Minute, 2*time.Hour, 45*time.Minute
	f := p.Diagnose(base(visitIn(time.Hour)), rep(SitePatient, ProblemCantJoinSession), now)[0]
	if f.Title != "Too early: the Join button appears 10 minutes before the start" || !strings.Contains(joined(f), "arrives 2 hours before") {
		t.Errorf("title %q, steps:\n%s", f.Title, joined(f))
	}
	f = p.Diagnose(base(withResets(reset("r1", 50*time.Minute, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), now)[0]
	if !strings.Contains(joined(f), "works for 45 minutes") {
		t.Errorf("link lifetime words:\n%s", joined(f))
	}
	for _, acc := range propertyAccounts() {
		for _, r := range propertyReports(acc) {
			for _, f := range p.Diagnose(acc, r, now) {
				all := f.Title + "\n" + joined(f)
				for _, fixed := range []string{"15 min", "60 min", "one week", "7-day", "{"} {
					if strings.Contains(all, fixed) {
						t.Fatalf("%s says %q whatever the policy:\n%s", f.Code, fixed, all)
					}
				}
			}
		}
	}
}

// TestScreenDecisions: what screens used to decide for themselves, now in
// one place each (P3–P5, R2, T1).
func TestScreenDecisions(t *testing.T) {
	for r, want := range map[string]bool{LoginOK: false, LoginMFAOK: false, LoginBadPassword: true, LoginMFAFailed: true, LoginBlocked: true, LoginUnverified: true} {
		if LoginFailed(r) != want {
			t.Errorf("LoginFailed(%s) = %v", r, !want)
		}
	}
	if !WrongPortal(RoleProvider, Login{Portal: PortalPatient}) || WrongPortal(RoleClient, Login{Portal: PortalPatient}) {
		t.Error("WrongPortal (P5)")
	}
	if PortalLabel(RoleProvider) != "provider portal" || PortalLabel(RoleClient) != "patient portal" {
		t.Error("PortalLabel")
	}
	if s, ok := ResetEmailSubject(RoleProvider); !ok || s != "Please Verify Your Headway Account" {
		t.Error("R2 subject")
	}
	if _, ok := ResetEmailSubject(RoleClient); ok {
		t.Error("the sources name no client subject")
	}
	p := DefaultPolicy
	if got := p.VisitWindow(); got != "from 1 h ago to 24 h ahead" {
		t.Errorf("VisitWindow = %q", got)
	}
	p.JoinStaysOpen, p.VisitHorizon = 30*time.Minute, 48*time.Hour
	if got := p.VisitWindow(); got != "from 30 min ago to 2 d ahead" {
		t.Errorf("VisitWindow follows the policy: %q", got)
	}
}

// The interview pre-selects from the account's evidence (P5, P6).
func TestSuggestFromEvidence(t *testing.T) {
	now := time.Date(2026, 11, 10, 18, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	prov := Account{ID: "a", Role: RoleProvider, Logins: []Login{{At: at(-time.Hour), Portal: PortalPatient, Result: LoginBadPassword}}}
	if s := DefaultPolicy.Suggest(&prov, now); s.Site != SitePatient || s.SiteWhy == "" || s.Problem != ProblemCantLogIn || s.ProblemWhy == "" {
		t.Errorf("a provider's failed sign-in on the patient portal: %+v", s)
	}
	mfa := Account{ID: "b", Role: RoleClient, Logins: []Login{{At: at(-time.Hour), Portal: PortalPatient, Result: LoginMFAFailed}}}
	if s := DefaultPolicy.Suggest(&mfa, now); s.Problem != ProblemNo2FACode {
		t.Errorf("failed at the 2FA step: %+v", s)
	}
	reset := Account{ID: "c", Role: RoleClient, Resets: []Reset{{ID: "r1", RequestedAt: at(-30 * time.Minute), Status: ResetDelivered, SentAt: at(-29 * time.Minute), DeliveredAt: at(-29 * time.Minute)}}}
	if s := DefaultPolicy.Suggest(&reset, now); s.Problem != ProblemNoResetEmail {
		t.Errorf("a reset delivered, unused: %+v", s)
	}
	reset.Resets[0].ClickedAt = at(-10 * time.Minute)
	if s := DefaultPolicy.Suggest(&reset, now); s.Problem != ProblemResetLinkFailed {
		t.Errorf("a reset link opened, unused: %+v", s)
	}
	// an older link opened after the newest was sent: the caller is on a
	// link that no longer works (R3), not missing the email
	two := Account{ID: "e", Role: RoleClient, Resets: []Reset{
		{ID: "r1", RequestedAt: at(-50 * time.Minute), Status: ResetSuperseded, SentAt: at(-49 * time.Minute), DeliveredAt: at(-49 * time.Minute), ClickedAt: at(-5 * time.Minute)},
		{ID: "r2", RequestedAt: at(-30 * time.Minute), Status: ResetDelivered, SentAt: at(-29 * time.Minute), DeliveredAt: at(-29 * time.Minute)}}}
	if s := DefaultPolicy.Suggest(&two, now); s.Problem != ProblemResetLinkFailed || !strings.Contains(s.ProblemWhy, "r1") {
		t.Errorf("an older link opened after the newest was sent: %+v", s)
	}
	old := Account{ID: "d", Role: RoleClient, Logins: []Login{{At: at(-72 * time.Hour), Portal: PortalPatient, Result: LoginBadPassword}}}
	if s := DefaultPolicy.Suggest(&old, now); s.Site != SiteUnknown || s.SiteWhy != "" || s.ProblemWhy != "" {
		t.Errorf("evidence older than the look-back suggests nothing: %+v", s)
	}
}

// TestClientsNeverGetEmailCodes: rule M3 (revised 2026-12-07) is a
// provider option; a client, even one with a successful 2FA sign-in on
// file, is never told to get a code by email, by any finding or by the
// self-help list, whatever the site, problem and flags.
func TestClientsNeverGetEmailCodes(t *testing.T) {
	client := base(withFactors(FactorPhone, FactorBiometric), func(a *Account) {
		a.Logins = []Login{login(PortalPatient, LoginMFAOK, 48*time.Hour), login(PortalPatient, LoginMFAFailed, time.Hour)}
	})
	for _, r := range propertyReports(client) {
		for _, f := range Diagnose(client, r, now) {
			all := strings.ToLower(joined(f) + "\n" + f.Title)
			if f.Code == "mfa_email_code" || strings.Contains(all, "code by email") || strings.Contains(all, "login email address") || slices.Contains(f.Rules, "M3") {
				t.Fatalf("%+v: a client is offered an email code by %s:\n%s", r, f.Code, all)
			}
		}
	}
	if EmailCodesAvailable(*client) {
		t.Error("EmailCodesAvailable for a client")
	}
	for _, s := range SelfHelp(*client, now) {
		if s.Rule == "M3" {
			t.Errorf("self-help offers a client email codes: %s", s.Text)
		}
	}
	prov := base(provider, withFactors(FactorPhone), func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginMFAOK, 48*time.Hour)} })
	if !EmailCodesAvailable(*prov) {
		t.Error("a provider with a successful 2FA sign-in has no email codes")
	}
}

// TestWrongPortalEvidenceOverTheLabel: rule P5 (DOMAIN §7 #8, revised
// 2026-12-07). Whatever site the caller names, of the failed
// (bad_password) sign-ins and the reset requests within 24 h the latest
// decides: on the portal that does not match the role, with no successful
// sign-in on the right portal after it, the caller is at the wrong door.
// A site named as the other portal is wrong_portal whatever the evidence.
func TestWrongPortalEvidenceOverTheLabel(t *testing.T) {
	const min, hour = time.Minute, time.Hour
	type ev struct {
		name   string
		logins func(right, wrong string) []Login
		resets func(right, wrong string) []Reset
		shows  bool // the evidence shows the other portal
	}
	rst := func(id, portal string, ago time.Duration) Reset {
		r := reset(id, ago, ResetDelivered)
		r.Portal = portal
		return r
	}
	none := func(string, string) []Login { return nil }
	noResets := func(string, string) []Reset { return nil }
	evidence := []ev{
		{"no evidence", none, noResets, false},
		{"latest: failed sign-in on the wrong portal", func(r, w string) []Login { return []Login{login(w, LoginBadPassword, hour)} }, noResets, true},
		{"latest: reset on the wrong portal", none, func(r, w string) []Reset { return []Reset{rst("r1", w, 30*min)} }, true},
		{"latest: failed sign-in on the right portal", func(r, w string) []Login { return []Login{login(r, LoginBadPassword, hour)} }, noResets, false},
		{"latest: reset on the right portal", none, func(r, w string) []Reset { return []Reset{rst("r1", r, 30*min)} }, false},
		{"older wrong sign-in, newer reset from the right portal", func(r, w string) []Login { return []Login{login(w, LoginBadPassword, 2*hour)} },
			func(r, w string) []Reset { return []Reset{rst("r1", r, hour)} }, false},
		{"older reset from the right portal, newer wrong sign-in", func(r, w string) []Login { return []Login{login(w, LoginBadPassword, hour)} },
			func(r, w string) []Reset { return []Reset{rst("r1", r, 2*hour)} }, true},
		{"older wrong reset, newer failed sign-in on the right portal", func(r, w string) []Login { return []Login{login(r, LoginBadPassword, hour)} },
			func(r, w string) []Reset { return []Reset{rst("r1", w, 2*hour)} }, false},
		{"older right sign-in, newer wrong reset", func(r, w string) []Login { return []Login{login(r, LoginBadPassword, 2*hour)} },
			func(r, w string) []Reset { return []Reset{rst("r1", w, hour)} }, true},
		{"wrong sign-in, then ok on the right portal", func(r, w string) []Login {
			return []Login{login(w, LoginBadPassword, 2*hour), login(r, LoginOK, hour)}
		}, noResets, false},
		{"wrong reset, then ok (2FA) on the right portal", func(r, w string) []Login { return []Login{login(r, LoginMFAOK, hour)} },
			func(r, w string) []Reset { return []Reset{rst("r1", w, 2*hour)} }, false},
		{"wrong sign-in, then ok on the wrong portal", func(r, w string) []Login {
			return []Login{login(w, LoginBadPassword, 2*hour), login(w, LoginOK, hour)}
		}, noResets, true},
		{"ok on the right portal before the wrong sign-in", func(r, w string) []Login {
			return []Login{login(r, LoginOK, 2*hour), login(w, LoginBadPassword, hour)}
		}, noResets, true},
		{"wrong sign-in exactly 24 h ago", func(r, w string) []Login { return []Login{login(w, LoginBadPassword, 24*hour)} }, noResets, true},
		{"wrong sign-in 24 h 1 s ago: outside", func(r, w string) []Login { return []Login{login(w, LoginBadPassword, 24*hour+time.Second)} }, noResets, false},
		{"wrong reset 25 h ago: outside", none, func(r, w string) []Reset { return []Reset{rst("r1", w, 25*hour)} }, false},
		{"right reset 25 h ago does not outrank a newer wrong sign-in", func(r, w string) []Login { return []Login{login(w, LoginBadPassword, hour)} },
			func(r, w string) []Reset { return []Reset{rst("r1", r, 25*hour)} }, true},
	}
	for _, role := range []string{RoleClient, RoleProvider} {
		right := PortalFor(role)
		wrong := PortalPatient
		if right == PortalPatient {
			wrong = PortalProvider
		}
		for _, site := range []string{SitePatient, SiteProvider, SiteUnknown} {
			label := site == wrong // the caller names the other portal
			for _, e := range evidence {
				for _, problem := range []string{ProblemCantLogIn, ProblemNoResetEmail} {
					name := role + "/names " + site + "/" + e.name + "/" + problem
					t.Run(name, func(t *testing.T) {
						acc := base(func(a *Account) {
							a.Role = role
							a.Logins = e.logins(right, wrong)
							a.Resets = e.resets(right, wrong)
						})
						fs := Diagnose(acc, rep(site, problem), now)
						got, want := codes(fs), label || e.shows
						if has := slices.Contains(got, "wrong_portal"); has != want {
							t.Fatalf("wrong_portal holds = %v, want %v: %v", has, want, got)
						}
						if want && got[0] != "wrong_portal" {
							t.Fatalf("wrong_portal holds but does not lead: %v", got)
						}
						if want && e.shows {
							f := find(t, fs, "wrong_portal")
							if ev := strings.Join(f.Evidence, "\n"); !strings.Contains(ev, "on the "+wrong+" portal") {
								t.Errorf("the evidence does not name the %s portal:\n%s", wrong, ev)
							}
						}
					})
				}
			}
		}
	}
}

// TestUnverifiedKeepsResetStepsAfterVerifying: DOMAIN §7, "the lead's steps
// must be doable". reset_link_expired ranks below email_unverified, so it
// keeps its reset steps on an unverified account: verifying the email
// comes first (R7) and each reset step waits for it, lifting the
// suppression before either when emails are suppressed (R6). It used to
// lead with the verification step alone.
func TestUnverifiedKeepsResetStepsAfterVerifying(t *testing.T) {
	unv := func(a *Account) { a.EmailVerifiedAt = nil }
	sup := func(a *Account) { a.EmailsUnsubscribedAt = at(-48 * time.Hour) }
	expired := func(a *Account) { a.Resets = []Reset{reset("r1", 2*time.Hour, ResetDelivered)} }
	for _, c := range []struct {
		name string
		acc  *Account
		site string
		lift bool
	}{
		{"client", base(unv, expired), SitePatient, false},
		{"provider", base(unv, provider, expired, func(a *Account) { a.Resets[0].Portal = PortalProvider }), SiteProvider, false},
		{"client, emails suppressed", base(unv, sup, expired), SitePatient, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := Diagnose(c.acc, rep(c.site, ProblemResetLinkFailed), now)
			f := fs[0]
			if f.Code != "reset_link_expired" {
				t.Fatalf("findings %v", codes(fs))
			}
			verify := -1
			for i, s := range f.Steps {
				if strings.HasSuffix(strings.ToLower(s), strings.ToLower(verifyFirst)) {
					verify = i
					if c.lift != strings.HasPrefix(s, liftFirst) {
						t.Errorf("verify step %q: lift first = %v, want %v", s, !c.lift, c.lift)
					}
				}
			}
			if verify < 0 {
				t.Fatalf("no verify step:\n%s", joined(f))
			}
			resets := 0
			for i, s := range f.Steps {
				if strings.Contains(s, "Forgot your password") || strings.Contains(strings.ToLower(s), "request one new reset") {
					resets++
					if i < verify || !strings.HasPrefix(s, afterVerify) {
						t.Errorf("reset step %d %q is not after verifying the email (step %d)", i, s, verify)
					}
				}
			}
			if resets < 2 {
				t.Fatalf("the reset steps are lost (%d):\n%s", resets, joined(f))
			}
			if !strings.Contains(f.Steps[0], "The link has expired") {
				t.Errorf("the lead does not start by saying the link expired:\n%s", joined(f))
			}
		})
	}
}

// A step's condition and the step's own read as one sentence: "Once we
// have lifted … : Only if that fails: on sigmund…" had two colons and a
// capital mid-sentence (issue 22, item 11).
func TestConditionsReadAsOneSentence(t *testing.T) {
	seen := false
	suppressed := base(provider, withFactors(FactorPhone), func(a *Account) {
		a.Logins = []Login{login(PortalPatient, LoginBadPassword, time.Hour)}
		a.EmailsUnsubscribedAt = at(-24 * time.Hour)
	})
	for _, acc := range append(propertyAccounts(), suppressed) {
		if acc == nil {
			continue
		}
		for _, r := range propertyReports(acc) {
			for _, f := range Diagnose(acc, r, now) {
				for _, s := range f.Steps {
					if strings.Count(s, ": ") > 1 && strings.Contains(s, ": Only if") {
						t.Fatalf("%s: %q", f.Code, s)
					}
					seen = seen || strings.Contains(s, ", and only if that fails: ")
				}
			}
		}
	}
	if !seen {
		t.Fatal("no step had both conditions: the property set misses the case")
	}
}

// TestEveryStepStandsAlone: a step read to a caller is a whole
// instruction. One ending in a colon ("Request one now from the right
// portal:") only makes sense run on into the next, yet screens number
// them apart; a lead-in is said as part of the step it leads into.
func TestEveryStepStandsAlone(t *testing.T) {
	held := base(func(a *Account) {
		a.Resets = []Reset{{ID: "r1", Portal: PortalPatient, Status: ResetSuppressed, RequestedAt: at(-2 * time.Hour)}}
	})
	seen := map[string]bool{}
	for _, acc := range append(propertyAccounts(), held) {
		if acc == nil {
			continue
		}
		for _, r := range propertyReports(acc) {
			for _, f := range Diagnose(acc, r, now) {
				seen[f.Code] = true
				for i, s := range f.Steps {
					if strings.HasSuffix(strings.TrimSpace(s), ":") {
						t.Errorf("%s step %d ends in a colon, leaning on the next:\n%s", f.Code, i+1, joined(f))
					}
				}
			}
		}
	}
	for _, code := range []string{"reset_not_requested", "reset_held_back"} {
		if !seen[code] {
			t.Errorf("no account in the set led to %s: the test misses the case it was written for", code)
		}
	}
}

// A reset the platform has not sent yet (requested, no send time: one an
// agent just queued, most often) matches no rung, so the ladder still
// escalates (§7) — but the finding says what it saw, and a fresh one is
// given its minutes before the caller is handed over. Its wait step
// needs an email, so a suppression still comes first (R6).
func TestEscalateTellsOfAnUnsentReset(t *testing.T) {
	unsent := func(ago time.Duration) func(*Account) {
		return func(a *Account) {
			a.Resets = []Reset{{ID: "r9", Portal: PortalPatient, Status: ResetRequested, RequestedAt: at(-ago)}}
		}
	}
	for _, c := range []struct {
		name     string
		acc      *Account
		wait     bool // the steps open with waiting for it
		evidence bool
	}{
		{"queued 2 min ago", base(unsent(2 * time.Minute)), true, true},
		{"queued 14 min ago", base(unsent(14 * time.Minute)), true, true},
		{"requested 3 h ago, never sent", base(unsent(3 * time.Hour)), false, true},
		{"sent 2 min ago", base(func(a *Account) {
			a.Resets = []Reset{{ID: "r9", Portal: PortalPatient, Status: ResetSent, RequestedAt: at(-2 * time.Minute), SentAt: at(-2 * time.Minute)}}
		}), false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := Diagnose(c.acc, rep(SitePatient, ProblemNoResetEmail), now)
			lead := fs[0]
			if c.evidence && lead.Code != "escalate" {
				t.Fatalf("lead %s, want escalate (§7 has no rung for an unsent reset): %v", lead.Code, codes(fs))
			}
			said := strings.Contains(strings.Join(lead.Evidence, "\n"), "r9, requested") && strings.Contains(strings.Join(lead.Evidence, "\n"), "has not been sent yet")
			if said != c.evidence {
				t.Errorf("evidence tells of the unsent reset: %v, want %v: %q", said, c.evidence, lead.Evidence)
			}
			if c.evidence == strings.HasPrefix(lead.Title, "No known cause") {
				t.Errorf("title %q: it should name the unsent reset exactly when the evidence does", lead.Title)
			}
			waits := len(lead.Steps) > 0 && strings.Contains(lead.Steps[0], "has not gone out yet")
			if waits != c.wait {
				t.Errorf("steps open with the wait: %v, want %v:\n%s", waits, c.wait, joined(lead))
			}
		})
	}
	t.Run("suppressed: lift first", func(t *testing.T) {
		acc := base(unsent(2*time.Minute), func(a *Account) { a.EmailsUnsubscribedAt = at(-time.Hour) })
		for _, f := range Diagnose(acc, rep(SitePatient, ProblemNoResetEmail), now) {
			for _, s := range f.Steps {
				if strings.Contains(s, "Promotions tab") && !strings.HasPrefix(s, liftFirst) {
					t.Errorf("%s: %q needs an email but does not say to lift the suppression first", f.Code, s)
				}
			}
		}
	})
}

// A step run on after a condition ("Once we have lifted …: look for")
// goes on in lower case, but names and acronyms keep their capitals.
func TestSentenceOn(t *testing.T) {
	for in, want := range map[string]string{
		"Look for the verification email.":    "look for the verification email.",
		"Verify your email first: new users.": "verify your email first: new users.",
		"Gmail's Promotions tab hides it.":    "Gmail's Promotions tab hides it.",
		"Headway support will email you.":     "Headway support will email you.",
		"OK is what it says.":                 "OK is what it says.",
		"I will stay on the line.":            "I will stay on the line.",
		"":                                    "",
	} {
		if got := sentenceOn(in); got != want {
			t.Errorf("sentenceOn(%q) = %q, want %q", in, got, want)
		}
	}
	f := Diagnose(base(func(a *Account) { a.EmailsUnsubscribedAt = at(-time.Hour) }), rep(SitePatient, ProblemNoResetEmail), now)[0]
	for _, s := range f.Steps {
		if rest, ok := strings.CutPrefix(s, liftFirst+": "); ok && rest[0] >= 'A' && rest[0] <= 'Z' && !strings.HasPrefix(rest, "Headway") && !strings.HasPrefix(rest, "Gmail") {
			t.Errorf("%s: %q runs on into a capital", f.Code, s)
		}
	}
}

// A provider whose exemption is running is told to use it, not that a
// lead can grant one (M7).
func TestSelfHelpWithAnActiveExemption(t *testing.T) {
	prov := base(provider, withFactors(FactorPhone))
	says := func(a *Account, want string) {
		t.Helper()
		for _, h := range SelfHelp(*a, now) {
			if h.Rule == "M7" {
				if !strings.Contains(h.Text, want) {
					t.Errorf("M7 self-help %q, want it to say %q", h.Text, want)
				}
				return
			}
		}
		t.Errorf("no M7 self-help for a provider")
	}
	says(prov, "a lead can grant an exemption")
	prov.MFAExemption = &Exemption{GrantedAt: at(-time.Hour), ExpiresAt: at(6 * 24 * time.Hour)}
	says(prov, "An exemption is active")
	prov.MFAExemption.ExpiresAt = at(-time.Minute) // over
	says(prov, "a lead can grant an exemption")
}
