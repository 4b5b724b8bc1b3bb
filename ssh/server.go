// Package ssh serves the console to support agents: a Wish server with
// public-key authentication against the users in the store, one Bubble
// Tea program per session, and the middleware a shared server needs
// (panic recovery, structured logs, connection limits, a terminal
// requirement, idle logoff, graceful shutdown).
package ssh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/log"
	cssh "github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/ratelimiter"
	rm "github.com/charmbracelet/wish/recover"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/time/rate"

	"frontdoor/metrics"
	"frontdoor/model"
	"frontdoor/screens"
	"frontdoor/store"
	"frontdoor/store/backend"
	"frontdoor/training"
	"frontdoor/tui"
)

// Config is what a server needs.
type Config struct {
	Addr        string // host:port; "127.0.0.1:0" for a random port
	DataDir     string // the host key lives here
	Store       *store.Store
	Clock       func() time.Time
	IdleTimeout time.Duration
	MaxSession  time.Duration
	Logger      *log.Logger
	// Mode overrides the data mode shown in the header ("" = from the store).
	Mode tui.Mode
	// ConnRate is new connections a second allowed per remote address,
	// before and after authentication (bursts of four times as many). A
	// support floor behind one NAT address shares it. 0 means the default.
	ConnRate float64
	// LoginGrace is how long a connection has to finish its handshake and
	// authenticate (OpenSSH's LoginGraceTime). 0 means DefaultLoginGrace.
	LoginGrace time.Duration
	// MaxUnauthenticated caps connections still authenticating, apart from
	// sessions (OpenSSH's MaxStartups); when full, the least advanced is
	// dropped (see guard). 0 means DefaultMaxUnauthenticated: a floor's
	// worth, since a deploy sends every agent's reconnect at once.
	MaxUnauthenticated int
	// MaxSessions caps authenticated connections.
	MaxSessions int
	// WriteTimeout cuts a session whose client has not taken a frame for
	// this long. 0 means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// Keys, when set, is the server-wide key map (a keys.json).
	Keys *tui.KeyMap
	// Room is the practice room (training scenarios); nil: no training on
	// this server, and trainers are refused.
	Room *training.Room
	// Metrics, when set, is told logins, sessions, frames, and (through
	// the store) look-ups and actions; the Ops screen reads its recent
	// latencies. One registry per server.
	Metrics *metrics.Registry
}

// Defaults for the limits in Config.
const (
	DefaultConnRate           = 5
	DefaultLoginGrace         = 30 * time.Second
	DefaultMaxUnauthenticated = 512 // issue 23: at 64 a floor reconnecting dropped itself
	DefaultMaxSessions        = 512
	DefaultWriteTimeout       = 10 * time.Second
)

// MaxSessionsPerUser bounds one user's consoles at once: a stolen key
// cannot fill the server, and an agent has a few windows at most.
const MaxSessionsPerUser = 8

// HostKeyFile is the server's ed25519 key, created on first start.
const HostKeyFile = "ssh_host_ed25519"

const (
	maxAuthTries    = 6 // per connection
	shutdownMessage = "frontdoor is restarting: your session has ended. Reconnect in a minute."
	fullMessage     = "frontdoor: the server has as many sessions as it takes; try again in a minute."
)

// Server is a running console server.
type Server struct {
	cfg         Config
	srv         *cssh.Server
	ln          net.Listener
	guard       *guard
	live        registry
	handlers    sync.WaitGroup // sessions still running, logout audit included
	refusals    *rate.Limiter  // refused logins audited individually, up to this rate
	logRefusals *rate.Limiter  // refused connections logged, up to this rate
	unlogged    atomic.Int64
	dropped     atomic.Int64 // refused logins over that rate, counted into the next audited one
	stop        chan struct{}
	stopOnce    sync.Once
	rec         metrics.Recorder // Config.Metrics, or nothing
	ops         *OpsSource       // the Ops screen's figures, shared by the sessions
	budgets     inputBudgets     // each user's input allowance, shared by their sessions
}

type ctxKey struct{ name string }

var (
	sessionKey = &ctxKey{"session"}
	connKey    = &ctxKey{"conn"}
)

// session is what the middlewares share about one SSH session.
type session struct {
	actor   store.Actor
	app     *tui.App
	live    *live
	command string // "", "practice" or "watch" (ssh -t HOST practice [NAME])
	arg     string
}

