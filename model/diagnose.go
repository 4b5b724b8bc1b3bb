package model

import (
	"fmt"
	"strings"
	"time"
)

// Sites the caller may be on (DOMAIN §7).
const (
	SitePatient  = "patient"
	SiteProvider = "provider"
	SiteCareers  = "careers"
	SiteCapital  = "capital"
	SiteUnknown  = "unknown"
)

// Problems the caller may report (DOMAIN §7).
const (
	ProblemCantLogIn       = "cant_log_in"
	ProblemNoResetEmail    = "no_reset_email"
	ProblemResetLinkFailed = "reset_link_failed"
	ProblemNo2FACode       = "no_2fa_code"
	ProblemLost2FA         = "lost_2fa"
	ProblemCantJoinSession = "cant_join_session"
	ProblemFamilyAccount   = "family_account"
)

// Sites and Problems list the allowed values in display order.
var (
	Sites    = []string{SitePatient, SiteProvider, SiteCareers, SiteCapital, SiteUnknown}
	Problems = []string{ProblemCantLogIn, ProblemNoResetEmail, ProblemResetLinkFailed,
		ProblemNo2FACode, ProblemLost2FA, ProblemCantJoinSession, ProblemFamilyAccount}
)

// Report is what the caller says.
type Report struct {
	Email       string // as the caller gave it
	Site        string
	Problem     string
	Abroad      bool // the caller is outside the US
	OtherDevice bool // signing in on a device other than the one 2FA was set up on
}

// Finding is one diagnosis result: what holds, why, and what to say.
type Finding struct {
	Code     string   `json:"code"`
	Title    string   `json:"title"`
	Rules    []string `json:"rules"`
	Evidence []string `json:"evidence"`
	Steps    []string `json:"steps"`
}

// Diagnose with the default policy.
func Diagnose(acc *Account, r Report, now time.Time) []Finding {
	return DefaultPolicy.Diagnose(acc, r, now)
}

// Diagnose returns every finding of DOMAIN §7 that holds, in the
// catalogue's order; the first is the answer. acc is the account found by
// the reported email (current or previous), or nil when none was found.
// Every finding is decided here and nowhere else.
func (p Policy) Diagnose(acc *Account, r Report, now time.Time) []Finding {
	d := newFacts(p, acc, r, now)
	var out []Finding
	for _, rung := range ladder {
		if !rung.holds(d, out) {
			continue
		}
		f := Finding{Code: rung.code, Title: rung.title, Rules: rung.rules}
		f.Evidence, f.Steps = rung.explain(d)
		out = append(out, f)
	}
	return out
}

// Codes lists every finding code in ladder order.
func Codes() []string {
	codes := make([]string, len(ladder))
	for i, r := range ladder {
		codes[i] = r.code
	}
	return codes
}

// facts are what the ladder reads, worked out once per diagnosis.
type facts struct {
	p              Policy
	acc            *Account
	r              Report
	now            time.Time
	email          string // normalised reported email
	latest         Reset
	hasLast        bool
	recent         int // resets requested in the last 24 h
	visit          *Appointment
	hasType        map[string]bool
	unusedRecovery bool
	mfaOK          *Login
}

func newFacts(p Policy, acc *Account, r Report, now time.Time) *facts {
	d := &facts{p: p, acc: acc, r: r, now: now, email: NormalizeEmail(r.Email), hasType: map[string]bool{}}
	if acc == nil {
		return d
	}
	d.latest, d.hasLast = LatestReset(acc.Resets)
	d.recent = ResetsRequestedWithin(acc.Resets, now, p.RecentResetWindow)
	d.visit = p.NextVisit(acc.Appointments, now)
	for _, f := range acc.Factors {
		d.hasType[f.Type] = true
		if f.Type == FactorRecoveryCode && f.UsedAt == nil {
			d.unusedRecovery = true
		}
	}
	for i := range acc.Logins {
		if l := &acc.Logins[i]; l.Result == LoginMFAOK && (d.mfaOK == nil || l.At.After(*d.mfaOK.At)) {
			d.mfaOK = l
		}
	}
	return d
}

