package screens

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"frontdoor/metrics"
)

// countLookups counts the store's searches (Recorder.Lookup).
type countLookups struct {
	metrics.Nop
	n atomic.Int64
}

func (c *countLookups) Lookup(time.Duration) { c.n.Add(1) }

// Identical look-ups asked at once are one search of the store, and
// every asker gets the answer; a look-up asked after the store told of
// an account change is a search of its own.
func TestIdenticalLookupsAtOnceSearchOnce(t *testing.T) {
	st := newStore(t)
	rec := &countLookups{}
	st.SetRecorder(rec)
	// hold every search slot, so the first look-up waits inside its
	// flight while the others ask
	for range cap(searchSlots) {
		searchSlots <- struct{}{}
	}
	const sessions = 20
	var wg sync.WaitGroup
	answers := make([]int, sessions)
	for i := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hits, _, err := searchShared(st, "maria", SearchLimit)
			if err != nil {
				t.Error(err)
			}
			answers[i] = len(hits)
		}()
	}
	time.Sleep(100 * time.Millisecond) // every asker is in (a flight cannot end: the slots are held)
	for range cap(searchSlots) {
		<-searchSlots
	}
	wg.Wait()
	for i, n := range answers {
		if n == 0 {
			t.Fatalf("session %d got no hits for maria", i)
		}
	}
	if got := rec.n.Load(); got >= sessions {
		t.Fatalf("%d searches of the store for %d identical look-ups at once", got, sessions)
	} else {
		t.Logf("%d search(es) of the store for %d identical look-ups", got, sessions)
	}
	// a look-up under way when a change is told is not joined by one
	// asked after it: that one may be a screen reloading for the change
	before := rec.n.Load()
	for range cap(searchSlots) {
		searchSlots <- struct{}{}
	}
	ask := func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := searchShared(st, "maria", SearchLimit); err != nil {
				t.Error(err)
			}
		}()
		time.Sleep(50 * time.Millisecond)
	}
	ask()
	st.Changed("accounts", []byte("demo-001")) // as a cluster's watch tells of a change
	ask()
	for range cap(searchSlots) {
		<-searchSlots
	}
	wg.Wait()
	if got := rec.n.Load() - before; got != 2 {
		t.Fatalf("%d searches of the store for a look-up and one asked after a change while it ran, want 2", got)
	}
}
