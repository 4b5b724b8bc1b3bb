package model

import "time"

// Shift moves every time on the account by d. The demo set uses it to
// stay current: its visits and reset links are relative to "now".
func (a *Account) Shift(d time.Duration) {
	mv := func(ts ...*time.Time) {
		for _, t := range ts {
			if t != nil {
				*t = t.Add(d)
			}
		}
	}
	mv(a.CreatedAt, a.EmailVerifiedAt, a.EmailsUnsubscribedAt)
	for i := range a.Factors {
		f := &a.Factors[i]
		mv(f.EnrolledAt, f.LastUsedAt, f.UsedAt)
	}
	for i := range a.RememberedDevices {
		mv(a.RememberedDevices[i].RememberedAt)
	}
	if x := a.MFAExemption; x != nil {
		mv(x.GrantedAt, x.ExpiresAt)
	}
	for i := range a.Logins {
		mv(a.Logins[i].At)
	}
	for i := range a.Resets {
		r := &a.Resets[i]
		mv(r.RequestedAt, r.SentAt, r.DeliveredAt, r.ClickedAt, r.UsedAt)
	}
	for i := range a.Appointments {
		mv(a.Appointments[i].StartsAt)
	}
	for i := range a.Notes {
		mv(a.Notes[i].At)
	}
}
