package model

import (
	"fmt"
	"slices"
	"time"
)

// Conflict is why the diagnosis says an action is wrong on this account
// now. The agent may still take it, after confirming, and the override
// is audited with their reason (issue 12: actions check the diagnosis).
type Conflict struct {
	Code string // the finding, or the fact, that stands against it
	Rule string
	Why  string // what to tell the agent
}

// wrongWith: the findings that say an action is wrong while they hold.
var wrongWith = map[string][]Conflict{
	ActSendReset: {
		{"wrong_portal", "P5", "the caller is on the other portal: their password may be fine; confirm the portal before any reset"},
		{"other_service_careers", "P1", "the caller is on Headway careers: a reset here does nothing for that account"},
		{"other_service_capital", "P1", "the caller is on Headway Capital: a reset here does nothing for that account"},
		{"login_blocked", "R5", "the platform is blocking the sign-in: no reset helps"},
		{"login_email_changed", "P4", "the caller gave an old address: the reset goes to the current one"},
	},
	ActResendVerification: {
		{"emails_suppressed", "R6", "emails are suppressed: the verification email cannot arrive until the suppression is lifted"},
	},
	ActGrantExemption: {
		{"mfa_recovery_code", "M8", "the caller has an unused recovery code: they can sign in with it"},
		{"mfa_use_other_factor", "M2", "the caller has another method that works"},
		{"mfa_exemption_active", "M7", "an exemption is active already"},
	},
}

// ActionConflicts says what in findings, or in the account's resets,
// stands against taking action now: a reset while the diagnosis says the
// portal is wrong, a new reset while a link delivered under the link
// lifetime is still live (it would kill that link, R3), a verification
// email while emails are suppressed, an exemption when another way in
// works. Policy's own refusals are not here: those actions are refused.
func (p Policy) ActionConflicts(action string, a Account, findings []Finding, now time.Time) []Conflict {
	var out []Conflict
	for _, c := range wrongWith[action] {
		if slices.ContainsFunc(findings, func(f Finding) bool { return f.Code == c.Code }) {
			out = append(out, c)
		}
	}
	if action == ActSendReset {
		states := p.ResetStates(a.Resets, now)
		for i, st := range states {
			if r := a.Resets[i]; st.Live && r.WasDelivered() && !p.LinkExpired(r, now) {
				out = append(out, Conflict{"live_link", "R3", fmt.Sprintf("reset %s's link, delivered %s, still works until %s: a new reset kills it",
					r.ID, RelTime(deliveredAt(r), now), CallerTime(p.LinkExpiry(r), now, a.USState))})
			}
		}
	}
	return out
}

func deliveredAt(r Reset) time.Time {
	if r.DeliveredAt != nil {
		return *r.DeliveredAt
	}
	return r.SentTime()
}
