package model

import (
	"errors"
	"fmt"
	"time"
)

// ladder is DOMAIN §7's findings catalogue (revised 2026-11-25 and 2026-12-07, 35 codes),
// in the order a finding ranks: service, account, portal, email, 2FA, the
// browser (P5). Titles and steps say policy durations through
// placeholders (facts.words); steps carry what they need to be doable
// (facts.doable).
var ladder = []rung{
	{code: "other_service_careers", title: "Wrong Headway: this is the careers site, a separate account",
		rules: []string{"P1", "P6"}, // rule P1
		holds: func(d *facts, _ []Finding) bool { return d.r.Site == SiteCareers },
		explain: func(d *facts) ([]string, []step) {
			return lines("caller is on the Headway Inc. careers login (candidate profile, job application)"),
				say("That page is Headway Inc. careers, for job applicants; it has its own \"Connect\" login (email sign-in or LinkedIn).",
					"Your Headway mental health account does not work there, and careers accounts do not work on headway.co.",
					"For a job application, use the careers site's own sign-in; we cannot reset careers accounts from here.",
					"For therapy or appointments, go to headway.co and click Log in.")
		}},
	{code: "other_service_capital", title: "Wrong Headway: this is Headway Capital, a separate company",
		rules: []string{"P1", "P6"},
		holds: func(d *facts, _ []Finding) bool { return d.r.Site == SiteCapital },
		explain: func(d *facts) ([]string, []step) {
			return lines("caller is on the Headway Capital login (draws, payments, payment history)"),
				say("Headway Capital is a separate business-lending company with its own accounts.",
					"Mental health platform logins do not work there; contact Headway Capital for draws and payments.",
					"For therapy or appointments, go to headway.co and click Log in.")
		}},
	{code: "no_account", title: "No account has this email",
		rules: []string{"R5", "P7"}, // rule R5
		holds: func(d *facts, _ []Finding) bool { return !d.found() && !d.problem(ProblemFamilyAccount) },
		explain: func(d *facts) ([]string, []step) {
			return lines(fmt.Sprintf("no account has %s as its current or a previous email (case of A–Z and spaces aside)", d.showEmail(d.reported))),
				say("No account uses that address, so no reset or verification email can arrive there.",
					"Try your other addresses: work and personal.",
					"Try the address your clinic, therapist or employer invited you with.",
					"If none works, we will collect your details and open a support investigation.")
		}},
	// Account status ranks above a changed login email (revised): the
	// caller of a closed account often has only the old address (A4).
	{code: "account_deactivated", title: "Account is deactivated",
		rules: []string{"A3"}, // rule A3
		holds: func(d *facts, _ []Finding) bool { return d.found() && d.acc.Status == StatusDeactivated },
		explain: func(d *facts) ([]string, []step) {
			return append(lines("status: deactivated"), d.viaPrevious()...),
				say("This account was deactivated at the client's request, so it cannot sign in.",
					"Records are kept for the HIPAA retention period; nothing was deleted.",
					"To use Headway again, send the request through the contact form; Customer Experience will follow up.")
		}},
	{code: "provider_terminated", title: "Provider contract terminated",
		rules: []string{"A4"}, // rule A4
		holds: func(d *facts, _ []Finding) bool { return d.found() && d.acc.Status == StatusTerminated },
		explain: func(d *facts) ([]string, []step) {
			return append(lines("status: terminated"), d.viaPrevious()...),
				say("The provider contract was terminated, so the provider portal is closed to this account.",
					"To get progress notes, use the contact form, choose \"I can't access my account\" and give the email previously on the account.",
					"Support will help retrieve the notes from there.")
		}},
	{code: "login_email_changed", title: "Login email was changed: this is an old address",
		rules: []string{"P4"}, // rule P4
		holds: func(d *facts, _ []Finding) bool { return d.found() && d.email != NormalizeEmail(d.acc.Email) },
		explain: func(d *facts) ([]string, []step) {
			steps := []step{
				{text: "The account's login email was changed; sign in with the current login email instead of the old one.", needs: canSignIn},
				// said to the caller, so it asks rather than instructs the
				// agent: the agent confirms, and never reads it out
				{text: "Tell me the email address you use now, and I will confirm it is the one on your account (we never read it out to you)."},
			}
			if d.acc.Role == RoleProvider {
				steps = append(steps, step{text: "Providers change their login email in the provider portal at sigmund.headway.co, Settings → Login.", needs: canSignIn})
			}
			return lines(d.showEmail(d.reported)+" is a previous email of this account",
				"the current login email is "+d.showEmail(d.acc.Email)), steps
		}},
	{code: "login_blocked", title: "Sign-in blocked by the platform: a reset will not help",
		rules: []string{"R5"}, // rule R5: no email or reset gets them in; escalate
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemCantLogIn) && d.lastLogin != nil && d.lastLogin.Result == LoginBlocked
		},
		explain: func(d *facts) ([]string, []step) {
			l := d.lastLogin
			return lines(fmt.Sprintf("latest sign-in attempt %s on the %s portal: blocked by the platform", d.ago(*l.At), l.Portal)),
				[]step{
					{text: "Headway's systems stopped this sign-in: it is not your password, and a password reset will not help."},
					{text: "Please do not keep retrying or request resets for now."},
					{text: "We will collect the details (when it happened, browser, device, network) and hand them to a support investigation."},
					byEmail("Support will follow up with you by email."),
				}
		}},
	{code: "wrong_portal", title: "Wrong portal: the caller is on the other door",
		rules: []string{"P3", "P4", "P5", "R1"}, // rule P5
		holds: func(d *facts, _ []Finding) bool {
			if !d.found() || !d.problem(ProblemCantLogIn, ProblemNoResetEmail, ProblemResetLinkFailed) {
				return false
			}
			return d.labelWrongPortal() || d.otherPortalEvidence() != ""
		},
		explain: func(d *facts) ([]string, []step) {
			why := d.otherPortalEvidence()
			var ev []string
			switch {
			case d.labelWrongPortal():
				ev = lines(fmt.Sprintf("account is a %s; caller is on the %s portal", d.acc.Role, d.r.Site))
				if why != "" {
					ev = append(ev, why)
				} else if l := latestLogin(d.acc.Logins, ""); l != nil && WrongPortal(d.acc.Role, *l) {
					ev = append(ev, fmt.Sprintf("last sign-in attempt %s was on the %s portal: %s", d.ago(*l.At), l.Portal, l.Result))
				}
			case d.r.Site == SiteUnknown:
				ev = lines(fmt.Sprintf("account is a %s (%s); the caller does not know the site", d.acc.Role, PortalLabel(d.acc.Role)), why)
			default:
				ev = lines(fmt.Sprintf("account is a %s (%s); the caller names the %s site, but the evidence shows the other portal", d.acc.Role, PortalLabel(d.acc.Role), d.r.Site), why)
			}
			if d.acc.Role == RoleProvider {
				return ev, []step{
					{text: "Your password is likely fine: provider accounts sign in at the provider portal, sigmund.headway.co, not on the patient sign-in at headway.co.", needs: canSignIn},
					{text: "Go to sigmund.headway.co and sign in there with the same email and password.", needs: canSignIn},
					{text: "Only if that fails: on sigmund.headway.co enter your email and click \"Forgot your password\"; the email's subject is \"" + ProviderResetSubject + "\".", needs: CanSendReset, email: true},
				}
			}
			return ev, []step{
				{text: "Your password is likely fine: client accounts sign in on headway.co, not on the provider portal (sigmund.headway.co).", needs: canSignIn},
				{text: "Go to headway.co, click Log in, and sign in with the same email and password.", needs: canSignIn},
				{text: "Only if that fails: on headway.co click Log in, then \"Forgot your password?\".", needs: CanSendReset, email: true},
			}
		}},
	{code: "email_unverified", title: "Email not verified yet",
		rules: []string{"R7"}, // rule R7
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemCantLogIn, ProblemNoResetEmail) && IsUnverified(*d.acc)
		},
		explain: func(d *facts) ([]string, []step) {
			ev := []string{"status: " + d.acc.Status, "email not verified"}
			if d.acc.CreatedAt != nil {
				ev = append(ev, "account created "+d.ago(*d.acc.CreatedAt))
			}
			return ev, []step{
				{text: "New accounts must be verified by email before they can sign in."},
				byEmail("Look for the verification email from Headway, including spam, junk and Gmail's Promotions tab, and click its link."),
				{text: "If it is not there, we can send a new verification email now.", email: true, needs: CanResendVerification},
			}
		}},
	{code: "emails_suppressed", title: "Emails suppressed by an old unsubscribe",
		rules: []string{"R6"}, // rule R6
		holds: func(d *facts, above []Finding) bool {
			return d.suppressed() &&
				(d.problem(ProblemNoResetEmail) || has(above, "email_unverified") || (d.hasLast && d.latest.Status == ResetSuppressed))
		},
		explain: func(d *facts) ([]string, []step) {
			ev := []string{"unsubscribed from Headway emails " + d.ago(*d.acc.EmailsUnsubscribedAt)}
			if d.hasLast && d.latest.Status == ResetSuppressed {
				ev = append(ev, "latest reset ("+d.latest.ID+") was suppressed: nothing was sent")
			}
			then := step{text: "Then request one new reset email and open only the newest one.", needs: openAccount}
			if IsUnverified(*d.acc) {
				then = step{text: "Then we send a new verification email: open only the newest one and click its link.", needs: openAccount}
			}
			// these steps lift the suppression themselves: none is marked as needing an email
			return ev, []step{
				{text: "Unsubscribing from any Headway email unsubscribed this address from all of them, reset and verification emails included."},
				{text: "Support must remove the address from the unsubscribed list first (lift the suppression, with your agreement)."},
				then,
			}
		}},
	{code: "reset_held_back", title: "The last reset was held back by a suppression since lifted: request one new reset",
		rules: []string{"R6", "R3"}, // rule R6
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNoResetEmail, ProblemResetLinkFailed) && !d.suppressed() &&
				d.hasLast && d.latest.Status == ResetSuppressed
		},
		explain: func(d *facts) ([]string, []step) {
			return lines(fmt.Sprintf("latest reset %s, requested %s, was suppressed: nothing was sent", d.latest.ID, d.ago(*d.latest.RequestedAt)),
					"emails are no longer suppressed: the address was taken off the unsubscribed list since"),
				append(say("Your last reset request was made while your address was on the unsubscribed list, so no email was sent. That is fixed now."),
					resetStepsLed(d.acc.Role, "Request one new reset now, from the right portal:")...)
		}},
	{code: "reset_bounced", title: "Reset email bounced",
		rules: []string{},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNoResetEmail) && d.hasLast && d.latest.Status == ResetBounced
		},
		explain: func(d *facts) ([]string, []step) {
			return lines(fmt.Sprintf("latest reset (%s) bounced: the mailbox refused it; sent %s", d.latest.ID, d.ago(d.latest.SentTime()))),
				say("The reset email was refused by the mailbox: it never arrived.",
					"Check the address is spelt right and the mailbox is not full or closed.",
					"If the mailbox is gone, collect the details and escalate: support must verify identity before changing the email.")
		}},
	{code: "reset_link_superseded", title: "Only the newest reset link works: an older one was sent or opened",
		rules: []string{"R3"}, // rule R3
		holds: func(d *facts, _ []Finding) bool {
			if !d.found() || !d.problem(ProblemResetLinkFailed) || !d.hasLast {
				return false
			}
			l := d.latest
			return l.WasSent() && !l.WasUsed() && !d.p.LinkExpired(l, d.now) && d.supersededBy() != ""
		},
		explain: func(d *facts) ([]string, []step) {
			l := d.latest
			return lines(fmt.Sprintf("latest reset %s sent %s, unused", l.ID, d.ago(l.SentTime())), d.supersededBy()),
				say("Each new reset request cancels every earlier link; only the most recent email's link works.",
					fmt.Sprintf("Delete the older reset emails and open the newest one, sent at %s; its link works until %s.",
						d.clock(l.SentTime()), d.clock(d.p.LinkExpiry(l))),
					"Do not request another reset while you look: that would cancel this link too.")
		}},
	// A superseded link whose successor expired is this finding (revised):
	// reset_link_superseded needs the latest link alive.
	{code: "reset_link_expired", title: "Reset link expired",
		rules: []string{"R8"}, // rule R8
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemResetLinkFailed) && d.hasLast && !d.latest.WasUsed() && d.p.LinkExpired(d.latest, d.now)
		},
		explain: func(d *facts) ([]string, []step) {
			return lines(fmt.Sprintf("latest reset %s sent %s; links last %s", d.latest.ID, d.ago(d.latest.SentTime()), Duration(d.p.ResetLinkLifetime))),
				append([]step{{text: "The link has expired: a reset link works for {lifetime} after it is sent."},
					{text: "Request one new reset and use it straight away.", needs: CanSendReset}},
					resetSteps(d.acc.Role)...)
		}},
	{code: "reset_link_used", title: "Reset link already used",
		rules: []string{"R3"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemResetLinkFailed) && d.hasLast && d.latest.WasUsed()
		},
		explain: func(d *facts) ([]string, []step) {
			ev := []string{"latest reset " + d.latest.ID + " was already used"}
			if d.latest.UsedAt != nil {
				ev[0] += " " + d.ago(*d.latest.UsedAt)
			}
			return ev, []step{
				{text: "That link was already used to set a password, so it cannot be used again."},
				{text: "Sign in with the password set then, at " + d.host() + ".", needs: canSignIn},
				{text: "If it is forgotten again, request one new reset from " + d.host() + ".", needs: CanSendReset, email: true},
			}
		}},
	{code: "reset_filtered", title: "Reset email delivered: look in spam or Promotions",
		rules: []string{"R4"}, // rule R4
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNoResetEmail) && d.hasLast && d.latest.WasDelivered() && !d.latest.WasUsed()
		},
		explain: func(d *facts) ([]string, []step) {
			ev := []string{fmt.Sprintf("latest reset %s delivered %s", d.latest.ID, d.ago(deliveredTime(d.latest)))}
			subject := "from Headway"
			if s, ok := ResetEmailSubject(d.acc.Role); ok {
				subject = "with the subject \"" + s + "\""
			}
			return ev, say("The email was delivered to your mailbox "+d.ago(deliveredTime(d.latest))+".",
				"Look in spam or junk and, in Gmail, the Promotions tab, for the email "+subject+".",
				"Search your mailbox for \"Headway\". Open the newest one only.")
		}},
	{code: "reset_not_requested", title: "No reset requested in the last {window}",
		rules: []string{"R1"}, // rule R1
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNoResetEmail) && d.recent == 0
		},
		explain: func(d *facts) ([]string, []step) {
			ev := []string{"no reset requested in the last " + Duration(d.p.RecentResetWindow)}
			if d.hasLast {
				ev = append(ev, "last request "+d.ago(*d.latest.RequestedAt))
			}
			return ev, resetStepsLed(d.acc.Role, "No reset has been requested for this account recently. Request one now, from the right portal:")
		}},
	{code: "too_many_resets", title: "Several resets requested: only the newest link works",
		rules: []string{"R3"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemNoResetEmail, ProblemResetLinkFailed) && d.recent >= 3
		},
		explain: func(d *facts) ([]string, []step) {
			return lines(fmt.Sprintf("%d resets requested in the last %s", d.recent, Duration(d.p.RecentResetWindow))),
				say("Stop requesting resets: each new request cancels the earlier links and the emails can arrive out of order.",
					"Wait a few minutes, then open only the most recent reset email and use its link.")
		}},
	// The 2FA rungs (19–27) read d.mfa: cant_log_in counts as no_2fa_code
	// when the latest attempt within 24 h failed at the 2FA step.
	{code: "mfa_exemption_active", title: "2FA exemption active: sign in without a code and reset the methods",
		rules: []string{"M7"}, // rule M7
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.mfa(ProblemNo2FACode, ProblemLost2FA) && ExemptionActive(d.acc.MFAExemption, d.now)
		},
		explain: func(d *facts) ([]string, []step) {
			x := d.acc.MFAExemption
			ev := fmt.Sprintf("2FA exemption granted %s", d.ago(*x.GrantedAt))
			if x.GrantedBy != "" {
				ev += " by " + x.GrantedBy
			}
			reset := "go to Settings → Login tab, click Reset, and set up your methods again."
			if d.acc.Role == RoleClient {
				reset = "go to the Account page → Login → Reset 2FA and set 2FA up again."
			}
			return lines(ev + "; it ends " + d.ago(*x.ExpiresAt)), []step{
				{text: fmt.Sprintf("An exemption is active on your account until %s: until then you can sign in at %s without a 2FA code.", d.clock(*x.ExpiresAt), d.host()), needs: canSignIn},
				{text: "Once signed in, " + reset, needs: canSignIn},
				{text: "Enroll at least two methods and save the new recovery code."},
			}
		}},
	{code: "mfa_phone_abroad", title: "Phone codes do not reach the caller abroad",
		rules: []string{"M2", "M11"}, // rule M11
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.mfa(ProblemNo2FACode) && d.r.Abroad && d.hasType[FactorPhone]
		},
		explain: func(d *facts) ([]string, []step) {
			return lines("caller is outside the US", "phone factor "+d.factorPhone()),
				say("Phone codes are sent only to US (+1) numbers, by SMS or call, and may not reach you abroad.",
					"Use another method if you have one: authenticator app, security key, or your recovery code.",
					"Before the next trip, set up an authenticator app or biometrics.")
		}},
	{code: "mfa_sms_filtered", title: "SMS code filtered on the phone or by the carrier",
		rules: []string{"M10"}, // rule M10
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.mfa(ProblemNo2FACode) && !d.r.Abroad && d.hasType[FactorPhone]
		},
		explain: func(d *facts) ([]string, []step) {
			ev := lines("phone factor " + d.factorPhone())
			if l := d.lastLogin; l != nil && l.Result == LoginMFAFailed {
				ev = append(ev, fmt.Sprintf("latest sign-in attempt %s failed at the 2FA step", d.ago(*l.At)))
			}
			return ev, say("Try the voice call option instead of the text message.",
				"iPhone: Settings → Apps → Messages → Unknown Senders; and make sure Silence Unknown Callers is off.",
				"Android: look in Messages → Archived, and check Spam protection in settings.",
				"Carrier apps such as AT&T ActiveArmor or Verizon Call Filter can block short codes: lower the filter or allow verification messages.")
		}},
	{code: "mfa_biometric_other_device", title: "Biometrics live on the device where they were set up",
		rules: []string{"M9"}, // rule M9
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.mfa(ProblemNo2FACode, ProblemLost2FA) && d.r.OtherDevice &&
				d.hasType[FactorBiometric] && d.onlyBiometricAndRecovery()
		},
		explain: func(d *facts) ([]string, []step) {
			return lines("only biometric" + recoveryNote(d) + " enrolled: " + biometricDevices(d.acc)),
				say("Face ID or fingerprint only appears on the device where it was set up.",
					"Sign in on that device, or use your recovery code here.",
					"Once signed in, enroll this device's biometrics in account settings.")
		}},
	{code: "mfa_use_other_factor", title: "Use another enrolled method",
		rules: []string{"M2", "M12"}, // rule M12
		holds: func(d *facts, _ []Finding) bool {
			if !d.found() {
				return false
			}
			if d.mfa(ProblemNo2FACode) {
				return d.hasType[FactorTOTP] || d.hasType[FactorSecurityKey] || (d.hasType[FactorBiometric] && !d.r.OtherDevice)
			}
			return d.mfa(ProblemLost2FA) && d.hasType[FactorSecurityKey]
		},
		explain: func(d *facts) ([]string, []step) {
			return lines("enrolled: " + d.factors()),
				say("On the verification screen choose \"Try another method\".",
					"Pick one you still have: "+otherMethods(d)+".",
					"Once in, replace the method you could not use (remove it, then enroll a new one), so a lost device cannot lock you out again.")
		}},
	{code: "mfa_recovery_code", title: "Use the recovery code",
		rules: []string{"M8"}, // rule M8
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.mfa(ProblemNo2FACode, ProblemLost2FA) && d.unusedRec
		},
		explain: func(d *facts) ([]string, []step) {
			return lines("an unused recovery code is enrolled"),
				say("Enter your recovery code in the verification field; it replaces the other methods for this sign-in.",
					"It works once; Headway then gives you a new one: print it or keep it in a secure note.",
					"Once in, reset your methods and enroll at least two.")
		}},
	// Email codes are a provider option (rule M3, revised 2026-12-07): 001
	// states them in its provider section only and 002's methods have
	// none, so a client never gets this advice (EmailCodesAvailable).
	{code: "mfa_email_code", title: "Get the code by email",
		rules: []string{"M3"}, // rule M3
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.mfa(ProblemNo2FACode, ProblemLost2FA) && d.mfaOK != nil && EmailCodesAvailable(*d.acc)
		},
		explain: func(d *facts) ([]string, []step) {
			return lines("a sign-in with 2FA succeeded " + d.ago(*d.mfaOK.At)),
				[]step{{text: "On the verification screen click \"Try another method\" under Continue."},
					byEmail("Choose email: the code goes to your login email address.")}
		}},
	{code: "mfa_provider_exemption", title: "Provider lost 2FA: a lead can grant an exemption ({exemption})",
		rules: []string{"M7"}, // rule M7
		holds: func(d *facts, _ []Finding) bool {
			// CanGrantExemption is the policy: an active provider without an active exemption
			return d.found() && d.problem(ProblemLost2FA) && !d.unusedRec && CanGrantExemption(*d.acc, d.now) == nil
		},
		explain: func(d *facts) ([]string, []step) {
			grant := func(a Account) error { return CanGrantExemption(a, d.now) }
			return lines("provider with no unused recovery code", "enrolled: "+d.factors()),
				[]step{
					{text: "Verify the caller's identity first (lead: caller-verification checklist)."},
					{text: "A lead grants a 2FA exemption; it lasts {exemption}.", needs: grant},
					{text: "Within those {exemption}: sign in at sigmund.headway.co, go to Settings → Login tab, click Reset, and set up your methods again.", needs: grant},
					{text: "Enroll at least two methods and save the new recovery code."},
				}
		}},
	{code: "mfa_identity_check", title: "Client lost every method: verify identity before recovery",
		rules: []string{"M8", "M6"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemLost2FA) && d.acc.Role == RoleClient && !d.unusedRec
		},
		explain: func(d *facts) ([]string, []step) {
			return lines("client with no unused recovery code", "enrolled: "+d.factors()),
				say("Without a recovery code, support must verify your identity before any recovery.",
					"Collect the details and hand over to a support investigation (caller-verification checklist).",
					"If you can still sign in somewhere: Account page → Login → Reset 2FA, re-enter your password, then set 2FA up again.")
		}},
	{code: "telehealth_no_visit", title: "No telehealth visit around now",
		rules: []string{"T1"}, // rule T1
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemCantJoinSession) && d.visit == nil
		},
		explain: func(d *facts) ([]string, []step) {
			ev := []string{"no telehealth visit " + d.p.VisitWindow()}
			if a := lastTelehealth(d.acc.Appointments, d.now); a != nil {
				ev = append(ev, "closest visit "+d.ago(*a.StartsAt))
			}
			return ev, []step{
				{text: "There is no telehealth visit booked around now on this account."},
				{text: "Check the date and time on the Appointments page at headway.co."},
				byEmail("The reminder email for the visit gives its date and time too."),
				{text: "If the visit was booked under another account or email, look that one up."},
			}
		}},
	{code: "telehealth_too_early", title: "Too early: the Join button appears {join} before the start",
		rules: []string{"T1"},
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemCantJoinSession) && d.visit != nil && d.visit.StartsAt.Sub(d.now) > d.p.JoinOpens
		},
		explain: func(d *facts) ([]string, []step) {
			v := d.visit
			return lines(fmt.Sprintf("telehealth visit%s %s %s", with(v), Starts(*v.StartsAt, d.now), d.ago(*v.StartsAt))),
				[]step{
					{text: "Your visit starts at " + d.clock(*v.StartsAt) + "."},
					{text: "The Join session button appears on the Appointments page {join} before the start."},
					byEmail("The reminder email with the join link arrives {reminder} before the visit."),
					{text: "Come back at " + d.clock(v.StartsAt.Add(-d.p.JoinOpens)) + " ({join} before the start)."},
				}
		}},
	{code: "telehealth_browser", title: "Visit is open: a browser or device problem, not the login",
		rules: []string{"T2"}, // rule T2
		holds: func(d *facts, _ []Finding) bool {
			return d.found() && d.problem(ProblemCantJoinSession) && d.open != nil
		},
		explain: func(d *facts) ([]string, []step) {
			v := d.open
			return lines(fmt.Sprintf("telehealth visit%s %s %s: the join window is open", with(v), Starts(*v.StartsAt, d.now), d.ago(*v.StartsAt))),
				[]step{
					{text: "Join from the Appointments page (Join session)."},
					byEmail("Or use the join link in the reminder email."),
					{text: "Allow camera and microphone for the site, and use a stable connection."},
					{text: "Use the latest Chrome, Firefox, Safari or Edge; on a phone, Safari on iOS or Chrome on Android."},
				}
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
		explain: func(d *facts) ([]string, []step) {
			l := latestLogin(d.acc.Logins, PortalFor(d.acc.Role))
			return lines(fmt.Sprintf("last sign-in on the %s portal %s: wrong password", l.Portal, d.ago(*l.At))),
				append(resetSteps(d.acc.Role), step{text: "Request one reset only and use the newest email's link.", needs: CanSendReset})
		}},
	{code: "browser_session", title: "Nothing wrong with the account: try a clean browser",
		rules: []string{"B1"}, // rule B1
		holds: func(d *facts, above []Finding) bool {
			return d.problem(ProblemCantLogIn) && len(above) == 0
		},
		explain: func(d *facts) ([]string, []step) {
			var ev []string
			if d.acc != nil {
				where := "the caller's portal is not known"
				if d.r.Site == SitePatient || d.r.Site == SiteProvider {
					where = "caller is on the " + d.r.Site + " portal, the right one"
				}
				ev = append(ev, "account active and verified; "+where, d.failedSignIns())
				if l := latestLogin(d.acc.Logins, ""); l != nil {
					ev = append(ev, fmt.Sprintf("last sign-in %s on the %s portal: %s (%s)", d.ago(*l.At), l.Portal, l.Result, l.Browser))
				}
			}
			return ev, say("Use the latest Chrome, Firefox, Safari or Edge.",
				"Open a private window and sign in there (this clears stale cookies and sessions).",
				"Try one other device.",
				"Turn browser extensions off.")
		}},
	{code: "family_plus_address", title: "Family member: plus-address your own email",
		rules: []string{"A1", "A2"}, // rule A2
		holds: func(d *facts, _ []Finding) bool {
			return d.problem(ProblemFamilyAccount) && SupportsPlusAddress(d.email)
		},
		explain: func(d *facts) ([]string, []step) {
			local, domain, err := FamilyBase(d.reported)
			if err != nil {
				// rule A2 builds on the parent's own address: ask for it
				// rather than suggest "+1@gmail.com" or an address with no domain
				return lines(d.familyAddress(err), domain+" supports plus-addressing"),
					say("Every person needs their own account, with a unique email.",
						familyAskAgain,
						fmt.Sprintf("Then create the family member's account with that address plus +1 or +name before the @%s: it is unique and still reaches your inbox.", domain),
						"Use the family member's own name and date of birth, as on their insurance, even for a minor.")
			}
			if !d.r.Reveal {
				local = MaskLocal(local)
			}
			return lines(domain + " supports plus-addressing"),
				say("Every person needs their own account, with a unique email.",
					fmt.Sprintf("Create the family member's account with %s+1@%s or %s+name@%s: it is unique and still reaches your inbox.", local, domain, local, domain),
					"Use the family member's own name and date of birth, as on their insurance, even for a minor.")
		}},
	{code: "family_new_email", title: "Family member needs a new email address",
		rules: []string{"A1", "A2"},
		holds: func(d *facts, _ []Finding) bool {
			return d.problem(ProblemFamilyAccount) && !SupportsPlusAddress(d.email)
		},
		explain: func(d *facts) ([]string, []step) {
			_, domain, err := FamilyBase(d.reported)
			if err != nil && domain == "" {
				// not an email: there is no domain to say plus-addressing of
				return lines(d.familyAddress(err)),
					say("Every person needs their own account, with a unique email.",
						familyAskAgain,
						"Plus-addressing only works for Gmail, Hotmail, Outlook, Live, MSN and iCloud addresses; for any other, create a new email address for the family member.",
						"Use the family member's own name and date of birth, as on their insurance, even for a minor.")
			}
			return lines(domain + " does not support plus-addressing"),
				say("Every person needs their own account, with a unique email.",
					"Plus-addressing only works for Gmail, Hotmail, Outlook, Live, MSN and iCloud addresses, so create a new email address for the family member.",
					"Use the family member's own name and date of birth, as on their insurance, even for a minor.")
		}},
	{code: "escalate", title: "No known cause: collect details and escalate",
		rules: []string{"R5"},
		retitle: func(d *facts) string {
			// "no known cause" over evidence naming one read as a
			// contradiction (walkthrough)
			if r, ok := d.unsentReset(); ok {
				if d.within(*r.RequestedAt, unsentWait) {
					return "The reset has not gone out yet: give it a few minutes, then escalate"
				}
				return "A reset was requested but never sent: collect details and escalate"
			}
			return ""
		},
		holds: func(d *facts, above []Finding) bool { return len(above) == 0 },
		explain: func(d *facts) ([]string, []step) {
			ev := lines("no rule in the catalogue matched this report")
			steps := []step{
				{text: "Collect: the email tried, the exact page address, the exact error message, when it happened, browser and device."},
				{text: "Hand over to a support investigation with those details."},
				byEmail("Tell the caller support will follow up by email."),
			}
			if r, ok := d.unsentReset(); ok {
				// no rung holds for a reset the platform has not sent
				// yet (one an agent just queued, most often): the ladder
				// still escalates, but the agent is told what it saw,
				// and a fresh one is given its minutes first
				ev = append(ev, fmt.Sprintf("latest reset %s, requested %s, has not been sent yet", r.ID, d.ago(*r.RequestedAt)))
				if d.within(*r.RequestedAt, unsentWait) {
					steps = append([]step{
						{text: fmt.Sprintf("Your reset request from %s has not gone out yet: it can take a few minutes.", d.clock(*r.RequestedAt))},
						byEmail(fmt.Sprintf("Wait up to %s, then look in spam or junk, and in Gmail's Promotions tab.", Duration(unsentWait))),
						{text: "If it has still not come by then, collect the details below and hand over."},
					}, steps...)
				}
			}
			return ev, steps
		}},
}

