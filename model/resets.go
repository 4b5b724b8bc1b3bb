package model

import (
	"fmt"
	"slices"
	"time"
)

// The reset lifecycle (R1–R8). Facts about one reset come from its times
// and its stored status; the effective status adds what time and newer
// requests say.

// SentTime is when the link went out: sent_at, or requested_at where the
// upstream system did not record a send time (DOMAIN §7).
func (r Reset) SentTime() time.Time {
	if r.SentAt != nil {
		return *r.SentAt
	}
	return *r.RequestedAt
}

// WasDelivered: the email reached the mailbox at some point.
func (r Reset) WasDelivered() bool { return r.DeliveredAt != nil || r.Status == ResetDelivered }

// WasUsed: the link was used to set a password.
func (r Reset) WasUsed() bool { return r.UsedAt != nil || r.Status == ResetUsed }

// WasSent: the reset "sent a link" (DOMAIN §7): it has sent_at, or a
// stored status that means an email left (sent, delivered, bounced,
// clicked, used, expired, superseded; its sent time is then requested_at).
// A requested or suppressed reset without sent_at sent nothing (R6): no
// link of its can expire, be used, or supersede another.
func (r Reset) WasSent() bool {
	switch r.Status {
	case ResetRequested, ResetSuppressed:
		return r.SentAt != nil
	}
	return true
}

// ResetsByRequest returns the resets oldest request first (stable for ties).
func ResetsByRequest(resets []Reset) []Reset {
	s := slices.Clone(resets)
	slices.SortStableFunc(s, func(a, b Reset) int { return a.RequestedAt.Compare(*b.RequestedAt) })
	return s
}

// LatestReset is the reset requested last (R3: only its link works).
func LatestReset(resets []Reset) (Reset, bool) {
	if len(resets) == 0 {
		return Reset{}, false
	}
	s := ResetsByRequest(resets)
	return s[len(s)-1], true
}

// ResetsRequestedWithin counts requests in [now-window, now].
func ResetsRequestedWithin(resets []Reset, now time.Time, window time.Duration) int {
	n := 0
	for _, r := range resets {
		if !r.RequestedAt.After(now) && !r.RequestedAt.Before(now.Add(-window)) {
			n++
		}
	}
	return n
}

// LinkExpired: the reset sent a link, longer ago than the lifetime; at
// exactly the lifetime it still works (R8). A reset that sent nothing has
// no link to expire.
func (p Policy) LinkExpired(r Reset, now time.Time) bool {
	return r.WasSent() && now.Sub(r.SentTime()) > p.ResetLinkLifetime
}

// ResetState is a reset's effective status with the reason for it.
type ResetState struct {
	Status string // one of the Reset* statuses
	Live   bool   // this is the one link that works now
	Rule   string // the rule that explains the status
	// Replaced: live, but a newer request is on its way: this link works
	// until that email arrives, then stops (R3).
	Replaced bool
	// OnItsWay: the latest request, nothing sent yet: its email will
	// be the one link that works (R3).
	OnItsWay bool
}

// Mark is what a list of resets says beside this one, for the agent to
// tell the caller: the live link, and whether a new one is on its way.
func (st ResetState) Mark() string {
	switch {
	case st.Live && st.Replaced:
		return "● works until the new link arrives"
	case st.Live:
		return "● live link"
	case st.OnItsWay:
		return "→ new link on its way"
	}
	return ""
}

// replacing marks the request on its way, if the latest reset is one,
// and the live link it will replace (R3: the newest email's link is the
// only one that works; until it is sent, the old link still does).
func replacing(resets []Reset, out []ResetState) {
	last := -1
	for i, r := range resets {
		if last < 0 || !r.RequestedAt.Before(*resets[last].RequestedAt) {
			last = i
		}
	}
	if last < 0 || out[last].Status != ResetRequested {
		return
	}
	out[last].OnItsWay = true
	for i := range out {
		if out[i].Live {
			out[i].Replaced = true
		}
	}
}

// newestLink is the index of the reset whose link is the newest: the one
// requested last among those that sent a link, ties broken by stored
// order (the later wins), so two resets in the same second still leave
// one newest. -1 when none sent a link.
func newestLink(resets []Reset) int {
	best := -1
	for i, r := range resets {
		if r.WasSent() && (best < 0 || !r.RequestedAt.Before(*resets[best].RequestedAt)) {
			best = i
		}
	}
	return best
}

// ResetStates derives the effective status of every reset, in the order
// given. Precedence: used, suppressed, bounced, superseded (R3: a newer
// reset sent a link), expired (R8), clicked, delivered, sent, requested.
// At most one link is live: only the newest link can be (newestLink).
func (p Policy) ResetStates(resets []Reset, now time.Time) []ResetState {
	newest := newestLink(resets)
	out := make([]ResetState, len(resets))
	for i, r := range resets {
		superseded := newest >= 0 && i != newest && r.WasSent()
		st := ResetState{}
		switch {
		case r.WasUsed():
			st = ResetState{Status: ResetUsed, Rule: "R3"}
		case r.Status == ResetSuppressed:
			st = ResetState{Status: ResetSuppressed, Rule: "R6"}
		case r.Status == ResetBounced:
			st = ResetState{Status: ResetBounced, Rule: "R5"}
		case superseded || r.Status == ResetSuperseded:
			st = ResetState{Status: ResetSuperseded, Rule: "R3"}
		case r.Status == ResetExpired || p.LinkExpired(r, now):
			st = ResetState{Status: ResetExpired, Rule: "R8"}
		case r.ClickedAt != nil:
			st = ResetState{Status: ResetClicked, Rule: "R3", Live: true}
		case r.WasDelivered():
			st = ResetState{Status: ResetDelivered, Rule: "R4", Live: true}
		case r.WasSent():
			st = ResetState{Status: ResetSent, Rule: "R4", Live: true}
		default:
			st = ResetState{Status: ResetRequested, Rule: "R1"}
		}
		out[i] = st
	}
	replacing(resets, out)
	return out
}

