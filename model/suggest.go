package model

import (
	"fmt"
	"time"
)

// Suggestion is what the account's own evidence says the caller is
// likely to answer, for the Diagnose interview to pre-select: the site
// and the problem, each with the evidence ("" when there is none and the
// default stands).
type Suggestion struct {
	Site, SiteWhy       string
	Problem, ProblemWhy string
}

// Suggest reads the account's recent sign-ins, resets and visits for what
// the caller will likely say (DOMAIN §7's evidence, P5: where they sign
// in is the commonest real problem, and the caller often does not know).
// The agent still asks: this only pre-selects.
func (p Policy) Suggest(acc *Account, now time.Time) Suggestion {
	s := Suggestion{Site: SiteUnknown, Problem: ProblemCantLogIn}
	if acc == nil {
		return s
	}
	d := newFacts(p, acc, Report{Site: SiteUnknown, Problem: ProblemCantLogIn}, now)
	// the site: a failed sign-in or a reset on the other portal (rule P5)
	if why := d.otherPortalEvidence(); why != "" {
		s.Site, s.SiteWhy = otherPortal(acc.Role), "from the sign-in history: "+why
	} else if l := d.lastLogin; l != nil && l.Portal != "" {
		s.Site, s.SiteWhy = l.Portal, fmt.Sprintf("from the sign-in history: the latest attempt, %s, was on the %s portal", d.ago(*l.At), l.Portal)
	}
	// the problem: the latest attempt, then the latest reset, then a visit
	switch l := d.lastLogin; {
	case l != nil && l.Result == LoginMFAFailed:
		s.Problem, s.ProblemWhy = ProblemNo2FACode, fmt.Sprintf("from the sign-in history: the latest attempt, %s, failed at the 2FA step", d.ago(*l.At))
		return s
	case l != nil && LoginFailed(l.Result):
		s.ProblemWhy = fmt.Sprintf("from the sign-in history: the latest attempt, %s, failed (%s)", d.ago(*l.At), l.Result)
		return s
	}
	if d.hasLast && d.within(*d.latest.RequestedAt, p.RecentResetWindow) {
		r := d.latest
		switch {
		case r.ClickedAt != nil && !r.WasUsed():
			s.Problem, s.ProblemWhy = ProblemResetLinkFailed, fmt.Sprintf("from the resets: %s's link was opened %s and not used", r.ID, d.ago(*r.ClickedAt))
		case d.olderLinkOpened() != nil && !r.WasUsed():
			// the caller is on an older link (rule R3), not missing the email
			o := d.olderLinkOpened()
			s.Problem, s.ProblemWhy = ProblemResetLinkFailed, fmt.Sprintf("from the resets: the older %s's link was opened %s, after %s was sent [R3]", o.ID, d.ago(*o.ClickedAt), r.ID)
		case !r.WasUsed():
			s.Problem, s.ProblemWhy = ProblemNoResetEmail, fmt.Sprintf("from the resets: %s was requested %s and not used", r.ID, d.ago(*r.RequestedAt))
		}
		if s.Problem != ProblemCantLogIn {
			return s
		}
	}
	if v := d.visit; v != nil && !v.StartsAt.After(now.Add(p.ReminderLead)) {
		s.Problem, s.ProblemWhy = ProblemCantJoinSession, fmt.Sprintf("from the visits: a telehealth visit %s %s", Starts(*v.StartsAt, now), d.ago(*v.StartsAt))
	}
	return s
}

// otherPortal is the site of the portal that does not match role.
func otherPortal(role string) string {
	if role == RoleProvider {
		return SitePatient
	}
	return SiteProvider
}

// SiteClues are the questions that tell the services and portals apart
// (rule P6): the last email from us, and the words on the page.
var SiteClues = []string{
	"Our last email: appointment reminders → Headway; application updates → careers; payments → Capital.",
	"The page: patient portal, headway.co → patient; provider portal, sigmund → provider; job application → careers; draws → Capital.",
}
