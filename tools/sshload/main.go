// Command sshload opens many console sessions against a frontdoor server
// at once, as agents starting a shift would, has each type at a human
// pace, and reports what an agent feels and what the server pays:
//
//   - connect time: dial → the first frame (the first output holding the
//     --ready text), p50/p99;
//   - keystroke → frame: from the write of each key to the first output
//     after it, p50/p99/max over every key of every session, and the bytes
//     a key costs (all output from its write to the next key's);
//   - errors, counted by kind (exit status 1 if there are any);
//   - server heap: go_memstats_heap_inuse_bytes from --metrics before any
//     session opens and once all are open and idle, per idle session (and
//     RssAnon from /proc with --server-pid). Heap in use counts garbage
//     not yet collected, so each figure is the least of three reads and
//     still an upper bound; take it from a hundred sessions or more.
//
// With --baseline it also runs the smallest Bubble Tea program served by
// Wish (a title and an echo of what is typed, 120 fps) as a child process
// and puts the same load on it (first, or last with --order target-first),
// so the ratios frontdoor/baseline come from one run on one machine.
//
// Each session: connect with a PTY (xterm-256color, 80×24), wait for the
// first frame, wait until every session is open and --idle has passed
// (the heap is read then), then type --query one key at a time, a key
// every --pace (±25% so sessions do not march in step), clear the box with
// as many backspaces (keys too), --rounds times; then, against frontdoor,
// type the query at once, wait for --expect, press enter and wait for
// --open, and hold the session --hold before leaving. Every wait has a
// deadline; a key that gets no output within --key-timeout is an error
// ("no frame for key").
//
// With --storm N, before that load, N sessions connect within
// --storm-within (a floor reconnecting after a deploy, issue 23): how
// many got in, what refused the rest, connect → first frame, and first
// dial → all in. With --flood N, N connections of each kind the attack
// reviews used (silent, banner-only, a stalled key exchange), from
// 127.0.0.2-4, are kept open against each target throughout (see
// storm.go).
//
// # Connection rate
//
// frontdoor serve limits new connections per remote address (--conn-rate,
// default 5 a second with bursts of 20), before and after authentication.
// Every session of this tool comes from one address, so a load opening
// sessions faster than that is refused (handshake errors: EOF, connection
// reset) unless the server under test runs with the limit raised for the
// test:
//
//	frontdoor serve --demo --listen 127.0.0.1:23234 --conn-rate 1000 --metrics 127.0.0.1:9464
//
// A real deployment keeps a low per-address rate: the default 5/s, or
// about the number of agents behind one NAT address divided by the seconds
// over which they start a shift (300 agents starting over a minute: 5/s;
// the burst takes a few at the same second). The limit is the brake on a
// client opening connections in a loop; a limit raised for a load test
// removes it.
//
// frontdoor also caps a user at 8 sessions and gives a key to one user
// only: for more than 8 sessions, add users each with a key and pass
// --users with --key holding {user} (/keys/{user} → /keys/load1, …).
//
//	go run ./tools/sshload --addr 127.0.0.1:23234 --users $(seq -s, -f 'load%g' 13) \
//	    --key '/tmp/keys/{user}' --sessions 100 --rate 20 --baseline \
//	    --metrics http://127.0.0.1:9464/metrics
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// config is one load: the same for the baseline and the server under test.
type config struct {
	users      []string
	signers    map[string]gossh.Signer // by user
	sessions   int
	rate       float64 // sessions opened a second
	pace       time.Duration
	rounds     int
	query      string
	queries    []string // non-empty: session i types queries[i%len] instead of query
	ready      string
	idle       time.Duration
	keyTimeout time.Duration
	hold       time.Duration
	out        io.Writer // progress lines; nil: none
	trace      io.Writer // every key's latency and bytes; nil: none
	// storm sessions connect within stormWithin before the load (0: no
	// storm); flood connections of each kind run all along (0: none)
	storm       int
	stormWithin time.Duration
	flood       int
}

// target is a server to load.
type target struct {
	name       string
	addr       string
	metricsURL string // "": no heap figures
	pid        int    // 0: no RssAnon
	expect     string // shown once the query is typed ("": not checked)
	open       string // after the rounds: type the query, enter, wait for this ("": skip)
}

// Deadlines.
const (
	setupLimit  = 20 * time.Second // dial → first frame
	stepLimit   = 10 * time.Second // look-up, open
	scrapeLimit = 5 * time.Second
)