// LinkExpiry is when a reset's link stops working (R8).
func (p Policy) LinkExpiry(r Reset) time.Time { return r.SentTime().Add(p.ResetLinkLifetime) }

// ResetWarnings are what an agent must know before acting on resets:
// suppressed emails (R6), several requests in the window (R3), an
// unverified account (R7), a bounced address.
func (p Policy) ResetWarnings(a Account, now time.Time) []Risk {
	var w []Risk
	if a.EmailsUnsubscribedAt != nil {
		w = append(w, Risk{"R6", "Emails suppressed since " + RelTime(*a.EmailsUnsubscribedAt, now) + ": nothing can arrive until the suppression is lifted"})
	}
	if states := p.ResetStates(a.Resets, now); slices.ContainsFunc(states, func(st ResetState) bool { return st.Replaced }) {
		w = append(w, Risk{"R3", "Tell the caller: a new link is on its way; the old one works until it arrives, then stops. Use only the newest email's link"})
	} else if n := ResetsRequestedWithin(a.Resets, now, p.RecentResetWindow); n >= 2 {
		w = append(w, Risk{"R3", fmt.Sprintf("%d requests in %s: only the newest link works; ask for one at a time", n, Duration(p.RecentResetWindow))})
	}
	if IsUnverified(a) {
		w = append(w, Risk{"R7", "Email not verified: resend the verification email before any reset"})
	}
	for _, r := range a.Resets {
		if r.Status == ResetBounced {
			w = append(w, Risk{"R5", "A reset bounced: check the address is right and the mailbox exists"})
			break
		}
	}
	return w
}

// TimelineStep is one line of a reset's story on the Resets screen.
type TimelineStep struct {
	Label string     // "requested", "sent", "delivered" …
	At    *time.Time // when it happened; nil when the step has no time
	Text  string     // said instead of a time, e.g. "nothing sent"
	Note  string     // what it means, with its rule
}

// ResetTimeline tells one reset's story, oldest step first, given its
// effective state (from ResetStates): what the platform recorded, then
// what time and newer requests made of it.
func (p Policy) ResetTimeline(r Reset, st ResetState, now time.Time) []TimelineStep {
	steps := []TimelineStep{{Label: "requested", At: r.RequestedAt}}
	add := func(s TimelineStep) { steps = append(steps, s) }
	switch {
	case r.Status == ResetSuppressed && r.SentAt == nil:
		add(TimelineStep{Label: "suppressed", Text: "nothing sent", Note: "address unsubscribed (R6)"})
	case r.Status == ResetRequested && r.SentAt == nil && st.OnItsWay:
		add(TimelineStep{Label: "not sent", Text: "on its way", Note: "once it arrives, only its link works (R3)"})
	case r.Status == ResetRequested && r.SentAt == nil:
		add(TimelineStep{Label: "not sent", Text: "no email yet", Note: "a request that sent nothing has no link (R6)"})
	case r.SentAt != nil:
		add(TimelineStep{Label: "sent", At: r.SentAt})
	}
	if r.Status == ResetBounced {
		add(TimelineStep{Label: "bounced", Note: "the mailbox refused it"})
	}
	if r.DeliveredAt != nil {
		add(TimelineStep{Label: "delivered", At: r.DeliveredAt, Note: "look in spam/Promotions if not seen (R4)"})
	}
	if r.ClickedAt != nil {
		add(TimelineStep{Label: "clicked", At: r.ClickedAt})
	}
	if r.UsedAt != nil {
		add(TimelineStep{Label: "used", At: r.UsedAt, Note: "password was set"})
	}
	switch st.Status {
	case ResetExpired:
		if p.LinkExpired(r, now) {
			exp := p.LinkExpiry(r)
			add(TimelineStep{Label: "expired", At: &exp, Note: "older than " + Duration(p.ResetLinkLifetime) + " (R8)"})
		} else {
			add(TimelineStep{Label: "expired", Note: "per the platform"})
		}
	case ResetSuperseded:
		add(TimelineStep{Label: "superseded", Note: "a newer link cancelled this one (R3)"})
	}
	if st.Live {
		add(TimelineStep{Label: "works for", Text: Duration(p.LinkExpiry(r).Sub(now)) + " more", Note: "(R8)"})
	}
	if st.Replaced {
		add(TimelineStep{Label: "then", Text: "stops", Note: "once the newer request's email arrives (R3)"})
	}
	return steps
}