// sessionCommand reads what the client asked to run: nothing (the
// console), `practice [SCENARIO]` or `watch TRAINEE`.
func sessionCommand(args []string, role string, room *training.Room) (cmd, arg string, err error) {
	if len(args) == 0 {
		return "", "", nil
	}
	if room == nil && (args[0] == "practice" || args[0] == "watch") {
		return "", "", errors.New("this server has no training room")
	}
	switch {
	case args[0] == "practice" && len(args) <= 2:
		if len(args) == 2 {
			if _, ok := room.Library.Find(args[1]); !ok {
				return "", "", fmt.Errorf("no scenario %q (ssh -t HOST practice, then pick one)", cleanName(args[1]))
			}
			arg = args[1]
		}
		return "practice", arg, nil
	case args[0] == "watch" && len(args) == 2:
		if !screens.MayWatch(role) {
			return "", "", errors.New("watching a practice is for trainers, leads and admins")
		}
		return "watch", args[1], nil
	}
	return "", "", fmt.Errorf("unknown command %q: connect with no command for the console, or `practice [SCENARIO]`, `watch TRAINEE`", cleanName(strings.Join(args, " ")))
}

// New builds a server; it does not listen yet.
func New(cfg Config) (*Server, error) {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = log.NewWithOptions(io.Discard, log.Options{})
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 15 * time.Minute
	}
	if cfg.MaxSession == 0 {
		cfg.MaxSession = 12 * time.Hour
	}
	if cfg.ConnRate <= 0 {
		cfg.ConnRate = DefaultConnRate
	}
	if cfg.LoginGrace <= 0 {
		cfg.LoginGrace = DefaultLoginGrace
	}
	if cfg.MaxUnauthenticated <= 0 {
		cfg.MaxUnauthenticated = DefaultMaxUnauthenticated
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	burst := int(4 * cfg.ConnRate)
	s := &Server{cfg: cfg, live: registry{byID: map[uint64]*live{}}, stop: make(chan struct{}),
		guard:    newGuard(rate.Limit(cfg.ConnRate), burst, cfg.LoginGrace, cfg.MaxUnauthenticated, cfg.MaxSessions),
		refusals: rate.NewLimiter(10, 50), logRefusals: rate.NewLimiter(1, 10), rec: metrics.Nop{}}
	s.guard.onClose = s.closed
	if cfg.Metrics != nil {
		s.rec = cfg.Metrics
		cfg.Store.SetRecorder(cfg.Metrics)
	}
	s.ops = NewOpsSource(cfg.Store, cfg.Metrics, s.Sessions, cfg.Clock)
	keyPath := filepath.Join(cfg.DataDir, HostKeyFile)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	srv, err := wish.NewServer(
		wish.WithAddress(cfg.Addr),
		wish.WithHostKeyPath(keyPath),
		wish.WithPublicKeyAuth(s.authorize),
		wish.WithMaxTimeout(cfg.MaxSession+time.Minute), // a backstop; the app ends sessions first
		func(srv *cssh.Server) error {
			srv.ServerConfigCallback = func(ctx cssh.Context) *gossh.ServerConfig {
				return &gossh.ServerConfig{MaxAuthTries: maxAuthTries, AuthLogCallback: func(_ gossh.ConnMetadata, _ string, err error) {
					// x/crypto calls this with nil once a key's signature is
					// verified, before it writes USERAUTH_SUCCESS: the key is
					// proven before the client can know it and leave
					if gc, _ := ctx.Value(connKey).(*guardConn); gc != nil && err == nil {
						gc.proven.Store(true)
					}
				}}
			}
			srv.ConnCallback = s.admit
			// only session channels, and a bounded number open at once on
			// a connection: each costs a goroutine and its state whether
			// it runs a console or is refused, and nothing else capped them
			// (attack review, round 3: 20,000 on one connection, 150 MB)
			srv.ChannelHandlers = map[string]cssh.ChannelHandler{"session": s.sessionChannel}
			return nil
		},
		wish.WithMiddleware(
			rm.MiddlewareWithLogger(cfg.Logger,
				s.console,
				s.identify,
				ratelimiter.Middleware(ratelimiter.NewRateLimiter(rate.Limit(cfg.ConnRate), burst, 4096)),
				logSessions(cfg.Logger),
			),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	_ = os.Chmod(keyPath, 0o600)
	s.srv = srv
	return s, nil
}

// Listen binds the address; Addr then tells where.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	return nil
}

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// HostKeyFingerprint is the server's host key as OpenSSH shows it on a
// first connection (SHA256:…), for agents to compare.
func (s *Server) HostKeyFingerprint() string {
	b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, HostKeyFile))
	if err != nil {
		return ""
	}
	k, err := gossh.ParsePrivateKey(b)
	if err != nil {
		return ""
	}
	return gossh.FingerprintSHA256(k.PublicKey())
}

