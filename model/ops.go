package model

import (
	"slices"
	"strings"
	"time"
)

// MaySeeOps says whether a role may open the Ops screen: the server's
// sessions, latency, backlog and today's findings are engineering's and
// the admins' view (DESIGN §3: engineer "store and session stats").
func MaySeeOps(role string) bool { return role == RoleEngineer || role == RoleAdmin }

// LedWith is one audited diagnosis: when, and the finding it led with.
type LedWith struct {
	At   time.Time
	Code string
	// Call groups the diagnoses of one call: the Diagnose screen audits
	// every report the agent picks (each site or problem key), and all of
	// one visit to it for one address share a Call. "": a call of its own.
	Call string
}

// LeadCount is how many diagnoses led with one finding: in the last hour,
// today (since midnight where counted) and in the last seven days.
type LeadCount struct {
	Code              string
	Hour, Today, Week int
	// Spike: the last hour had at least SpikeMin such diagnoses and at
	// least SpikeFactor times its hourly average over the rest of the week
	// (an email provider's incident shows as emails_suppressed within the hour).
	Spike bool
}

// The spike rule (LeadCount.Spike).
const (
	SpikeMin    = 3
	SpikeFactor = 3
)

// LeadWeek is how far back CountLeads looks.
const LeadWeek = 7 * 24 * time.Hour

// CountLeads counts, per finding code, the diagnoses of ds that led with
// it, up to now: in the last hour, since midnight in loc, and in the last
// seven days. A call counts once, with its last diagnosis up to now (the
// answer the agent ended on; three keys pressed in one call are one
// diagnosis, not three). Most today first, then most this week, then
// ladder order (DOMAIN §7); a code the ladder does not know goes last.
func CountLeads(ds []LedWith, now time.Time, loc *time.Location) []LeadCount {
	if loc == nil {
		loc = time.UTC
	}
	n := now.In(loc)
	midnight := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	hourAgo, weekAgo := now.Add(-time.Hour), now.Add(-LeadWeek)
	last := map[string]int{} // a call's last diagnosis up to now (ties: the later in ds)
	for i, d := range ds {
		if d.Call == "" || d.At.After(now) {
			continue
		}
		if j, ok := last[d.Call]; !ok || !d.At.Before(ds[j].At) {
			last[d.Call] = i
		}
	}
	by := map[string]*LeadCount{}
	for i, d := range ds {
		if d.At.After(now) || !d.At.After(weekAgo) {
			continue
		}
		if d.Call != "" && last[d.Call] != i {
			continue
		}
		c := by[d.Code]
		if c == nil {
			c = &LeadCount{Code: d.Code}
			by[d.Code] = c
		}
		c.Week++
		if !d.At.Before(midnight) {
			c.Today++
		}
		if d.At.After(hourAgo) {
			c.Hour++
		}
	}
	order := map[string]int{}
	for i, code := range Codes() {
		order[code] = i
	}
	rank := func(code string) int {
		if i, ok := order[code]; ok {
			return i
		}
		return len(order)
	}
	out := make([]LeadCount, 0, len(by))
	for _, c := range by {
		restPerHour := float64(c.Week-c.Hour) / (LeadWeek.Hours() - 1)
		c.Spike = c.Hour >= SpikeMin && float64(c.Hour) >= SpikeFactor*restPerHour
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b LeadCount) int {
		switch {
		case a.Today != b.Today:
			return b.Today - a.Today
		case a.Week != b.Week:
			return b.Week - a.Week
		case rank(a.Code) != rank(b.Code):
			return rank(a.Code) - rank(b.Code)
		}
		return strings.Compare(a.Code, b.Code)
	})
	return out
}
