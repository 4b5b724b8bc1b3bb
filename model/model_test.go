package model

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 10, 18, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := now.Add(d); return &t }

// base is an active, verified client with nothing else going on.
func base(opts ...func(*Account)) *Account {
	a := &Account{
		ID: "t1", Email: "pat.doe@example.com", Name: "Pat Doe", Role: RoleClient, Status: StatusActive,
		CreatedAt: at(-90 * 24 * time.Hour), EmailVerifiedAt: at(-90 * 24 * time.Hour),
		PreviousEmails: []string{"pat@oldmail.com"},
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

func provider(a *Account) { a.Role = RoleProvider }

func withFactors(types ...string) func(*Account) {
	return func(a *Account) {
		for i, t := range types {
			f := Factor{ID: "f" + string(rune('1'+i)), Type: t, EnrolledAt: at(-30 * 24 * time.Hour)}
			if t == FactorPhone {
				f.Phone = "+12125550123"
			}
			a.Factors = append(a.Factors, f)
		}
	}
}

// reset builds a reset requested and sent ago before now.
func reset(id string, ago time.Duration, status string) Reset {
	return Reset{ID: id, RequestedAt: at(-ago), SentAt: at(-ago), Status: status, Portal: PortalPatient}
}

func withResets(rs ...Reset) func(*Account) { return func(a *Account) { a.Resets = rs } }

// exemption grants one at granted (relative to now), ExemptionLength long (M7).
func exemption(granted time.Duration) func(*Account) {
	return func(a *Account) {
		a.MFAExemption = &Exemption{GrantedAt: at(granted), ExpiresAt: at(granted + ExemptionLength), GrantedBy: "lead.kay"}
	}
}

func visitIn(d time.Duration) func(*Account) {
	return func(a *Account) {
		a.Appointments = append(a.Appointments, Appointment{ID: "ap" + d.String(), StartsAt: at(d), Kind: "telehealth", With: "Dr. Chen"})
	}
}

func login(portal, result string, ago time.Duration) Login {
	return Login{At: at(-ago), Portal: portal, Result: result, Browser: "Chrome 131"}
}

func rep(site, problem string, flags ...string) Report {
	return Report{Email: "pat.doe@example.com", Site: site, Problem: problem,
		Abroad: slices.Contains(flags, "abroad"), OtherDevice: slices.Contains(flags, "other_device")}
}

func codes(fs []Finding) []string {
	var c []string
	for _, f := range fs {
		c = append(c, f.Code)
	}
	return c
}

// TestLadder gives each of the 35 codes a case where it is the first
// finding and a near miss where it does not hold, at every boundary
// (DOMAIN §7, revised).
func TestLadder(t *testing.T) {
	type tc struct {
		name    string
		acc     *Account
		r       Report
		first   string // want this code first
		missing string // want this code absent
	}
	const min = time.Minute
	const hour = time.Hour
	unsub := func(a *Account) { a.EmailsUnsubscribedAt = at(-100 * 24 * hour) }
	cases := []tc{
		{"careers", base(), rep(SiteCareers, ProblemCantLogIn), "other_service_careers", ""},
		{"careers/near", base(), rep(SitePatient, ProblemCantLogIn), "", "other_service_careers"},
		{"capital", base(), rep(SiteCapital, ProblemCantLogIn), "other_service_capital", ""},
		{"capital/near", base(), rep(SiteUnknown, ProblemCantLogIn), "", "other_service_capital"},
		{"no account", nil, rep(SitePatient, ProblemCantLogIn), "no_account", ""},
		{"no account/near family", nil, rep(SitePatient, ProblemFamilyAccount), "family_new_email", "no_account"},
		{"email changed", base(), Report{Email: " PAT@oldmail.com ", Site: SitePatient, Problem: ProblemCantLogIn}, "login_email_changed", ""},
		{"email changed/near current email by case", base(), Report{Email: " Pat.Doe@EXAMPLE.com", Site: SitePatient, Problem: ProblemCantLogIn}, "", "login_email_changed"},
		// A3, A4 rank above P4 (revised): the status leads whichever email was given
		{"deactivated by an old email (A3 above P4)", base(func(a *Account) { a.Status = StatusDeactivated }), Report{Email: "pat@oldmail.com", Site: SitePatient, Problem: ProblemCantLogIn}, "account_deactivated", ""},
		{"terminated by an old email (A4 above P4)", base(provider, func(a *Account) { a.Status = StatusTerminated }), Report{Email: "pat@oldmail.com", Site: SiteProvider, Problem: ProblemCantLogIn}, "provider_terminated", ""},
		// rule R5: login_blocked, the latest attempt within 24 h
		{"blocked", base(func(a *Account) {
			a.Logins = []Login{login(PortalPatient, LoginBadPassword, hour), login(PortalPatient, LoginBlocked, 5*min)}
		}), rep(SitePatient, ProblemCantLogIn), "login_blocked", ""},
		{"blocked: exactly 24 h ago still counts", base(func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginBlocked, 24*hour)} }), rep(SitePatient, ProblemCantLogIn), "login_blocked", ""},
		{"blocked/near 24 h 1 s ago", base(func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginBlocked, 24*hour+time.Second)} }), rep(SitePatient, ProblemCantLogIn), "browser_session", "login_blocked"},
		{"blocked/near a later ok", base(func(a *Account) {
			a.Logins = []Login{login(PortalPatient, LoginBlocked, hour), login(PortalPatient, LoginOK, 5*min)}
		}), rep(SitePatient, ProblemCantLogIn), "browser_session", "login_blocked"},
		{"blocked/near other problem", base(func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginBlocked, 5*min)} }), rep(SitePatient, ProblemNoResetEmail), "reset_not_requested", "login_blocked"},
		{"blocked above the wrong portal", base(provider, func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginBlocked, 5*min)} }), rep(SitePatient, ProblemCantLogIn), "login_blocked", ""},
		{"deactivated", base(func(a *Account) { a.Status = StatusDeactivated }), rep(SitePatient, ProblemCantLogIn), "account_deactivated", ""},
		{"deactivated/near", base(), rep(SitePatient, ProblemCantLogIn), "", "account_deactivated"},
		{"terminated", base(provider, func(a *Account) { a.Status = StatusTerminated }), rep(SiteProvider, ProblemCantLogIn), "provider_terminated", ""},
		{"terminated/near", base(provider), rep(SiteProvider, ProblemCantLogIn), "", "provider_terminated"},
		{"wrong portal provider", base(provider), rep(SitePatient, ProblemCantLogIn), "wrong_portal", ""},
		{"wrong portal client", base(), rep(SiteProvider, ProblemResetLinkFailed), "wrong_portal", ""},
		{"wrong portal/near right portal", base(provider), rep(SiteProvider, ProblemCantLogIn), "", "wrong_portal"},
		{"wrong portal/near other problem", base(provider, withFactors(FactorTOTP)), rep(SitePatient, ProblemNo2FACode), "", "wrong_portal"},
		// site unknown: the sign-in and reset evidence (P5, revised)
		{"wrong portal, site unknown: failed sign-in on the other portal", base(provider, func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginBadPassword, hour)} }), rep(SiteUnknown, ProblemCantLogIn), "wrong_portal", ""},
		{"wrong portal, site unknown: exactly 24 h ago", base(func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginBadPassword, 24*hour)} }), rep(SiteUnknown, ProblemCantLogIn), "wrong_portal", ""},
		{"wrong portal, site unknown/near 24 h 1 s ago", base(func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginBadPassword, 24*hour+time.Second)} }), rep(SiteUnknown, ProblemCantLogIn), "browser_session", "wrong_portal"},
		{"wrong portal, site unknown/near ok on the right portal since", base(provider, func(a *Account) {
			a.Logins = []Login{login(PortalPatient, LoginBadPassword, hour), login(PortalProvider, LoginOK, 30*min)}
		}), rep(SiteUnknown, ProblemCantLogIn), "browser_session", "wrong_portal"},
		{"wrong portal, site unknown: ok on the wrong portal does not count", base(provider, func(a *Account) {
			a.Logins = []Login{login(PortalPatient, LoginBadPassword, hour), login(PortalPatient, LoginOK, 30*min)}
		}), rep(SiteUnknown, ProblemCantLogIn), "wrong_portal", ""},
		{"wrong portal, site unknown/near the latest failure on the right portal", base(provider, func(a *Account) {
			a.Logins = []Login{login(PortalPatient, LoginBadPassword, 2*hour), login(PortalProvider, LoginBadPassword, hour)}
		}), rep(SiteUnknown, ProblemCantLogIn), "bad_password", "wrong_portal"},
		{"wrong portal, site unknown: reset requested on the other portal", base(withResets(Reset{ID: "r1", RequestedAt: at(-10 * min), SentAt: at(-10 * min), Status: ResetDelivered, Portal: PortalProvider})), rep(SiteUnknown, ProblemNoResetEmail), "wrong_portal", ""},
		{"wrong portal, site unknown/near reset 25 h ago on the other portal", base(withResets(Reset{ID: "r1", RequestedAt: at(-25 * hour), SentAt: at(-25 * hour), Status: ResetDelivered, Portal: PortalProvider})), rep(SiteUnknown, ProblemNoResetEmail), "reset_filtered", "wrong_portal"},
		{"unverified", base(func(a *Account) { a.EmailVerifiedAt = nil }), rep(SitePatient, ProblemCantLogIn), "email_unverified", ""},
		{"unverified pending", base(func(a *Account) { a.Status = StatusPending }), rep(SitePatient, ProblemNoResetEmail), "email_unverified", ""},
		{"unverified/near problem", base(func(a *Account) { a.EmailVerifiedAt = nil }), rep(SitePatient, ProblemResetLinkFailed), "", "email_unverified"},
		{"suppressed", base(unsub), rep(SitePatient, ProblemNoResetEmail), "emails_suppressed", ""},
		{"suppressed via latest reset", base(unsub, withResets(reset("r1", 5*min, ResetSuppressed))), rep(SitePatient, ProblemResetLinkFailed), "emails_suppressed", ""},
		{"suppressed/near cant_log_in verified", base(unsub), rep(SitePatient, ProblemCantLogIn), "browser_session", "emails_suppressed"},
		// R6: a reset held back before the suppression was lifted
		{"held back", base(withResets(Reset{ID: "r1", RequestedAt: at(-40 * min), Status: ResetSuppressed, Portal: PortalPatient})), rep(SitePatient, ProblemNoResetEmail), "reset_held_back", ""},
		{"held back, link failed", base(withResets(reset("r1", 3*hour, ResetDelivered), Reset{ID: "r2", RequestedAt: at(-40 * min), Status: ResetSuppressed})), rep(SitePatient, ProblemResetLinkFailed), "reset_held_back", "reset_link_superseded"},
		{"held back/near still suppressed", base(unsub, withResets(Reset{ID: "r1", RequestedAt: at(-40 * min), Status: ResetSuppressed})), rep(SitePatient, ProblemNoResetEmail), "emails_suppressed", "reset_held_back"},
		{"held back/near a later reset was sent", base(withResets(Reset{ID: "r1", RequestedAt: at(-40 * min), Status: ResetSuppressed}, reset("r2", 10*min, ResetDelivered))), rep(SitePatient, ProblemNoResetEmail), "reset_filtered", "reset_held_back"},
		{"bounced", base(withResets(reset("r1", 5*min, ResetBounced))), rep(SitePatient, ProblemNoResetEmail), "reset_bounced", ""},
		{"bounced/near older", base(withResets(reset("r1", 50*min, ResetBounced), Reset{ID: "r2", RequestedAt: at(-5 * min), Status: ResetSent, SentAt: at(-5 * min)})), rep(SitePatient, ProblemNoResetEmail), "", "reset_bounced"},
		{"superseded", base(withResets(reset("r1", 3*hour, ResetDelivered), reset("r2", 30*min, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "reset_link_superseded", ""},
		{"superseded by click", base(withResets(Reset{ID: "r1", RequestedAt: at(-50 * hour), SentAt: at(-50 * hour), ClickedAt: at(-10 * min), Status: ResetDelivered}, reset("r2", 20*min, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "reset_link_superseded", ""},
		{"superseded/near 25 h apart", base(withResets(reset("r1", 26*hour, ResetDelivered), reset("r2", 30*min, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "escalate", "reset_link_superseded"},
		{"superseded: exactly 24 h apart", base(withResets(reset("r1", 24*hour+30*min, ResetDelivered), reset("r2", 30*min, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "reset_link_superseded", ""},
		{"superseded/near 24 h 1 s apart", base(withResets(reset("r1", 24*hour+30*min+time.Second, ResetDelivered), reset("r2", 30*min, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "escalate", "reset_link_superseded"},
		{"superseded: two in the same second", base(withResets(reset("r1", 30*min, ResetDelivered), reset("r2", 30*min, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "reset_link_superseded", ""},
		{"superseded/near the earlier one sent nothing", base(withResets(Reset{ID: "r1", RequestedAt: at(-2 * hour), Status: ResetRequested}, reset("r2", 30*min, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "escalate", "reset_link_superseded"},
		{"superseded/near the older click came before the latest was sent", base(withResets(Reset{ID: "r1", RequestedAt: at(-50 * hour), SentAt: at(-50 * hour), ClickedAt: at(-49 * hour), Status: ResetDelivered}, reset("r2", 20*min, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "escalate", "reset_link_superseded"},
		// R3 with R8 (revised): a superseded link whose successor expired is expired
		{"superseded and the successor expired", base(withResets(reset("r1", 3*hour, ResetDelivered), reset("r2", 2*hour, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "reset_link_expired", "reset_link_superseded"},
		{"expired", base(withResets(reset("r1", 61*min, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "reset_link_expired", ""},
		{"expired/near exactly 60 min", base(withResets(reset("r1", 60*min, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "", "reset_link_expired"},
		{"expired: 60 min 1 s", base(withResets(reset("r1", 60*min+time.Second, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "reset_link_expired", ""},
		{"expired uses requested_at without sent_at", base(withResets(Reset{ID: "r1", RequestedAt: at(-2 * hour), Status: ResetDelivered})), rep(SitePatient, ProblemResetLinkFailed), "reset_link_expired", ""},
		{"expired/near a request that sent nothing cannot expire", base(withResets(Reset{ID: "r1", RequestedAt: at(-2 * hour), Status: ResetRequested})), rep(SitePatient, ProblemResetLinkFailed), "", "reset_link_expired"},
		{"used", base(withResets(Reset{ID: "r1", RequestedAt: at(-2 * hour), SentAt: at(-2 * hour), UsedAt: at(-hour), Status: ResetUsed})), rep(SitePatient, ProblemResetLinkFailed), "reset_link_used", ""},
		{"used/near older used", base(withResets(Reset{ID: "r1", RequestedAt: at(-30 * hour), UsedAt: at(-29 * hour), Status: ResetUsed}, reset("r2", 10*min, ResetDelivered))), rep(SitePatient, ProblemResetLinkFailed), "", "reset_link_used"},
		{"filtered", base(withResets(reset("r1", 10*min, ResetDelivered))), rep(SitePatient, ProblemNoResetEmail), "reset_filtered", ""},
		{"filtered/near not delivered", base(withResets(reset("r1", 10*min, ResetSent))), rep(SitePatient, ProblemNoResetEmail), "escalate", "reset_filtered"},
		{"not requested", base(), rep(SitePatient, ProblemNoResetEmail), "reset_not_requested", ""},
		{"not requested: exactly 24 h ago still counts", base(withResets(reset("r1", 24*hour, ResetSent))), rep(SitePatient, ProblemNoResetEmail), "escalate", "reset_not_requested"},
		{"not requested: 24 h 1 s ago", base(withResets(reset("r1", 24*hour+time.Second, ResetSent))), rep(SitePatient, ProblemNoResetEmail), "reset_not_requested", ""},
		{"too many", base(withResets(reset("r1", 3*hour, ResetSent), reset("r2", 2*hour, ResetSent), reset("r3", 20*min, ResetSent))), rep(SitePatient, ProblemNoResetEmail), "too_many_resets", ""},
		{"too many/near two", base(withResets(reset("r2", 2*hour, ResetSent), reset("r3", 20*min, ResetSent))), rep(SitePatient, ProblemNoResetEmail), "escalate", "too_many_resets"},
		// rule M7: an active exemption leads the 2FA findings
		{"exemption active", base(provider, withFactors(FactorPhone), exemption(-hour)), rep(SiteProvider, ProblemLost2FA), "mfa_exemption_active", "mfa_provider_exemption"},
		{"exemption active, no code", base(provider, withFactors(FactorPhone), exemption(-hour)), rep(SiteProvider, ProblemNo2FACode), "mfa_exemption_active", ""},
		{"exemption active: one second before it ends", base(provider, withFactors(FactorPhone), exemption(-ExemptionLength+time.Second)), rep(SiteProvider, ProblemLost2FA), "mfa_exemption_active", ""},
		{"exemption active/near it ended exactly now (168 h)", base(provider, withFactors(FactorPhone), exemption(-ExemptionLength)), rep(SiteProvider, ProblemLost2FA), "mfa_provider_exemption", "mfa_exemption_active"},
		{"exemption active/near other problem", base(provider, withFactors(FactorPhone), exemption(-hour)), rep(SiteProvider, ProblemCantJoinSession), "telehealth_no_visit", "mfa_exemption_active"},
		// the evidence outranks the label: cant_log_in with a 2FA failure within 24 h
		{"cant log in read as no code", base(withFactors(FactorPhone), func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginMFAFailed, 10*min)} }), rep(SitePatient, ProblemCantLogIn), "mfa_sms_filtered", "browser_session"},
		{"cant log in read as no code: exactly 24 h", base(withFactors(FactorTOTP), func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginMFAFailed, 24*hour)} }), rep(SitePatient, ProblemCantLogIn), "mfa_use_other_factor", ""},
		{"cant log in read as no code/near 24 h 1 s", base(withFactors(FactorTOTP), func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginMFAFailed, 24*hour+time.Second)} }), rep(SitePatient, ProblemCantLogIn), "browser_session", "mfa_use_other_factor"},
		{"cant log in read as no code/near a later ok", base(withFactors(FactorTOTP), func(a *Account) {
			a.Logins = []Login{login(PortalPatient, LoginMFAFailed, hour), login(PortalPatient, LoginMFAOK, 10*min)}
		}), rep(SitePatient, ProblemCantLogIn), "browser_session", "mfa_use_other_factor"},
		{"cant log in read as no code, exemption", base(provider, withFactors(FactorPhone), exemption(-hour), func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginMFAFailed, 10*min)} }), rep(SiteProvider, ProblemCantLogIn), "mfa_exemption_active", ""},
		{"cant log in is never lost 2FA", base(provider, withFactors(FactorPhone), func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginMFAFailed, 10*min)} }), rep(SiteProvider, ProblemCantLogIn), "mfa_sms_filtered", "mfa_provider_exemption"},
		{"phone abroad", base(withFactors(FactorPhone)), rep(SitePatient, ProblemNo2FACode, "abroad"), "mfa_phone_abroad", ""},
		{"phone abroad/near at home", base(withFactors(FactorPhone)), rep(SitePatient, ProblemNo2FACode), "mfa_sms_filtered", "mfa_phone_abroad"},
		{"sms filtered", base(withFactors(FactorPhone, FactorTOTP)), rep(SitePatient, ProblemNo2FACode), "mfa_sms_filtered", ""},
		{"sms filtered/near abroad", base(withFactors(FactorPhone)), rep(SitePatient, ProblemNo2FACode, "abroad"), "", "mfa_sms_filtered"},
		{"biometric other device", base(withFactors(FactorBiometric, FactorRecoveryCode)), rep(SitePatient, ProblemNo2FACode, "other_device"), "mfa_biometric_other_device", ""},
		{"biometric other device/near has totp", base(withFactors(FactorBiometric, FactorTOTP)), rep(SitePatient, ProblemNo2FACode, "other_device"), "mfa_use_other_factor", "mfa_biometric_other_device"},
		{"biometric other device/near same device", base(withFactors(FactorBiometric)), rep(SitePatient, ProblemNo2FACode), "mfa_use_other_factor", "mfa_biometric_other_device"},
		{"other factor", base(withFactors(FactorTOTP)), rep(SitePatient, ProblemNo2FACode), "mfa_use_other_factor", ""},
		{"other factor lost with key", base(withFactors(FactorPhone, FactorSecurityKey)), rep(SitePatient, ProblemLost2FA), "mfa_use_other_factor", ""},
		{"other factor/near lost totp only", base(withFactors(FactorTOTP)), rep(SitePatient, ProblemLost2FA), "mfa_identity_check", "mfa_use_other_factor"},
		{"recovery code", base(withFactors(FactorTOTP, FactorRecoveryCode)), rep(SitePatient, ProblemLost2FA), "mfa_recovery_code", ""},
		{"recovery code/near used", base(withFactors(FactorTOTP, FactorRecoveryCode), func(a *Account) { a.Factors[1].UsedAt = at(-hour) }), rep(SitePatient, ProblemLost2FA), "mfa_identity_check", "mfa_recovery_code"},
		// rule M3 (revised): email codes are a provider option
		{"email code", base(provider, withFactors(FactorPhone), func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginMFAOK, 48*hour)} }), rep(SiteProvider, ProblemLost2FA), "mfa_email_code", "mfa_identity_check"},
		{"email code, no code", base(provider, withFactors(FactorPhone), func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginMFAOK, 48*hour)} }), rep(SiteProvider, ProblemNo2FACode, "abroad"), "mfa_phone_abroad", ""},
		{"email code/near only failures", base(provider, withFactors(FactorPhone), func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginMFAFailed, hour)} }), rep(SiteProvider, ProblemLost2FA), "mfa_provider_exemption", "mfa_email_code"},
		{"email code/near a client lost every method (M8, not M3)", base(withFactors(FactorPhone), func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginMFAOK, 48*hour)} }), rep(SitePatient, ProblemLost2FA), "mfa_identity_check", "mfa_email_code"},
		{"email code/near a client without a code", base(withFactors(FactorPhone), func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginMFAOK, 48*hour)} }), rep(SitePatient, ProblemNo2FACode, "abroad"), "mfa_phone_abroad", "mfa_email_code"},
		{"provider exemption", base(provider, withFactors(FactorPhone)), rep(SiteProvider, ProblemLost2FA), "mfa_provider_exemption", ""},
		{"provider exemption/near recovery", base(provider, withFactors(FactorPhone, FactorRecoveryCode)), rep(SiteProvider, ProblemLost2FA), "mfa_recovery_code", "mfa_provider_exemption"},
		{"provider exemption/near terminated (M7: active providers only)", base(provider, withFactors(FactorPhone), func(a *Account) { a.Status = StatusTerminated }), rep(SiteProvider, ProblemLost2FA), "provider_terminated", "mfa_provider_exemption"},
		{"provider exemption/near pending", base(provider, withFactors(FactorPhone), func(a *Account) { a.Status = StatusPending }), rep(SiteProvider, ProblemLost2FA), "escalate", "mfa_provider_exemption"},
		{"identity check", base(withFactors(FactorPhone)), rep(SitePatient, ProblemLost2FA), "mfa_identity_check", ""},
		{"identity check/near provider", base(provider, withFactors(FactorPhone)), rep(SiteProvider, ProblemLost2FA), "", "mfa_identity_check"},
		{"no visit", base(), rep(SitePatient, ProblemCantJoinSession), "telehealth_no_visit", ""},
		{"no visit: 61 min ago is out", base(visitIn(-61 * min)), rep(SitePatient, ProblemCantJoinSession), "telehealth_no_visit", ""},
		{"no visit/near exactly 24 h ahead", base(visitIn(24 * hour)), rep(SitePatient, ProblemCantJoinSession), "telehealth_too_early", "telehealth_no_visit"},
		{"no visit: 24 h 1 s ahead is out", base(visitIn(24*hour + time.Second)), rep(SitePatient, ProblemCantJoinSession), "telehealth_no_visit", ""},
		{"no visit/near exactly 1 h ago", base(visitIn(-hour)), rep(SitePatient, ProblemCantJoinSession), "telehealth_browser", "telehealth_no_visit"},
		{"no visit/near in-person only", base(visitIn(10*min), func(a *Account) { a.Appointments[0].Kind = "in_person" }), rep(SitePatient, ProblemCantJoinSession), "telehealth_no_visit", ""},
		{"too early", base(visitIn(16 * min)), rep(SitePatient, ProblemCantJoinSession), "telehealth_too_early", ""},
		{"too early/near exactly 15 min", base(visitIn(15 * min)), rep(SitePatient, ProblemCantJoinSession), "telehealth_browser", "telehealth_too_early"},
		{"too early: 15 min 1 s", base(visitIn(15*min + time.Second)), rep(SitePatient, ProblemCantJoinSession), "telehealth_too_early", "telehealth_browser"},
		{"browser: 1 h 1 s after start is closed", base(visitIn(-hour - time.Second)), rep(SitePatient, ProblemCantJoinSession), "telehealth_no_visit", "telehealth_browser"},
		{"browser", base(visitIn(-30 * min)), rep(SitePatient, ProblemCantJoinSession), "telehealth_browser", ""},
		{"browser: exactly 1 h after start", base(visitIn(-hour)), rep(SitePatient, ProblemCantJoinSession), "telehealth_browser", ""},
		{"browser/near 16 min ahead", base(visitIn(16 * min)), rep(SitePatient, ProblemCantJoinSession), "", "telehealth_browser"},
		{"bad password", base(func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginBadPassword, 5*min)} }), rep(SitePatient, ProblemCantLogIn), "bad_password", ""},
		{"bad password/near later ok", base(func(a *Account) {
			a.Logins = []Login{login(PortalPatient, LoginBadPassword, 50*min), login(PortalPatient, LoginOK, 5*min)}
		}), rep(SitePatient, ProblemCantLogIn), "browser_session", "bad_password"},
		// §7 #8 revised: a failure on the other portal is wrong_portal, whatever site the caller names
		{"bad password/near other portal", base(func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginBadPassword, 5*min)} }), rep(SitePatient, ProblemCantLogIn), "wrong_portal", "bad_password"},
		{"bad password/near other portal 25 h ago", base(func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginBadPassword, 25*hour)} }), rep(SitePatient, ProblemCantLogIn), "browser_session", "bad_password"},
		{"browser session", base(), rep(SitePatient, ProblemCantLogIn), "browser_session", ""},
		{"browser session/near unverified", base(func(a *Account) { a.EmailVerifiedAt = nil }), rep(SitePatient, ProblemCantLogIn), "email_unverified", "browser_session"},
		{"plus address by case", base(func(a *Account) { a.Email = "User@GMAIL.com" }), Report{Email: "User@GMAIL.com", Site: SitePatient, Problem: ProblemFamilyAccount}, "family_plus_address", ""},
		{"plus address/near gmail.co", nil, Report{Email: "user@gmail.co", Site: SitePatient, Problem: ProblemFamilyAccount}, "family_new_email", "family_plus_address"},
		{"new email", base(), rep(SitePatient, ProblemFamilyAccount), "family_new_email", ""},
		{"new email/near me.com", nil, Report{Email: "kid@Me.com", Problem: ProblemFamilyAccount, Site: SiteUnknown}, "family_plus_address", "family_new_email"},
		{"escalate", base(), rep(SitePatient, ProblemNo2FACode), "escalate", ""},
		{"escalate/near", base(withFactors(FactorTOTP)), rep(SitePatient, ProblemNo2FACode), "", "escalate"},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := codes(Diagnose(c.acc, c.r, now))
			if c.first != "" {
				seen[c.first] = true
				if len(got) == 0 || got[0] != c.first {
					t.Fatalf("first = %v, want %s", got, c.first)
				}
			}
			if c.missing != "" && slices.Contains(got, c.missing) {
				t.Fatalf("%s holds, want it absent: %v", c.missing, got)
			}
		})
	}
	for _, code := range Codes() {
		if !seen[code] {
			t.Errorf("no case where %s is first", code)
		}
	}
}

