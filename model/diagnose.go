package model

import (
	"errors"
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

// Report is what the caller says, and what the reader may see.
type Report struct {
	Email       string // as the caller gave it
	Site        string
	Problem     string
	Abroad      bool // the caller is outside the US
	OtherDevice bool // signing in on a device other than the one 2FA was set up on

	// Reveal: the reader may see the caller's email and phone in full (an
	// agent revealed the account's PII, audited; or the local command
	// line). When false, findings mask them (MaskEmail, MaskPhone).
	Reveal bool
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
// Every finding is decided here and nowhere else; its steps are then made
// doable on this account (doable).
func (p Policy) Diagnose(acc *Account, r Report, now time.Time) []Finding {
	d := newFacts(p, acc, r, now)
	var out []Finding
	for i, rung := range ladder {
		if !rung.holds(d, out) {
			continue
		}
		f := Finding{Code: rung.code, Title: d.words(rung.title), Rules: rung.rules}
		if rung.retitle != nil {
			if t := rung.retitle(d); t != "" {
				f.Title = d.words(t)
			}
		}
		var steps []step
		f.Evidence, steps = rung.explain(d)
		f.Steps = d.doable(steps, i < unverifiedRank)
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

// unverifiedRank is the place of email_unverified in the ladder: the
// findings above it end with verifying the email first (R7).
var unverifiedRank = func() int {
	for i, r := range ladder {
		if r.code == "email_unverified" {
			return i
		}
	}
	panic("model: the ladder has no email_unverified")
}()

// facts are what the ladder reads, worked out once per diagnosis.
type facts struct {
	p          Policy
	acc        *Account
	r          Report
	now        time.Time
	email      string // normalised reported email
	reported   string // the reported email as given, trimmed
	latest     Reset  // the reset requested last (ties: the later stored)
	latestIdx  int
	hasLast    bool
	recent     int          // resets requested in the last 24 h
	visit      *Appointment // the next telehealth visit in the look window (T1)
	open       *Appointment // a telehealth visit whose join window is open (T1)
	lastLogin  *Login       // the latest sign-in attempt, any portal, if within 24 h
	mfaProblem string       // the problem the 2FA rungs read (19–27)
	hasType    map[string]bool
	unusedRec  bool
	mfaOK      *Login
}

func newFacts(p Policy, acc *Account, r Report, now time.Time) *facts {
	if acc != nil {
		then := AsOf(*acc, now) // what is dated after now has not happened yet
		acc = &then
	}
	d := &facts{p: p, acc: acc, r: r, now: now, email: NormalizeEmail(r.Email), reported: strings.TrimSpace(r.Email),
		hasType: map[string]bool{}, mfaProblem: r.Problem, latestIdx: -1}
	if acc == nil {
		return d
	}
	if i := latestRequested(acc.Resets); i >= 0 {
		d.latest, d.latestIdx, d.hasLast = acc.Resets[i], i, true
	}
	d.recent = ResetsRequestedWithin(acc.Resets, now, p.RecentResetWindow)
	d.visit = p.NextVisit(acc.Appointments, now)
	for i := range acc.Appointments {
		if a := &acc.Appointments[i]; a.Kind == "telehealth" && p.InJoinWindow(*a, now) && (d.open == nil || a.StartsAt.Before(*d.open.StartsAt)) {
			d.open = a
		}
	}
	for _, f := range acc.Factors {
		d.hasType[f.Type] = true
		if f.Type == FactorRecoveryCode && f.UsedAt == nil {
			d.unusedRec = true
		}
	}
	for i := range acc.Logins {
		if l := &acc.Logins[i]; l.Result == LoginMFAOK && (d.mfaOK == nil || l.At.After(*d.mfaOK.At)) {
			d.mfaOK = l
		}
	}
	if l := latestLogin(acc.Logins, ""); l != nil && d.within(*l.At, p.RecentSignInWindow) {
		d.lastLogin = l
	}
	// The evidence outranks the label (DOMAIN §7): a caller who "can't log
	// in" whose latest attempt within 24 h failed at the 2FA step has a
	// 2FA problem, and the 2FA rungs read it as no_2fa_code.
	if r.Problem == ProblemCantLogIn && d.lastLogin != nil && d.lastLogin.Result == LoginMFAFailed {
		d.mfaProblem = ProblemNo2FACode
	}
	return d
}

// latestRequested is the index of the reset requested last, ties broken
// by stored order (the later wins), or -1.
func latestRequested(resets []Reset) int {
	best := -1
	for i, r := range resets {
		if best < 0 || !r.RequestedAt.Before(*resets[best].RequestedAt) {
			best = i
		}
	}
	return best
}

// within: t lies in [now-window, now]; both ends count.
func (d *facts) within(t time.Time, window time.Duration) bool {
	return !t.After(d.now) && !t.Before(d.now.Add(-window))
}

func (d *facts) problem(ps ...string) bool { return is(d.r.Problem, ps...) }

// mfa is problem for the 2FA rungs (19–27), which read cant_log_in as
// no_2fa_code when the evidence says so.
func (d *facts) mfa(ps ...string) bool { return is(d.mfaProblem, ps...) }

func is(v string, ps ...string) bool {
	for _, p := range ps {
		if v == p {
			return true
		}
	}
	return false
}

func (d *facts) found() bool { return d.acc != nil }

func (d *facts) host() string { return PortalHost(d.acc.Role) }

func (d *facts) ago(t time.Time) string { return RelTime(t, d.now) }

// clock says t as the caller's clock reads it (CallerTime).
func (d *facts) clock(t time.Time) string {
	state := ""
	if d.acc != nil {
		state = d.acc.USState
	}
	return CallerTime(t, d.now, state)
}

// showEmail and showPhone spell PII out only when the reader may see it.
func (d *facts) showEmail(e string) string {
	if d.r.Reveal {
		return e
	}
	return MaskEmail(e)
}

func (d *facts) showPhone(p string) string {
	if d.r.Reveal {
		return FormatPhone(p)
	}
	return MaskPhone(p)
}

func (d *facts) suppressed() bool { return d.acc != nil && d.acc.EmailsUnsubscribedAt != nil }

// words fills a text's policy placeholders: {join}, {reminder},
// {lifetime}, {exemption}, {window} in the words read to a caller, so no
// text restates a policy value.
func (d *facts) words(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	return strings.NewReplacer(
		"{join}", Words(d.p.JoinOpens),
		"{reminder}", Words(d.p.ReminderLead),
		"{lifetime}", Words(d.p.ResetLinkLifetime),
		"{exemption}", Words(ExemptionLength),
		"{window}", Duration(d.p.RecentResetWindow),
	).Replace(s)
}

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
	code, title string // the title may hold policy placeholders (facts.words)
	rules       []string
	holds       func(d *facts, above []Finding) bool
	explain     func(d *facts) (evidence []string, steps []step)
	// retitle, when set, may name what this case is better than the
	// title does ("" keeps the title)
	retitle func(d *facts) string
}

func has(fs []Finding, code string) bool {
	for _, f := range fs {
		if f.Code == code {
			return true
		}
	}
	return false
}

// step is one thing the agent reads to the caller, with what it takes to
// be doable: an email from Headway arriving, or an action policy allows.
type step struct {
	text  string
	email bool                  // needs an email from Headway to arrive (R6)
	needs func(a Account) error // the policy check of what it suggests (model/actions.go)
}

// say makes plain steps.
func say(s ...string) []step {
	out := make([]step, len(s))
	for i, t := range s {
		out[i] = step{text: t}
	}
	return out
}

// byEmail is a step that needs an email from Headway.
func byEmail(s string) step { return step{text: s, email: true} }

// The remedies doable adds.
const (
	liftFirst    = "Once we have lifted the email suppression on your address"
	afterVerify  = "Once your email is verified"
	onlyIfFails  = "Only if that fails: "
	verifyFirst  = "Verify your email first: new accounts cannot sign in until they do. Open the verification email from Headway (look in spam, junk and Gmail's Promotions tab) and click its link; if it is not there, we send a new one now."
	nothingDoing = "(For the agent: no step is possible on this account: %s.)"
)

// doable turns steps into text that can be done on this account (DOMAIN
// §7, "the lead's steps must be doable"):
//   - a step whose action policy refuses is left out (CanSendReset,
//     CanResendVerification, CanGrantExemption say so, not this code);
//     refused only because emails are suppressed, it stays and says to
//     lift the suppression first, like every step that needs an email
//     from Headway (R6);
//   - on an unverified account, a finding ranked above email_unverified
//     ends with verifying the email first (R7), itself subject to the
//     rules above; its steps refused for it are left out, as
//     email_unverified, which holds too, says what to do;
//   - on an unverified account, a finding ranked below email_unverified
//     keeps its steps refused only for it (a reset, say): verifying the
//     email comes just before the first of them, and each says it waits
//     for the verification (R7), so the reset steps are not lost.
func (d *facts) doable(steps []step, aboveUnverified bool) []string {
	var out []string
	var refused []error
	verifyAt := -1 // where the verification goes, below email_unverified
	add := func(s step) {
		lift := s.email && d.suppressed()
		prefix := ""
		if s.needs != nil && d.acc != nil {
			err := s.needs(*d.acc)
			switch {
			case errors.Is(err, ErrUnverified) && !aboveUnverified:
				if verifyAt < 0 {
					verifyAt = len(out)
				}
				prefix = afterVerify
				lift = false // verifying lifts the suppression first
			case err != nil && !errors.Is(err, ErrSuppressed):
				refused = append(refused, err)
				return
			}
			lift = lift || errors.Is(err, ErrSuppressed)
		}
		text := d.words(s.text)
		if lift {
			text = when(liftFirst, text)
		}
		if prefix != "" {
			text = when(prefix, text)
		}
		out = append(out, text)
	}
	for _, s := range steps {
		add(s)
	}
	if verifyAt >= 0 {
		rest := append([]string(nil), out[verifyAt:]...)
		out = out[:verifyAt]
		add(step{text: verifyFirst, email: true, needs: CanResendVerification})
		out = append(out, rest...)
	} else if d.acc != nil && IsUnverified(*d.acc) && (aboveUnverified || anyIs(refused, ErrUnverified)) {
		add(step{text: verifyFirst, email: true, needs: CanResendVerification})
	}
	if len(out) == 0 && len(refused) > 0 {
		out = append(out, fmt.Sprintf(nothingDoing, refused[0]))
	}
	return out
}

// when puts a condition before a step: "Once …: step", or, where the
// step has a condition of its own, both in one sentence ("Once …, and
// only if that fails: step"), not two colons.
func when(cond, text string) string {
	if rest, ok := strings.CutPrefix(text, onlyIfFails); ok {
		return cond + ", and only if that fails: " + sentenceOn(rest)
	}
	return cond + ": " + sentenceOn(text)
}

// sentenceOn is text run on after a condition's colon: its first word
// in lower case ("…on your address: look for the email"), unless it is
// a name ("…: Gmail's Promotions tab") or an acronym.
func sentenceOn(text string) string {
	word, _, _ := strings.Cut(text, " ")
	if len(word) < 2 || word[0] < 'A' || word[0] > 'Z' || word[1] < 'a' || word[1] > 'z' || properNoun[strings.TrimRight(word, ".,:;'s")] {
		return text
	}
	return string(word[0]+'a'-'A') + text[1:]
}

// properNoun are the names a step may begin with.
var properNoun = map[string]bool{"Headway": true, "Gmail": true, "Google": true, "Chrome": true, "Safari": true,
	"Firefox": true, "Edge": true, "Apple": true, "Android": true, "Settings": true, "Sigmund": true, "Capital": true}

func anyIs(errs []error, target error) bool {
	for _, e := range errs {
		if errors.Is(e, target) {
			return true
		}
	}
	return false
}

// resetSteps are the reset instructions for the account's portal (R1,
// R2), doable only where policy allows a reset (CanSendReset).
func resetSteps(role string) []step {
	return resetStepsLed(role, "")
}

// resetStepsLed is resetSteps with a lead-in said as part of the first
// step ("Request one now: go to headway.co, …"), so the lead-in is not a
// numbered step of its own that only makes sense with the next one.
func resetStepsLed(role, lead string) []step {
	s := portalResetSteps(role)
	if lead != "" {
		first := s[0].text
		s[0].text = lead + " " + strings.ToLower(first[:1]) + first[1:]
	}
	return s
}

func portalResetSteps(role string) []step {
	if role == RoleProvider {
		return []step{
			{text: "Go to sigmund.headway.co, enter your email, then click \"Forgot your password\".", needs: CanSendReset},
			{text: "Open the email with the subject \"" + ProviderResetSubject + "\" and follow it to set a new password.", needs: CanSendReset, email: true},
		}
	}
	return []step{
		{text: "Go to headway.co, click Log in, then \"Forgot your password?\".", needs: CanSendReset},
		{text: "Enter the email on your Headway account and open the reset email we send.", needs: CanSendReset, email: true},
	}
}

// ProviderResetSubject is the subject of the provider reset email (rule R2).
const ProviderResetSubject = "Please Verify Your Headway Account"

// ResetEmailSubject is the subject a caller of this role looks for in a
// reset email, and whether the sources name one (rule R2: providers).
func ResetEmailSubject(role string) (string, bool) {
	if role == RoleProvider {
		return ProviderResetSubject, true
	}
	return "", false
}

// LoginFailed: a sign-in attempt that did not get the caller in. Screens
// flag these results; "no failed sign-in" is said only when there is none.
func LoginFailed(result string) bool {
	switch result {
	case LoginBadPassword, LoginMFAFailed, LoginBlocked, LoginUnverified:
		return true
	}
	return false
}

// WrongPortal: the attempt was made on the portal that does not match the
// account's role (P3, P4, P5).
func WrongPortal(role string, l Login) bool { return l.Portal != PortalFor(role) }

// latestLogin is the newest login, on portal when portal is not "";
// ties go to the later stored.
func latestLogin(logins []Login, portal string) *Login {
	return latestLoginWhere(logins, func(l *Login) bool { return portal == "" || l.Portal == portal })
}

func latestLoginWhere(logins []Login, keep func(*Login) bool) *Login {
	var best *Login
	for i := range logins {
		l := &logins[i]
		if !keep(l) {
			continue
		}
		if best == nil || !l.At.Before(*best.At) {
			best = l
		}
	}
	return best
}

// otherPortalEvidence is why the evidence shows the caller on the other
// portal (rung wrong_portal, whatever site the caller names), or "" when
// it does not. Of the failed (bad_password) sign-ins and the reset
// requests within 24 h, the latest one decides: it was on the portal that
// does not match the role, with no successful sign-in on the right portal
// after it (rule P5, revised 2026-12-07: evidence over the label, and a
// newer reset from the right portal outranks an older wrong attempt).
func (d *facts) otherPortalEvidence() string {
	a := d.acc
	right := PortalFor(a.Role)
	bad := latestLoginWhere(a.Logins, func(l *Login) bool {
		return l.Result == LoginBadPassword && d.within(*l.At, d.p.RecentSignInWindow)
	})
	var req *Reset
	for i := range a.Resets {
		r := &a.Resets[i]
		if r.RequestedAt != nil && d.within(*r.RequestedAt, d.p.RecentResetWindow) && (req == nil || !r.RequestedAt.Before(*req.RequestedAt)) {
			req = r
		}
	}
	var when time.Time
	var portal, why string
	switch {
	case req != nil && (bad == nil || !req.RequestedAt.Before(*bad.At)):
		// a reset in the same second as a failed sign-in came after it
		when, portal = *req.RequestedAt, req.Portal
		why = fmt.Sprintf("latest reset %s was requested %s on the %s portal", req.ID, d.ago(when), portal)
	case bad != nil:
		when, portal = *bad.At, bad.Portal
		why = fmt.Sprintf("latest failed sign-in %s was on the %s portal (wrong password)", d.ago(when), portal)
	default:
		return ""
	}
	if portal == "" || portal == right {
		return ""
	}
	okAfter := latestLoginWhere(a.Logins, func(l *Login) bool {
		return l.Portal == right && (l.Result == LoginOK || l.Result == LoginMFAOK) && l.At.After(when) && !l.At.After(d.now)
	})
	if okAfter != nil {
		return ""
	}
	return why + ", with no successful sign-in on the " + right + " portal since"
}

// supersededBy explains why a link older than the latest reset's is the
// one the caller used (R3), or returns "": another reset sent a link in
// the window before the latest's, or an older link was clicked after the
// latest was sent. Resets that sent nothing supersede nothing.
func (d *facts) supersededBy() string {
	resets, latest := d.acc.Resets, d.latest
	last := latest.SentTime()
	var near *Reset
	for i := range resets {
		r := &resets[i]
		if i == d.latestIdx || !r.WasSent() {
			continue
		}
		if t := r.SentTime(); !t.After(last) && !t.Before(last.Add(-d.p.RecentResetWindow)) && (near == nil || t.After(near.SentTime())) {
			near = r
		}
	}
	if near != nil {
		return fmt.Sprintf("earlier reset %s sent %s before it", near.ID, Duration(last.Sub(near.SentTime())))
	}
	if r := d.olderLinkOpened(); r != nil {
		return fmt.Sprintf("older reset %s was clicked %s, after the latest (%s) was sent", r.ID, d.ago(*r.ClickedAt), latest.ID)
	}
	return ""
}

// olderLinkOpened is an older reset whose link was opened after the
// latest was sent — a caller using a link that no longer works (rule R3:
// only the newest works) — or nil.
func (d *facts) olderLinkOpened() *Reset {
	if !d.hasLast || !d.latest.WasSent() {
		return nil
	}
	last := d.latest.SentTime()
	for i := range d.acc.Resets {
		r := &d.acc.Resets[i]
		if i != d.latestIdx && r.WasSent() && r.ClickedAt != nil && r.ClickedAt.After(last) {
			return r
		}
	}
	return nil
}

// failedSignIns says what the sign-ins on file show, on either portal,
// without contradicting itself: "no failed sign-in" only when there is
// none on either portal.
func (d *facts) failedSignIns() string {
	f := latestLoginWhere(d.acc.Logins, func(l *Login) bool { return LoginFailed(l.Result) })
	if f == nil {
		return "no failed sign-in on file, on either portal"
	}
	return fmt.Sprintf("latest failed sign-in %s on the %s portal: %s", d.ago(*f.At), f.Portal, f.Result)
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

// NextVisit is the earliest telehealth visit starting between JoinStaysOpen
// ago and VisitHorizon ahead, both ends included (T1), or nil.
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

// VisitWindow says the window NextVisit looks in: "from 1 h ago to 24 h
// ahead" (T1), not "the next 24 h".
func (p Policy) VisitWindow() string {
	return "from " + Duration(p.JoinStaysOpen) + " ago to " + Duration(p.VisitHorizon) + " ahead"
}

// InJoinWindow: from JoinOpens before the start (the Join button appears,
// at exactly that moment too) until JoinStaysOpen after it (T1).
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
	if d.hasType[FactorTOTP] && d.mfa(ProblemNo2FACode) {
		m = append(m, "the authenticator app (works offline)")
	}
	if d.hasType[FactorSecurityKey] {
		m = append(m, "the security key")
	}
	if d.hasType[FactorBiometric] && !d.r.OtherDevice && d.mfa(ProblemNo2FACode) {
		m = append(m, "Face ID or fingerprint on "+biometricDevices(d.acc))
	}
	return strings.Join(m, ", or ")
}

// factorPhone is the account's phone factor, as the reader may see it.
func (d *facts) factorPhone() string {
	for _, f := range d.acc.Factors {
		if f.Type == FactorPhone {
			return d.showPhone(f.Phone)
		}
	}
	return ""
}

// factors lists the enrolled methods, phones as the reader may see them.
func (d *facts) factors() string {
	if d.r.Reveal {
		return factorSummary(d.acc, FormatPhone)
	}
	return factorSummary(d.acc, MaskPhone)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
