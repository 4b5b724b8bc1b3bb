package model

import (
	"slices"
	"time"
)

// States of an action the console took, until the platform confirms it
// (rule S6).
const (
	PendingQueued    = "pending"   // its command waits in the outbox
	PendingDelivered = "delivered" // the platform took the command; no snapshot shows it yet
	PendingFailed    = "failed"    // the command is dead: the caller was not helped
)

// Pending is an action taken in the console that the platform has not
// confirmed yet (rule S6). It carries what the action changed, so that a
// snapshot which does not reflect it yet does not hide it: the change is
// laid over the snapshot again until one does.
type Pending struct {
	Message   uint64     `json:"message"` // outbox id of its command
	Action    string     `json:"action"`
	At        time.Time  `json:"at"`
	By        string     `json:"by"`
	State     string     `json:"state"`
	Reset     *Reset     `json:"reset,omitempty"`     // send_password_reset: the reset requested
	Exemption *Exemption `json:"exemption,omitempty"` // grant: the one granted; revoke: the one revoked, as it was
	Removed   []string   `json:"removed,omitempty"`   // factor or device ids removed
}

// PendingFor is what the platform must confirm of an action that turned
// before into after (rule S6). Actions whose commands change nothing the
// mirror shows (resend verification, issue a recovery code) are still
// pending until delivered.
func PendingFor(action string, before, after Account, at time.Time, by string) Pending {
	p := Pending{Action: action, At: at.UTC(), By: by, State: PendingQueued}
	switch action {
	case ActSendReset:
		for i := range after.Resets {
			if !hasReset(before, after.Resets[i].ID) {
				r := after.Resets[i]
				p.Reset = &r
			}
		}
	case ActGrantExemption:
		p.Exemption = after.MFAExemption
	case ActRevokeExemption:
		p.Exemption = before.MFAExemption
	case ActRemoveFactor:
		for _, f := range before.Factors {
			if !slices.ContainsFunc(after.Factors, func(g Factor) bool { return g.ID == f.ID }) {
				p.Removed = append(p.Removed, f.ID)
			}
		}
	case ActForgetDevices:
		for _, d := range before.RememberedDevices {
			if !slices.ContainsFunc(after.RememberedDevices, func(e RememberedDevice) bool { return e.ID == d.ID }) {
				p.Removed = append(p.Removed, d.ID)
			}
		}
	}
	return p
}

// Reflected says whether a snapshot of the account shows the action
// done (rule S6).
func (p Pending) Reflected(a Account) bool {
	switch p.Action {
	case ActSendReset:
		return p.Reset == nil || slices.ContainsFunc(a.Resets, func(r Reset) bool {
			return r.ID == p.Reset.ID || (r.RequestedAt != nil && !r.RequestedAt.Before(p.At))
		})
	case ActLiftSuppression:
		return a.EmailsUnsubscribedAt == nil || a.EmailsUnsubscribedAt.After(p.At)
	case ActGrantExemption:
		x := a.MFAExemption
		return x != nil && x.GrantedAt != nil && !x.GrantedAt.Before(p.At.Truncate(time.Second))
	case ActRevokeExemption:
		x, was := a.MFAExemption, p.Exemption
		return x == nil || was == nil || x.GrantedAt == nil || was.GrantedAt == nil ||
			!x.GrantedAt.Equal(*was.GrantedAt) || (x.ExpiresAt != nil && was.ExpiresAt != nil && x.ExpiresAt.Before(*was.ExpiresAt))
	case ActRemoveFactor:
		return !slices.ContainsFunc(a.Factors, func(f Factor) bool { return slices.Contains(p.Removed, f.ID) })
	case ActForgetDevices:
		return !slices.ContainsFunc(a.RememberedDevices, func(d RememberedDevice) bool { return slices.Contains(p.Removed, d.ID) })
	case ActIssueRecoveryCode:
		return slices.ContainsFunc(a.Factors, func(f Factor) bool {
			return f.Type == FactorRecoveryCode && f.EnrolledAt != nil && !f.EnrolledAt.Before(p.At.Truncate(time.Second))
		})
	}
	return true // resend verification: nothing to see; delivered is confirmed
}

// reapply lays the action's change over a snapshot that does not show it.
func (p Pending) reapply(a *Account) {
	switch p.Action {
	case ActSendReset:
		if p.Reset != nil {
			a.Resets = append(a.Resets, *p.Reset)
		}
	case ActLiftSuppression:
		a.EmailsUnsubscribedAt = nil
	case ActGrantExemption:
		a.MFAExemption = p.Exemption
	case ActRevokeExemption:
		if ExemptionActive(a.MFAExemption, p.At) {
			a.MFAExemption = nil // as RevokeExemption: gone, not cut short
		}
	case ActRemoveFactor:
		a.Factors = slices.DeleteFunc(a.Factors, func(f Factor) bool { return slices.Contains(p.Removed, f.ID) })
	case ActForgetDevices:
		a.RememberedDevices = slices.DeleteFunc(a.RememberedDevices, func(d RememberedDevice) bool { return slices.Contains(p.Removed, d.ID) })
	}
}

// Reconcile lays a new snapshot of the account over the console's
// pending actions (rule S6): an action the platform took (delivered) and
// the snapshot reflects is confirmed and dropped; one not reflected yet
// is laid over the snapshot again, so the agent still sees it; a failed
// one is kept to show, but not laid over (the platform never did it).
func Reconcile(snapshot *Account, pending []Pending) []Pending {
	var keep []Pending
	for i, p := range pending {
		// a grant revoked since shows as no exemption, the same as one
		// never taken: laid back on the snapshot it made the revoke look
		// undone, and both waited for good (review)
		reflected := p.Reflected(*snapshot) || undoneLater(p, pending[i+1:])
		switch {
		case p.State == PendingDelivered && reflected:
			continue
		case p.State == PendingFailed:
		case !reflected:
			p.reapply(snapshot)
		}
		keep = append(keep, p)
	}
	return keep
}

// undoneLater: a later pending action undoes p (an exemption granted,
// then revoked), so a snapshot without p's effect reflects both.
func undoneLater(p Pending, later []Pending) bool {
	return p.Action == ActGrantExemption && slices.ContainsFunc(later, func(q Pending) bool { return q.Action == ActRevokeExemption })
}

// PendingLabels is what a screen says of each of an account's pending
// actions, oldest first. One queued after a failed one waits for it
// (rule S8: one account's messages go in the order queued, and a dead
// one holds the rest until on-call retries it or lets it go), and says
// so rather than "queued", which read as on its way.
func PendingLabels(ps []Pending) []string {
	out := make([]string, len(ps))
	failed := false
	for i, p := range ps {
		switch {
		case p.State == PendingFailed:
			out[i] = "FAILED: the platform never took it; the caller was not helped. Tell on-call (frontdoor outbox retry) or take the action again."
			failed = true
		case p.State == PendingDelivered:
			out[i] = "sent to the platform; waiting for it to show"
		case failed:
			out[i] = "held: it goes after the failed action above, once on-call retries that or lets it go (S8)"
		default:
			out[i] = "queued for the platform"
		}
	}
	return out
}