// TestFindingsCarryEverything: every finding has a title, rules (but
// reset_bounced, which the sources do not cover), evidence and steps.
func TestFindingsCarryEverything(t *testing.T) {
	for _, f := range allFindings(t) {
		if f.Title == "" || len(f.Evidence) == 0 || len(f.Steps) == 0 {
			t.Errorf("%s: empty title, evidence or steps: %+v", f.Code, f)
		}
		if len(f.Rules) == 0 && f.Code != "reset_bounced" {
			t.Errorf("%s: no rule ids", f.Code)
		}
	}
}

// allFindings diagnoses a spread of accounts and reports.
func allFindings(t *testing.T) []Finding {
	t.Helper()
	var out []Finding
	for _, acc := range propertyAccounts() {
		for _, r := range propertyReports(acc) {
			out = append(out, Diagnose(acc, r, now)...)
		}
	}
	return out
}

func propertyAccounts() []*Account {
	const min, hour = time.Minute, time.Hour
	return []*Account{
		nil,
		base(),
		base(provider, withFactors(FactorPhone), func(a *Account) { a.Logins = []Login{login(PortalPatient, LoginBadPassword, hour)} }),
		base(func(a *Account) { a.EmailVerifiedAt = nil; a.EmailsUnsubscribedAt = at(-hour) }),
		base(withResets(reset("r1", 3*hour, ResetDelivered), reset("r2", 2*hour, ResetBounced), reset("r3", 61*min, ResetDelivered))),
		base(withFactors(FactorBiometric, FactorRecoveryCode, FactorSecurityKey), visitIn(10*min), visitIn(3*hour)),
		base(provider, withFactors(FactorPhone, FactorTOTP), func(a *Account) {
			a.Status = StatusTerminated
			a.Logins = []Login{login(PortalProvider, LoginMFAOK, 50*hour), login(PortalProvider, LoginBadPassword, hour)}
		}),
		base(func(a *Account) { a.Email = "kid.parent@icloud.com"; a.Status = StatusDeactivated }),
		base(provider, withResets(reset("r1", 2*hour, ResetDelivered)), func(a *Account) { a.EmailVerifiedAt = nil; a.EmailsUnsubscribedAt = at(-hour) }),
	}
}

