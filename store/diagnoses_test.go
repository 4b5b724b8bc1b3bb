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

// TestDiagnosesAreTheConsoles: a `frontdoor diagnose` run is audited like
// every diagnosis but is no caller's call, so Ops leaves it out; a console
// diagnosis carries its call (issue 22, item 20).
func TestDiagnosesAreTheConsoles(t *testing.T) {
	s, _ := openTemp(t)
	for _, d := range []map[string]string{
		{"top": "bad_password", "via": "console", "call": "c1"},
		{"top": "escalate", "via": DiagnoseViaCLI},
		{"top": "wrong_portal"}, // before calls were audited
	} {
		if err := s.Audit(AuditEntry{At: now, Actor: "sam", Action: "diagnose", Details: d}); err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := s.Diagnoses(0, now.Add(-model.LeadWeek))
	if err != nil || len(got) != 2 || got[0] != (model.LedWith{At: now, Code: "bad_password", Call: "c1"}) || got[1].Code != "wrong_portal" {
		t.Fatalf("diagnoses %+v, %v", got, err)
	}
	if log, _ := s.AuditLog(AuditFilter{Actions: []string{"diagnose"}}); len(log) != 3 {
		t.Fatalf("every diagnosis stays audited: %d", len(log))
	}
}

// BenchmarkDiagnosesWeek is the Ops screen's first read of a busy week:
// 200,000 audit entries (a diagnosis every fifth, look-ups between), all
// within the week, written in one transaction for the set-up's sake.
func BenchmarkDiagnosesWeek(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 200_000
	start := now.Add(-6 * 24 * time.Hour)
	err = s.kv.Update(func(tx Tx) error {
		for i := range n {
			e := AuditEntry{At: start.Add(time.Duration(i) * 2 * time.Second), Actor: "sam", Role: "agent", Action: "lookup", Account: "acc_1",
				Details: map[string]string{"via": "search: name"}}
			if i%5 == 0 {
				e.Action, e.Details = "diagnose", map[string]string{"email": "a@b.co", "site": "patient", "problem": "cant_log_in", "top": "bad_password"}
			}
			if err := s.appendAudit(tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		got, _, err := s.Diagnoses(0, now.Add(-model.LeadWeek))
		if err != nil || len(got) != n/5 {
			b.Fatalf("%d diagnoses, %v", len(got), err)
		}
	}
}
