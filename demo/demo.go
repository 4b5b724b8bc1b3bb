// Package demo is the built-in, clearly labelled demo data: about forty
// fictional accounts, built relative to a moment so their visits and
// reset links are live whenever the demo is seeded, and the report under
// which each diagnosis code is the first finding. Phone numbers are in the
// fictional 555-01xx range; every id starts with "demo-".
package demo

import (
	"fmt"
	"time"

	"frontdoor/model"
)

// Case is a demo report with the finding it leads to.
type Case struct {
	Report model.Report
	Expect string
}

type builder struct {
	now  time.Time
	accs []model.Account
	n    int
}

func (b *builder) t(d time.Duration) *time.Time { t := b.now.Add(d).Truncate(time.Second); return &t }

const (
	min  = time.Minute
	hour = time.Hour
	day  = 24 * time.Hour
)

// add appends an active, verified account and returns it for changes.
func (b *builder) add(email, name, role, state string) *model.Account {
	b.n++
	b.accs = append(b.accs, model.Account{
		ID: fmt.Sprintf("demo-%03d", b.n), Email: email, Name: name, Role: role, Status: model.StatusActive,
		USState: state, Phone: fmt.Sprintf("+1212555%04d", 100+b.n),
		DateOfBirth:    fmt.Sprintf("%d-%02d-%02d", 1960+b.n, 1+b.n%12, 1+b.n%28),
		CreatedAt:      b.t(-200*day + time.Duration(b.n)*day),
		SignInMethods:  []string{"password", "email_link"},
		PreviousEmails: []string{}, Factors: []model.Factor{}, RememberedDevices: []model.RememberedDevice{},
		Logins: []model.Login{}, Resets: []model.Reset{}, Appointments: []model.Appointment{}, Notes: []model.Note{},
	})
	a := &b.accs[len(b.accs)-1]
	a.EmailVerifiedAt = b.t(-200*day + time.Duration(b.n)*day + 5*min)
	return a
}

func (b *builder) factor(a *model.Account, typ, detail string, enrolledAgo time.Duration) *model.Factor {
	f := model.Factor{ID: fmt.Sprintf("f%d", len(a.Factors)+1), Type: typ, EnrolledAt: b.t(-enrolledAgo)}
	switch typ {
	case model.FactorPhone:
		f.Phone = detail
	case model.FactorBiometric:
		f.Device = detail
	default:
		f.Label = detail
	}
	a.Factors = append(a.Factors, f)
	return &a.Factors[len(a.Factors)-1]
}

func (b *builder) login(a *model.Account, ago time.Duration, portal, result, browser string) {
	a.Logins = append(a.Logins, model.Login{At: b.t(-ago), Portal: portal, Result: result, Browser: browser, Device: "desktop"})
}

// reset adds a reset requested ago; delivered/clicked/used are offsets
// after the request, or -1 for never.
func (b *builder) reset(a *model.Account, ago time.Duration, status string, delivered, clicked, used time.Duration) {
	r := model.Reset{ID: fmt.Sprintf("r%d", len(a.Resets)+1), RequestedAt: b.t(-ago), Portal: model.PortalFor(a.Role), Status: status}
	if status != model.ResetSuppressed && status != model.ResetRequested {
		r.SentAt = b.t(-ago + 30*time.Second)
	}
	if delivered >= 0 {
		r.DeliveredAt = b.t(-ago + delivered)
	}
	if clicked >= 0 {
		r.ClickedAt = b.t(-ago + clicked)
	}
	if used >= 0 {
		r.UsedAt = b.t(-ago + used)
	}
	a.Resets = append(a.Resets, r)
}

func (b *builder) visit(a *model.Account, in time.Duration, kind, with string) {
	a.Appointments = append(a.Appointments, model.Appointment{ID: fmt.Sprintf("ap%d", len(a.Appointments)+1), StartsAt: b.t(in), Kind: kind, With: with})
}

const never = -1