// Serve accepts connections until Shutdown.
func (s *Server) Serve() error {
	changes, cancel := s.cfg.Store.UserChanges()
	defer cancel()
	go s.watchUsers(changes, s.stop)
	err := s.srv.Serve(s.ln)
	if errors.Is(err, cssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown ends every live session with a message, stops accepting, and
// closes what clients leave open, all before ctx ends (DESIGN: within 5 s
// of SIGTERM). Programs are told to quit first, so agents' terminals are
// restored; nothing is sent under a lock or waited on without a bound, so
// a client that never reads cannot hold shutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stop) })
	s.live.mu.Lock()
	s.live.closing = true
	s.live.mu.Unlock()
	for _, l := range s.live.snapshot(nil) {
		l.end(shutdownMessage)
	}
	// let sessions end and their logouts be audited, for up to half the time left
	grace := 2 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		grace = min(grace, time.Until(dl)/2)
	}
	done := make(chan struct{})
	go func() { s.handlers.Wait(); close(done) }()
	select { // sessions end, their logout audited, before the store may close
	case <-done:
	case <-time.After(grace):
	}
	// sessions have ended; connections their clients keep open are closed
	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := s.srv.Shutdown(short); err != nil {
		return s.srv.Close()
	}
	return nil
}

// auditThroughOutage writes a session's login or logout entry, again
// while the store is unavailable (a cluster's outage: the session goes
// on, read from the front end's index), every few seconds for up to
// outageAuditFor or until shutdown; what still fails is logged. A login
// during an outage was in no trail, its logout in it alone. An entry
// whose first commit went unanswered and was applied may be written
// twice: one too many, not one missing.
func (s *Server) auditThroughOutage(e store.AuditEntry, what string) {
	wait, until := 100*time.Millisecond, time.Now().Add(outageAuditFor)
	for {
		err := s.cfg.Store.Audit(e)
		if err == nil {
			return
		}
		if !errors.Is(err, backend.ErrUnavailable) || time.Now().After(until) {
			s.cfg.Logger.Error(what+" not audited", "user", e.Actor, "err", err)
			return
		}
		select {
		case <-s.stop:
			s.cfg.Logger.Error(what+" not audited: the server stopped first", "user", e.Actor, "err", err)
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// outageAuditFor bounds how long a session's entry is tried again.
var outageAuditFor = 2 * time.Minute

// authorize only says yes or no: the key must belong to the user named
// at login. Who the session is comes from the key the handshake actually
// verified, read again in identify (CVE-2024-45337). A panic here would
// kill the server, so it is recovered into a no.
func (s *Server) authorize(ctx cssh.Context, key cssh.PublicKey) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logger.Error("panic in auth", "err", r)
			ok = false
		}
	}()
	u, err := s.cfg.Store.UserByKey(key)
	ok = err == nil && u.Name == ctx.User()
	if gc, _ := ctx.Value(connKey).(*guardConn); gc != nil {
		gc.offered(ctx.User(), ok)
	}
	return ok
}

// maxChannels is the most session channels one connection may have open
// at once: a console, and a few more a client opens and closes around
// it (OpenSSH's own MaxSessions is 10).
const maxChannels = 10

// sessionChannel runs a session channel, unless its connection already
// has maxChannels open.
func (s *Server) sessionChannel(srv *cssh.Server, conn *gossh.ServerConn, ch gossh.NewChannel, ctx cssh.Context) {
	gc, _ := ctx.Value(connKey).(*guardConn)
	if gc != nil && !gc.openChannel(maxChannels) {
		_ = ch.Reject(gossh.ResourceShortage, fmt.Sprintf("at most %d sessions open on one connection", maxChannels))
		return
	}
	if gc != nil {
		defer gc.closeChannel()
	}
	cssh.DefaultSessionHandler(srv, conn, ch, ctx)
}

// admit runs before any SSH work: the guard's rate and caps, and the
// login grace (see guard).
func (s *Server) admit(ctx cssh.Context, conn net.Conn) net.Conn {
	gc, why, dropped := s.guard.admit(conn)
	switch {
	case gc == nil:
		s.logConn("connection refused", why, conn.RemoteAddr().String())
		return nil
	case dropped != nil:
		s.logConn("connection dropped", "the slots for connections authenticating were full: the least advanced went", dropped.RemoteAddr().String())
	}
	ctx.SetValue(connKey, gc)
	return gc
}

