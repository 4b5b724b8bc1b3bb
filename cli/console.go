package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/log"
	"github.com/muesli/termenv"

	"frontdoor/demo"
	"frontdoor/metrics"
	"frontdoor/mirror"
	"frontdoor/model"
	"frontdoor/screens"
	fdssh "frontdoor/ssh"
	"frontdoor/store"
	"frontdoor/training"
	"frontdoor/tui"
)

// seedIfEmpty loads the demo set into an empty store, and keeps an
// existing demo store current.
func seedIfEmpty(st *store.Store, now time.Time) (bool, error) {
	n, err := st.Count()
	if err != nil {
		return false, err
	}
	if n > 0 {
		return false, st.ReanchorDemo(now)
	}
	accs, _ := demo.Data(now)
	return true, st.SeedDemo(accs, now)
}

// KeysFile remaps keys: in the data directory for every SSH session of a
// server, in the user's config directory for the local console.
const KeysFile = "keys.json"

// userKeysFile is the local console's keys.json ($XDG_CONFIG_HOME or
// ~/.config, /frontdoor/keys.json).
func userKeysFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "frontdoor", KeysFile)
}

// runConsole runs the console in this terminal as the OS user (admin).
func runConsole(c *ctx, args []string) error {
	fs := flag.NewFlagSet("frontdoor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.storeFlags(fs)
	idle := fs.Duration("idle", 15*time.Minute, "log off after this long without a key")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			c.usage(c.io.Out)
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unknown command %q", fs.Arg(0))
	}
	open := c.store
	if c.storeURL != "" {
		// a cluster's store: read through a local index as any front
		// end, and never seeded with the demo (an empty prefix is a
		// mistyped one, not a first run)
		c.frontEnd, open = true, c.existingStore
	}
	st, err := open()
	if err != nil {
		return err
	}
	if c.storeURL == "" {
		if seeded, err := seedIfEmpty(st, c.io.now()); err != nil {
			return err
		} else if seeded {
			fmt.Fprintf(c.io.Err, "Empty store: loaded the built-in DEMO accounts into %s.\n", st.Path())
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := lipgloss.NewRenderer(os.Stdout)
	if os.Getenv("NO_COLOR") != "" {
		r.SetColorProfile(termenv.Ascii)
	}
	// Ask the terminal's background now, while nothing else reads stdin: asked
	// later, from a View, the answer races the program's input reader.
	dark := r.HasDarkBackground()
	r.SetHasDarkBackground(dark)
	// and for the default renderer, which bubbles' own styles use: Bubble
	// Tea asked for it in its init (our copy does not: third_party/bubbletea)
	lipgloss.SetHasDarkBackground(dark)
	env := tui.NewEnv(ctx, c.io.actor(), st, r)
	env.IdleTimeout = *idle
	if env.Keys, err = tui.LoadKeys(userKeysFile()); err != nil {
		return err
	}
	if lib, err := training.Builtin(); err == nil {
		env.Hotkeys = append(env.Hotkeys, screens.PracticeHotkey(env, training.NewRoom(lib)))
	}
	// no server here, but the Ops screen still shows this console's own
	// look-up and frame latency, the outbox, sync lag and findings
	reg := newRegistry(st, c.io.Clock)
	st.SetRecorder(reg)
	env.Ops, env.OpenOps = fdssh.NewOpsSource(st, reg, nil, c.io.Clock).Snapshot, screens.OpenOps
	app := tui.NewApp(env, screens.NewLookup(env))
	defer app.Close()
	actor := env.Actor
	_ = st.Audit(store.AuditEntry{At: c.io.now(), Actor: actor.Name, Role: actor.Role, Action: "console_login"})
	_, err = tea.NewProgram(tui.TimeFrames(app, reg.Frame), tea.WithAltScreen(), tea.WithFPS(tui.FPS), tea.WithFramesOnChange(), tea.WithContext(ctx)).Run()
	_ = st.Audit(store.AuditEntry{At: c.io.now(), Actor: actor.Name, Role: actor.Role, Action: "console_logout"})
	if reason := app.ExitReason(); reason != "" {
		fmt.Fprintln(c.io.Out, reason)
	}
	if err != nil && err != tea.ErrProgramKilled {
		return err
	}
	return nil
}

// newRegistry is a metrics registry reading st's figures at scrape time.
func newRegistry(st *store.Store, clock func() time.Time) *metrics.Registry {
	return metrics.New(metrics.Sources{Outbox: st.OutboxCounts, StoreBytes: st.Size, LastSync: st.LastSync, Checkpoint: st.Checkpoint, Clock: clock})
}

// runServe serves the console over SSH until SIGINT or SIGTERM.
func runServe(c *ctx) error {
	listen := c.fs.String("listen", "127.0.0.1:23234", "address to listen on")
	seed := c.fs.Bool("demo", false, "load the demo accounts if the store is empty")
	idle := c.fs.Duration("idle", 15*time.Minute, "log a session off after this long without a key")
	maxSession := c.fs.Duration("max-session", 12*time.Hour, "end any session after this long")
	connRate := c.fs.Float64("conn-rate", fdssh.DefaultConnRate, "new connections a second per remote address (a floor behind one NAT address shares it)")
	deliverTo := c.fs.String("deliver-to", "", "deliver the outbox to this URL continuously (rule S8)")
	secretFile := c.fs.String("secret-file", "", "with --deliver-to: the file holding the shared signing secret (mode 600)")
	metricsAddr := c.fs.String("metrics", "", "serve Prometheus metrics on http://ADDR/metrics (a loopback address, e.g. 127.0.0.1:9464)")
	metricsPublic := c.fs.Bool("metrics-public", false, "with --metrics: allow an address that is not loopback")
	logFormat := c.fs.String("log-format", "text", "log format on stderr: text, json or logfmt")
	logLevel := c.fs.String("log-level", "info", "least level logged: debug, info, warn or error")
	scenarios := c.fs.String("scenarios", "", "training scenarios from this directory instead of the embedded ones")
	headTo := c.fs.String("head-to", "", "ship the audit head (SEQ:HASH and the time) when it moves: appended to this file (not in the data directory), or POSTed as JSON to this http(s) URL")
	headEvery := c.fs.Duration("head-every", time.Minute, "with --head-to: how often to look whether the head moved")
	if err := c.parse(); err != nil {
		return err
	}
	logger, err := c.newLogger(*logFormat, *logLevel)
	if err != nil {
		return err
	}
	// a trainer's directory is input: a bad file is skipped with a
	// warning naming it, and the console starts with the good ones
	lib, bad, err := library(*scenarios)
	if err != nil {
		return err
	}
	if *scenarios != "" { // the embedded ones hold: their tests say so
		var invalid []error
		lib, invalid = lib.Holding(model.DefaultPolicy)
		bad = append(bad, invalid...)
	}
	for _, e := range bad {
		logger.Warn("scenario skipped", "why", e.Error())
	}
	if *scenarios != "" {
		logger.Info("training scenarios", "dir", *scenarios, "offered", len(lib), "skipped", len(bad))
	}
	room := training.NewRoom(lib)
	if *metricsAddr != "" {
		if err := metrics.CheckAddr(*metricsAddr, *metricsPublic); err != nil {
			return usagef("%v", err)
		}
	} else if *metricsPublic {
		return usagef("--metrics-public goes with --metrics ADDR")
	}
	var shipper *headShipper
	if *headTo != "" {
		if *headEvery <= 0 {
			return usagef("--head-every %s: want a positive duration", *headEvery)
		}
		if shipper, err = newHeadShipper(*headTo, c.dataDir, c.io.Clock); err != nil {
			return err
		}
	}
	c.frontEnd = true // on a cluster: a local index, kept current by a watch
	st, err := c.store()
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		// A keystroke's look-up and frames are short-lived garbage and the
		// live heap is small (~15 MB with 100 sessions): collecting a
		// quarter as often costs tens of MB and took the 100-agent
		// keystroke p99 from 16.9 to 14.9 ms (BENCHMARKS.md). Set once the
		// store is open: a cluster front end's first fill has pages in
		// flight, and at 400 it peaked at five times them. An operator's
		// GOGC wins.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	logger.Info("store", "on", st.Describe())
	warnKeyBeside(logger, c.dataDir, st.KeyPath())
	// practices make their sandboxes in the data directory, which this
	// server holds alone; a crash's leftovers go now
	room.SandboxDir = filepath.Join(c.dataDir, "practice")
	if err := training.ClearSandboxes(room.SandboxDir); err != nil {
		return fmt.Errorf("clearing old practice sandboxes: %w", err)
	}
	if *seed {
		if _, err := seedIfEmpty(st, c.io.now()); err != nil {
			return err
		}
	} else if err := st.ReanchorDemo(c.io.now()); err != nil {
		return err
	}
	keys, err := tui.LoadKeys(filepath.Join(c.dataDir, KeysFile)) // server-wide
	if err != nil {
		return err
	}
	var relay *mirror.Relay
	if *deliverTo != "" {
		if relay, err = newRelay(st, *deliverTo, *secretFile, c.io.Clock); err != nil {
			return err
		}
	}
	reg := newRegistry(st, c.io.Clock) // one per server: the Ops screen reads it even without --metrics
	srv, err := fdssh.New(fdssh.Config{Addr: *listen, DataDir: c.dataDir, Store: st, Logger: logger,
		IdleTimeout: *idle, MaxSession: *maxSession, ConnRate: *connRate, Keys: &keys, Metrics: reg, Room: room})
	if err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		return err
	}
	if n, _ := st.Count(); n == 0 {
		logger.Warn("the store has no accounts: load them with `frontdoor import FILE` or `frontdoor sync`, or start with --demo for the demo set")
	}
	if us, _ := st.Users(); len(us) == 0 {
		logger.Warn("no users yet: add one with `frontdoor user add NAME --role agent --key-file ~/.ssh/id_ed25519.pub`")
	}
	ctl, err := ListenControl(c.dataDir)
	if err != nil {
		return err
	}
	defer ctl.Close()
	go ServeControl(ctl, st, c.io.Clock, srv)
	if st.Replicated() {
		// who is on here, for `sessions` on every front end; on the wall
		// clock, as the heartbeats that keep it believed are
		defer publishFrontEnd(st, srv, time.Now, logger)()
		defer logHealth(st, logger)()
	}
	if shipper != nil {
		stop, err := startShipping(shipper, st, *headEvery, logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	if relay != nil {
		// the relay runs beside the sessions: an agent's action only queues
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		wake, unsub := st.OutboxQueued()
		defer unsub()
		warn := func(f string, a ...any) { logger.Warn(fmt.Sprintf(f, a...)) }
		// one relay across the store's front ends: this one delivers
		// while it leads, and stands by to take over when it does not
		go leading(ctx, st, store.RoleRelay, logger, func(ctx context.Context) { relay.Run(ctx, wake, warn) })
		logger.Info("delivering the outbox", "to", mirror.RedactURL(*deliverTo))
	}
	if *metricsAddr != "" {
		bound, stop, err := reg.Listen(*metricsAddr)
		if err != nil {
			return err
		}
		defer stop()
		logger.Info("metrics", "url", "http://"+bound+"/metrics")
	}
	// the signals are ours before "serving" is said: a supervisor (or a
	// test) that stops the server as soon as it reads that line gets a
	// clean shutdown, not the default death
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	logger.Info("serving", "addr", srv.Addr(), "store", st.Describe(), "host_key", srv.HostKeyFingerprint())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case err := <-errc:
		return err
	case s := <-sig:
		logger.Info("shutting down", "signal", s.String(), "sessions", len(srv.Sessions()))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			logger.Warn("shutdown", "err", err)
		}
		return nil
	}
}

// warnKeyBeside says, once at start, when the audit key in use is in the
// data directory (or an audit.key is still there beside a key kept
// elsewhere): whoever can write the directory can then edit the audit
// trail and re-seal it unseen.
func warnKeyBeside(logger *log.Logger, dataDir, keyPath string) {
	if insideDir(dataDir, keyPath) {
		logger.Warn("the audit key is in the data directory: an insider with file access there can edit the audit trail and re-seal it so that check passes; "+
			"keep the key elsewhere with --audit-key FILE (or $FRONTDOOR_AUDIT_KEY) and ship the head with --head-to", "key", keyPath)
		return
	}
	if beside := filepath.Join(dataDir, store.KeyFile); fileExists(beside) {
		logger.Warn("an audit key is still in the data directory though the key in use is kept elsewhere: if it is a copy, remove it, "+
			"or an insider with file access there can re-seal an edited audit trail", "copy", beside, "key", keyPath)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// startShipping ships the audit head at once (a head file the server
// cannot write stops it there), then every interval until stop, which
// ships a last time. A head file that already holds heads is first held
// against the trail: one that no longer holds is said at start, loudly.
func startShipping(h *headShipper, st *store.Store, every time.Duration, logger *log.Logger) (stop func(), err error) {
	h.st = st
	if h.file != "" {
		// a file the server cannot write stops it now, not a log line a
		// minute from the first entry on
		f, err := os.OpenFile(h.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("--head-to: %w", err)
		}
		f.Close()
		if fi, err := os.Stat(h.file); err == nil && fi.Size() > 0 {
			problems, _, err := st.CheckHeadFile(h.file)
			switch {
			case err != nil:
				logger.Error("the head file does not read", "to", h.file, "err", err)
			case len(problems) > 0:
				logger.Error("the audit trail does not hold the heads shipped before: it was rewritten or cut since; run `frontdoor check --head-from "+h.file+"`",
					"to", h.file, "problems", len(problems), "first", problems[0])
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := h.ship(ctx); err != nil {
		if h.file != "" {
			cancel()
			return nil, err
		}
		logger.Warn("audit head not shipped", "to", h.where(), "err", err)
	}
	logger.Info("shipping the audit head", "to", h.where(), "every_s", fdssh.Seconds(every))
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.run(ctx, every, func(msg string, kv ...any) { logger.Warn(msg, kv...) })
	}()
	return func() {
		cancel()
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := h.ship(ctx); err != nil {
			logger.Warn("audit head not shipped", "to", h.where(), "err", err)
		}
	}, nil
}

// leading runs work while this process leads role across the store's
// front ends, and campaigns again whenever it loses the lead, until ctx
// ends. On a store in one file it leads at once, for good.
func leading(ctx context.Context, st *store.Store, role string, logger *log.Logger, work func(context.Context)) {
	for ctx.Err() == nil {
		lead, err := st.Lead(ctx, role)
		if err != nil {
			if ctx.Err() == nil {
				logger.Warn("campaign for a role", "role", role, "err", err)
				time.Sleep(time.Second)
			}
			continue
		}
		logger.Info("leading", "role", role)
		held, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-lead.Lost():
				// the lease ended (the cluster unreachable for its 5 s, or
				// this process stalled): another front end may take over
				logger.Warn("lost the lead: its lease ended; standing by", "role", role)
				cancel()
			case <-held.Done():
			}
		}()
		work(held)
		cancel()
		lead.Resign()
	}
}