func main() {
	fs := flag.NewFlagSet("sshload", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:23234", "the frontdoor server's address (loopback unless you mean it); \"\" with --baseline: the baseline alone")
	user := fs.String("user", "", "agent name (one user: frontdoor allows 8 sessions a user)")
	users := fs.String("users", "", "agent names, comma-separated, sessions spread over them in turn (for more than 8 sessions)")
	keyFile := fs.String("key", "", "the agents' private key (unencrypted); {user} in it is replaced by each user's name, since frontdoor gives a key to one user")
	n := fs.Int("sessions", 100, "sessions to open")
	perSecond := fs.Float64("rate", 4, "new sessions a second, all from this one address: past 5/s (after a burst of 20) frontdoor refuses them unless it runs with --conn-rate raised (e.g. 1000) for the test; a real deployment keeps its default 5/s")
	pace := fs.Duration("pace", 150*time.Millisecond, "time between keys, each gap jittered ±25%")
	trace := fs.Bool("trace", false, "print every key to stderr: its index, the key, ms to its frame, its bytes and when it was written (UTC, to find which keys are slow, and match them to the server's trace)")
	rounds := fs.Int("rounds", 3, "times each session types the query and clears it with backspaces")
	query := fs.String("query", "maria", "what each session types in Lookup")
	queries := fs.String("queries", "", "comma-separated: session i types the i-th, in turn, instead of --query, so agents' searches differ (no answer shared or kept); --expect and the baseline's echo check are then off")
	expect := fs.String("expect", "Maria Lopez", "what frontdoor's look-up shows once the query is typed (\"\": not checked)")
	ready := fs.String("ready", "Find an account", "text of the first frame")
	open := fs.String("open", "Latest sign-ins", "after the rounds, frontdoor only: type the query at once, enter, and wait for this (\"\": skip)")
	idle := fs.Duration("idle", 5*time.Second, "how long all sessions stay idle, after the last opens and before typing; the heap is read at its end")
	keyTimeout := fs.Duration("key-timeout", 5*time.Second, "a key with no output for this long is an error")
	hold := fs.Duration("hold", 0, "how long each session stays open at the end")
	metricsURL := fs.String("metrics", "", "the server's Prometheus metrics, e.g. http://127.0.0.1:9464/metrics (frontdoor serve --metrics): heap per idle session")
	serverPID := fs.Int("server-pid", 0, "the server's process id: its RssAnon per idle session, from /proc")
	storm := fs.Int("storm", 0, "before the load, a reconnect storm: this many sessions connecting within --storm-within, all from this address, each waiting for its first frame; then all close (0: none)")
	stormWithin := fs.Duration("storm-within", 5*time.Second, "the storm's dials spread evenly over this (0: all at once)")
	floodN := fs.Int("flood", 0, "connections of each kind of flood (silent from 127.0.0.2, banner-only from .3, a stalled key exchange from .4) kept open against each target through the storm and the load, each reopened 100 ms after the server closes it (0: none)")
	baseline := fs.Bool("baseline", false, "also run the smallest Bubble Tea program over Wish (a child process) and load it the same way, for the ratio")
	order := fs.String("order", "baseline-first", "with --baseline: baseline-first or target-first")
	serveBaseline := fs.String("serve-baseline", "", "") // hidden: be the baseline server
	baselineMetrics := fs.String("baseline-metrics", "", "")
	fs.Usage = func() { usage(fs) }
	fs.Parse(os.Args[1:])

	if *serveBaseline != "" {
		if err := runBaselineChild(*serveBaseline, *baselineMetrics, *ready); err != nil {
			fmt.Fprintln(os.Stderr, "sshload baseline:", err)
			os.Exit(1)
		}
		return
	}
	names := splitNames(*user, *users)
	switch {
	case *n < 1 || *n > 5000:
		usagef("--sessions from 1 to 5000")
	case *addr == "" && !*baseline:
		usagef("--addr is required (or --baseline alone)")
	case *addr != "" && (len(names) == 0 || *keyFile == ""):
		usagef("--user (or --users) and --key are required")
	case *perSecond <= 0 || *pace <= 0 || *rounds < 1 || *query == "" || *ready == "" || *keyTimeout <= 0 || *idle < 0:
		usagef("--rate, --pace, --rounds and --key-timeout must be positive, --query and --ready not empty")
	case *order != "baseline-first" && *order != "target-first":
		usagef("--order is baseline-first or target-first")
	case !*baseline && *order != "baseline-first":
		usagef("--order goes with --baseline")
	case *storm < 0 || *storm > 5000 || *stormWithin < 0 || *floodN < 0:
		usagef("--storm from 0 to 5000, --storm-within and --flood not negative")
	}
	if len(names) == 0 {
		names = []string{"load"}
	}
	cfg := config{users: names, sessions: *n, rate: *perSecond, pace: *pace, rounds: *rounds, query: *query, queries: splitNames("", *queries),
		ready: *ready, idle: *idle, keyTimeout: *keyTimeout, hold: *hold, out: os.Stderr,
		storm: *storm, stormWithin: *stormWithin, flood: *floodN}
	if *trace {
		cfg.trace = os.Stderr
	}
	var err error
	if *keyFile != "" {
		cfg.signers, err = loadSigners(*keyFile, names)
	} else {
		cfg.signers, err = ephemeralSigners(names)
	}
	if err != nil {
		fatal(err)
	}

	if per := (max(*n, *storm) + len(names) - 1) / len(names); *addr != "" && per > 8 {
		fmt.Fprintf(os.Stderr, "sshload: note: %d sessions a user; frontdoor refuses a user's 9th (give more --users)\n", per)
	}
	baselineExpect := "Find: " + *query
	if len(cfg.queries) > 0 {
		*expect, baselineExpect = "", "" // each session's answer is its own
	}
	var targets []target
	if *addr != "" {
		targets = append(targets, target{name: "frontdoor", addr: *addr, metricsURL: *metricsURL, pid: *serverPID, expect: *expect, open: *open})
	}
	if *baseline {
		child, err := startBaseline(*ready)
		if err != nil {
			fatal(err)
		}
		exitHooks = append(exitHooks, child.stop)
		go func() { // a signal: the child goes too
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
			<-sig
			exit(130)
		}()
		b := target{name: "baseline", addr: child.sshAddr, metricsURL: "http://" + child.metricsAddr + "/metrics",
			pid: child.cmd.Process.Pid, expect: baselineExpect}
		if *order == "baseline-first" {
			targets = append([]target{b}, targets...)
		} else {
			targets = append(targets, b)
		}
	}

	typed, keys := strconv.Quote(cfg.query), fmt.Sprint(2*len([]rune(cfg.query))*cfg.rounds)
	if len(cfg.queries) > 0 {
		lens := make([]int, len(cfg.queries))
		for i, q := range cfg.queries {
			lens[i] = len([]rune(q))
		}
		typed = fmt.Sprintf("%d queries (%s)", len(cfg.queries), strings.Join(shortList(cfg.queries), ","))
		keys = fmt.Sprintf("%d–%d", 2*slices.Min(lens)*cfg.rounds, 2*slices.Max(lens)*cfg.rounds)
	}
	fmt.Printf("sshload: %d sessions (%g a second, users %s), %d rounds of %s (%s keys a session) at %v ±25%%\n",
		cfg.sessions, cfg.rate, strings.Join(shortList(cfg.users), ","), cfg.rounds, typed, keys, cfg.pace)
	var reports []*report
	for i, t := range targets {
		if i > 0 {
			time.Sleep(time.Second) // let the previous run's connections close
		}
		reports = append(reports, runLoad(context.Background(), cfg, t))
	}
	printReports(os.Stdout, reports)
	code := 0
	for _, r := range reports {
		if r.errorCount() > 0 {
			code = 1
		}
	}
	exit(code)
}

// exit ends the tool after the baseline child (if any) is stopped.
var exitHooks []func()

func exit(code int) {
	for _, f := range exitHooks {
		f()
	}
	os.Exit(code)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "sshload:", err)
	exit(1)
}