// logConn logs a connection refused or dropped, at most once a second
// with a count of those not logged since: a flood must not flood the log.
func (s *Server) logConn(what, why, remote string) {
	if s.logRefusals.Allow() {
		s.cfg.Logger.Warn(what, "why", why, "remote", remote, "not_logged_since", s.unlogged.Swap(0))
	} else {
		s.unlogged.Add(1)
	}
}

// closed audits a login that offered keys and never got in (issue 9:
// refused logins left no trace). A flood is audited up to a rate; what
// is over it is counted into the next entry.
//
// A connection whose handshake completed proved a registered key: if no
// session reached identify (ssh -N, or a client that left before asking
// for one) it is counted as no_pty, never as an unknown key, which a
// brute-force alert reads.
func (s *Server) closed(gc *guardConn) {
	gc.mu.Lock()
	authed, sessions, user, keys := gc.authed, gc.sessions, gc.user, gc.keysSeen
	gc.mu.Unlock()
	switch {
	case authed || sessions || keys == 0:
	case gc.proven.Load():
		s.refuse(metrics.LoginNoPTY, user, gc.host, map[string]string{"why": "no session or terminal requested"})
	default:
		s.refuse(metrics.LoginUnknownKey, user, gc.host, map[string]string{"keys_offered": fmt.Sprint(keys), "why": "no registered key for this user"})
	}
}

// refuse counts a refused login by result, logs it (at most once a
// second, as logConn) and audits it when there are details to audit. The
// log names the user only when it is one of the registry's (an agent's
// name): a name an attacker typed may be anything, an email address too.
func (s *Server) refuse(result, user, host string, details map[string]string) {
	s.rec.Login(result)
	if s.logRefusals.Allow() {
		s.cfg.Logger.Warn("login refused", "result", result, "user", s.logName(user), "remote", host, "not_logged_since", s.unlogged.Swap(0))
	} else {
		s.unlogged.Add(1)
	}
	if details != nil {
		s.auditRefusal(user, host, details)
	}
}

// logName is a login name as the log may show it: a registered user's
// name, else "(not a user)".
func (s *Server) logName(name string) string {
	if _, err := s.cfg.Store.User(name); err == nil {
		return cleanName(name)
	}
	return "(not a user)"
}

func (s *Server) auditRefusal(user, host string, details map[string]string) {
	if !s.refusals.Allow() {
		s.dropped.Add(1)
		return
	}
	details["user"], details["remote"] = cleanName(user), host
	if n := s.dropped.Swap(0); n > 0 {
		details["more_refused_not_itemised"] = fmt.Sprint(n)
	}
	if err := s.cfg.Store.Audit(store.AuditEntry{At: s.cfg.Clock(), Actor: "frontdoor", Action: "ssh_login_refused", Details: details}); err != nil {
		s.cfg.Logger.Error("refused login not audited", "err", err)
	}
}

// noPTYMessage turns away a session without a terminal (ssh -T, or a
// command without -t), in one line.
const noPTYMessage = "frontdoor needs a terminal: connect with ssh -t (ssh -t -p PORT NAME@HOST); use the frontdoor command line for scripts."

