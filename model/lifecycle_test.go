package model

import (
	"testing"
	"time"
)

func TestResetStates(t *testing.T) {
	const min = time.Minute
	cases := []struct {
		name   string
		resets []Reset
		want   []string
		live   int // index of the live link, -1 for none
	}{
		{"delivered is live", []Reset{reset("r1", 10*min, ResetDelivered)}, []string{ResetDelivered}, 0},
		{"newer supersedes", []Reset{reset("r1", 30*min, ResetDelivered), reset("r2", 5*min, ResetSent)}, []string{ResetSuperseded, ResetSent}, 1},
		{"expired after 60 min", []Reset{reset("r1", 61*min, ResetDelivered)}, []string{ResetExpired}, -1},
		{"alive at exactly 60 min", []Reset{reset("r1", 60*min, ResetDelivered)}, []string{ResetDelivered}, 0},
		{"suppressed never live", []Reset{reset("r1", 5*min, ResetSuppressed)}, []string{ResetSuppressed}, -1},
		{"bounced", []Reset{reset("r1", 5*min, ResetBounced)}, []string{ResetBounced}, -1},
		{"used wins", []Reset{{ID: "r1", RequestedAt: at(-2 * time.Hour), SentAt: at(-2 * time.Hour), UsedAt: at(-time.Hour), Status: ResetDelivered}}, []string{ResetUsed}, -1},
		{"clicked", []Reset{{ID: "r1", RequestedAt: at(-5 * min), SentAt: at(-5 * min), ClickedAt: at(-min), Status: ResetDelivered}}, []string{ResetClicked}, 0},
		{"requested not yet sent", []Reset{{ID: "r1", RequestedAt: at(-min), Status: ResetRequested}}, []string{ResetRequested}, -1},
		{"a request that sent nothing does not expire", []Reset{{ID: "r1", RequestedAt: at(-2 * time.Hour), Status: ResetRequested}}, []string{ResetRequested}, -1},
		// R6: a suppressed or unsent request sends no link, so the older link stays live
		{"a suppressed request supersedes nothing", []Reset{reset("r1", 30*min, ResetDelivered), {ID: "r2", RequestedAt: at(-5 * min), Status: ResetSuppressed}}, []string{ResetDelivered, ResetSuppressed}, 0},
		{"an unsent request supersedes nothing", []Reset{reset("r1", 30*min, ResetDelivered), {ID: "r2", RequestedAt: at(-5 * min), Status: ResetRequested}}, []string{ResetDelivered, ResetRequested}, 0},
		// R3 with R8: the successor expired too, so nothing is live
		{"superseded, successor expired", []Reset{reset("r1", 3*time.Hour, ResetDelivered), reset("r2", 2*time.Hour, ResetDelivered)}, []string{ResetSuperseded, ResetExpired}, -1},
		// two resets in the same second: stored order breaks the tie, one live link
		{"same second: the later stored is newest", []Reset{reset("r1", 5*min, ResetDelivered), reset("r2", 5*min, ResetDelivered)}, []string{ResetSuperseded, ResetDelivered}, 1},
		{"same second, stored the other way round", []Reset{reset("r2", 5*min, ResetDelivered), reset("r1", 5*min, ResetDelivered)}, []string{ResetSuperseded, ResetDelivered}, 1},
		{"stored out of request order", []Reset{reset("r2", 5*min, ResetSent), reset("r1", 20*min, ResetDelivered)}, []string{ResetSent, ResetSuperseded}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := DefaultPolicy.ResetStates(c.resets, now)
			live := -1
			for i, s := range got {
				if s.Status != c.want[i] {
					t.Errorf("reset %d: %s, want %s", i, s.Status, c.want[i])
				}
				if s.Live {
					live = i
				}
			}
			if live != c.live {
				t.Errorf("live = %d, want %d", live, c.live)
			}
			if n := countLive(got); n > 1 {
				t.Errorf("%d live links, want at most one (R3)", n)
			}
		})
	}
}

func TestResetsRequestedWithin(t *testing.T) {
	rs := []Reset{reset("a", 24*time.Hour, ResetSent), reset("b", 24*time.Hour+time.Second, ResetSent), reset("c", time.Minute, ResetSent)}
	if n := ResetsRequestedWithin(rs, now, 24*time.Hour); n != 2 {
		t.Fatalf("got %d, want 2 (the 24 h boundary is inside)", n)
	}
}