func (d *facts) problem(ps ...string) bool {
	for _, p := range ps {
		if d.r.Problem == p {
			return true
		}
	}
	return false
}

func (d *facts) found() bool { return d.acc != nil }

func (d *facts) host() string { return PortalHost(d.acc.Role) }

func (d *facts) ago(t time.Time) string { return RelTime(t, d.now) }

// onlyBiometricAndRecovery: no factor but biometric and recovery code (M9).
func (d *facts) onlyBiometricAndRecovery() bool {
	for t := range d.hasType {
		if t != FactorBiometric && t != FactorRecoveryCode {
			return false
		}
	}
	return true
}

// rung is one row of the findings catalogue.
type rung struct {
	code, title string
	rules       []string
	holds       func(d *facts, above []Finding) bool
	explain     func(d *facts) (evidence, steps []string)
}

func has(fs []Finding, code string) bool {
	for _, f := range fs {
		if f.Code == code {
			return true
		}
	}
	return false
}

// resetSteps are the reset instructions for the account's portal (R1, R2).
func resetSteps(role string) []string {
	if role == RoleProvider {
		return []string{
			"Go to sigmund.headway.co, enter your email, then click \"Forgot your password\".",
			"Open the email with the subject \"Please Verify Your Headway Account\" and follow it to set a new password.",
		}
	}
	return []string{
		"Go to headway.co, click Log in, then \"Forgot your password?\".",
		"Enter the email on your Headway account and open the reset email we send.",
	}
}

func lines(s ...string) []string { return s }