// identify resolves the session's user from its verified key, audits
// login and logout, and tells the user why a session ended.
func (s *Server) identify(next cssh.Handler) cssh.Handler {
	return func(sess cssh.Session) {
		s.handlers.Add(1)
		defer s.handlers.Done()
		host, _, _ := net.SplitHostPort(sess.RemoteAddr().String())
		gc, _ := sess.Context().Value(connKey).(*guardConn)
		key := sess.PublicKey()
		if key == nil || gc == nil {
			wish.Fatalln(sess, "frontdoor: public-key authentication is required.")
			return
		}
		gc.identified() // what happens now is counted here, not at the close
		if !gc.authenticate() {
			s.refuse(metrics.LoginServerFull, sess.User(), host, nil)
			wish.Fatalln(sess, fullMessage)
			return
		}
		if !gc.openConsole() {
			wish.Fatalln(sess, "frontdoor: one console per connection; open a new connection for another.")
			return
		}
		defer gc.closeConsole()
		u, err := s.cfg.Store.UserByKey(key)
		if err != nil || u.Name != sess.User() {
			s.refuse(metrics.LoginUnknownKey, sess.User(), host, map[string]string{"why": "key no longer registered for this user"})
			wish.Fatalln(sess, "frontdoor: this key is not registered for "+cleanName(sess.User())+".")
			return
		}
		if u.Role == model.RoleTrainer && s.cfg.Mode != tui.Training && s.cfg.Room == nil {
			s.refuse(metrics.LoginNotAllowed, u.Name, host, map[string]string{"why": "trainer on a live store without a training room"})
			wish.Fatalln(sess, "frontdoor: trainers use the training sandbox, never the live store; this server has no training room.")
			return
		}
		if _, _, ok := sess.Pty(); !ok {
			// checked after the key is known: before, a registered user's
			// ssh -T never authenticated the connection and was counted
			// as an unknown key, which a brute-force alert reads
			s.refuse(metrics.LoginNoPTY, u.Name, host, map[string]string{"why": "no terminal requested"})
			wish.Fatalln(sess, noPTYMessage)
			return
		}
		command, arg, err := sessionCommand(sess.Command(), u.Role, s.cfg.Room)
		if err == nil && command == "watch" {
			if _, uerr := s.cfg.Store.User(arg); uerr != nil { // no one to wait for
				err = fmt.Errorf("no user is called %s: there is no practice of theirs to watch", cleanName(arg))
			}
		}
		if err != nil {
			wish.Fatalln(sess, "frontdoor: "+err.Error()+".")
			return
		}
		if n, ok := s.live.reserve(u.Name, MaxSessionsPerUser); !ok {
			s.refuse(metrics.LoginUserLimit, u.Name, host, map[string]string{"why": fmt.Sprintf("%d sessions open already", n)})
			wish.Fatalln(sess, fmt.Sprintf("frontdoor: %s has %d sessions open already; close one first (or ask on-call: frontdoor sessions).", u.Name, n))
			return
		}
		defer s.live.release(u.Name)
		s.rec.Login(metrics.LoginOK)
		s.rec.SessionOpened()
		defer s.rec.SessionClosed()
		st := &session{actor: store.Actor{Name: u.Name, Role: u.Role, Registered: true}, command: command, arg: arg}
		st.live = &live{SessionInfo: SessionInfo{User: u.Name, Role: u.Role, Remote: host, Key: store.Fingerprint(key), Started: s.cfg.Clock()},
			key: key, conn: gc, finished: make(chan struct{})}
		sess.Context().SetValue(sessionKey, st)
		details := map[string]string{"remote": host, "key": store.Fingerprint(key)}
		// The login is recorded while the first frame is drawn, not before
		// it: the fsynced write was half of connect → first frame (issue 14:
		// 40 ms against the smallest Wish app's 20). The entry carries the
		// login's own time; the logout waits for it, so the pair stays in
		// order in the trail.
		login := store.AuditEntry{At: s.cfg.Clock(), Actor: u.Name, Role: u.Role, Action: "ssh_login", Details: maps.Clone(details)}
		loginAudited := make(chan struct{})
		go func() {
			defer close(loginAudited)
			s.auditThroughOutage(login, "login")
		}()
		start := time.Now()
		next(sess)
		loginIn := true
		select { // at once but in an outage, when it is tried again for minutes
		case <-loginAudited:
		case <-time.After(2 * time.Second):
			loginIn = false
		}
		close(st.live.finished)
		s.live.remove(st.live)
		reason := ""
		if st.app != nil {
			reason = st.app.ExitReason()
			st.app.Close()
		}
		details["duration"] = time.Since(start).Round(time.Second).String()
		if reason != "" {
			details["reason"] = reason
			fmt.Fprintln(sess, reason)
		}
		logout := store.AuditEntry{At: s.cfg.Clock(), Actor: u.Name, Role: u.Role, Action: "ssh_logout", Details: details}
		if !loginIn { // after the login, in order, not keeping the client waiting
			go func() { <-loginAudited; s.auditThroughOutage(logout, "logout") }()
		} else if err := s.cfg.Store.Audit(logout); errors.Is(err, backend.ErrUnavailable) {
			go s.auditThroughOutage(logout, "logout")
		} else if err != nil {
			s.cfg.Logger.Error("logout not audited", "user", u.Name, "err", err)
		}
		if st.live.revoked.Load() {
			// a revoked user does not keep the connection to open another session
			time.AfterFunc(endGrace, func() { gc.Close() })
		}
	}
}