func propertyReports(acc *Account) []Report {
	emails := []string{"pat.doe@example.com", "pat@oldmail.com", "nobody@example.org"}
	if acc != nil {
		emails = append(emails, acc.Email)
	}
	var rs []Report
	for _, e := range emails {
		for _, s := range Sites {
			for _, p := range Problems {
				for _, flags := range [][]string{nil, {"abroad"}, {"other_device"}, {"abroad", "other_device"}} {
					r := rep(s, p, flags...)
					r.Email = e
					rs = append(rs, r)
				}
			}
		}
	}
	return rs
}

// TestLadderProperties: findings come in catalogue order, never twice,
// and the catch-alls appear only when nothing above them holds.
func TestLadderProperties(t *testing.T) {
	rank := map[string]int{}
	for i, c := range Codes() {
		rank[c] = i
	}
	for _, acc := range propertyAccounts() {
		for _, r := range propertyReports(acc) {
			// the account is "found" only by one of its own emails
			found := acc
			if acc != nil && NormalizeEmail(r.Email) != NormalizeEmail(acc.Email) && !slices.Contains(acc.PreviousEmails, r.Email) {
				found = nil
			}
			fs := codes(Diagnose(found, r, now))
			if len(fs) == 0 {
				t.Fatalf("%+v: no finding at all", r)
			}
			for i := 1; i < len(fs); i++ {
				if rank[fs[i-1]] >= rank[fs[i]] {
					t.Fatalf("%+v: out of order or repeated: %v", r, fs)
				}
			}
			if i := slices.Index(fs, "escalate"); i >= 0 && len(fs) != 1 {
				t.Fatalf("%+v: escalate beside other findings: %v", r, fs)
			}
			if i := slices.Index(fs, "browser_session"); i > 0 {
				t.Fatalf("%+v: browser_session below another finding: %v", r, fs)
			}
		}
	}
}

