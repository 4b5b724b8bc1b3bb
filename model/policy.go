package model

import (
	"fmt"
	"time"
)

// Policy holds the time rules. The zero value is not useful: start from
// DefaultPolicy and change what the deployment configures.
type Policy struct {
	// ResetLinkLifetime: a reset link is expired this long after it was
	// sent; at exactly this age it still works (R8).
	ResetLinkLifetime time.Duration
	// RecentResetWindow is the look-back for "several requests" (R3).
	RecentResetWindow time.Duration
	// RecentSignInWindow is the look-back for "the latest sign-in attempt
	// within 24 h" (DOMAIN §7: login_blocked, wrong_portal, mfa_failed).
	RecentSignInWindow time.Duration
	// ResendCaution: a new reset within this long of the last one needs a
	// second confirmation, because it kills the link just sent (R3).
	ResendCaution time.Duration
	// RememberedDeviceLength is how long "Remember this device" lasts (M4).
	RememberedDeviceLength time.Duration
	// ReminderLead: the join-link reminder email goes out this long before a visit (T1).
	ReminderLead time.Duration
	// JoinOpens: the Join session button appears this long before the start (T1).
	JoinOpens time.Duration
	// JoinStaysOpen: how long after the start a visit still counts as joinable.
	JoinStaysOpen time.Duration
	// VisitHorizon: how far ahead an upcoming visit is looked for.
	VisitHorizon time.Duration
}

// DefaultPolicy is the policy of DOMAIN.md.
var DefaultPolicy = Policy{
	ResetLinkLifetime:      60 * time.Minute,
	RecentResetWindow:      24 * time.Hour,
	RecentSignInWindow:     24 * time.Hour,
	ResendCaution:          10 * time.Minute,
	RememberedDeviceLength: 30 * 24 * time.Hour,
	ReminderLead:           time.Hour,
	JoinOpens:              15 * time.Minute,
	JoinStaysOpen:          time.Hour,
	VisitHorizon:           24 * time.Hour,
}

// Starts is the verb for a visit's start at t, seen at now: "starts"
// ahead of it, "started" after ("started 33 min ago", not "starts").
func Starts(t, now time.Time) string {
	if t.After(now) {
		return "starts"
	}
	return "started"
}

// RelTime says when t is relative to now, in the words an agent reads
// out: "just now", "3 min ago", "in 2 h", "5 d ago".
func RelTime(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		s = fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 || h >= 10 {
			s = fmt.Sprintf("%d h", h)
		} else {
			s = fmt.Sprintf("%d h %d min", h, m)
		}
	default:
		s = fmt.Sprintf("%d d", int(d/(24*time.Hour)))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// Duration says how long d is, in the same words as RelTime ("6 d 23 h").
func Duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour: // as RelTime: "24 h", not "1 d"
		return joinUnits(int(d/time.Hour), "h", int(d%time.Hour/time.Minute), "min")
	}
	return joinUnits(int(d/(24*time.Hour)), "d", int(d%(24*time.Hour)/time.Hour), "h")
}

// joinUnits says "2 h" or "2 h 5 min": a zero second unit is left out.
func joinUnits(a int, au string, b int, bu string) string {
	if b == 0 {
		return fmt.Sprintf("%d %s", a, au)
	}
	return fmt.Sprintf("%d %s %d %s", a, au, b, bu)
}

// PortalHost is where an account of this role signs in (P3, P4).
func PortalHost(role string) string {
	if role == RoleProvider {
		return "sigmund.headway.co"
	}
	return "headway.co"
}

// PortalFor is the login portal that matches a role.
func PortalFor(role string) string {
	if role == RoleProvider {
		return PortalProvider
	}
	return PortalPatient
}