func lines(s ...string) []string { return s }

// unsentWait is how long a reset the platform has not sent yet is
// given before a caller is escalated over it (a console reset reaches
// the platform through the outbox relay, in seconds to minutes).
const unsentWait = 15 * time.Minute

// unsentReset is the latest reset when the caller reports no reset email
// and the platform has not sent it: requested, with no send time (§7:
// it "sent nothing").
func (d *facts) unsentReset() (Reset, bool) {
	if !d.found() || !d.problem(ProblemNoResetEmail) || !d.hasLast || d.latest.Status != ResetRequested || d.latest.WasSent() {
		return Reset{}, false
	}
	return d.latest, true
}

// familyAskAgain is the step when the address given cannot be built on (A2).
const familyAskAgain = "Ask for your own email address again, spelt out: the one given cannot be used as it is."

// familyAddress says why the address the caller gave cannot be built on
// (FamilyBase's error), masked unless revealed.
func (d *facts) familyAddress(err error) string {
	return "the address given, " + d.showEmail(d.reported) + ": " + err.Error()
}

// labelWrongPortal: the site the caller names is the portal that does not
// match the account's role (rule P5).
func (d *facts) labelWrongPortal() bool {
	return d.r.Site == SitePatient && d.acc.Role == RoleProvider || d.r.Site == SiteProvider && d.acc.Role == RoleClient
}

// viaPrevious notes that the caller gave a previous email of the account
// (its finding, login_email_changed, ranks below the account's status).
func (d *facts) viaPrevious() []string {
	if d.email == NormalizeEmail(d.acc.Email) {
		return nil
	}
	return lines("the caller gave a previous email of this account: " + d.showEmail(d.reported))
}

// openAccount refuses a closed account (A3, A4) and nothing else: a step
// that follows lifting the suppression itself.
func openAccount(a Account) error { return accountOpen(a) }

// canSignIn refuses sign-in steps on a closed account: a deactivated
// account (A3) or a terminated provider (A4) cannot sign in at all.
func canSignIn(a Account) error {
	switch a.Status {
	case StatusDeactivated:
		return errors.New("account is deactivated (A3): it cannot sign in")
	case StatusTerminated:
		return errors.New("provider contract terminated (A4): the portal is closed to it")
	}
	return nil
}

// PortalLabel names the portal an account of this role signs in to.
func PortalLabel(role string) string { return PortalFor(role) + " portal" }
