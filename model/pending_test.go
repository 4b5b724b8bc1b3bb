package model

import (
	"strings"
	"testing"
	"time"
)

// A snapshot that shows what the console's pending actions did clears
// them once delivered (rule S6); one that does not, keeps them, laid
// back over it. A grant revoked since shows as no exemption, the same
// as one never taken: both are confirmed by it (review: laid back, the
// grant made the revoke look undone, and both waited for good).
func TestReconcileAGrantThenItsRevoke(t *testing.T) {
	a, in := ready(ActGrantExemption)
	granted, err := DefaultPolicy.GrantExemption(a, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Now = in.Now.Add(time.Minute)
	revoked, err := DefaultPolicy.RevokeExemption(granted.Account, in)
	if err != nil {
		t.Fatal(err)
	}
	grant := PendingFor(ActGrantExemption, a, granted.Account, now, "kay")
	revoke := PendingFor(ActRevokeExemption, granted.Account, revoked.Account, in.Now, "kay")
	grant.State, revoke.State = PendingDelivered, PendingDelivered

	none := a // the platform's snapshot: granted and revoked, no exemption
	none.MFAExemption = nil
	if keep := Reconcile(&none, []Pending{grant, revoke}); len(keep) != 0 || none.MFAExemption != nil {
		t.Errorf("a snapshot with the exemption granted and revoked kept %+v, exemption %+v", keep, none.MFAExemption)
	}
	// the grant alone confirmed so far: the revoke waits, laid over it
	shown := granted.Account
	if keep := Reconcile(&shown, []Pending{grant, revoke}); len(keep) != 1 || keep[0].Action != ActRevokeExemption || shown.MFAExemption != nil {
		t.Errorf("a snapshot showing the grant kept %+v, exemption %+v", keep, shown.MFAExemption)
	}
	// a grant alone, not shown yet: kept and laid back
	bare := a
	bare.MFAExemption = nil
	if keep := Reconcile(&bare, []Pending{grant}); len(keep) != 1 || bare.MFAExemption == nil {
		t.Errorf("a grant not shown yet: kept %+v, exemption %+v", keep, bare.MFAExemption)
	}
}

// An action queued after a failed one says it is held, not queued: its
// message waits for the dead one (rule S8) until on-call retries it or
// lets it go.
func TestPendingLabelsSayWhatIsHeld(t *testing.T) {
	labels := PendingLabels([]Pending{{State: PendingQueued}, {State: PendingFailed}, {State: PendingQueued}, {State: PendingDelivered}})
	if !strings.HasPrefix(labels[0], "queued") || !strings.HasPrefix(labels[1], "FAILED") ||
		!strings.HasPrefix(labels[2], "held: it goes after the failed action") || !strings.HasPrefix(labels[3], "sent") {
		t.Errorf("labels %q", labels)
	}
}
