package model

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // the zone database travels with the binary: CallerTime must not depend on the host
)

// The caller's clock (DOMAIN §7): a time read to a caller is in the time
// zone of the account's us_state, on a 12-hour clock with the zone's
// abbreviation, and with the date when it is not today there. Relative
// times ("3 h ago") are for the agent and stay relative; audit records and
// --json times stay RFC 3339 UTC.

// stateZones maps a USPS state or territory code to its time zone. A state
// that spans zones has its most populous one.
var stateZones = map[string]string{
	// Eastern
	"CT": "America/New_York", "DC": "America/New_York", "DE": "America/New_York", "FL": "America/New_York",
	"GA": "America/New_York", "KY": "America/New_York", "MA": "America/New_York", "MD": "America/New_York",
	"ME": "America/New_York", "NC": "America/New_York", "NH": "America/New_York", "NJ": "America/New_York",
	"NY": "America/New_York", "OH": "America/New_York", "PA": "America/New_York", "RI": "America/New_York",
	"SC": "America/New_York", "VA": "America/New_York", "VT": "America/New_York", "WV": "America/New_York",
	"MI": "America/Detroit", "IN": "America/Indiana/Indianapolis",
	// Central
	"AL": "America/Chicago", "AR": "America/Chicago", "IA": "America/Chicago", "IL": "America/Chicago",
	"KS": "America/Chicago", "LA": "America/Chicago", "MN": "America/Chicago", "MO": "America/Chicago",
	"MS": "America/Chicago", "ND": "America/Chicago", "NE": "America/Chicago", "OK": "America/Chicago",
	"SD": "America/Chicago", "TN": "America/Chicago", "TX": "America/Chicago", "WI": "America/Chicago",
	// Mountain (Arizona keeps standard time all year)
	"CO": "America/Denver", "MT": "America/Denver", "NM": "America/Denver", "UT": "America/Denver",
	"WY": "America/Denver", "ID": "America/Boise", "AZ": "America/Phoenix",
	// Pacific, Alaska, Hawaii
	"CA": "America/Los_Angeles", "NV": "America/Los_Angeles", "OR": "America/Los_Angeles", "WA": "America/Los_Angeles",
	"AK": "America/Anchorage", "HI": "Pacific/Honolulu",
	// territories
	"PR": "America/Puerto_Rico", "VI": "America/St_Thomas", "GU": "Pacific/Guam", "MP": "Pacific/Saipan",
	"AS": "Pacific/Pago_Pago",
}

// DefaultZone is the zone of an account without a state: Eastern.
const DefaultZone = "America/New_York"

// StateZone is the time zone of a USPS state or territory code; an empty
// or unknown code gets Eastern (DefaultZone).
func StateZone(state string) *time.Location {
	name, ok := stateZones[strings.ToUpper(strings.TrimSpace(state))]
	if !ok {
		name = DefaultZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil { // cannot happen: time/tzdata is embedded
		panic(fmt.Sprintf("model: zone %s: %v", name, err))
	}
	return loc
}

// CallerTime says t as a caller in usState reads a clock: "3:00 PM EST"
// when it is today there, "Thu Nov 21, 9:30 AM PST" when it is not (and
// the year too when that differs).
func CallerTime(t, now time.Time, usState string) string {
	loc := StateZone(usState)
	lt, ln := t.In(loc), now.In(loc)
	ty, tm, td := lt.Date()
	ny, nm, nd := ln.Date()
	switch {
	case ty == ny && tm == nm && td == nd:
		return lt.Format("3:04 PM MST")
	case ty == ny:
		return lt.Format("Mon Jan 2, 3:04 PM MST")
	}
	return lt.Format("Mon Jan 2 2006, 3:04 PM MST")
}

// Words says a policy duration in the words read to a caller: "15
// minutes", "1 hour", "60 minutes" stays "1 hour", "7 days", "1 day 2
// hours". Screens and steps derive every duration they say from the
// Policy through it (or Duration, for the agent's short form), so the
// words follow the configuration.
func Words(d time.Duration) string {
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	both := func(a int, au string, b int, bu string) string {
		if b == 0 {
			return unit(a, au)
		}
		return unit(a, au) + " " + unit(b, bu)
	}
	switch {
	case d < time.Minute:
		return unit(int(d/time.Second), "second")
	case d < time.Hour:
		return unit(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return both(int(d/time.Hour), "hour", int(d%time.Hour/time.Minute), "minute")
	}
	return both(int(d/(24*time.Hour)), "day", int(d%(24*time.Hour)/time.Hour), "hour")
}