type refCase struct {
	ID, Email, Site, Problem, Expect string
	Flags                            []string
	Now                              time.Time
}

// TestReferenceCases runs ../shared/fixtures (copied to testdata) through
// the engine. The cli package runs them again through `diagnose --json`.
func TestReferenceCases(t *testing.T) {
	accounts := map[string]*Account{}
	forEachLine(t, "../testdata/fixtures/accounts.jsonl", func(line []byte) {
		a, err := ParseAccount(line)
		if err != nil {
			t.Fatalf("fixture account: %v", err)
		}
		accounts[NormalizeEmail(a.Email)] = &a
		for _, p := range a.PreviousEmails {
			accounts[NormalizeEmail(p)] = &a
		}
	})
	n := 0
	forEachLine(t, "../testdata/fixtures/diagnosis-cases.jsonl", func(line []byte) {
		var c refCase
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatal(err)
		}
		n++
		r := Report{Email: c.Email, Site: c.Site, Problem: c.Problem,
			Abroad: slices.Contains(c.Flags, "abroad"), OtherDevice: slices.Contains(c.Flags, "other_device")}
		got := codes(Diagnose(accounts[NormalizeEmail(c.Email)], r, c.Now))
		if got[0] != c.Expect {
			t.Errorf("%s: first = %s (all %v), want %s", c.ID, got[0], got, c.Expect)
		}
	})
	if n == 0 {
		t.Fatal("no reference cases read")
	}
}