func usagef(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "sshload: "+format+"\n", args...)
	os.Exit(2)
}

func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `Usage: go run ./tools/sshload --addr HOST:PORT (--user NAME | --users A,B,…) --key FILE [flags]

Sessions come from one address: over 5 new sessions a second frontdoor
refuses them unless it runs with --conn-rate raised for the test
(frontdoor serve --conn-rate 1000). A real deployment keeps a low
per-address rate, the default 5/s or about the agents behind one NAT
address divided by the seconds over which they start a shift: it is the
brake on a client opening connections in a loop.

`)
	fs.VisitAll(func(f *flag.Flag) {
		if f.Usage == "" {
			return // the baseline child's own flags
		}
		name, use := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s %s\n    \t%s", f.Name, name, use)
		switch {
		case f.DefValue == "" || f.DefValue == "0" || f.DefValue == "0s" || f.DefValue == "false":
		case name == "string":
			fmt.Fprintf(w, " (default %q)", f.DefValue)
		default:
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// splitNames is first (if any) and then the comma-separated rest, each once.
func splitNames(first, rest string) []string {
	var names []string
	if first != "" {
		names = append(names, first)
	}
	for _, u := range strings.Split(rest, ",") {
		if u = strings.TrimSpace(u); u != "" && !slices.Contains(names, u) {
			names = append(names, u)
		}
	}
	return names
}

func shortList(s []string) []string {
	if len(s) <= 3 {
		return s
	}
	return []string{s[0], s[1], "…", s[len(s)-1]}
}

// loadSigners reads each user's key: pattern with {user} replaced, or the
// one file for all.
func loadSigners(pattern string, users []string) (map[string]gossh.Signer, error) {
	m := map[string]gossh.Signer{}
	for _, u := range users {
		path := strings.ReplaceAll(pattern, "{user}", u)
		pem, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("key for %s: %w", u, err)
		}
		s, err := gossh.ParsePrivateKey(pem)
		if err != nil {
			return nil, fmt.Errorf("key for %s (%s): %w", u, path, err)
		}
		m[u] = s
	}
	return m, nil
}

// ephemeralSigners is one new key for every user: enough for the baseline,
// which takes any key.
func ephemeralSigners(users []string) (map[string]gossh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	m := map[string]gossh.Signer{}
	for _, u := range users {
		m[u] = s
	}
	return m, nil
}

// loadError is an error of a kind; the report counts them by kind.
type loadError struct {
	kind string
	err  error
}

func (e *loadError) Error() string { return e.kind + ": " + e.err.Error() }
func (e *loadError) Unwrap() error { return e.err }

func fail(kind string, err error) *loadError { return &loadError{kind, err} }

// sessionResult is one session's figures.
type sessionResult struct {
	connect      time.Duration
	ready        bool
	latency      []time.Duration // per key
	bytes        []int           // per key
	lookup, open time.Duration
	err          *loadError
}

// report is one target's figures.
type report struct {
	target               target
	cfg                  config
	sessions, ready      int
	connect, latency     []time.Duration
	lookup, open         []time.Duration
	keyBytes             []int
	errs                 map[string]int
	examples             map[string]string
	heapBefore, heapIdle float64 // bytes; < 0: not read
	rssBefore, rssIdle   float64
	// the server's allocation and GC cycles from the typing's start to
	// the load's end (the rounds, then each session's look-up and open);
	// < 0: not read. A collection while 200 sessions type is the tail
	// of keystroke → frame: its assists stall whoever allocates.
	allocTyping, gcTyping float64
	idleBytes             int64 // output during the idle phase, all sessions
	idleFor, total        time.Duration
	idleSessions          int
	storm                 *stormResult // nil: no storm
	flood                 string       // what the floods did ("": none)
}

func (r *report) errorCount() int {
	n := 0
	if r.storm != nil {
		n += r.storm.failed()
	}
	for _, c := range r.errs {
		n += c
	}
	return n
}

func (r *report) addError(e *loadError) {
	r.errs[e.kind]++
	if _, ok := r.examples[e.kind]; !ok {
		r.examples[e.kind] = e.Error()
	}
}

// runLoad puts the load on one target: opens the sessions at cfg.rate,
// waits until all are open plus cfg.idle (reading the heap), then lets
// them type.
func runLoad(ctx context.Context, cfg config, t target) *report {
	rep := &report{target: t, cfg: cfg, sessions: cfg.sessions, errs: map[string]int{}, examples: map[string]string{},
		heapBefore: -1, heapIdle: -1, rssBefore: -1, rssIdle: -1, allocTyping: -1, gcTyping: -1}
	progress := func(format string, args ...any) {
		if cfg.out != nil {
			fmt.Fprintf(cfg.out, "sshload %s: "+format+"\n", append([]any{t.name}, args...)...)
		}
	}
	readServer := func(heap, rss *float64) {
		if t.metricsURL != "" {
			v, err := heapInuse(ctx, t.metricsURL)
			if err != nil {
				rep.addError(fail("metrics", err))
			} else {
				*heap = v
			}
		}
		if t.pid != 0 {
			v, err := rssAnon(t.pid)
			if err != nil {
				rep.addError(fail("rss", err))
			} else {
				*rss = v
			}
		}
	}
	if cfg.flood > 0 {
		st, stop := startFlood(ctx, t.addr, cfg.flood)
		defer func() { stop(); rep.flood = st.String() }()
		time.Sleep(2 * time.Second) // the floods are in before the agents come
	}
	if cfg.storm > 0 {
		rep.storm = runStorm(cfg, t, progress)
		time.Sleep(2 * time.Second) // the storm's sessions are gone before the load's open
	}
	readServer(&rep.heapBefore, &rep.rssBefore)

	results := make([]sessionResult, cfg.sessions)
	var received atomic.Int64 // all sessions' output
	var opened, done sync.WaitGroup
	start := make(chan struct{})
	// every session is open (or failed) by this long after the first
	startLimit := time.Duration(float64(cfg.sessions)/cfg.rate*float64(time.Second)) + setupLimit + cfg.idle + 4*scrapeLimit + 10*time.Second
	began := time.Now()
	progress("opening %d sessions", cfg.sessions)
	tick := time.NewTicker(time.Duration(float64(time.Second) / cfg.rate))
	for i := range results {
		if i > 0 {
			<-tick.C
		}
		opened.Add(1)
		done.Add(1)
		user := cfg.users[i%len(cfg.users)]
		go func() {
			defer done.Done()
			session(&results[i], cfg, cfg.queryOf(i), t, user, &received, opened.Done, start, startLimit)
		}()
	}
	tick.Stop()
	opened.Wait()
	for _, r := range results {
		if r.ready {
			rep.idleSessions++
		}
	}
	progress("%d of %d open; idle %v", rep.idleSessions, cfg.sessions, cfg.idle)
	before := received.Load()
	idleStart := time.Now()
	time.Sleep(cfg.idle)
	rep.idleBytes, rep.idleFor = received.Load()-before, time.Since(idleStart)
	readServer(&rep.heapIdle, &rep.rssIdle)
	alloc0, gc0, counted := allocAndGC(ctx, t.metricsURL)
	progress("typing")
	close(start)
	done.Wait()
	rep.total = time.Since(began)
	if alloc1, gc1, ok := allocAndGC(ctx, t.metricsURL); ok && counted {
		rep.allocTyping, rep.gcTyping = alloc1-alloc0, gc1-gc0
	}

	for _, r := range results {
		if r.ready {
			rep.ready++
			rep.connect = append(rep.connect, r.connect)
		}
		rep.latency = append(rep.latency, r.latency...)
		rep.keyBytes = append(rep.keyBytes, r.bytes...)
		if r.lookup > 0 {
			rep.lookup = append(rep.lookup, r.lookup)
		}
		if r.open > 0 {
			rep.open = append(rep.open, r.open)
		}
		if r.err != nil {
			rep.addError(r.err)
		}
	}
	return rep
}

// session plays one agent and puts its figures in r. opened is called
// once the first frame is in (r.connect and r.ready set) or the session
// failed; typing starts when start closes.
func session(r *sessionResult, cfg config, query string, t target, user string, received *atomic.Int64, opened func(), start <-chan struct{}, startLimit time.Duration) {
	isOpen := false
	defer func() {
		if !isOpen {
			opened()
		}
	}()
	a, err := connect(cfg, t, user, received)
	if err != nil {
		r.err = err
		return
	}
	defer a.close()
	in, w, stderr := a.in, a.w, &a.stderr
	r.connect, r.ready = a.connect, true
	isOpen = true
	opened()

	select {
	case <-start:
	case <-time.After(startLimit):
		r.err = fail("waiting for the other sessions", errors.New("timed out"))
		return
	}
	r.latency, r.bytes, r.err = typeRounds(cfg, query, t, in, w)
	if r.err != nil {
		r.err.err = explain(r.err.err, stderr)
		return
	}
	if t.open != "" {
		w.discardText() // the rounds showed the result already
		t1 := time.Now()
		if _, err := io.WriteString(in, query); err != nil {
			r.err = fail("look-up", err)
			return
		}
		if t.expect != "" {
			if err := w.waitFor(t.expect, t1.Add(stepLimit)); err != nil {
				r.err = fail("look-up", explain(err, stderr))
				return
			}
			r.lookup = time.Since(t1)
		}
		t2 := time.Now()
		if _, err := io.WriteString(in, "\r"); err != nil {
			r.err = fail("open", err)
			return
		}
		if err := w.waitFor(t.open, t2.Add(stepLimit)); err != nil {
			r.err = fail("open", explain(err, stderr))
			return
		}
		r.open = time.Since(t2)
	}
	time.Sleep(cfg.hold)
}

// agentConn is a session with its first frame in.
type agentConn struct {
	nc      net.Conn
	c       *gossh.Client
	s       *gossh.Session
	in      io.Writer
	w       *stream
	stderr  limitedBuffer
	connect time.Duration // dial → first frame
}

func (a *agentConn) close() {
	a.s.Close()
	a.c.Close()
	a.nc.Close()
}

// connect dials t as user with a PTY, starts the shell and waits for the
// first frame (cfg.ready), all within setupLimit.
func connect(cfg config, t target, user string, received *atomic.Int64) (*agentConn, *loadError) {
	t0 := time.Now()
	nc, err := net.DialTimeout("tcp", t.addr, setupLimit)
	if err != nil {
		return nil, fail("dial", err)
	}
	a := &agentConn{nc: nc}
	ok := false
	defer func() {
		if !ok {
			nc.Close()
		}
	}()
	// bounds the handshake, the PTY and shell requests, and the first frame
	_ = nc.SetDeadline(t0.Add(setupLimit))
	cc, chans, reqs, err := gossh.NewClientConn(nc, t.addr, &gossh.ClientConfig{User: user,
		Auth: []gossh.AuthMethod{gossh.PublicKeys(cfg.signers[user])}, HostKeyCallback: gossh.InsecureIgnoreHostKey()})
	if err != nil {
		return nil, fail("handshake", err)
	}
	a.c = gossh.NewClient(cc, chans, reqs)
	if a.s, err = a.c.NewSession(); err != nil {
		return nil, fail("session", err)
	}
	a.s.Stderr = &a.stderr
	if err := a.s.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		return nil, fail("pty", err)
	}
	if a.in, err = a.s.StdinPipe(); err != nil {
		return nil, fail("session", err)
	}
	out, err := a.s.StdoutPipe()
	if err != nil {
		return nil, fail("session", err)
	}
	if err := a.s.Shell(); err != nil {
		return nil, fail("shell", err)
	}
	a.w = newStream(out, received)
	if err := a.w.waitFor(cfg.ready, t0.Add(setupLimit)); err != nil {
		return nil, fail("first frame", explain(err, &a.stderr))
	}
	a.connect = time.Since(t0)
	_ = nc.SetDeadline(time.Time{})
	ok = true
	return a, nil
}

// typeRounds types the query a key at a time and clears it with
// backspaces, cfg.rounds times, and times each key: latency from its write
// to the first output after it, bytes from its write to the next key's
// (the last key's: until the output has been quiet for two paces).
func typeRounds(cfg config, query string, t target, in io.Writer, w *stream) ([]time.Duration, []int, *loadError) {
	var keys []string
	q := []rune(query)
	for range cfg.rounds {
		for _, c := range q {
			keys = append(keys, string(c))
		}
		for range q {
			keys = append(keys, "\x7f")
		}
	}
	w.startTiming()
	writes := make([]time.Time, 0, len(keys))
	next := time.Now().Add(time.Duration(mrand.Int64N(int64(cfg.pace)))) // sessions start out of step
	var err *loadError
	for i, k := range keys {
		time.Sleep(time.Until(next))
		if i == 0 && t.expect != "" {
			w.discardText() // the expected text must come from this round
		}
		at := time.Now()
		if _, werr := io.WriteString(in, k); werr != nil {
			err = fail("write key", werr)
			break
		}
		writes = append(writes, at)
		// the next key waits for this one's frame, so that output is never
		// put down to the wrong key; at a human pace it never has to
		if _, aerr := w.arrival(at, at.Add(cfg.keyTimeout)); aerr != nil {
			err = fail("no frame for key", fmt.Errorf("key %d of %d (%q): %w", i+1, len(keys), k, aerr))
			break
		}
		if i == len(q)-1 && t.expect != "" {
			if werr := w.waitFor(t.expect, at.Add(cfg.keyTimeout)); werr != nil {
				err = fail("look-up", werr)
				break
			}
		}
		next = at.Add(jitter(cfg.pace))
	}
	if err == nil {
		w.quiet(2*cfg.pace, time.Now().Add(2*cfg.keyTimeout))
	}
	chunks, end := w.stopTiming()
	lat, b := perKey(writes, chunks, end)
	if cfg.trace != nil {
		for i := range lat {
			fmt.Fprintf(cfg.trace, "key %d %q %.2f ms %d B at %s\n", i, keys[i], float64(lat[i].Microseconds())/1000, b[i], writes[i].UTC().Format("15:04:05.000000"))
		}
	}
	if err != nil && len(lat) > 0 && len(lat) == len(writes) && err.kind == "no frame for key" {
		lat, b = lat[:len(lat)-1], b[:len(b)-1] // the key without a frame is not a figure
	}
	return lat, b, err
}

// queryOf is what session i types.
func (c config) queryOf(i int) string {
	if len(c.queries) > 0 {
		return c.queries[i%len(c.queries)]
	}
	return c.query
}

// jitter is d ±25%.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.75 + 0.5*mrand.Float64()))
}

