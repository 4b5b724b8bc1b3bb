// Package metrics owns the server's Prometheus registry and collectors
// (DESIGN §9). The parts that report — ssh/, store/, the shell's frames —
// do it through the small Recorder interface, handed to them; nothing here
// is a global. One Registry per server; the Nop recorder is the default
// wherever none is given. Labels are bounded by construction: a login's
// result from a fixed list, an action from the action catalog (anything
// else is "other"); no account id, email or phone is ever a label.
package metrics

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"frontdoor/model"
)

// Recorder is what the parts report through.
type Recorder interface {
	// Login counts one login by its result (LoginOK, LoginUnknownKey, …).
	Login(result string)
	// SessionOpened and SessionClosed track the consoles open.
	SessionOpened()
	SessionClosed()
	// Frame is one message's Update and the View after it.
	Frame(d time.Duration)
	// Lookup is one search of the store.
	Lookup(d time.Duration)
	// Action counts one account action that committed (its audited name).
	Action(action string)
}

// Nop records nothing: the default.
type Nop struct{}

func (Nop) Login(string)         {}
func (Nop) SessionOpened()       {}
func (Nop) SessionClosed()       {}
func (Nop) Frame(time.Duration)  {}
func (Nop) Lookup(time.Duration) {}
func (Nop) Action(string)        {}

// Login results, the only values of frontdoor_logins_total's label.
const (
	LoginOK          = "ok"
	LoginUnknownKey  = "unknown_key"       // no registered key for the user named
	LoginNotAllowed  = "not_allowed"       // a role this server does not take (a trainer on a live store)
	LoginUserLimit   = "too_many_sessions" // the user's own cap
	LoginServerFull  = "server_full"       // the server's cap
	LoginNoPTY       = "no_pty"            // a registered key, but no terminal requested (ssh -T)
	loginOther       = "other"
	actionOther      = "other"
	outboxStateOther = "other"
)

var loginResults = []string{LoginOK, LoginUnknownKey, LoginNotAllowed, LoginUserLimit, LoginServerFull, LoginNoPTY}

// ActionLabel is the label an audited action is counted under: its own
// name if the action catalog (model.Catalog) has it, else "other".
func ActionLabel(action string) string {
	for _, a := range model.Catalog {
		if a.Action == action {
			return action
		}
	}
	return actionOther
}

// Sources are read when Prometheus scrapes: the figures the store keeps,
// not events. Any may be nil (the metric is then left out).
type Sources struct {
	// Outbox counts outbox messages by state (pending, delivered, dead).
	Outbox func() (map[string]int, error)
	// StoreBytes is the store file's size.
	StoreBytes func() (int64, error)
	// LastSync is when a change-stream event was last applied; false if
	// none ever was.
	LastSync func() (time.Time, bool)
	// Checkpoint is the change stream's checkpoint: the last seq applied.
	Checkpoint func() uint64
	// Clock is now (nil: the wall clock).
	Clock func() time.Time
}

// Registry is one server's metrics: a Prometheus registry with the Go
// runtime and process collectors and frontdoor's own, and small rings
// of recent latencies for the Ops screen.
type Registry struct {
	reg      *prometheus.Registry
	sessions prometheus.Gauge
	logins   *prometheus.CounterVec
	lookup   prometheus.Histogram
	frame    prometheus.Histogram
	actions  *prometheus.CounterVec
	lookups  *Ring
	frames   *Ring
}

// Latency buckets, in seconds: from 50 µs (an exact look-up) to 2.5 s
// (a frame stuck behind a slow client).
var latencyBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// New builds a registry reading src at scrape time.
func New(src Sources) *Registry {
	if src.Clock == nil {
		src.Clock = time.Now
	}
	r := &Registry{
		reg: prometheus.NewRegistry(),
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "frontdoor_sessions_open",
			Help: "Console sessions open over SSH."}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdoor_logins_total",
			Help: "SSH console logins, by result (ok, unknown_key, not_allowed, too_many_sessions, server_full, no_pty)."}, []string{"result"}),
		lookup: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "frontdoor_lookup_duration_seconds",
			Help: "Time one search of the store took.", Buckets: latencyBuckets}),
		frame: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "frontdoor_frame_duration_seconds",
			Help: "Time one message's Update and the View after it took, per session.", Buckets: latencyBuckets}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdoor_actions_total",
			Help: "Account actions committed, by audited action (from the action catalog; anything else is other)."}, []string{"action"}),
		lookups: NewRing(1024),
		frames:  NewRing(4096),
	}
	// every label value exists from the start, so a rate() has a zero to start from
	for _, res := range loginResults {
		r.logins.WithLabelValues(res)
	}
	for _, a := range model.Catalog {
		r.actions.WithLabelValues(a.Action)
	}
	r.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.sessions, r.logins, r.lookup, r.frame, r.actions, &storeCollector{src: src})
	return r
}

