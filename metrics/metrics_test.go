package metrics

import (
	"errors"
	"strings"
	"testing"
	"time"

	"frontdoor/model"
)

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		public bool
		ok     bool
	}{
		{"127.0.0.1:9464", false, true},
		{"[::1]:9464", false, true},
		{"localhost:9464", false, true},
		{"127.0.0.2:0", false, true},
		{"0.0.0.0:9464", false, false},
		{":9464", false, false},
		{"10.1.2.3:9464", false, false},
		{"10.1.2.3:9464", true, true},
		{":9464", true, true},
		{"9464", false, false},
	} {
		err := CheckAddr(tc.addr, tc.public)
		if (err == nil) != tc.ok {
			t.Errorf("CheckAddr(%q, %v) = %v", tc.addr, tc.public, err)
		}
		if err != nil && strings.Contains(tc.addr, ":") && !errors.Is(err, ErrPublic) {
			t.Errorf("CheckAddr(%q): %v is not ErrPublic", tc.addr, err)
		}
	}
}

// series reads the registry as a scrape does: each series of name
// ("label=value" for one label, "" for none) and its value.
func series(t *testing.T, r *Registry, name string) map[string]float64 {
	t.Helper()
	fams, err := r.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			k := ""
			for _, l := range m.GetLabel() {
				k = l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				out[k] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[k] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[k] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// TestLabelsAreBounded: a login result or an action not in the fixed
// lists is counted as other, never as a new label value.
func TestLabelsAreBounded(t *testing.T) {
	r := New(Sources{})
	r.Login(LoginOK)
	r.Login("alice@example.com")
	r.Action(model.ActSendReset)
	r.Action("acct_123 did something")
	logins, actions := series(t, r, "frontdoor_logins_total"), series(t, r, "frontdoor_actions_total")
	if logins["result=ok"] != 1 || logins["result=other"] != 1 || len(logins) != len(loginResults)+1 {
		t.Errorf("logins %v", logins)
	}
	if actions["action=send_password_reset"] != 1 || actions["action=other"] != 1 || len(actions) != len(model.Catalog)+1 {
		t.Errorf("actions %v", actions)
	}
}

// TestStoreFiguresAtScrape: the store's figures are read when scraped;
// sync lag is left out until an event was applied.
func TestStoreFiguresAtScrape(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var synced time.Time
	var seq uint64
	r := New(Sources{
		Outbox:     func() (map[string]int, error) { return map[string]int{"pending": 2, "dead": 1, "weird": 4}, nil },
		StoreBytes: func() (int64, error) { return 4096, nil },
		LastSync:   func() (time.Time, bool) { return synced, !synced.IsZero() },
		Checkpoint: func() uint64 { return seq },
		Clock:      func() time.Time { return now },
	})
	if got := series(t, r, "frontdoor_outbox_messages"); got["state=pending"] != 2 || got["state=dead"] != 1 || got["state=delivered"] != 0 || got["state=other"] != 4 {
		t.Errorf("outbox %v", got)
	}
	if got := series(t, r, "frontdoor_store_bytes"); got[""] != 4096 {
		t.Errorf("store bytes %v", got)
	}
	if got := series(t, r, "frontdoor_sync_lag_seconds"); len(got) != 0 {
		t.Errorf("sync lag before any sync: %v", got)
	}
	// the last success and the checkpoint are there from the start, 0
	// before any event, so a stream that never started can be alerted on
	// (issue 22, item 25)
	if got := series(t, r, "frontdoor_sync_last_applied_timestamp_seconds"); len(got) != 1 || got[""] != 0 {
		t.Errorf("last applied before any sync: %v, want 0", got)
	}
	if got := series(t, r, "frontdoor_sync_checkpoint_seq"); len(got) != 1 || got[""] != 0 {
		t.Errorf("checkpoint before any sync: %v, want 0", got)
	}
	synced, seq = now.Add(-90*time.Second), 4711
	if got := series(t, r, "frontdoor_sync_lag_seconds"); got[""] != 90 {
		t.Errorf("sync lag %v, want 90", got)
	}
	if got := series(t, r, "frontdoor_sync_last_applied_timestamp_seconds"); got[""] != float64(synced.Unix()) {
		t.Errorf("last applied %v, want %d", got, synced.Unix())
	}
	if got := series(t, r, "frontdoor_sync_checkpoint_seq"); got[""] != 4711 {
		t.Errorf("checkpoint %v, want 4711", got)
	}
}

func TestRingPercentiles(t *testing.T) {
	r := NewRing(100)
	if l := r.Latency(); l.N != 0 {
		t.Fatalf("empty ring: %+v", l)
	}
	for i := 1; i <= 250; i++ { // the ring keeps 151…250
		r.Add(time.Duration(i) * time.Millisecond)
	}
	l := r.Latency()
	if l.N != 100 || l.P50 != 200*time.Millisecond || l.P99 != 249*time.Millisecond {
		t.Fatalf("latency %+v", l)
	}
}
