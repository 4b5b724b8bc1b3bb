package ssh

import (
	"sync"
	"time"

	"frontdoor/metrics"
	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// OpsSource reads the Ops screen's figures (tui.OpsSnapshot) for every
// session of a server, or for the local console: at most once a second,
// however many engineers watch, and the audit trail only from where it
// last read (the week's diagnoses are kept, the new ones added).
type OpsSource struct {
	st       *store.Store
	reg      *metrics.Registry    // nil: no latencies
	sessions func() []SessionInfo // nil: the local console
	clock    func() time.Time

	mu    sync.Mutex
	last  tui.OpsSnapshot
	read  time.Time
	leads []model.LedWith // the last week's diagnoses, oldest first
	seq   uint64          // the audit trail read up to here
}

// opsFresh: a snapshot younger than this is shared, not read again.
const opsFresh = 900 * time.Millisecond

// NewOpsSource reads from st, reg (may be nil) and sessions (nil for the
// local console, which has no server's).
func NewOpsSource(st *store.Store, reg *metrics.Registry, sessions func() []SessionInfo, clock func() time.Time) *OpsSource {
	if clock == nil {
		clock = time.Now
	}
	return &OpsSource{st: st, reg: reg, sessions: sessions, clock: clock}
}

// Snapshot is the figures now (or under a second ago).
func (o *OpsSource) Snapshot() tui.OpsSnapshot {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.clock()
	if !o.read.IsZero() && now.Sub(o.read) < opsFresh && !now.Before(o.read) {
		return o.last
	}
	s := tui.OpsSnapshot{At: now, Server: o.sessions != nil}
	problem := func(what string, err error) { s.Problems = append(s.Problems, what+": "+err.Error()) }
	if o.sessions != nil {
		for _, x := range o.sessions() {
			s.Sessions = append(s.Sessions, tui.OpsSession{User: x.User, Role: x.Role, Remote: x.Remote, Started: x.Started})
		}
	}
	if o.reg != nil {
		l, f := o.reg.Recent()
		s.Lookup, s.Frame = tui.Latency(l), tui.Latency(f)
	}
	var err error
	if s.Outbox, err = o.st.OutboxCounts(); err != nil {
		problem("outbox", err)
	}
	if s.StoreBytes, err = o.st.Size(); err != nil {
		problem("store", err)
	}
	if h, _ := o.st.Health(); h.Down != nil {
		// the header says STORE DOWN; here, with the cause, for on-call
		problem("store not answering since "+h.Since.UTC().Format("15:04:05 MST"), h.Down)
	}
	if at, ok := o.st.LastSync(); ok {
		s.LastSync = at
	}
	weekAgo := now.Add(-model.LeadWeek)
	fresh, seq, err := o.st.Diagnoses(o.seq, weekAgo)
	if err != nil {
		problem("audit", err)
	} else {
		o.seq = seq
		o.leads = append(o.leads, fresh...)
	}
	keep := 0 // drop what fell out of the week
	for keep < len(o.leads) && !o.leads[keep].At.After(weekAgo) {
		keep++
	}
	o.leads = o.leads[keep:]
	s.Leads = model.CountLeads(o.leads, now, time.UTC)
	o.last, o.read = s, now
	return s
}