// Login implements Recorder.
func (r *Registry) Login(result string) {
	if !slices.Contains(loginResults, result) {
		result = loginOther
	}
	r.logins.WithLabelValues(result).Inc()
}

// SessionOpened implements Recorder.
func (r *Registry) SessionOpened() { r.sessions.Inc() }

// SessionClosed implements Recorder.
func (r *Registry) SessionClosed() { r.sessions.Dec() }

// Frame implements Recorder.
func (r *Registry) Frame(d time.Duration) {
	r.frame.Observe(d.Seconds())
	r.frames.Add(d)
}

// Lookup implements Recorder.
func (r *Registry) Lookup(d time.Duration) {
	r.lookup.Observe(d.Seconds())
	r.lookups.Add(d)
}

// Action implements Recorder.
func (r *Registry) Action(action string) { r.actions.WithLabelValues(ActionLabel(action)).Inc() }

// Recent is the look-up and frame latency of the last samples (the Ops
// screen's p50 and p99).
func (r *Registry) Recent() (lookup, frame Latency) {
	return r.lookups.Latency(), r.frames.Latency()
}

// Gatherer is the registry, for tests and other handlers.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// Handler serves the registry as Prometheus text.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// storeCollector reads the store's figures at scrape time.
type storeCollector struct{ src Sources }

var (
	outboxDesc = prometheus.NewDesc("frontdoor_outbox_messages", "Outbox messages, by state (pending, delivered, dead).", []string{"state"}, nil)
	syncDesc   = prometheus.NewDesc("frontdoor_sync_lag_seconds",
		"Seconds since a change-stream event was last applied (events carry no time of their own: a quiet stream grows it too). Absent until one is: alert on frontdoor_sync_last_applied_timestamp_seconds.", nil, nil)
	// Prometheus's guidance for "the last time X succeeded": a timestamp,
	// there from the start (0: never), so that time() - it alerts on a
	// stream that stalled and on one that never started alike
	syncAtDesc = prometheus.NewDesc("frontdoor_sync_last_applied_timestamp_seconds",
		"Unix time a change-stream event was last applied; 0 until one is.", nil, nil)
	checkpointDesc = prometheus.NewDesc("frontdoor_sync_checkpoint_seq",
		"The change stream's checkpoint: the seq of the last event applied (0 before any).", nil, nil)
	bytesDesc = prometheus.NewDesc("frontdoor_store_bytes", "Size of the store file.", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDesc
	ch <- syncDesc
	ch <- syncAtDesc
	ch <- checkpointDesc
	ch <- bytesDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Outbox != nil {
		counts, err := c.src.Outbox()
		if err != nil {
			ch <- prometheus.NewInvalidMetric(outboxDesc, err)
		} else {
			// store's delivery states (store.OutboxPending, …; rule S8)
			byState := map[string]int{"pending": 0, "delivered": 0, "dead": 0}
			for s, n := range counts {
				if _, ok := byState[s]; !ok {
					s = outboxStateOther
				}
				byState[s] += n
			}
			for s, n := range byState {
				ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n), s)
			}
		}
	}
	if c.src.LastSync != nil {
		at, ok := c.src.LastSync()
		stamp := 0.0
		if ok {
			ch <- prometheus.MustNewConstMetric(syncDesc, prometheus.GaugeValue, max(c.src.Clock().Sub(at).Seconds(), 0))
			stamp = float64(at.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(syncAtDesc, prometheus.GaugeValue, stamp)
	}
	if c.src.Checkpoint != nil {
		ch <- prometheus.MustNewConstMetric(checkpointDesc, prometheus.GaugeValue, float64(c.src.Checkpoint()))
	}
	if c.src.StoreBytes != nil {
		n, err := c.src.StoreBytes()
		if err != nil {
			ch <- prometheus.NewInvalidMetric(bytesDesc, err)
		} else {
			ch <- prometheus.MustNewConstMetric(bytesDesc, prometheus.GaugeValue, float64(n))
		}
	}
}

// ErrPublic: a metrics address that is not loopback, without the flag
// that allows one.
var ErrPublic = errors.New("is not a loopback address")

// CheckAddr refuses an address that would expose the metrics beyond this
// host (":9464" listens on every interface) unless public says so: the
// process collector tells anyone who can reach it about the host.
func CheckAddr(addr string, public bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("metrics address %q: %w", addr, err)
	}
	if public || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("metrics address %q %w: give 127.0.0.1:PORT, or --metrics-public to expose it", addr, ErrPublic)
}

// Listen binds addr and serves /metrics on it until the returned stop
// is called (it waits up to a second for scrapes under way).
func (r *Registry) Listen(addr string) (bound string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", r.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		http.Error(w, "frontdoor metrics are at /metrics", http.StatusNotFound)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close() }, nil
}