var ladder = []rung{
	{code: "other_service_careers", title: "Wrong Headway: this is the careers site, a separate account",
		rules: []string{"P1", "P6"},
		holds: func(d *facts, _ []Finding) bool { return d.r.Site == SiteCareers },
		explain: func(d *facts) ([]string, []string) {
			return lines("caller is on the Headway Inc. careers login (candidate profile, job application)"),
				lines("That page is Headway Inc. careers, for job applicants; it has its own \"Connect\" login (email sign-in or LinkedIn).",
					"Your Headway mental health account does not work there, and careers accounts do not work on headway.co.",
					"For a job application, use the careers site's own sign-in; we cannot reset careers accounts from here.",
					"For therapy or appointments, go to headway.co and click Log in.")
		}},
	{code: "other_service_capital", title: "Wrong Headway: this is Headway Capital, a separate company",
		rules: []string{"P1", "P6"},
		holds: func(d *facts, _ []Finding) bool { return d.r.Site == SiteCapital },
		explain: func(d *facts) ([]string, []string) {
			return lines("caller is on the Headway Capital login (draws, payments, payment history)"),
				lines("Headway Capital is a separate business-lending company with its own accounts.",
					"Mental health platform logins do not work there; contact Headway Capital for draws and payments.",
					"For therapy or appointments, go to headway.co and click Log in.")
		}},
	{code: "no_account", title: "No account has this email",
		rules: []string{"R5", "P7"},
		holds: func(d *facts, _ []Finding) bool { return !d.found() && !d.problem(ProblemFamilyAccount) },
		explain: func(d *facts) ([]string, []string) {
			return lines(fmt.Sprintf("no account has %q as its current or a previous email", d.email)),
				lines("No account uses that address, so no reset or verification email can arrive there.",
					"Try your other addresses: work and personal.",
					"Try the address your clinic, therapist or employer invited you with.",
					"If none works, we will collect your details and open a support investigation.")
		}},
	{code: "login_email_changed", title: "Login email was changed: this is an old address",
		rules: []string{"P4"},
		holds: func(d *facts, _ []Finding) bool { return d.found() && d.email != NormalizeEmail(d.acc.Email) },
		explain: func(d *facts) ([]string, []string) {
			return lines(fmt.Sprintf("%q is a previous email of this account", d.email),
					"the current login email is "+MaskEmail(d.acc.Email)),
				lines("The account's login email was changed; sign in with the current login email instead of the old one.",
					"Confirm the current address with the caller without reading it out in full.",
					"Providers change their login email in the provider portal at sigmund.headway.co, Settings → Login.")
		}},
	{code: "account_deactivated", title: "Account is deactivated",
		rules: []string{"A3"},
		holds: func(d *facts, _ []Finding) bool { return d.found() && d.acc.Status == StatusDeactivated },
		explain: func(d *facts) ([]string, []string) {
			return lines("status: deactivated"),
				lines("This account was deactivated at the client's request, so it cannot sign in.",
					"Records are kept for the HIPAA retention period; nothing was deleted.",
					"To use Headway again, send the request through the contact form; Customer Experience will follow up.")
		}},
	{code: "provider_terminated", title: "Provider contract terminated",
		rules: []string{"A4"},
		holds: func(d *facts, _ []Finding) bool { return d.found() && d.acc.Status == StatusTerminated },
		explain: func(d *facts) ([]string, []string) {
			return lines("status: terminated"),
				lines("The provider contract was terminated, so the provider portal is closed to this account.",
					"To get progress notes, use the contact form, choose \"I can't access my account\" and give the email previously on the account.",
					"Support will help retrieve the notes from there.")
		}},
	{code: "wrong_portal", title: "Wrong portal: the caller is on the other door",
		rules: []string{"P3", "P4", "P5", "R1"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemCantLogIn, ProblemNoResetEmail, ProblemResetLinkFailed) &&
				((d.r.Site == SitePatient && d.acc.Role == RoleProvider) || (d.r.Site == SiteProvider && d.acc.Role == RoleClient))
		},
		explain: func(d *facts) ([]string, []string) {
			ev := []string{fmt.Sprintf("account is a %s; caller is on the %s portal", d.acc.Role, d.r.Site)}
			if l := latestLogin(d.acc.Logins, ""); l != nil && l.Portal != PortalFor(d.acc.Role) {
				ev = append(ev, fmt.Sprintf("last sign-in attempt %s was on the %s portal: %s", d.ago(*l.At), l.Portal, l.Result))
			}
			if d.acc.Role == RoleProvider {
				return ev, lines("Your password is likely fine: you are on the patient sign-in, and provider accounts sign in at the provider portal.",
					"Go to sigmund.headway.co and sign in there with the same email and password.",
					"Only if that fails: on sigmund.headway.co enter your email and click \"Forgot your password\".")
			}
			return ev, lines("Your password is likely fine: you are on the provider portal, and client accounts sign in on headway.co.",
				"Go to headway.co, click Log in, and sign in with the same email and password.",
				"Only if that fails: on headway.co click Log in, then \"Forgot your password?\".")
		}},
	{code: "email_unverified", title: "Email not verified yet",
		rules: []string{"R7"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemCantLogIn, ProblemNoResetEmail) &&
				(d.acc.Status == StatusPending || d.acc.EmailVerifiedAt == nil)
		},
		explain: func(d *facts) ([]string, []string) {
			ev := []string{"status: " + d.acc.Status, "email not verified"}
			if d.acc.CreatedAt != nil {
				ev = append(ev, "account created "+d.ago(*d.acc.CreatedAt))
			}
			return ev, lines("New accounts must be verified by email before they can sign in.",
				"Look for the verification email from Headway, including spam, junk and Gmail's Promotions tab, and click its link.",
				"If it is not there, we can send a new verification email now.")
		}},
	{code: "emails_suppressed", title: "Emails suppressed by an old unsubscribe",
		rules: []string{"R6"},
		holds: func(d *facts, above []Finding) bool {
			return d.found() && d.acc.EmailsUnsubscribedAt != nil &&
				(d.problem(ProblemNoResetEmail) || has(above, "email_unverified") || (d.hasLast && d.latest.Status == ResetSuppressed))
		},
		explain: func(d *facts) ([]string, []string) {
			ev := []string{"unsubscribed from Headway emails " + d.ago(*d.acc.EmailsUnsubscribedAt)}
			if d.hasLast && d.latest.Status == ResetSuppressed {
				ev = append(ev, "latest reset was suppressed: nothing was sent")
			}
			return ev, lines("Unsubscribing from any Headway email unsubscribed this address from all of them, reset and verification emails included.",
				"Support must remove the address from the unsubscribed list first (lift the suppression, with the caller's agreement).",
				"Then request one new email and open only that one.")
		}},
	{code: "reset_bounced", title: "Reset email bounced",
		rules: []string{},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNoResetEmail) && d.hasLast && d.latest.Status == ResetBounced
		},
		explain: func(d *facts) ([]string, []string) {
			return lines(fmt.Sprintf("latest reset (%s) bounced: the mailbox refused it; sent %s", d.latest.ID, d.ago(d.latest.SentTime()))),
				lines("The reset email was refused by the mailbox: it never arrived.",
					"Check the address is spelt right and the mailbox is not full or closed.",
					"If the mailbox is gone, collect the details and escalate: support must verify identity before changing the email.")
		}},
	{code: "reset_link_superseded", title: "An older reset link was used: only the newest works",
		rules: []string{"R3"},
		holds: func(d *facts, _ []Finding) bool {
			if !d.found() || !d.problem(ProblemResetLinkFailed) || !d.hasLast || d.latest.WasUsed() {
				return false
			}
			return supersededPair(d.acc.Resets, d.latest, d.p.RecentResetWindow) != ""
		},
		explain: func(d *facts) ([]string, []string) {
			return lines(fmt.Sprintf("latest reset %s sent %s, unused", d.latest.ID, d.ago(d.latest.SentTime())),
					supersededPair(d.acc.Resets, d.latest, d.p.RecentResetWindow)),
				lines("Each new reset request cancels every earlier link; only the most recent email's link works.",
					"Delete the older reset emails, open the newest one (check its time), and click its link.",
					"Do not request another reset while you look: that would cancel this link too.")
		}},
	{code: "reset_link_expired", title: "Reset link expired",
		rules: []string{"R8"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemResetLinkFailed) && d.hasLast && !d.latest.WasUsed() && d.p.LinkExpired(d.latest, d.now)
		},
		explain: func(d *facts) ([]string, []string) {
			return lines(fmt.Sprintf("latest reset %s sent %s; links last %s", d.latest.ID, d.ago(d.latest.SentTime()), Duration(d.p.ResetLinkLifetime))),
				append(lines("The link has expired. Request one new reset and use it straight away."), resetSteps(d.acc.Role)...)
		}},
	{code: "reset_link_used", title: "Reset link already used",
		rules: []string{"R3"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemResetLinkFailed) && d.hasLast && d.latest.WasUsed()
		},
		explain: func(d *facts) ([]string, []string) {
			ev := []string{"latest reset " + d.latest.ID + " was already used"}
			if d.latest.UsedAt != nil {
				ev[0] += " " + d.ago(*d.latest.UsedAt)
			}
			return ev, lines("That link was already used to set a password, so it cannot be used again.",
				"Sign in with the password set then, at "+d.host()+".",
				"If it is forgotten again, request one new reset from "+d.host()+".")
		}},
	{code: "reset_filtered", title: "Reset email delivered: look in spam or Promotions",
		rules: []string{"R4"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNoResetEmail) && d.hasLast && d.latest.WasDelivered() && !d.latest.WasUsed()
		},
		explain: func(d *facts) ([]string, []string) {
			ev := []string{fmt.Sprintf("latest reset %s delivered %s", d.latest.ID, d.ago(deliveredTime(d.latest)))}
			subject := "from Headway"
			if d.acc.Role == RoleProvider {
				subject = "with the subject \"Please Verify Your Headway Account\""
			}
			return ev, lines("The email was delivered to your mailbox "+d.ago(deliveredTime(d.latest))+".",
				"Look in spam or junk and, in Gmail, the Promotions tab, for the email "+subject+".",
				"Search your mailbox for \"Headway\". Open the newest one only.")
		}},
	{code: "reset_not_requested", title: "No reset requested in the last 24 h",
		rules: []string{"R1"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNoResetEmail) && d.recent == 0
		},
		explain: func(d *facts) ([]string, []string) {
			ev := []string{"no reset requested in the last 24 h"}
			if d.hasLast {
				ev = append(ev, "last request "+d.ago(*d.latest.RequestedAt))
			}
			return ev, append(lines("No reset has been requested for this account recently. Request one now from the right portal:"), resetSteps(d.acc.Role)...)
		}},
	{code: "too_many_resets", title: "Several resets requested: only the newest link works",
		rules: []string{"R3"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNoResetEmail, ProblemResetLinkFailed) && d.recent >= 3
		},
		explain: func(d *facts) ([]string, []string) {
			return lines(fmt.Sprintf("%d resets requested in the last 24 h", d.recent)),
				lines("Stop requesting resets: each new request cancels the earlier links and the emails can arrive out of order.",
					"Wait a few minutes, then open only the most recent reset email and use its link.")
		}},
	{code: "mfa_phone_abroad", title: "Phone codes do not reach the caller abroad",
		rules: []string{"M2", "M11"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNo2FACode) && d.r.Abroad && d.hasType[FactorPhone]
		},
		explain: func(d *facts) ([]string, []string) {
			return lines("caller is outside the US", "phone factor "+maskedFactorPhone(d.acc)),
				lines("Phone codes are sent only to US (+1) numbers, by SMS or call, and may not reach you abroad.",
					"Use another method if you have one: authenticator app, security key, or your recovery code.",
					"Before the next trip, set up an authenticator app or biometrics.")
		}},
	{code: "mfa_sms_filtered", title: "SMS code filtered on the phone or by the carrier",
		rules: []string{"M10"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNo2FACode) && !d.r.Abroad && d.hasType[FactorPhone]
		},
		explain: func(d *facts) ([]string, []string) {
			return lines("phone factor " + maskedFactorPhone(d.acc)),
				lines("Try the voice call option instead of the text message.",
					"iPhone: Settings → Apps → Messages → Unknown Senders; and make sure Silence Unknown Callers is off.",
					"Android: look in Messages → Archived, and check Spam protection in settings.",
					"Carrier apps such as AT&T ActiveArmor or Verizon Call Filter can block short codes: lower the filter or allow verification messages.")
		}},
	{code: "mfa_biometric_other_device", title: "Biometrics live on the device where they were set up",
		rules: []string{"M9"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNo2FACode, ProblemLost2FA) && d.r.OtherDevice &&
				d.hasType[FactorBiometric] && d.onlyBiometricAndRecovery()
		},
		explain: func(d *facts) ([]string, []string) {
			return lines("only biometric" + recoveryNote(d) + " enrolled: " + biometricDevices(d.acc)),
				lines("Face ID or fingerprint only appears on the device where it was set up.",
					"Sign in on that device, or use your recovery code here.",
					"Once signed in, enroll this device's biometrics in account settings.")
		}},
	{code: "mfa_use_other_factor", title: "Use another enrolled method",
		rules: []string{"M2", "M12"},
		holds: func(d *facts, _ []Finding) bool {
			if !d.found() {
				return false
			}
			if d.problem(ProblemNo2FACode) {
				return d.hasType[FactorTOTP] || d.hasType[FactorSecurityKey] || (d.hasType[FactorBiometric] && !d.r.OtherDevice)
			}
			return d.problem(ProblemLost2FA) && d.hasType[FactorSecurityKey]
		},
		explain: func(d *facts) ([]string, []string) {
			return lines("enrolled: " + factorSummary(d.acc)),
				lines("On the verification screen choose \"Try another method\".",
					"Pick one you still have: "+otherMethods(d)+".",
					"Once in, enroll a second method so this cannot lock you out again.")
		}},
	{code: "mfa_recovery_code", title: "Use the recovery code",
		rules: []string{"M8"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNo2FACode, ProblemLost2FA) && d.unusedRecovery
		},
		explain: func(d *facts) ([]string, []string) {
			return lines("an unused recovery code is enrolled"),
				lines("Enter your recovery code in the verification field; it replaces the other methods for this sign-in.",
					"It works once; Headway then gives you a new one: print it or keep it in a secure note.",
					"Once in, reset your methods and enroll at least two.")
		}},
	{code: "mfa_email_code", title: "Get the code by email",
		rules: []string{"M3"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNo2FACode, ProblemLost2FA) && d.mfaOK != nil
		},
		explain: func(d *facts) ([]string, []string) {
			return lines("a sign-in with 2FA succeeded " + d.ago(*d.mfaOK.At)),
				lines("On the verification screen click \"Try another method\" under Continue.",
					"Choose email: the code goes to your login email address.")
		}},
	{code: "mfa_provider_exemption", title: "Provider lost 2FA: a lead can grant a 7-day exemption",
		rules: []string{"M7"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemLost2FA) && d.acc.Role == RoleProvider && !d.unusedRecovery
		},
		explain: func(d *facts) ([]string, []string) {
			ev := []string{"provider with no unused recovery code", "enrolled: " + factorSummary(d.acc)}
			return ev, lines("Verify the caller's identity first (lead: caller-verification checklist).",
				"A lead grants a 2FA exemption; it lasts one week.",
				"Within that week: sign in at sigmund.headway.co, go to Settings → Login tab, click Reset, and set up your methods again.",
				"Enroll at least two methods and save the new recovery code.")
		}},
	{code: "mfa_identity_check", title: "Client lost every method: verify identity before recovery",
		rules: []string{"M8", "M6"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemLost2FA) && d.acc.Role == RoleClient && !d.unusedRecovery
		},
		explain: func(d *facts) ([]string, []string) {
			return lines("client with no unused recovery code", "enrolled: "+factorSummary(d.acc)),
				lines("Without a recovery code, support must verify your identity before any recovery.",
					"Collect the details and hand over to a support investigation (caller-verification checklist).",
					"If you can still sign in somewhere: Account page → Login → Reset 2FA, re-enter your password, then set 2FA up again.")
		}},
	{code: "telehealth_no_visit", title: "No telehealth visit around now",
		rules: []string{"T1"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemCantJoinSession) && d.visit == nil
		},
		explain: func(d *facts) ([]string, []string) {
			ev := []string{"no telehealth visit from 1 h ago to 24 h ahead"}
			if a := lastTelehealth(d.acc.Appointments, d.now); a != nil {
				ev = append(ev, "closest visit "+d.ago(*a.StartsAt))
			}
			return ev, lines("There is no telehealth visit booked around now on this account.",
				"Check the date and time on the Appointments page at headway.co, and the reminder email.",
				"If the visit was booked under another account or email, look that one up.")
		}},
	{code: "telehealth_too_early", title: "Too early: the Join button appears 15 min before",
		rules: []string{"T1"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemCantJoinSession) && d.visit != nil && d.visit.StartsAt.Sub(d.now) > d.p.JoinOpens
		},
		explain: func(d *facts) ([]string, []string) {
			v := d.visit
			return lines(fmt.Sprintf("telehealth visit%s starts %s", with(v), d.ago(*v.StartsAt))),
				lines("The Join session button appears on the Appointments page 15 minutes before the start.",
					"The reminder email with the join link arrives 1 hour before the visit.",
					fmt.Sprintf("Come back at %s (15 minutes before).", v.StartsAt.Add(-d.p.JoinOpens).UTC().Format("15:04 MST")))
		}},
	{code: "telehealth_browser", title: "Visit is open: a browser or device problem, not the login",
		rules: []string{"T2"},
		holds: func(d *facts, _ []Finding) bool {
			if !d.found() || !d.problem(ProblemCantJoinSession) {
				return false
			}
			for _, a := range d.acc.Appointments {
				if a.Kind == "telehealth" && d.p.InJoinWindow(a, d.now) {
					return true
				}
			}
			return false
		},
		explain: func(d *facts) ([]string, []string) {
			v := d.visit
			return lines(fmt.Sprintf("telehealth visit%s starts %s: the join window is open", with(v), d.ago(*v.StartsAt))),
				lines("Join from the Appointments page (Join session) or the reminder email's link.",
					"Allow camera and microphone for the site, and use a stable connection.",
					"Use the latest Chrome, Firefox, Safari or Edge; on a phone, Safari on iOS or Chrome on Android.")
		}},
	{code: "bad_password", title: "Password was wrong on the right portal",
		rules: []string{"R1", "R3"},
		holds: func(d *facts, _ []Finding) bool {
			if !d.found() || !d.problem(ProblemCantLogIn) {
				return false
			}
			l := latestLogin(d.acc.Logins, PortalFor(d.acc.Role))
			return l != nil && l.Result == LoginBadPassword
		},
		explain: func(d *facts) ([]string, []string) {
			l := latestLogin(d.acc.Logins, PortalFor(d.acc.Role))
			return lines(fmt.Sprintf("last sign-in on the %s portal %s: wrong password", l.Portal, d.ago(*l.At))),
				append(resetSteps(d.acc.Role), "Request one reset only and use the newest email's link.")
		}},
	{code: "browser_session", title: "Nothing wrong with the account: try a clean browser",
		rules: []string{"B1"},
		holds: func(d *facts, above []Finding) bool {
			return d.problem(ProblemCantLogIn) && len(above) == 0
		},
		explain: func(d *facts) ([]string, []string) {
			ev := []string{"account active, verified, on the right portal; no failed password sign-in on file"}
			if d.acc != nil {
				if l := latestLogin(d.acc.Logins, ""); l != nil {
					ev = append(ev, fmt.Sprintf("last sign-in %s on the %s portal: %s (%s)", d.ago(*l.At), l.Portal, l.Result, l.Browser))
				}
			}
			return ev, lines("Use the latest Chrome, Firefox, Safari or Edge.",
				"Open a private window and sign in there (this clears stale cookies and sessions).",
				"Try one other device.",
				"Turn browser extensions off.")
		}},
	{code: "family_plus_address", title: "Family member: plus-address your own email",
		rules: []string{"A1", "A2"},
		holds: func(d *facts, _ []Finding) bool {
			return d.problem(ProblemFamilyAccount) && SupportsPlusAddress(d.email)
		},
		explain: func(d *facts) ([]string, []string) {
			local, domain := PlusAddressBase(d.email)
			return lines(domain + " supports plus-addressing"),
				lines("Every person needs their own account, with a unique email.",
					fmt.Sprintf("Create the family member's account with %s+1@%s or %s+name@%s: it is unique and still reaches your inbox.", local, domain, local, domain),
					"Use the family member's own name and date of birth, as on their insurance, even for a minor.")
		}},
	{code: "family_new_email", title: "Family member needs a new email address",
		rules: []string{"A1", "A2"},
		holds: func(d *facts, _ []Finding) bool {
			return d.problem(ProblemFamilyAccount) && !SupportsPlusAddress(d.email)
		},
		explain: func(d *facts) ([]string, []string) {
			_, domain, _ := strings.Cut(d.email, "@")
			return lines(domain + " does not support plus-addressing"),
				lines("Every person needs their own account, with a unique email.",
					"Plus-addressing only works for Gmail, Hotmail, Outlook and iCloud addresses, so create a new email address for the family member.",
					"Use the family member's own name and date of birth, as on their insurance, even for a minor.")
		}},
	{code: "escalate", title: "No known cause: collect details and escalate",
		rules: []string{"R5"},
		holds: func(d *facts, above []Finding) bool { return len(above) == 0 },
		explain: func(d *facts) ([]string, []string) {
			return lines("no rule in the catalogue matched this report"),
				lines("Collect: the email tried, the exact page address, the exact error message, when it happened, browser and device.",
					"Hand over to a support investigation with those details.",
					"Tell the caller support will follow up by email.")
		}},
}