// program builds the session's Bubble Tea program on its own renderer.
// Its output has a write deadline (stallWriter): a client that stops
// reading loses its connection instead of holding its program.
func (s *Server) program(sess cssh.Session) *tea.Program {
	st, ok := sess.Context().Value(sessionKey).(*session)
	if !ok {
		return nil
	}
	r := renderer(sess)
	env := tui.NewEnv(sess.Context(), st.actor, s.cfg.Store, r)
	env.Clock, env.IdleTimeout, env.MaxSession = s.cfg.Clock, s.cfg.IdleTimeout, s.cfg.MaxSession
	if s.cfg.Keys != nil {
		env.Keys = *s.cfg.Keys
	}
	if s.cfg.Mode != "" {
		env.Mode = s.cfg.Mode
	}
	env.Ops, env.OpenOps = s.ops.Snapshot, screens.OpenOps
	st.app = tui.NewApp(env, s.firstScreen(env, st))
	out := &stallWriter{w: sess, timeout: s.cfg.WriteTimeout, stall: func() {
		s.cfg.Logger.Warn("session cut: client stopped reading", "user", st.actor.Name)
		st.live.conn.Close()
	}}
	// no tea.WithContext: wish quits the program when the session ends, and a
	// killed program would log a client's plain disconnect as an error
	budget, release := s.budgets.hold(st.actor.Name)
	context.AfterFunc(sess.Context(), release)
	in := &pasteLimit{r: sess, budget: budget, over: func() {
		s.cfg.Logger.Warn("session input over the user's budget: the excess is dropped", "user", st.actor.Name)
	}}
	p := tea.NewProgram(tui.TimeFrames(st.app, s.rec.Frame), tea.WithInput(in), tea.WithOutput(out), tea.WithAltScreen(), tea.WithFPS(tui.FPS), tea.WithFramesOnChange(), tea.WithoutSignalHandler())
	st.live.program = p
	if !s.live.add(st.live) {
		return nil // shutting down
	}
	// a user removed or demoted between the key check and now is caught here
	if why := s.stillAllowed(st.live); why != "" {
		st.live.revoked.Store(true)
		st.live.end(why)
	}
	return p
}

// firstScreen is where a session starts: the console's Lookup; the
// practice room for a trainer (who never sees live accounts) or for
// `practice`; the trainee's screen for `watch`.
func (s *Server) firstScreen(env *tui.Env, st *session) tui.Screen {
	room := s.cfg.Room
	if room != nil {
		env.Hotkeys = append(env.Hotkeys, screens.PracticeHotkey(env, room))
	}
	switch {
	case st.command == "watch":
		return screens.NewWatchSession(env, room, st.arg)
	case st.command == "practice" || (room != nil && st.actor.Role == model.RoleTrainer):
		return screens.NewPractice(env, room, st.arg)
	}
	return screens.NewLookup(env)
}

// renderer builds the session's own lipgloss renderer from its PTY's TERM
// and environment. Unlike wish's MakeRenderer it never queries the
// client's background colour: a client that does not answer the query (a
// scripted ssh -tt, a minimal terminal) left the session on a blank screen
// for good, because the query's timeout does not interrupt the PTY read
// (found by the end-to-end tests). Adaptive colours assume a dark
// background, as most terminals have; NO_COLOR and TERM=dumb get none.
func renderer(sess cssh.Session) *lipgloss.Renderer {
	pty, _, ok := sess.Pty()
	environ := sess.Environ()
	if !ok || pty.Term == "" || pty.Term == "dumb" || slices.ContainsFunc(environ, func(e string) bool { return strings.HasPrefix(e, "NO_COLOR=") }) {
		r := lipgloss.NewRenderer(sess, termenv.WithProfile(termenv.Ascii))
		r.SetHasDarkBackground(true)
		return r
	}
	env := sshEnviron(append(environ, "TERM="+pty.Term))
	var r *lipgloss.Renderer
	if pty.Slave != nil {
		r = lipgloss.NewRenderer(pty.Slave, termenv.WithEnvironment(env), termenv.WithColorCache(true))
	} else {
		r = lipgloss.NewRenderer(sess, termenv.WithEnvironment(env), termenv.WithUnsafe(), termenv.WithColorCache(true))
	}
	r.SetHasDarkBackground(true)
	return r
}

// sshEnviron is the client's environment as termenv reads it.
type sshEnviron []string

func (e sshEnviron) Environ() []string { return e }

func (e sshEnviron) Getenv(k string) string {
	for i := len(e) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(e[i], k+"="); ok {
			return v
		}
	}
	return ""
}
