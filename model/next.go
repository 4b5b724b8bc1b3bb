package model

import (
	"slices"
	"time"
)

// What the Account screen offers, besides the actions (Act…): the
// screens it opens.
const (
	NextDiagnose = "diagnose"
	NextResets   = "resets"
	NextTwoFA    = "2fa"
)

// leadAction is the action each finding's steps lead to, where they lead
// to one the console takes or a screen it opens.
var leadAction = map[string]string{
	"email_unverified":      ActResendVerification, // R7
	"emails_suppressed":     ActLiftSuppression,    // R6
	"reset_held_back":       ActSendReset,          // R6: lifted since; a new reset
	"reset_link_expired":    ActSendReset,          // R8
	"reset_link_used":       ActSendReset,          // R3
	"reset_not_requested":   ActSendReset,          // R1
	"bad_password":          ActSendReset,          // R1
	"reset_bounced":         NextResets,            // R5
	"reset_link_superseded": NextResets,            // R3
	"reset_filtered":        NextResets,            // R4
	"too_many_resets":       NextResets,            // R3
}

// NextActions orders what the Account screen offers by what this account
// needs now, so the footer shows it first however narrow the window:
// the lead finding's action first (lead is its code, "" for none);
// before an email action, what it waits for (lifting the suppression,
// R6; verifying the email, R7); then the usual order. Lifting and
// verification are offered only where they apply; a 2FA finding puts
// the 2FA screen first.
func (p Policy) NextActions(a Account, lead string, now time.Time) []string {
	var out []string
	add := func(ids ...string) {
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	first := leadAction[lead]
	if first == "" && len(lead) > 4 && lead[:4] == "mfa_" {
		first = NextTwoFA
	}
	suppressed := a.EmailsUnsubscribedAt != nil
	unverified := IsUnverified(a) && accountOpen(a) == nil
	switch first {
	case ActSendReset, ActResendVerification:
		if suppressed {
			add(ActLiftSuppression) // R6: nothing arrives before
		}
		if first == ActSendReset && unverified {
			add(ActResendVerification) // R7
		}
	}
	if first != "" {
		add(first)
	}
	if suppressed {
		add(ActLiftSuppression)
	}
	if unverified {
		add(ActResendVerification)
	}
	add(NextDiagnose, ActSendReset, NextResets, NextTwoFA, ActAddNote)
	return out
}