// chunk is output as it arrived.
type chunk struct {
	at time.Time
	n  int
}

// perKey puts output down to keys: key i owns what arrived from its write
// to the next key's write (the last key: to end); its latency is to the
// first of that. A key without output in its window gets none (typeRounds
// does not send the next key until there is some).
func perKey(writes []time.Time, chunks []chunk, end time.Time) (lat []time.Duration, byts []int) {
	j := 0
	for i, at := range writes {
		until := end
		if i+1 < len(writes) {
			until = writes[i+1]
		}
		for j < len(chunks) && chunks[j].at.Before(at) {
			j++
		}
		n, first := 0, time.Time{}
		for ; j < len(chunks) && chunks[j].at.Before(until); j++ {
			if first.IsZero() {
				first = chunks[j].at
			}
			n += chunks[j].n
		}
		if first.IsZero() {
			continue
		}
		lat = append(lat, first.Sub(at))
		byts = append(byts, n)
	}
	return lat, byts
}

// stream is a session's output as it arrives: kept as text to wait for,
// and, while timing, chunk by chunk with the time it came.
type stream struct {
	mu       sync.Mutex
	text     []byte // output not yet searched past
	timing   bool
	chunks   []chunk
	scanned  int       // chunks arrival has looked at
	last     time.Time // latest output
	err      error     // why reading stopped
	more     chan struct{}
	received *atomic.Int64
}