func forEachLine(t *testing.T, path string, fn func([]byte)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			fn(sc.Bytes())
		}
	}
}

func TestEvidenceIsRelative(t *testing.T) {
	acc := base(withResets(reset("r1", 3*time.Hour, ResetDelivered)))
	fs := Diagnose(acc, rep(SitePatient, ProblemNoResetEmail), now)
	if fs[0].Code != "reset_filtered" || !strings.Contains(fs[0].Evidence[0], "3 h ago") {
		t.Fatalf("got %+v", fs[0])
	}
	fs = Diagnose(base(visitIn(90*time.Minute)), rep(SitePatient, ProblemCantJoinSession), now)
	if !strings.Contains(fs[0].Evidence[0], "in 1 h 30 min") {
		t.Fatalf("got %+v", fs[0].Evidence)
	}
}

func TestStepsUseTheRightPortalAndWording(t *testing.T) {
	acc := base(provider, func(a *Account) { a.Logins = []Login{login(PortalProvider, LoginBadPassword, time.Hour)} })
	fs := Diagnose(acc, rep(SiteProvider, ProblemCantLogIn), now)
	steps := strings.Join(fs[0].Steps, "\n")
	for _, want := range []string{"sigmund.headway.co", "Forgot your password", "Please Verify Your Headway Account"} {
		if !strings.Contains(steps, want) {
			t.Errorf("provider bad_password steps lack %q:\n%s", want, steps)
		}
	}
	fs = Diagnose(base(withFactors(FactorTOTP)), rep(SitePatient, ProblemNo2FACode), now)
	if !strings.Contains(strings.Join(fs[0].Steps, " "), "Try another method") {
		t.Errorf("mfa_use_other_factor steps lack \"Try another method\": %v", fs[0].Steps)
	}
}

func TestPolicyLinkLifetimeIsConfigurable(t *testing.T) {
	p := DefaultPolicy
	p.ResetLinkLifetime = 2 * time.Hour
	acc := base(withResets(reset("r1", 90*time.Minute, ResetDelivered)))
	if got := codes(p.Diagnose(acc, rep(SitePatient, ProblemResetLinkFailed), now)); slices.Contains(got, "reset_link_expired") {
		t.Fatalf("90 min link expired under a 2 h lifetime: %v", got)
	}
	if got := codes(Diagnose(acc, rep(SitePatient, ProblemResetLinkFailed), now)); !slices.Contains(got, "reset_link_expired") {
		t.Fatalf("90 min link alive under the default lifetime: %v", got)
	}
}
