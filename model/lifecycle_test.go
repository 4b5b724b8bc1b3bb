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