// Data returns the demo accounts and the cases, built relative to now.
func Data(now time.Time) ([]model.Account, []Case) {
	b := &builder{now: now.UTC()}
	var cases []Case
	c := func(a *model.Account, email, site, problem, expect string, flags ...string) {
		if email == "" {
			email = a.Email
		}
		r := model.Report{Email: email, Site: site, Problem: problem}
		for _, f := range flags {
			r.Abroad = r.Abroad || f == "abroad"
			r.OtherDevice = r.OtherDevice || f == "other_device"
		}
		cases = append(cases, Case{Report: r, Expect: expect})
	}
	P, V := model.SitePatient, model.SiteProvider

	// Clean accounts: the wrong Headway, family questions, a clean browser.
	a := b.add("maria.lopez@gmail.com", "Maria Lopez", model.RoleClient, "NY")
	b.login(a, 20*day, model.PortalPatient, model.LoginOK, "Chrome 131")
	b.visit(a, 6*day, "telehealth", "Dr. Ava Patel")
	c(a, "", model.SiteCareers, model.ProblemCantLogIn, "other_service_careers")
	c(a, "", model.SiteCapital, model.ProblemCantLogIn, "other_service_capital")
	c(a, "", P, model.ProblemCantLogIn, "browser_session")
	c(a, "MARIA.LOPEZ@gmail.com", P, model.ProblemFamilyAccount, "family_plus_address")
	c(a, "", P, model.ProblemNoResetEmail, "reset_not_requested")
	c(a, "", P, model.ProblemNo2FACode, "escalate")
	c(nil, "nobody.here@example.org", P, model.ProblemCantLogIn, "no_account")

	a = b.add("olivia.white@protonmail.com", "Olivia White", model.RoleClient, "CA")
	c(a, "", P, model.ProblemFamilyAccount, "family_new_email")

	// Service, account and portal problems.
	a = b.add("dr.moore@mooremind.com", "Daniel Moore", model.RoleProvider, "IL")
	a.PreviousEmails = []string{"dmoore@cityclinic.org"}
	b.factor(a, model.FactorTOTP, "Authenticator app", 150*day)
	c(a, "dmoore@cityclinic.org", V, model.ProblemCantLogIn, "login_email_changed")

	a = b.add("grace.kim@yahoo.com", "Grace Kim", model.RoleClient, "WA")
	a.Status = model.StatusDeactivated
	c(a, "", P, model.ProblemCantLogIn, "account_deactivated")

	a = b.add("dr.ruth.adler@adlerpsych.com", "Ruth Adler", model.RoleProvider, "MA")
	a.Status = model.StatusTerminated
	b.factor(a, model.FactorPhone, "+12125550141", 300*day)
	c(a, "", V, model.ProblemCantLogIn, "provider_terminated")

	a = b.add("dr.james.hill@hillcounseling.com", "James Hill", model.RoleProvider, "OR")
	b.factor(a, model.FactorPhone, "+15035550142", 180*day)
	b.factor(a, model.FactorRecoveryCode, "", 180*day)
	b.login(a, 25*min, model.PortalPatient, model.LoginBadPassword, "Firefox 133")
	b.login(a, 20*min, model.PortalPatient, model.LoginBadPassword, "Firefox 133")
	c(a, "", P, model.ProblemCantLogIn, "wrong_portal")

	a = b.add("amy.chen@yahoo.com", "Amy Chen", model.RoleClient, "TX")
	a.Status, a.EmailVerifiedAt = model.StatusPending, nil
	a.CreatedAt = b.t(-2 * day)
	b.login(a, 30*min, model.PortalPatient, model.LoginUnverified, "Safari 18")
	c(a, "", P, model.ProblemCantLogIn, "email_unverified")

	a = b.add("paul.green@outlook.com", "Paul Green", model.RoleClient, "FL")
	a.EmailsUnsubscribedAt = b.t(-160 * day)
	b.reset(a, 40*min, model.ResetSuppressed, never, never, never)
	c(a, "", P, model.ProblemNoResetEmail, "emails_suppressed")

	a = b.add("hannah.berg@comcast.net", "Hannah Berg", model.RoleClient, "CO")
	b.reset(a, 25*min, model.ResetBounced, never, never, never)
	c(a, "", P, model.ProblemNoResetEmail, "reset_bounced")

	// Reset links.
	a = b.add("sofia.rossi@gmail.com", "Sofia Rossi", model.RoleClient, "NJ")
	b.reset(a, 2*hour, model.ResetSuperseded, 1*min, never, never)
	b.reset(a, 30*min, model.ResetDelivered, 1*min, never, never)
	c(a, "", P, model.ProblemResetLinkFailed, "reset_link_superseded")

	a = b.add("marcus.reed@aol.com", "Marcus Reed", model.RoleClient, "GA")
	b.reset(a, 3*hour, model.ResetDelivered, 1*min, never, never)
	c(a, "", P, model.ProblemResetLinkFailed, "reset_link_expired")

	a = b.add("lena.fischer@gmail.com", "Lena Fischer", model.RoleClient, "PA")
	b.reset(a, 5*hour, model.ResetUsed, 1*min, 10*min, 12*min)
	b.login(a, 4*hour, model.PortalPatient, model.LoginOK, "Edge 131")
	c(a, "", P, model.ProblemResetLinkFailed, "reset_link_used")

	a = b.add("noah.kim@icloud.com", "Noah Kim", model.RoleClient, "CA")
	b.reset(a, 15*min, model.ResetDelivered, 1*min, never, never)
	c(a, "", P, model.ProblemNoResetEmail, "reset_filtered")

	a = b.add("tom.baker@verizon.net", "Tom Baker", model.RoleClient, "NY")
	b.reset(a, 5*hour, model.ResetSent, never, never, never)
	b.reset(a, 2*hour, model.ResetSent, never, never, never)
	b.reset(a, 20*min, model.ResetSent, never, never, never)
	c(a, "", P, model.ProblemNoResetEmail, "too_many_resets")

	// 2FA.
	a = b.add("dr.ava.patel@pateltherapy.com", "Ava Patel", model.RoleProvider, "NY")
	b.factor(a, model.FactorPhone, "+17185550167", 200*day)
	b.login(a, 9*day, model.PortalProvider, model.LoginOK, "Chrome 131")
	c(a, "", V, model.ProblemNo2FACode, "mfa_phone_abroad", "abroad")
	c(a, "", V, model.ProblemLost2FA, "mfa_provider_exemption")

	a = b.add("carlos.mendez@gmail.com", "Carlos Mendez", model.RoleClient, "AZ")
	b.factor(a, model.FactorPhone, "+16025550118", 90*day)
	b.factor(a, model.FactorTOTP, "Google Authenticator", 90*day)
	b.login(a, 10*min, model.PortalPatient, model.LoginMFAFailed, "Chrome 131")
	c(a, "", P, model.ProblemNo2FACode, "mfa_sms_filtered")

	a = b.add("yuki.tanaka@me.com", "Yuki Tanaka", model.RoleClient, "HI")
	b.factor(a, model.FactorBiometric, "iPhone 15 (Safari)", 60*day)
	b.factor(a, model.FactorRecoveryCode, "", 60*day)
	c(a, "", P, model.ProblemNo2FACode, "mfa_biometric_other_device", "other_device")

	a = b.add("priya.shah@outlook.com", "Priya Shah", model.RoleClient, "NJ")
	b.factor(a, model.FactorTOTP, "1Password", 40*day)
	b.factor(a, model.FactorSecurityKey, "YubiKey 5C", 40*day)
	a.RememberedDevices = []model.RememberedDevice{
		{ID: "d1", Label: "Chrome on Windows", RememberedAt: b.t(-3 * day)},
		{ID: "d2", Label: "Safari on iPad", RememberedAt: b.t(-45 * day)},
	}
	c(a, "", P, model.ProblemNo2FACode, "mfa_use_other_factor")

	a = b.add("liam.scott@gmail.com", "Liam Scott", model.RoleClient, "OH")
	b.factor(a, model.FactorTOTP, "Authenticator app", 100*day)
	b.factor(a, model.FactorRecoveryCode, "", 100*day)
	c(a, "", P, model.ProblemLost2FA, "mfa_recovery_code")

	a = b.add("dr.nina.volkova@volkovacare.com", "Nina Volkova", model.RoleProvider, "MN")
	b.factor(a, model.FactorPhone, "+16125550171", 120*day)
	b.login(a, 12*day, model.PortalProvider, model.LoginMFAOK, "Firefox 133")
	c(a, "", V, model.ProblemLost2FA, "mfa_email_code")

	a = b.add("ben.carter@hotmail.com", "Ben Carter", model.RoleClient, "MI")
	b.factor(a, model.FactorPhone, "+13135550119", 70*day)
	c(a, "", P, model.ProblemLost2FA, "mfa_identity_check")

	// Telehealth.
	a = b.add("emma.jones@hotmail.com", "Emma Jones", model.RoleClient, "CA")
	b.visit(a, 5*min, "telehealth", "Dr. James Hill")
	b.login(a, 8*min, model.PortalPatient, model.LoginOK, "Safari 18")
	c(a, "", P, model.ProblemCantJoinSession, "telehealth_browser")

	a = b.add("lucas.brown@gmail.com", "Lucas Brown", model.RoleClient, "CA")
	b.visit(a, 90*min, "telehealth", "Dr. Ava Patel")
	c(a, "", P, model.ProblemCantJoinSession, "telehealth_too_early")

	a = b.add("sam.rivera@gmail.com", "Sam Rivera", model.RoleClient, "TX")
	b.visit(a, -3*day, "telehealth", "Dr. Daniel Moore")
	b.visit(a, 2*day, "in_person", "Dr. Daniel Moore")
	c(a, "", P, model.ProblemCantJoinSession, "telehealth_no_visit")

	a = b.add("jordan.lee@gmail.com", "Jordan Lee", model.RoleClient, "WA")
	b.login(a, 3*min, model.PortalPatient, model.LoginBadPassword, "Chrome 131")
	c(a, "", P, model.ProblemCantLogIn, "bad_password")

	// Variety: every status, role and factor type, exemptions, devices, names.
	a = b.add("dr.omar.haddad@haddadhealth.com", "Omar Haddad", model.RoleProvider, "MI")
	b.factor(a, model.FactorPhone, "+13135550172", 250*day)
	a.MFAExemption = &model.Exemption{GrantedAt: b.t(-2 * day), ExpiresAt: b.t(-2*day + model.ExemptionLength), GrantedBy: "lead.kay", Reason: "lost phone, identity verified"}
	a.Notes = []model.Note{{At: b.t(-2 * day), By: "lead.kay", Text: "Lost phone on a trip; exemption granted after checklist."}}
	c(a, "", V, model.ProblemLost2FA, "mfa_exemption_active")

	a = b.add("dr.claire.dubois@duboiscounsel.com", "Claire Dubois", model.RoleProvider, "VT")
	b.factor(a, model.FactorTOTP, "Authy", 90*day)
	b.factor(a, model.FactorSecurityKey, "YubiKey 5 NFC", 90*day)
	b.factor(a, model.FactorBiometric, "MacBook Pro (Chrome)", 30*day)
	b.factor(a, model.FactorRecoveryCode, "", 90*day).UsedAt = b.t(-10 * day)
	b.login(a, 1*day, model.PortalProvider, model.LoginMFAOK, "Chrome 131")
	a.RememberedDevices = []model.RememberedDevice{{ID: "d1", Label: "Chrome on macOS", RememberedAt: b.t(-29*day - 23*hour)}}
	a.MFAExemption = &model.Exemption{GrantedAt: b.t(-20 * day), ExpiresAt: b.t(-20*day + model.ExemptionLength), GrantedBy: "lead.kay", Reason: "new phone"}

	a = b.add("zoe.obrien@gmail.com", "Zoë O'Brien-Núñez", model.RoleClient, "NM")
	a.SignInMethods = append(a.SignInMethods, "google")
	a.PreviousEmails = []string{"zoe.obrien@school.edu"}
	b.visit(a, 26*hour, "telehealth", "Dr. Claire Dubois")

	a = b.add("wei.zhang@qq.com", "张伟 (Wei Zhang)", model.RoleClient, "CA")
	b.login(a, 2*day, model.PortalPatient, model.LoginOK, "Chrome 131")

	a = b.add("mike.obi+kid1@gmail.com", "Chidi Obi", model.RoleClient, "MD")
	a.Notes = []model.Note{{At: b.t(-30 * day), By: "agent.sam", Text: "Minor; parent's Gmail plus-address (A2)."}}

	a = b.add("mike.obi@gmail.com", "Mike Obi", model.RoleClient, "MD")
	b.visit(a, 3*day, "in_person", "Dr. Omar Haddad")

	a = b.add("rosa.martinez@yahoo.com", "Rosa Martinez", model.RoleClient, "PR")
	a.Status, a.EmailVerifiedAt = model.StatusPending, nil
	a.EmailsUnsubscribedAt = b.t(-day)

	a = b.add("dr.kwame.mensah@mensahwellness.com", "Kwame Mensah", model.RoleProvider, "GA")
	b.factor(a, model.FactorBiometric, "Windows Hello (Edge)", 15*day)
	b.factor(a, model.FactorTOTP, "Microsoft Authenticator", 15*day)
	b.login(a, 2*hour, model.PortalProvider, model.LoginOK, "Edge 131")
	b.login(a, 1*hour, model.PortalProvider, model.LoginBlocked, "Edge 131")
	c(a, "", V, model.ProblemCantLogIn, "login_blocked")

	a = b.add("eli.goldberg@fastmail.com", "Eli Goldberg", model.RoleClient, "NY")
	b.reset(a, 6*day, model.ResetExpired, 1*min, never, never)
	b.reset(a, 2*day, model.ResetUsed, 1*min, 5*min, 6*min)

	a = b.add("fatima.ali@icloud.com", "Fatima Ali", model.RoleClient, "IL")
	b.factor(a, model.FactorSecurityKey, "Passkey (iCloud Keychain)", 20*day)
	b.factor(a, model.FactorPhone, "+13125550123", 20*day)

	a = b.add("dr.sarah.cohen@cohentherapy.com", "Sarah Cohen", model.RoleProvider, "NY")
	a.Status = model.StatusDeactivated

	a = b.add("pat.murphy@live.com", "Pat Murphy", model.RoleClient, "DC")
	b.login(a, 40*day, model.PortalPatient, model.LoginOK, "Firefox 133")

	a = b.add("dr.lin.chen@chenpsychology.com", "Lin Chen", model.RoleProvider, "CA")
	b.factor(a, model.FactorPhone, "+14155550130", 300*day)
	b.factor(a, model.FactorTOTP, "Google Authenticator", 300*day)
	b.factor(a, model.FactorRecoveryCode, "", 300*day)
	b.login(a, 3*hour, model.PortalProvider, model.LoginMFAOK, "Chrome 131")

	a = b.add("ana.souza@googlemail.com", "Ana Souza", model.RoleClient, "FL")
	b.visit(a, -30*min, "telehealth", "Dr. Lin Chen")

	// Added with diagnosis v2 (DOMAIN §7 revised), at the end so earlier ids stay.
	a = b.add("ines.duarte@gmail.com", "Inês Duarte", model.RoleClient, "NC")
	b.reset(a, 40*min, model.ResetSuppressed, never, never, never)
	a.Notes = []model.Note{{At: b.t(-10 * min), By: "agent.sam", Text: "Lifted the email suppression at the caller's request (R6)."}}
	c(a, "", P, model.ProblemNoResetEmail, "reset_held_back")

	return b.accs, cases
}