const maxText = 1 << 20 // text kept to search; older output is dropped

func newStream(r io.Reader, received *atomic.Int64) *stream {
	w := &stream{more: make(chan struct{}, 1), received: received}
	go w.read(r) // ends when the connection closes
	return w
}

func (w *stream) read(r io.Reader) {
	b := make([]byte, 32<<10)
	for {
		n, err := r.Read(b)
		at := time.Now()
		w.mu.Lock()
		if n > 0 {
			w.text = append(w.text, b[:n]...)
			if len(w.text) > maxText {
				w.text = append(w.text[:0], w.text[len(w.text)-maxText/2:]...)
			}
			if w.timing {
				w.chunks = append(w.chunks, chunk{at, n})
			}
			w.last = at
			w.received.Add(int64(n))
		}
		if err != nil {
			w.err = err
		}
		w.mu.Unlock()
		select {
		case w.more <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

var errTimeout = errors.New("timed out")

// ended is why a wait ended without its output.
func (w *stream) ended() error {
	if errors.Is(w.err, io.EOF) {
		return errors.New("session ended")
	}
	return fmt.Errorf("session ended: %w", w.err)
}

// wait blocks until there is more output or the deadline.
func (w *stream) wait(deadline time.Time) bool {
	d := time.Until(deadline)
	if d <= 0 {
		return false
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-w.more:
		return true
	case <-tm.C:
		return false
	}
}

// waitFor waits for text in output not yet searched past.
func (w *stream) waitFor(text string, deadline time.Time) error {
	for {
		w.mu.Lock()
		i := bytes.Index(w.text, []byte(text))
		if i >= 0 {
			w.text = append(w.text[:0], w.text[i+len(text):]...)
		}
		ended := w.err
		w.mu.Unlock()
		switch {
		case i >= 0:
			return nil
		case ended != nil:
			return w.ended()
		case !w.wait(deadline):
			return fmt.Errorf("%q %w", text, errTimeout)
		}
	}
}

// discardText forgets output so far: waitFor looks only at what comes next.
func (w *stream) discardText() {
	w.mu.Lock()
	w.text = w.text[:0]
	w.mu.Unlock()
}

func (w *stream) startTiming() {
	w.mu.Lock()
	w.timing, w.chunks, w.scanned = true, nil, 0
	w.mu.Unlock()
}

// stopTiming returns the chunks timed, and when timing stopped.
func (w *stream) stopTiming() ([]chunk, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.chunks
	w.timing, w.chunks = false, nil
	return c, time.Now()
}

// arrival waits for the first output at or after t.
func (w *stream) arrival(t, deadline time.Time) (time.Time, error) {
	for {
		w.mu.Lock()
		var got time.Time
		for ; w.scanned < len(w.chunks); w.scanned++ {
			if !w.chunks[w.scanned].at.Before(t) {
				got = w.chunks[w.scanned].at
				break
			}
		}
		ended := w.err
		w.mu.Unlock()
		switch {
		case !got.IsZero():
			return got, nil
		case ended != nil:
			return time.Time{}, w.ended()
		case !w.wait(deadline):
			return time.Time{}, fmt.Errorf("no output in %v", deadline.Sub(t))
		}
	}
}

// quiet waits until there has been no output for d, or the deadline.
func (w *stream) quiet(d time.Duration, deadline time.Time) {
	for {
		w.mu.Lock()
		last, ended := w.last, w.err
		w.mu.Unlock()
		until := last.Add(d)
		if ended != nil || !time.Now().Before(until) || !time.Now().Before(deadline) {
			return
		}
		if until.After(deadline) {
			until = deadline
		}
		tm := time.NewTimer(time.Until(until))
		select {
		case <-w.more:
		case <-tm.C:
		}
		tm.Stop()
	}
}

// limitedBuffer keeps the first 512 bytes written (the server's reason on
// stderr for ending a session).
type limitedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := 512 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.TrimSpace(string(l.b))
}

// explain adds what the server said on stderr, if anything.
func explain(err error, stderr *limitedBuffer) error {
	if s := stderr.String(); s != "" {
		return fmt.Errorf("%w (server: %s)", err, s)
	}
	return err
}

// perKeyTyped is what the typing phase allocated per key timed (the
// phase also holds each session's look-up and open: a little over).
func perKeyTyped(total float64, keys int) float64 {
	if total < 0 || keys == 0 {
		return -1
	}
	return total / float64(keys)
}

// heapInuse reads go_memstats_heap_inuse_bytes from a Prometheus text
// exposition: the least of three reads 200 ms apart, since the figure
// also counts garbage not yet collected and a read may fall just before
// a collection.
func heapInuse(ctx context.Context, url string) (float64, error) {
	best := -1.0
	for i := range 3 {
		if i > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		v, err := scrapeMetric(ctx, url, "go_memstats_heap_inuse_bytes")
		if err != nil {
			return 0, err
		}
		if best < 0 || v < best {
			best = v
		}
	}
	return best, nil
}

// allocAndGC reads the server's bytes allocated so far and its GC
// cycles so far; ok is false without --metrics or on an error (the
// figures are then not reported).
func allocAndGC(ctx context.Context, url string) (alloc, cycles float64, ok bool) {
	if url == "" {
		return 0, 0, false
	}
	alloc, err := scrapeMetric(ctx, url, "go_memstats_alloc_bytes_total")
	if err != nil {
		return 0, 0, false
	}
	cycles, err = scrapeMetric(ctx, url, "go_gc_duration_seconds_count")
	return alloc, cycles, err == nil
}

// scrapeMetric reads one unlabelled metric's value from a Prometheus text
// exposition.
func scrapeMetric(ctx context.Context, url, name string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, scrapeLimit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("metrics %s: %w", url, err)
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4") // the text format, not protobuf
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("metrics %s: %s", url, resp.Status)
	}
	v, err := findMetric(resp.Body, name)
	if err != nil {
		return 0, fmt.Errorf("metrics %s: %w", url, err)
	}
	return v, nil
}

// findMetric finds the line "name value" in a text exposition.
func findMetric(r io.Reader, name string) (float64, error) {
	sc := bufio.NewScanner(io.LimitReader(r, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, fmt.Errorf("%s has no value", name)
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return v, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s", name)
}

// rssAnon is a process's resident anonymous memory, from /proc.
func rssAnon(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("server process: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				break
			}
			kb, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				break
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no RssAnon in /proc/%d/status", pid)
}

// percentile is the nearest-rank p-th of sorted d.
func percentile(d []time.Duration, p float64) time.Duration {
	i := int(float64(len(d))*p+0.999999) - 1
	return d[max(0, min(i, len(d)-1))]
}

// figures is a report's numbers by row, for the table and the ratios.
type figure struct {
	label string
	v     float64 // < 0: none
	unit  string  // "ms", "B", "B/s", "n"
}

func durations(d []time.Duration) []time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return d
}

func (r *report) figures() []figure {
	ms := func(d []time.Duration, p float64) float64 {
		if len(d) == 0 {
			return -1
		}
		return float64(percentile(durations(d), p)) / float64(time.Millisecond)
	}
	per := func(idle, before float64) float64 {
		if idle < 0 || before < 0 || r.idleSessions == 0 {
			return -1
		}
		return (idle - before) / float64(r.idleSessions)
	}
	meanBytes := -1.0
	if len(r.keyBytes) > 0 {
		s := 0
		for _, b := range r.keyBytes {
			s += b
		}
		meanBytes = float64(s) / float64(len(r.keyBytes))
	}
	idleRate := -1.0
	if r.idleSessions > 0 && r.idleFor > 0 {
		idleRate = float64(r.idleBytes) / float64(r.idleSessions) / r.idleFor.Seconds()
	}
	f := []figure{
		{"sessions ready", float64(r.ready), "n"},
		{"connect → first frame p50", ms(r.connect, .5), "ms"},
		{"connect → first frame p99", ms(r.connect, .99), "ms"},
		{"keystroke → frame p50", ms(r.latency, .5), "ms"},
		{"keystroke → frame p99", ms(r.latency, .99), "ms"},
		{"keystroke → frame max", ms(r.latency, 1), "ms"},
		{"keys timed", float64(len(r.latency)), "n"},
		{"server allocated per key typed", perKeyTyped(r.allocTyping, len(r.latency)), "B"},
		{"server GC cycles while typing", r.gcTyping, "n"},
		{"bytes per key (mean)", meanBytes, "B"},
		{"heap in use before", r.heapBefore, "B"},
		{"heap in use, all idle", r.heapIdle, "B"},
		{"heap per idle session", per(r.heapIdle, r.heapBefore), "B"},
		{"RssAnon before", r.rssBefore, "B"},
		{"RssAnon, all idle", r.rssIdle, "B"},
		{"RssAnon per idle session", per(r.rssIdle, r.rssBefore), "B"},
		{"output per idle session", idleRate, "B/s"},
		{"look-up → result p50", ms(r.lookup, .5), "ms"},
		{"enter → account p50", ms(r.open, .5), "ms"},
		{"errors", float64(r.errorCount()), "n"},
		{"wall time", float64(r.total) / float64(time.Millisecond), "ms"},
	}
	if st := r.storm; st != nil {
		allIn := -1.0
		if st.in > 0 {
			allIn = float64(st.allIn) / float64(time.Millisecond)
		}
		f = append([]figure{
			{"storm: in", float64(st.in), "n"},
			{"storm: refused or failed", float64(st.failed()), "n"},
			{"storm: first dial → all in", allIn, "ms"},
			{"storm: connect p50", ms(st.connect, .5), "ms"},
			{"storm: connect p99", ms(st.connect, .99), "ms"},
		}, f...)
	}
	return f
}

// ratioRows are the rows given as target/baseline.
var ratioRows = []string{"storm: connect p50", "storm: connect p99", "connect → first frame p50", "connect → first frame p99", "keystroke → frame p50",
	"keystroke → frame p99", "bytes per key (mean)", "heap per idle session", "RssAnon per idle session"}

func format(f figure) string {
	if f.v < 0 {
		return "—"
	}
	switch f.unit {
	case "ms":
		if f.v >= 10000 {
			return fmt.Sprintf("%.1f s", f.v/1000)
		}
		return fmt.Sprintf("%.2f ms", f.v)
	case "B":
		return formatBytes(f.v)
	case "B/s":
		return formatBytes(f.v) + "/s"
	}
	return fmt.Sprintf("%.0f", f.v)
}

func formatBytes(v float64) string {
	a := v
	if a < 0 {
		a = -a
	}
	switch {
	case a >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case a >= 10<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

// printReports prints the targets' figures side by side, the ratio of the
// server to the baseline, the issue 14 limits, and the errors.
func printReports(out io.Writer, reps []*report) {
	var base, tgt *report
	for _, r := range reps {
		if r.target.name == "baseline" {
			base = r
		} else {
			tgt = r
		}
	}
	cols := make([][]figure, len(reps))
	for i, r := range reps {
		cols[i] = r.figures()
	}
	fmt.Fprintf(out, "\n%-28s", "")
	for _, r := range reps {
		fmt.Fprintf(out, "%16s", r.target.name)
	}
	withRatio := base != nil && tgt != nil
	if withRatio {
		fmt.Fprintf(out, "%10s", "ratio")
	}
	fmt.Fprintln(out)
	var bf, tf map[string]float64
	if withRatio {
		bf, tf = map[string]float64{}, map[string]float64{}
		for _, f := range base.figures() {
			bf[f.label] = f.v
		}
		for _, f := range tgt.figures() {
			tf[f.label] = f.v
		}
	}
	for row := range cols[0] {
		label := cols[0][row].label
		if label == "sessions ready" {
			fmt.Fprintf(out, "%-28s", label)
			for _, r := range reps {
				fmt.Fprintf(out, "%16s", fmt.Sprintf("%d/%d", r.ready, r.sessions))
			}
			fmt.Fprintln(out)
			continue
		}
		fmt.Fprintf(out, "%-28s", label)
		for i := range reps {
			fmt.Fprintf(out, "%16s", format(cols[i][row]))
		}
		if withRatio && slices.Contains(ratioRows, label) {
			fmt.Fprintf(out, "%10s", ratio(tf[label], bf[label]))
		}
		fmt.Fprintln(out)
	}
	if withRatio {
		fmt.Fprintln(out, "\nissue 14 and 23 limits (frontdoor against the baseline):")
		check := func(what string, ok bool, got string) {
			verdict := "ok"
			if !ok {
				verdict = "OVER"
			}
			fmt.Fprintf(out, "  %-44s %-12s %s\n", what, got, verdict)
		}
		for _, l := range []string{"keystroke → frame p99", "connect → first frame p50", "connect → first frame p99"} {
			b, t := bf[l], tf[l]
			check(l+" ≤ 1.3× baseline", b > 0 && t >= 0 && t <= 1.3*b, ratio(t, b))
		}
		bk := tf["bytes per key (mean)"]
		check("bytes per key ≤ 700", bk >= 0 && bk <= 700, format(figure{v: bk, unit: "B"}))
		if h := tf["heap per idle session"]; h >= 0 {
			check("heap per idle session < 1 MiB", h < 1<<20, formatBytes(h))
		}
		if st := tgt.storm; st != nil {
			check(fmt.Sprintf("storm: all %d in", tgt.cfg.storm), st.in == tgt.cfg.storm, strconv.Itoa(st.in))
			check(fmt.Sprintf("storm: all in within %v", tgt.cfg.stormWithin+time.Second), st.in > 0 && st.allIn <= tgt.cfg.stormWithin+time.Second, format(figure{v: float64(st.allIn) / float64(time.Millisecond), unit: "ms"}))
		}
		check("errors: 0", tgt.errorCount() == 0, strconv.Itoa(tgt.errorCount()))
	}
	for _, r := range reps {
		kinds := make([]string, 0, len(r.errs))
		for k := range r.errs {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(out, "%s error ×%d %s (e.g. %s)\n", r.target.name, r.errs[k], k, r.examples[k])
		}
		if st := r.storm; st != nil {
			kinds = kinds[:0]
			for k := range st.errs {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			for _, k := range kinds {
				fmt.Fprintf(out, "%s storm error ×%d %s (e.g. %s)\n", r.target.name, st.errs[k], k, st.example[k])
			}
		}
		if r.flood != "" {
			fmt.Fprintf(out, "%s floods: %s\n", r.target.name, r.flood)
		}
		if r.errs["handshake"] > 0 && r.target.name != "baseline" {
			fmt.Fprintln(out, "  (handshakes cut short: frontdoor refuses over --conn-rate new connections a second from one address; raise it on the server under test)")
		}
	}
}

func ratio(t, b float64) string {
	if t < 0 || b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", t/b)
}
