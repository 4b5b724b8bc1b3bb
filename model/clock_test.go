package model

import (
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestCallerTime: the caller's zone by us_state, 12-hour clock, zone
// abbreviation, the date when it is not today there (DOMAIN §7).
func TestCallerTime(t *testing.T) {
	for _, c := range []struct {
		name, at, now, state, want string
	}{
		// Sunday Nov 1 2026: clocks fall back at 2 AM; 1:30 AM happens twice
		{"New York, before the change", "2026-11-01T05:30:00Z", "2026-11-01T12:00:00Z", "NY", "1:30 AM EDT"},
		{"New York, after the change", "2026-11-01T06:30:00Z", "2026-11-01T12:00:00Z", "NY", "1:30 AM EST"},
		{"Los Angeles, before the change", "2026-11-01T08:30:00Z", "2026-11-01T20:00:00Z", "CA", "1:30 AM PDT"},
		{"Los Angeles, after the change", "2026-11-01T09:30:00Z", "2026-11-01T20:00:00Z", "CA", "1:30 AM PST"},
		{"same instant, two zones: New York", "2026-11-01T06:30:00Z", "2026-11-01T12:00:00Z", "NJ", "1:30 AM EST"},
		{"same instant, two zones: Los Angeles", "2026-11-01T06:30:00Z", "2026-11-01T12:00:00Z", "WA", "Sat Oct 31, 11:30 PM PDT"},
		{"not today there", "2026-11-21T17:30:00Z", "2026-11-20T18:00:00Z", "CA", "Sat Nov 21, 9:30 AM PST"},
		{"another UTC day, the same day there", "2026-11-22T03:00:00Z", "2026-11-21T20:00:00Z", "CA", "7:00 PM PST"},
		{"the same UTC day, the next day there", "2026-11-22T05:30:00Z", "2026-11-22T04:30:00Z", "NY", "Sun Nov 22, 12:30 AM EST"},
		{"afternoon", "2026-11-10T20:00:00Z", "2026-11-10T18:00:00Z", "NY", "3:00 PM EST"},
		{"no state: Eastern", "2026-11-10T20:00:00Z", "2026-11-10T18:00:00Z", "", "3:00 PM EST"},
		{"Arizona keeps standard time", "2026-07-10T20:00:00Z", "2026-07-10T18:00:00Z", "AZ", "1:00 PM MST"},
		{"Texas: Central, its most populous zone", "2026-11-10T20:00:00Z", "2026-11-10T18:00:00Z", "TX", "2:00 PM CST"},
		{"Hawaii", "2026-11-10T20:00:00Z", "2026-11-10T18:00:00Z", "HI", "10:00 AM HST"},
		{"Puerto Rico", "2026-11-10T20:00:00Z", "2026-11-10T18:00:00Z", "PR", "4:00 PM AST"},
		{"another year", "2027-01-05T15:00:00Z", "2026-12-30T15:00:00Z", "NY", "Tue Jan 5 2027, 10:00 AM EST"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := CallerTime(utc(c.at), utc(c.now), c.state); got != c.want {
				t.Fatalf("CallerTime(%s, %s) = %q, want %q", c.at, c.state, got, c.want)
			}
		})
	}
}

func TestEveryStateHasAZone(t *testing.T) {
	for s := range usStates {
		if _, ok := stateZones[s]; !ok {
			t.Errorf("no zone for %s", s)
		}
	}
}

func TestWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		15 * time.Minute:    "15 minutes",
		time.Minute:         "1 minute",
		60 * time.Minute:    "1 hour",
		90 * time.Minute:    "1 hour 30 minutes",
		24 * time.Hour:      "1 day",
		ExemptionLength:     "7 days",
		30 * 24 * time.Hour: "30 days",
		26 * time.Hour:      "1 day 2 hours",
		30 * time.Second:    "30 seconds",
	} {
		if got := Words(d); got != want {
			t.Errorf("Words(%v) = %q, want %q", d, got, want)
		}
	}
}
