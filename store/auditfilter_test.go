package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// AuditLog decodes only the entries whose bytes can match its filter:
// what it returns must be what decoding every entry gives, escaped
// values, look-alikes in details and the time bound included.
func TestAuditLogFilterSkipsOnlyWhatCannotMatch(t *testing.T) {
	s, _ := openTemp(t)
	entries := []AuditEntry{
		{Actor: "sam", Action: "lookup", Account: "acc_0001"},
		{Actor: "ann", Action: "lookup", Account: "acc_0003", Details: map[string]string{"actor": "sam", "note": `"sam"`}},
		{Actor: "sam", Action: "ssh_login"},
		{Actor: "sam&co", Action: "lookup", Account: "acc_0002"},
		{Actor: "<sam>", Action: "lookup"},
		{Actor: "sam", Action: "look\"up", Account: "acc_0001"},
		{Actor: "sam", Action: "lookup", Account: "acc_0002", Reason: "sam"},
		{Actor: "kay", Action: "reset", Account: "acc_0001"},
	}
	for i, e := range entries {
		e.At = now.Add(time.Duration(i) * time.Minute)
		if err := s.Audit(e); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.AuditLog(AuditFilter{})
	if err != nil || len(all) < len(entries) {
		t.Fatalf("%d entries, %v", len(all), err)
	}
	for _, f := range []AuditFilter{
		{Actor: "sam"},
		{Actor: "sam", Actions: []string{"lookup"}},
		{Actor: "sam&co"},
		{Actor: "<sam>", Actions: []string{"lookup", "reset"}},
		{Actions: []string{"look\"up"}},
		{Actions: []string{"reset", "ssh_login"}},
		{Account: "acc_0001"},
		{Account: "acc_0002", Actor: "sam"},
		{Actor: "sam", Since: now.Add(2 * time.Minute)},
		{Actor: "sam", Actions: []string{"lookup"}, Limit: 1},
		{Actor: "nobody"},
	} {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			got, err := s.AuditLog(f)
			if err != nil {
				t.Fatal(err)
			}
			var want []AuditEntry
			for _, e := range all {
				if !f.Since.IsZero() && e.At.Before(f.Since) {
					break
				}
				if (f.Account == "" || e.Account == f.Account) && (f.Actor == "" || e.Actor == f.Actor) &&
					(len(f.Actions) == 0 || slices.Contains(f.Actions, e.Action)) {
					want = append(want, e)
				}
				if f.Limit > 0 && len(want) == f.Limit {
					break
				}
			}
			if seqs(got) != seqs(want) {
				t.Fatalf("got entries %s, want %s", seqs(got), seqs(want))
			}
		})
	}
}

func seqs(es []AuditEntry) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "%d ", e.Seq)
	}
	return b.String()
}

// Recent at an empty search box, on a trail of 20,000 entries (the most
// it reads), a tenth of them the agent's own look-ups, with an entry
// audited between calls.
func BenchmarkRecent(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Import(strings.NewReader(lines(50)), "a", root, now); err != nil {
		b.Fatal(err)
	}
	err = s.kv.Update(func(tx Tx) error { // one transaction: 20,000 fsyncs would take minutes
		for i := range recentScan {
			e := AuditEntry{At: now.Add(time.Duration(i) * time.Millisecond), Actor: fmt.Sprintf("load%d", i%40), Action: "ssh_login",
				Details: map[string]string{"remote": "127.0.0.1", "key": "SHA256:0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"}}
			if i%10 == 0 {
				e.Actor, e.Action, e.Account = "sam", "lookup", fmt.Sprintf("acc_%04d", 1+(i/10)%50)
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
	for i := range b.N {
		b.StopTimer() // as on a server: something else was audited since the last call
		if err := s.Audit(AuditEntry{At: now.Add(time.Hour), Actor: fmt.Sprintf("load%d", i%40), Action: "ssh_login"}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if hits, err := s.Recent("sam", 10, now.Add(time.Hour), 7*24*time.Hour); err != nil || len(hits) != 10 {
			b.Fatalf("%d hits, %v", len(hits), err)
		}
	}
}

// Recent remembers what it read and reads only what was audited since;
// after every step it lists what a reading of the whole trail lists.
func TestRecentReadsOnlyWhatIsNew(t *testing.T) {
	s, _ := openTemp(t)
	if _, err := s.Import(strings.NewReader(lines(50)), "a", root, now); err != nil {
		t.Fatal(err)
	}
	at := now
	look := func(actor string, accounts ...int) {
		for _, a := range accounts {
			at = at.Add(time.Second)
			if err := s.Audit(AuditEntry{At: at, Actor: actor, Action: "lookup", Account: fmt.Sprintf("acc_%04d", a)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	many := make([]int, 40)
	for i := range many {
		many[i] = 1 + i
	}
	for _, step := range []struct {
		name   string
		do     func()
		n      int
		window time.Duration
	}{
		{"first look-ups", func() { look("sam", 1, 2); look("ann", 3) }, 10, time.Hour},
		{"one looked up again goes first", func() { look("sam", 1) }, 10, time.Hour},
		{"another agent's do not count", func() { look("ann", 2, 4) }, 10, time.Hour},
		{"more accounts than are kept", func() { look("sam", many...) }, 10, time.Hour},
		{"then a few more", func() { look("sam", 45, 3, 46) }, 10, time.Hour},
		{"more asked for than are kept", func() {}, 45, time.Hour},
		{"a window that leaves some out", func() {}, 10, at.Sub(now) - 39*time.Second},
		{"nothing new", func() {}, 10, time.Hour},
	} {
		t.Run(step.name, func(t *testing.T) {
			step.do()
			got, err := s.Recent("sam", step.n, at, step.window)
			if err != nil {
				t.Fatal(err)
			}
			log, err := s.AuditLog(AuditFilter{Actor: "sam", Actions: []string{"lookup"}, Since: at.Add(-step.window)})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, e := range log {
				if !slices.Contains(want, e.Account) && len(want) < step.n {
					want = append(want, e.Account)
				}
			}
			var ids []string
			for _, h := range got {
				ids = append(ids, h.Account.ID)
			}
			if strings.Join(ids, " ") != strings.Join(want, " ") {
				t.Fatalf("recent %v, want %v", ids, want)
			}
			if memo, ok := s.lookups.get("sam"); step.n <= recentKeep && (!ok || memo.seq != s.auditSeq(t)) {
				t.Fatalf("what was read is not remembered: %+v, %v (trail at %d)", memo, ok, s.auditSeq(t))
			}
		})
	}
}

func (s *Store) auditSeq(t *testing.T) uint64 {
	t.Helper()
	var seq uint64
	if err := s.kv.View(func(tx Tx) error {
		h, _, err := readHead(tx)
		seq = h.Seq
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return seq
}
