package store

import (
	"testing"
	"time"
)

// The front ends of a store each say which sessions they hold; the list
// believes a front end for FrontEndStale after it last said so, and a
// front end silent for an hour is forgotten by the next one to publish.
func TestFrontEndsListTheFreshOnly(t *testing.T) {
	s, _ := openTemp(t)
	if s.Replicated() != onEtcd() {
		t.Fatalf("Replicated() = %v on etcd=%v", s.Replicated(), onEtcd())
	}
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	sam := SessionPresent{ID: 1, User: "sam", Role: "agent", Remote: "10.0.0.5:5000", Key: "SHA256:x", Started: now.Add(-time.Hour)}
	for _, fe := range []FrontEnd{
		{ID: "d pid 4", Addr: "6.6.6.6:22", Seen: now.AddDate(70, 0, 0)},                  // a word dated 2096, put by hand
		{ID: "c pid 3", Addr: "10.0.0.3:22", Seen: now.Add(-2 * time.Hour)},               // killed long ago
		{ID: "b pid 2", Addr: "10.0.0.2:22", Seen: now.Add(-FrontEndStale - time.Second)}, // killed a while ago
		{ID: "a pid 1", Addr: "10.0.0.1:22", Seen: now.Add(-5 * time.Second), Sessions: []SessionPresent{sam}},
	} {
		if err := s.PublishFrontEnd(fe); err != nil {
			t.Fatal(err)
		}
	}
	fes, err := s.FrontEnds(now)
	if err != nil {
		t.Fatal(err)
	}
	if len(fes) != 1 || fes[0].ID != "a pid 1" || len(fes[0].Sessions) != 1 || fes[0].Sessions[0].User != "sam" {
		t.Fatalf("listed %+v, want only a with sam's session", fes)
	}
	// b's entry is kept (what it held may matter), c's and d's (dated
	// far ahead: it was listed forever, round 3) were forgotten by the
	// publishes after them
	count := func() (n int) {
		s.kv.View(func(tx Tx) error {
			return tx.Scan(bFrontEnds, nil, func(k, v []byte) (bool, error) { n++; return true, nil })
		})
		return n
	}
	if n := count(); n != 2 {
		t.Errorf("%d entries kept, want 2 (c silent for two hours and d dated 2096 forgotten)", n)
	}
	if err := s.RemoveFrontEnd("a pid 1"); err != nil {
		t.Fatal(err)
	}
	if fes, _ := s.FrontEnds(now); len(fes) != 0 {
		t.Errorf("after a's clean stop: %+v", fes)
	}
}
