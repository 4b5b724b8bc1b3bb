package model

import (
	"slices"
	"testing"
	"time"
)

// What the platform recorded after now has not happened yet for a
// diagnosis at now (AsOf): a reset or sign-in dated later must not lead
// it as "the latest", nor make two findings contradict each other.
func TestADiagnosisSeesOnlyWhatHappenedByNow(t *testing.T) {
	const min, hour = time.Minute, time.Hour
	sentAt := func(r Reset, d time.Duration) Reset { r.SentAt = at(d); return r }
	delivered := func(r Reset, d time.Duration) Reset { r.DeliveredAt = at(d); return r }
	used := func(r Reset, d time.Duration) Reset { r.UsedAt = at(d); return r }
	pending := func(id string, d time.Duration) Reset {
		return Reset{ID: id, RequestedAt: at(d), Status: ResetRequested, Portal: PortalPatient}
	}
	cases := []struct {
		name string
		acc  *Account
		r    Report
		want []string // every code, in order
	}{
		// a link sent 59 min ago still works (R8); a second request dated
		// 30 min after now supersedes nothing yet (R3)
		{"a later request supersedes nothing",
			base(withResets(sentAt(reset("r1", 60*min, ResetSent), -59*min), pending("r2", 30*min))),
			rep(SitePatient, ProblemResetLinkFailed), []string{"escalate"}},
		// the one reset was requested 5 min after now: none yet (R1), and
		// never "delivered" beside "none requested"
		{"a later request is no request",
			base(withResets(delivered(reset("r1", -5*min, ResetDelivered), 6*min))),
			rep(SitePatient, ProblemNoResetEmail), []string{"reset_not_requested"}},
		// the latest sign-in by now failed on the password; a block 20 min
		// after now is not the latest
		{"a later block is not the latest sign-in",
			base(func(a *Account) {
				a.Logins = []Login{login(PortalPatient, LoginBadPassword, 60*min), login(PortalPatient, LoginBlocked, -20*min)}
			}),
			rep(SitePatient, ProblemCantLogIn), []string{"bad_password"}},
		{"a later ok sign-in does not end a block",
			base(func(a *Account) {
				a.Logins = []Login{login(PortalPatient, LoginBlocked, 30*min), login(PortalPatient, LoginOK, -20*min)}
			}),
			rep(SitePatient, ProblemCantLogIn), []string{"login_blocked"}},
		// used 45 min ago; a newer reset requested after now supersedes it
		// not yet (R3), so the link was used (R4)
		{"a later request does not supersede a used link",
			base(withResets(used(reset("r1", 50*min, ResetUsed), -45*min), pending("r2", 10*min))),
			rep(SitePatient, ProblemResetLinkFailed), []string{"reset_link_used"}},
		// used only after now: at now the link is delivered, unused, and
		// works (sent 20 min ago): nothing explains the failure
		{"a use after now has not happened",
			base(withResets(used(delivered(reset("r1", 20*min, ResetUsed), -19*min), 30*min))),
			rep(SitePatient, ProblemResetLinkFailed), []string{"escalate"}},
		// verified only after now: unverified at now (finding 8)
		{"a verification after now has not happened",
			base(func(a *Account) { a.EmailVerifiedAt = at(hour) }),
			rep(SitePatient, ProblemCantLogIn), []string{"email_unverified"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := *c.acc
			if got := codes(Diagnose(c.acc, c.r, now)); !slices.Equal(got, c.want) {
				t.Errorf("codes %v, want %v", got, c.want)
			}
			if len(c.acc.Resets) != len(before.Resets) || len(c.acc.Logins) != len(before.Logins) || c.acc.EmailVerifiedAt != before.EmailVerifiedAt {
				t.Error("Diagnose changed the account it was given")
			}
		})
	}
}

// A reset's status goes back to what its times left by now support.
func TestResetAsOf(t *testing.T) {
	const min = time.Minute
	cases := []struct {
		name       string
		r          Reset
		wantStatus string
		wantUsed   bool
	}{
		{"used later: delivered", Reset{RequestedAt: at(-10 * min), SentAt: at(-10 * min), DeliveredAt: at(-9 * min), UsedAt: at(5 * min), Status: ResetUsed}, ResetDelivered, false},
		{"delivered later, no sent_at: sent at its request", Reset{RequestedAt: at(-10 * min), DeliveredAt: at(1 * min), Status: ResetDelivered}, ResetSent, false},
		{"sent later: requested", Reset{RequestedAt: at(-10 * min), SentAt: at(1 * min), Status: ResetBounced}, ResetRequested, false},
		{"all by now: as stored", Reset{RequestedAt: at(-10 * min), SentAt: at(-9 * min), UsedAt: at(-1 * min), Status: ResetUsed}, ResetUsed, true},
		{"used by status alone: as stored", Reset{RequestedAt: at(-10 * min), Status: ResetUsed}, ResetUsed, true},
		{"clicked later, stored used without a time: requested's send stands", Reset{RequestedAt: at(-10 * min), ClickedAt: at(2 * min), Status: ResetUsed}, ResetSent, false},
		{"an unknown status is kept", Reset{RequestedAt: at(-10 * min), SentAt: at(1 * min), Status: "pending_review"}, "pending_review", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := resetAsOf(c.r, now)
			if got.Status != c.wantStatus || got.WasUsed() != c.wantUsed {
				t.Errorf("status %q used %v, want %q %v", got.Status, got.WasUsed(), c.wantStatus, c.wantUsed)
			}
			for _, tm := range []*time.Time{got.SentAt, got.DeliveredAt, got.ClickedAt, got.UsedAt} {
				if tm != nil && tm.After(now) {
					t.Errorf("a time after now kept: %v", tm)
				}
			}
		})
	}
}
