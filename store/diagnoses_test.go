package store

import (
	"testing"
	"time"

	"frontdoor/model"
)

// TestDiagnosesReadsOnlyWhatIsNew: the Ops tally reads the audit trail
// from where it stopped, and no further back than asked.
func TestDiagnosesReadsOnlyWhatIsNew(t *testing.T) {
	s, _ := openTemp(t)
	diag := func(at time.Time, top string) {
		if err := s.Audit(AuditEntry{At: at, Actor: "sam", Action: "diagnose", Details: map[string]string{"top": top, "email": "x@y.co"}}); err != nil {
			t.Fatal(err)
		}
	}
	diag(now.Add(-9*24*time.Hour), "escalate") // older than asked
	diag(now.Add(-2*time.Hour), "bad_password")
	s.Audit(AuditEntry{At: now.Add(-time.Hour), Actor: "sam", Action: "lookup"})
	diag(now.Add(-time.Minute), "emails_suppressed")
	since := now.Add(-model.LeadWeek)
	got, seq, err := s.Diagnoses(0, since)
	if err != nil || len(got) != 2 || got[0].Code != "bad_password" || got[1].Code != "emails_suppressed" || !got[1].At.Equal(now.Add(-time.Minute)) {
		t.Fatalf("diagnoses %+v, %v", got, err)
	}
	if more, seq2, _ := s.Diagnoses(seq, since); len(more) != 0 || seq2 != seq {
		t.Fatalf("nothing new, got %+v (seq %d → %d)", more, seq, seq2)
	}
	diag(now, "emails_suppressed")
	if more, _, _ := s.Diagnoses(seq, since); len(more) != 1 || more[0].Code != "emails_suppressed" {
		t.Fatalf("the new one: %+v", more)
	}
}