// supersededPair explains why the latest reset makes an earlier link
// dead (R3), or returns "" when nothing does: another reset sent in the
// window before the latest, or an older reset clicked after a newer one
// was sent.
func supersededPair(resets []Reset, latest Reset, window time.Duration) string {
	sorted := ResetsByRequest(resets)
	last := latest.SentTime()
	for i := len(sorted) - 1; i >= 0; i-- { // the nearest earlier one
		r := sorted[i]
		if r.ID == latest.ID {
			continue
		}
		if t := r.SentTime(); !t.After(last) && !t.Before(last.Add(-window)) {
			return fmt.Sprintf("earlier reset %s sent %s before it", r.ID, Duration(last.Sub(t)))
		}
	}
	for i, older := range sorted {
		for _, newer := range sorted[i+1:] {
			if older.ClickedAt != nil && older.ClickedAt.After(newer.SentTime()) {
				return fmt.Sprintf("reset %s was clicked after newer reset %s was sent", older.ID, newer.ID)
			}
		}
	}
	return ""
}

// latestLogin is the newest login, on portal when portal is not "".
func latestLogin(logins []Login, portal string) *Login {
	var best *Login
	for i := range logins {
		l := &logins[i]
		if portal != "" && l.Portal != portal {
			continue
		}
		if best == nil || !l.At.Before(*best.At) {
			best = l
		}
	}
	return best
}

