package model

import (
	"testing"
	"time"
)

func TestMaySeeOps(t *testing.T) {
	for _, tc := range []struct {
		role string
		want bool
	}{{RoleAgent, false}, {RoleLead, false}, {RoleTrainer, false}, {RoleEngineer, true}, {RoleAdmin, true}, {"", false}} {
		if got := MaySeeOps(tc.role); got != tc.want {
			t.Errorf("MaySeeOps(%q) = %v, want %v", tc.role, got, tc.want)
		}
	}
}

func TestCountLeads(t *testing.T) {
	now := time.Date(2026, 11, 25, 14, 30, 0, 0, time.UTC)
	at := func(ago time.Duration, code string) LedWith { return LedWith{At: now.Add(-ago), Code: code} }
	call := func(ago time.Duration, code, id string) LedWith {
		return LedWith{At: now.Add(-ago), Code: code, Call: id}
	}
	var spike []LedWith
	for range 6 { // an email provider's incident: six in the last hour
		spike = append(spike, at(10*time.Minute, "emails_suppressed"))
	}
	tests := []struct {
		name string
		ds   []LedWith
		want []LeadCount
	}{
		{"none", nil, []LeadCount{}},
		{"windows: hour, today (UTC midnight), week; older and future left out", []LedWith{
			at(30*time.Minute, "bad_password"),
			at(2*time.Hour, "bad_password"),
			at(15*time.Hour, "bad_password"), // 23:30 yesterday
			at(6*24*time.Hour, "bad_password"),
			at(7*24*time.Hour, "bad_password"), // exactly a week: out
			at(8*24*time.Hour, "bad_password"),
			at(-time.Minute, "bad_password"), // a clock ahead: not yet
		}, []LeadCount{{Code: "bad_password", Hour: 1, Today: 2, Week: 4}}},
		{"most today first, then week, then ladder order; unknown last", []LedWith{
			at(3*time.Hour, "escalate"), at(3*time.Hour, "no_account"),
			at(2*24*time.Hour, "escalate"),
			at(time.Hour+time.Minute, "wrong_portal"), at(2*time.Hour, "wrong_portal"),
			at(time.Hour+time.Minute, "made_up"),
		}, []LeadCount{
			{Code: "wrong_portal", Today: 2, Week: 2},
			{Code: "escalate", Today: 1, Week: 2},
			{Code: "no_account", Today: 1, Week: 1},
			{Code: "made_up", Today: 1, Week: 1},
		}},
		{"spike: six this hour on a quiet week", append(spike, at(3*24*time.Hour, "emails_suppressed")),
			[]LeadCount{{Code: "emails_suppressed", Hour: 6, Today: 6, Week: 7, Spike: true}}},
		{"no spike below the minimum", spike[:2], []LeadCount{{Code: "emails_suppressed", Hour: 2, Today: 2, Week: 2}}},
		// issue 22, item 20: the keys pressed in one call are one diagnosis, its last
		{"one call, three keys in 6 s: counted once, by its last answer", []LedWith{
			call(6*time.Second, "wrong_portal", "c1"), call(3*time.Second, "bad_password", "c1"), call(0, "browser_session", "c1"),
		}, []LeadCount{{Code: "browser_session", Hour: 1, Today: 1, Week: 1}}},
		{"one call's last answer in the same second: the later stored", []LedWith{
			call(time.Minute, "wrong_portal", "c1"), call(time.Minute, "bad_password", "c1"),
		}, []LeadCount{{Code: "bad_password", Hour: 1, Today: 1, Week: 1}}},
		{"calls apart, and diagnoses of no call each count", []LedWith{
			call(2*time.Hour, "wrong_portal", "c1"), call(2*time.Hour-time.Minute, "bad_password", "c1"),
			call(30*time.Minute, "bad_password", "c2"),
			at(20*time.Minute, "bad_password"), at(10*time.Minute, "bad_password"),
		}, []LeadCount{{Code: "bad_password", Hour: 3, Today: 4, Week: 4, Spike: true}}},
		{"a call's answer after now does not count yet: its last up to now does", []LedWith{
			call(time.Minute, "wrong_portal", "c1"), call(-time.Minute, "bad_password", "c1"),
		}, []LeadCount{{Code: "wrong_portal", Hour: 1, Today: 1, Week: 1}}},
		{"no spike from one call's keys", []LedWith{
			call(5*time.Minute, "emails_suppressed", "c1"), call(4*time.Minute, "emails_suppressed", "c1"),
			call(3*time.Minute, "emails_suppressed", "c1"), call(2*time.Minute, "emails_suppressed", "c1"),
		}, []LeadCount{{Code: "emails_suppressed", Hour: 1, Today: 1, Week: 1}}},
	}
	// a steady 2 an hour all week: 6 in the hour is 3×, a spike; 5 is not
	steady := func(lastHour int) []LedWith {
		var ds []LedWith
		for h := 1; h < 7*24; h++ {
			ds = append(ds, at(time.Duration(h)*time.Hour+time.Minute, "bad_password"), at(time.Duration(h)*time.Hour+2*time.Minute, "bad_password"))
		}
		for range lastHour {
			ds = append(ds, at(time.Minute, "bad_password"))
		}
		return ds
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CountLeads(tc.ds, now, time.UTC)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("row %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	for _, tc := range []struct {
		lastHour int
		spike    bool
	}{{5, false}, {6, true}} {
		if got := CountLeads(steady(tc.lastHour), now, time.UTC); got[0].Spike != tc.spike {
			t.Errorf("steady 2/h, %d in the last hour: spike %v, want %v (%+v)", tc.lastHour, got[0].Spike, tc.spike, got[0])
		}
	}
	// today is the day where counted: in New York it began at 05:00 UTC
	ny, _ := time.LoadLocation("America/New_York")
	if got := CountLeads([]LedWith{at(10*time.Hour, "escalate")}, now, ny); got[0].Today != 0 {
		t.Errorf("04:30 UTC is yesterday in New York: %+v", got[0])
	}
}
