package store

import (
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor/model"
)

// recorded is a Recorder that keeps what it is told (a real one, not a
// mock: it is what the test reads).
type recorded struct {
	mu      sync.Mutex
	lookups int
	actions []string
}

func (r *recorded) Login(string)        {}
func (r *recorded) SessionOpened()      {}
func (r *recorded) SessionClosed()      {}
func (r *recorded) Frame(time.Duration) {}
func (r *recorded) Lookup(time.Duration) {
	r.mu.Lock()
	r.lookups++
	r.mu.Unlock()
}
func (r *recorded) Action(a string) {
	r.mu.Lock()
	r.actions = append(r.actions, a)
	r.mu.Unlock()
}

// TestStoreReportsAndFigures: searches and committed actions are
// reported to the recorder set; a refused action is not. The figures
// read at scrape time: outbox by state, size, last sync.
func TestStoreReportsAndFigures(t *testing.T) {
	s, _ := openTemp(t)
	if _, err := s.Import(strings.NewReader(lines(3)), "a.jsonl", root, now); err != nil {
		t.Fatal(err)
	}
	rec := &recorded{}
	s.SetRecorder(rec)
	if _, err := s.Search("user", 10); err != nil {
		t.Fatal(err)
	}
	act := func(id string, role string) error {
		r, _ := s.Get(id)
		_, err := s.Act(id, r.Version, Actor{Name: "sam", Role: role}, now, model.ActSendReset, func(a model.Account, by Actor) (model.Effect, error) {
			return model.DefaultPolicy.SendReset(a, model.ActionInput{By: by.Name, Role: by.Role, Now: now, Reason: "caller asked"})
		})
		return err
	}
	if err := act("acc_0001", model.RoleAgent); err != nil {
		t.Fatal(err)
	}
	if err := act("acc_0002", model.RoleEngineer); err == nil {
		t.Fatal("an engineer sent a reset")
	}
	if rec.lookups != 1 || len(rec.actions) != 1 || rec.actions[0] != model.ActSendReset {
		t.Fatalf("reported %d look-ups, actions %v", rec.lookups, rec.actions)
	}
	counts, err := s.OutboxCounts()
	if err != nil || counts[OutboxPending] < 1 || counts[OutboxDead] != 0 || counts[OutboxDelivered] != 0 {
		t.Fatalf("outbox counts %v %v", counts, err)
	}
	msgs, _ := s.Outbox(true)
	if sum := counts[OutboxPending] + counts[OutboxDelivered] + counts[OutboxDead]; sum != len(msgs) {
		t.Fatalf("counts %v, %d messages", counts, len(msgs))
	}
	if n, err := s.Size(); err != nil || (n <= 0) != onEtcd() { // a cluster's size is its own
		t.Fatalf("size %d %v", n, err)
	}
	s.SetRecorder(nil) // back to nothing: no panic
	s.Search("user", 10)

	if _, ok := s.LastSync(); ok {
		t.Fatal("a last sync before any")
	}
	acc, _ := model.ParseAccount([]byte(line(9)))
	later := now.Add(time.Hour)
	if _, err := s.ApplySnapshots([]Snapshot{{Seq: 5, Version: 1, Account: acc}}, later); err != nil {
		t.Fatal(err)
	}
	if at, ok := s.LastSync(); !ok || !at.Equal(later) {
		t.Fatalf("last sync %v %v, want %v", at, ok, later)
	}
	// a replay moves nothing: the lag is from the last event taken
	if _, err := s.ApplySnapshots([]Snapshot{{Seq: 5, Version: 1, Account: acc}}, later.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if at, _ := s.LastSync(); !at.Equal(later) {
		t.Fatalf("a replay moved the last sync to %v", at)
	}
}
