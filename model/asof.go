package model

import (
	"slices"
	"time"
)

// AsOf is the account as it stood at now: what the platform recorded
// later has not happened yet for a diagnosis taken at now (DOMAIN §7: a
// diagnosis takes the account, the report and the time now). A sign-in,
// reset request, enrolment, remembered device, exemption or note dated
// after now is left out; a verification, unsubscribe or use dated after
// now is not yet set; a reset's send, delivery, click or use dated after
// now is undone, and its status with it. Without this, a diagnosis at an
// earlier now (a case replayed, a clock behind the platform's) led on a
// reset not yet requested as "the latest", and could say both that a
// reset was delivered and that none was requested.
//
// The account is not changed: the lists it returns are new where an
// entry was left out or changed. Appointments are kept: they are meant
// to lie ahead.
func AsOf(acc Account, now time.Time) Account {
	later := func(t *time.Time) bool { return t != nil && t.After(now) }
	if later(acc.EmailVerifiedAt) {
		acc.EmailVerifiedAt = nil
	}
	if later(acc.EmailsUnsubscribedAt) {
		acc.EmailsUnsubscribedAt = nil
	}
	if acc.MFAExemption != nil && later(acc.MFAExemption.GrantedAt) {
		acc.MFAExemption = nil
	}
	acc.Logins = keepUntil(acc.Logins, now, func(l Login) *time.Time { return l.At })
	acc.RememberedDevices = keepUntil(acc.RememberedDevices, now, func(d RememberedDevice) *time.Time { return d.RememberedAt })
	acc.Notes = keepUntil(acc.Notes, now, func(n Note) *time.Time { return n.At })
	acc.Factors = keepUntil(acc.Factors, now, func(f Factor) *time.Time { return f.EnrolledAt })
	if slices.ContainsFunc(acc.Factors, func(f Factor) bool { return later(f.UsedAt) || later(f.LastUsedAt) }) {
		fs := make([]Factor, len(acc.Factors))
		for i, f := range acc.Factors {
			if later(f.UsedAt) {
				f.UsedAt = nil
			}
			if later(f.LastUsedAt) {
				f.LastUsedAt = nil
			}
			fs[i] = f
		}
		acc.Factors = fs
	}
	acc.Resets = keepUntil(acc.Resets, now, func(r Reset) *time.Time { return r.RequestedAt })
	if slices.ContainsFunc(acc.Resets, func(r Reset) bool {
		return later(r.SentAt) || later(r.DeliveredAt) || later(r.ClickedAt) || later(r.UsedAt)
	}) {
		rs := make([]Reset, len(acc.Resets))
		for i, r := range acc.Resets {
			rs[i] = resetAsOf(r, now)
		}
		acc.Resets = rs
	}
	return acc
}

// resetStage orders a reset's stored statuses by how far its email got;
// a status without a time of its own (expired, superseded: labels for a
// link that was sent) ranks as sent.
var resetStage = map[string]int{
	ResetRequested: 0, ResetSuppressed: 0,
	ResetSent: 1, ResetExpired: 1, ResetSuperseded: 1,
	ResetDelivered: 2, ResetBounced: 2,
	ResetClicked: 3,
	ResetUsed:    4,
}

// resetAsOf undoes what happened to one reset after now: its times
// dated later are cleared, and a status further on than the times left
// support goes back to the furthest they do (a link used after now is,
// at now, delivered if it was, or sent).
func resetAsOf(r Reset, now time.Time) Reset {
	sentByStatus := r.SentAt == nil && r.WasSent() // sent at requested_at (DOMAIN §7)
	cleared := false
	for _, t := range []**time.Time{&r.SentAt, &r.DeliveredAt, &r.ClickedAt, &r.UsedAt} {
		if *t != nil && (*t).After(now) {
			*t, cleared = nil, true
		}
	}
	stage, known := resetStage[r.Status]
	if !cleared || !known {
		return r
	}
	reached := 0
	switch {
	case r.UsedAt != nil:
		reached = 4
	case r.ClickedAt != nil:
		reached = 3
	case r.DeliveredAt != nil:
		reached = 2
	case r.SentAt != nil || sentByStatus:
		reached = 1
	}
	if stage > reached {
		r.Status = [...]string{ResetRequested, ResetSent, ResetDelivered, ResetClicked, ResetUsed}[reached]
	}
	return r
}

// keepUntil is list without the entries dated after now, the list
// itself when there are none. An entry without a date is kept.
func keepUntil[T any](list []T, now time.Time, at func(T) *time.Time) []T {
	later := func(e T) bool { t := at(e); return t != nil && t.After(now) }
	if !slices.ContainsFunc(list, later) {
		return list
	}
	return slices.DeleteFunc(slices.Clone(list), later)
}