func TestMFAPolicy(t *testing.T) {
	p := DefaultPolicy
	dev := RememberedDevice{ID: "d1", RememberedAt: at(-30 * 24 * time.Hour)}
	if p.DeviceActive(dev, now) {
		t.Error("device remembered exactly 30 days ago still active (M4)")
	}
	if !p.DeviceActive(dev, now.Add(-time.Second)) {
		t.Error("device inactive one second before 30 days (M4)")
	}
	x := &Exemption{GrantedAt: at(-7 * 24 * time.Hour), ExpiresAt: at(0)}
	if ExemptionActive(x, now) || !ExemptionActive(x, now.Add(-time.Second)) {
		t.Error("exemption expiry not at the second (M7)")
	}
	if !MFARequired(RoleProvider) || MFARequired(RoleClient) {
		t.Error("M1")
	}
	if UsableAbroad(FactorPhone) || !UsableAbroad(FactorTOTP) {
		t.Error("M11")
	}
	acc := *base(provider, withFactors(FactorPhone))
	risks := Risks(acc)
	want := map[string]bool{"M12": false, "M11": false}
	for _, r := range risks {
		want[r.Rule] = true
	}
	if !want["M12"] || !want["M11"] {
		t.Errorf("phone-only provider risks = %+v, want M12 and M11", risks)
	}
	if got := RecoveryCodeState(*base(withFactors(FactorTOTP, FactorRecoveryCode))); got != "unused" {
		t.Errorf("recovery state %q", got)
	}
	bio := Risks(*base(withFactors(FactorBiometric)))
	found := false
	for _, r := range bio {
		found = found || r.Rule == "M9"
	}
	if !found {
		t.Errorf("biometric-only risks = %+v, want M9", bio)
	}
}

func countLive(states []ResetState) int {
	n := 0
	for _, s := range states {
		if s.Live {
			n++
		}
	}
	return n
}

// TestOneLiveLinkAtMost: whatever the mix of resets, at most one link is
// live (R3), including resets requested in the same second.
func TestOneLiveLinkAtMost(t *testing.T) {
	statuses := []string{ResetRequested, ResetSuppressed, ResetSent, ResetDelivered, ResetBounced, ResetClicked, ResetUsed, ResetExpired, ResetSuperseded}
	ages := []time.Duration{5 * time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}
	for i, a := range statuses {
		for j, b := range statuses {
			for k, c := range statuses {
				rs := []Reset{reset("a", ages[i%4], a), reset("b", ages[j%4], b), reset("c", ages[(i+j+k)%4], c)}
				rs[0].SentAt, rs[2].SentAt = nil, nil
				if n := countLive(DefaultPolicy.ResetStates(rs, now)); n > 1 {
					t.Fatalf("%d live links in %v/%v/%v", n, a, b, c)
				}
			}
		}
	}
}

// TestLinkLifetimeBoundaryRuleR8: at exactly 60 min a link works; a second
// later it has expired.
func TestLinkLifetimeBoundaryRuleR8(t *testing.T) {
	p := DefaultPolicy
	r := reset("r1", p.ResetLinkLifetime, ResetDelivered)
	if p.LinkExpired(r, now) || !p.ResetStates([]Reset{r}, now)[0].Live {
		t.Error("expired at exactly the lifetime")
	}
	if !p.LinkExpired(r, now.Add(time.Second)) || p.ResetStates([]Reset{r}, now.Add(time.Second))[0].Live {
		t.Error("still live a second after the lifetime")
	}
}

func TestResetTimeline(t *testing.T) {
	p := DefaultPolicy
	sup := Reset{ID: "r1", RequestedAt: at(-time.Hour), Status: ResetSuppressed}
	steps := p.ResetTimeline(sup, p.ResetStates([]Reset{sup}, now)[0], now)
	if len(steps) != 2 || steps[1].Label != "suppressed" || steps[1].Text != "nothing sent" {
		t.Errorf("suppressed: %+v", steps)
	}
	live := reset("r2", 10*time.Minute, ResetDelivered)
	live.DeliveredAt = at(-9 * time.Minute)
	steps = p.ResetTimeline(live, p.ResetStates([]Reset{live}, now)[0], now)
	last := steps[len(steps)-1]
	if last.Label != "works for" || last.Text != "50 min more" {
		t.Errorf("live: %+v", steps)
	}
	old := reset("r0", 3*time.Hour, ResetDelivered)
	states := p.ResetStates([]Reset{old, live}, now)
	steps = p.ResetTimeline(old, states[0], now)
	if steps[len(steps)-1].Label != "superseded" {
		t.Errorf("superseded: %+v", steps)
	}
}