func deliveredTime(r Reset) time.Time {
	if r.DeliveredAt != nil {
		return *r.DeliveredAt
	}
	return r.SentTime()
}

func with(a *Appointment) string {
	if a.With == "" {
		return ""
	}
	return " with " + a.With
}

// NextVisit is the earliest telehealth visit starting between one hour
// ago and the horizon ahead, both ends included (T1), or nil.
func (p Policy) NextVisit(apps []Appointment, now time.Time) *Appointment {
	var best *Appointment
	for i := range apps {
		a := &apps[i]
		if a.Kind != "telehealth" || a.StartsAt.Before(now.Add(-p.JoinStaysOpen)) || a.StartsAt.After(now.Add(p.VisitHorizon)) {
			continue
		}
		if best == nil || a.StartsAt.Before(*best.StartsAt) {
			best = a
		}
	}
	return best
}

// InJoinWindow: from 15 min before the start (the Join button appears, at
// exactly 15 min too) until an hour after it (T1).
func (p Policy) InJoinWindow(a Appointment, now time.Time) bool {
	return !now.Before(a.StartsAt.Add(-p.JoinOpens)) && !now.After(a.StartsAt.Add(p.JoinStaysOpen))
}

func lastTelehealth(apps []Appointment, now time.Time) *Appointment {
	var best *Appointment
	for i := range apps {
		a := &apps[i]
		if a.Kind != "telehealth" {
			continue
		}
		if best == nil || absDur(a.StartsAt.Sub(now)) < absDur(best.StartsAt.Sub(now)) {
			best = a
		}
	}
	return best
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func recoveryNote(d *facts) string {
	if d.hasType[FactorRecoveryCode] {
		return " and a recovery code"
	}
	return ""
}

func biometricDevices(a *Account) string {
	var ds []string
	for _, f := range a.Factors {
		if f.Type == FactorBiometric {
			ds = append(ds, firstNonEmpty(f.Device, f.Label, "a device"))
		}
	}
	return strings.Join(ds, ", ")
}

func otherMethods(d *facts) string {
	var m []string
	if d.hasType[FactorTOTP] && d.problem(ProblemNo2FACode) {
		m = append(m, "the authenticator app (works offline)")
	}
	if d.hasType[FactorSecurityKey] {
		m = append(m, "the security key")
	}
	if d.hasType[FactorBiometric] && !d.r.OtherDevice && d.problem(ProblemNo2FACode) {
		m = append(m, "Face ID or fingerprint on "+biometricDevices(d.acc))
	}
	return strings.Join(m, ", or ")
}

func maskedFactorPhone(a *Account) string {
	for _, f := range a.Factors {
		if f.Type == FactorPhone {
			return MaskPhone(f.Phone)
		}
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
