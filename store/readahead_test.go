package store

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/gen"
	"frontdoor/model"
)

// aheadLog records, per account, what ApplySnapshots did with the
// record read ahead (testHookAhead), for the test.
type aheadLog struct{ used, spelled map[string]bool }

func logAhead(t *testing.T) *aheadLog {
	l := &aheadLog{used: map[string]bool{}, spelled: map[string]bool{}}
	testHookAhead = func(id string, used, spelled bool) { l.used[id], l.spelled[id] = used, spelled }
	t.Cleanup(func() { testHookAhead = nil })
	return l
}

// which lists the accounts whose entry in m is want.
func which(m map[string]bool, want bool) []string {
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(m)) {
		if m[id] == want {
			ids = append(ids, id)
		}
	}
	return ids
}

func records(t *testing.T, st *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := st.kv.View(func(tx Tx) error {
		return tx.Scan(bAccounts, nil, func(k, v []byte) (bool, error) {
			out[string(k)] = string(v)
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var aheadNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// Records read and spelled ahead of the writer give the store, byte for
// byte, what the writer alone gives, and are used when nothing wrote
// their accounts in between.
func TestReadAheadWritesWhatTheWriterWould(t *testing.T) {
	boltOnly(t)
	plain, _ := openTemp(t)
	ahead, _ := openTemp(t)
	ps, as := &stream{gen: gen.New(8)}, &stream{gen: gen.New(8)}
	ps.apply(t, plain, span(0, 60), 1)
	as.apply(t, ahead, span(0, 60), 1)
	// updates, new accounts, and one account twice in the batch
	ids := append(span(20, 80), 25)
	if _, err := plain.ApplySnapshots(ps.events(t, ids, 2), aheadNow); err != nil {
		t.Fatal(err)
	}
	log := logAhead(t)
	evs := as.events(t, ids, 2)
	ahead.ReadAhead(evs)
	evs = SortByAccount(evs)
	SpellAhead(evs, aheadNow)
	c, err := ahead.ApplySnapshots(evs, aheadNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.Applied != 60 || c.New != 20 || c.Duplicate != 1 {
		t.Errorf("counts %+v, want 60 applied, 20 new, 1 duplicate", c)
	}
	if got, want := records(t, ahead), records(t, plain); !maps.Equal(got, want) {
		t.Error("the records differ from the writer's own")
	}
	// the log holds each account's last event: the second of the
	// account twice in the batch reads what the first wrote
	twice := gen.ID(25)
	if got := which(log.used, false); len(log.used) != 60 || !slices.Equal(got, []string{twice}) {
		t.Errorf("read again: %v, want only %s's second event", got, twice)
	}
	if got := which(log.spelled, false); !slices.Equal(got, []string{twice}) {
		t.Errorf("spelled by the writer: %v, want only %s's second event", got, twice)
	}
	mustCheck(t, ahead)
}

// readTen is a store of ten accounts and their next snapshots, read
// ahead.
func readTen(t *testing.T, seed uint64) (*Store, []Snapshot) {
	t.Helper()
	st, _ := openTemp(t)
	s := &stream{gen: gen.New(seed)}
	s.apply(t, st, span(0, 10), 1)
	evs := s.events(t, span(0, 10), 2)
	st.ReadAhead(evs)
	return st, evs
}

// applyReadingAgain applies evs and fails the test if any record read
// ahead was used.
func applyReadingAgain(t *testing.T, st *Store, evs []Snapshot, after string) {
	t.Helper()
	log := logAhead(t)
	if c, err := st.ApplySnapshots(evs, aheadNow); err != nil || c.Applied != len(evs) {
		t.Fatalf("%+v %v", c, err)
	}
	if used := which(log.used, true); len(used) > 0 {
		t.Errorf("records read before %s were used: %v", after, used)
	}
}

// A write the store does not remember (an agent's note) between the
// read ahead and the batch: every record is read again, and the note is
// kept (rule S3).
func TestReadAheadNotTrustedAfterAnotherWrite(t *testing.T) {
	st, evs := readTen(t, 9)
	id := gen.ID(3)
	rec, err := st.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Apply(id, rec.Version, root, now, noteChange("called back about 2FA")); err != nil {
		t.Fatal(err)
	}
	applyReadingAgain(t, st, evs, "an agent's write")
	rec, err = st.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Account.Notes) != 1 || rec.Account.Notes[0].Text != "called back about 2FA" {
		t.Errorf("the agent's note was lost: %+v", rec.Account.Notes)
	}
	mustCheck(t, st)
}

// A batch read ahead while the batch before it is applied: its accounts
// that batch wrote are read again (a duplicate of it stays a duplicate,
// rule S2); the others are used as read.
func TestReadAheadAcrossSyncCommits(t *testing.T) {
	boltOnly(t)
	st, _ := openTemp(t)
	s := &stream{gen: gen.New(10)}
	s.apply(t, st, span(0, 10), 1)
	first := s.events(t, span(0, 5), 2)
	second := s.events(t, span(3, 10), 2)
	st.ReadAhead(second)
	if _, err := st.ApplySnapshots(first, aheadNow); err != nil {
		t.Fatal(err)
	}
	log := logAhead(t)
	c, err := st.ApplySnapshots(second, aheadNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.Applied != 5 || c.Duplicate != 2 {
		t.Errorf("counts %+v, want 5 applied and the first batch's 2 duplicates", c)
	}
	if got, want := strings.Join(which(log.used, false), " "), gen.ID(3)+" "+gen.ID(4); got != want {
		t.Errorf("read again: %q, want the first batch's %q", got, want)
	}
	mustCheck(t, st)
}

// A rebuild (import) between the read ahead and the batch starts a new
// file, whose transactions are not the old one's: everything is read
// again.
func TestReadAheadNotTrustedAcrossARebuild(t *testing.T) {
	st, evs := readTen(t, 11)
	if _, err := st.Import(strings.NewReader(lines(5)), "more.jsonl", root, now); err != nil {
		t.Fatal(err)
	}
	applyReadingAgain(t, st, evs, "the rebuild")
	mustCheck(t, st)
}

func TestAheadCheck(t *testing.T) {
	wrote := func(id uint64, accounts ...string) commitWrites {
		w := commitWrites{id: id, accounts: map[uint64]struct{}{}}
		for _, a := range accounts {
			w.accounts[accountHash(a)] = struct{}{}
		}
		return w
	}
	last := []commitWrites{wrote(5, "a"), wrote(6, "b"), wrote(7, "c")}
	for _, tc := range []struct {
		name string
		at   uint64
		w    uint64
		last []commitWrites
		id   string
		want bool
	}{
		{"read at the last commit", 7, 8, last, "c", true},
		{"commits since, none of them its", 4, 8, last, "d", true},
		{"a commit since wrote it", 5, 8, last, "c", false},
		{"a commit since wrote it, earlier", 4, 8, last, "a", false},
		{"a commit since not remembered", 3, 8, last, "d", false},
		{"a commit before the write not remembered", 5, 9, last, "d", false},
		{"read after the write began", 8, 8, last, "d", false},
		{"another file's history", 7, 1<<48 | 8, last, "d", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := aheadCheck{w: tc.w, last: tc.last}
			if got := c.holds(&ahead{at: tc.at}, tc.id); got != tc.want {
				t.Errorf("holds = %v, want %v", got, tc.want)
			}
		})
	}
	if (aheadCheck{w: 8, last: last}).holds(nil, "a") {
		t.Error("holds for an event not read ahead")
	}
}

// recentCommits keeps the last keepCommits commits, oldest first.
func TestRecentCommitsKeepsTheLast(t *testing.T) {
	var r recentCommits
	for id := uint64(1); id <= keepCommits+3; id++ {
		r.add(id, []string{"x"})
	}
	c := r.since(keepCommits + 4)
	if len(c.last) != keepCommits || c.last[0].id != 4 || c.last[len(c.last)-1].id != keepCommits+3 {
		var ids []uint64
		for _, w := range c.last {
			ids = append(ids, w.id)
		}
		t.Errorf("kept %v", ids)
	}
}

// A batch is applied by account id, each account's events in stream
// order.
func TestByAccountIsStable(t *testing.T) {
	var evs []Snapshot
	for _, id := range []string{"b", "a", "b", "ab", "a", "c", "b"} {
		evs = append(evs, Snapshot{Account: model.Account{ID: id}})
	}
	if got, want := byAccount(evs), []int{1, 4, 3, 0, 2, 6, 5}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	sorted := SortByAccount(evs)
	if got := byAccount(sorted); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5, 6}) {
		t.Errorf("a sorted batch is put in order %v", got)
	}
}

// A batch of snapshots larger than the backend takes in one transaction
// (a cluster: 128 writes, and a new account is several) is applied
// whole, in parts in stream order, the checkpoint at its last event
// (rule S1): sync hands over batches in SortByAccount's order.
func TestALargeBatchOfSnapshotsIsApplied(t *testing.T) {
	st, _ := openTemp(t)
	s := &stream{gen: gen.New(3)}
	const n = 300
	evs := s.events(t, span(0, n), 1)
	evs = SortByAccount(evs)
	c, err := st.ApplySnapshots(evs, aheadNow)
	if err != nil || c.Applied != n || c.New != n {
		t.Fatalf("applying %d snapshots at once: %+v %v", n, c, err)
	}
	if got := st.Checkpoint(); got != n {
		t.Errorf("checkpoint %d, want %d", got, n)
	}
	if got := mustCount(t, st); got != n {
		t.Errorf("%d accounts, want %d", got, n)
	}
	mustCheck(t, st)
}
