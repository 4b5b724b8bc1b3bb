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
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/log"
	cssh "github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	bm "github.com/charmbracelet/wish/bubbletea"
	"github.com/charmbracelet/wish/logging"
	"github.com/charmbracelet/wish/ratelimiter"
	rm "github.com/charmbracelet/wish/recover"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/time/rate"

	"frontdoor/model"
	"frontdoor/screens"
	"frontdoor/store"
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
}

// DefaultConnRate is new connections a second per remote address.
const DefaultConnRate = 5

// HostKeyFile is the server's ed25519 key, created on first start.
const HostKeyFile = "ssh_host_ed25519"

// Limits on connections before and after authentication.
const (
	maxConns        = 512           // at once
	connsPerSecond  = 5             // per remote IP, sustained
	connBurst       = 20            // per remote IP, burst
	maxAuthTries    = 6             // per connection
	sessionsPerIP   = rate.Limit(2) // new sessions a second per IP, after auth
	shutdownMessage = "frontdoor is restarting: your session has ended. Reconnect in a minute."
)

// Server is a running console server.
type Server struct {
	cfg      Config
	srv      *cssh.Server
	ln       net.Listener
	mu       sync.Mutex
	programs map[*tea.Program]struct{}
	limiter  *ipLimiter
	closing  bool
	handlers sync.WaitGroup // sessions still running, logout audit included
}

type ctxKey struct{ name string }

var sessionKey = &ctxKey{"session"}

// session is what the middlewares share about one SSH session.
type session struct {
	actor store.Actor
	app   *tui.App
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
	burst := int(4 * cfg.ConnRate)
	s := &Server{cfg: cfg, programs: map[*tea.Program]struct{}{}, limiter: newIPLimiter(rate.Limit(cfg.ConnRate), burst)}
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
			srv.ServerConfigCallback = func(cssh.Context) *gossh.ServerConfig {
				return &gossh.ServerConfig{MaxAuthTries: maxAuthTries}
			}
			srv.ConnCallback = s.admit
			return nil
		},
		wish.WithMiddleware(
			rm.MiddlewareWithLogger(cfg.Logger,
				bm.MiddlewareWithProgramHandler(s.program, termenv.Ascii),
				s.identify,
				requireTerminal,
				ratelimiter.Middleware(ratelimiter.NewRateLimiter(rate.Limit(cfg.ConnRate), burst, 4096)),
				logging.StructuredMiddlewareWithLogger(cfg.Logger, log.InfoLevel),
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

// Serve accepts connections until Shutdown.
func (s *Server) Serve() error {
	err := s.srv.Serve(s.ln)
	if errors.Is(err, cssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown ends every live session with a message, stops accepting, and
// closes what clients leave open, all before ctx ends (DESIGN: within 5 s
// of SIGTERM). Programs are quit first: a live one would hold Shutdown
// until its timeout.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for p := range s.programs {
		p.Send(tui.QuitMsg{Reason: shutdownMessage})
	}
	s.mu.Unlock()
	// let programs restore their terminals and say why, for up to half the time left
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

// Sessions is how many sessions are live.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.programs)
}

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
	return err == nil && u.Name == ctx.User()
}

// admit limits connections before authentication: a cap on open
// connections, and a per-address rate.
func (s *Server) admit(ctx cssh.Context, conn net.Conn) net.Conn {
	host, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
	if !s.limiter.allow(host) {
		s.cfg.Logger.Warn("connection refused: rate", "remote", host)
		return nil
	}
	if !s.limiter.open() {
		s.cfg.Logger.Warn("connection refused: too many open", "remote", host)
		return nil
	}
	return &countedConn{Conn: conn, done: s.limiter.close}
}

// identify resolves the session's user from its verified key, audits
// login and logout, and tells the user why a session ended.
func (s *Server) identify(next cssh.Handler) cssh.Handler {
	return func(sess cssh.Session) {
		s.handlers.Add(1)
		defer s.handlers.Done()
		key := sess.PublicKey()
		if key == nil {
			wish.Fatalln(sess, "frontdoor: public-key authentication is required.")
			return
		}
		u, err := s.cfg.Store.UserByKey(key)
		if err != nil || u.Name != sess.User() {
			wish.Fatalln(sess, "frontdoor: this key is not registered for "+sess.User()+".")
			return
		}
		if u.Role == model.RoleTrainer && s.cfg.Mode != tui.Training {
			wish.Fatalln(sess, "frontdoor: trainers use the training sandbox, never the live store; this server is not one.")
			return
		}
		st := &session{actor: store.Actor{Name: u.Name, Role: u.Role}}
		sess.Context().SetValue(sessionKey, st)
		host, _, _ := net.SplitHostPort(sess.RemoteAddr().String())
		details := map[string]string{"remote": host, "key": store.Fingerprint(key)}
		_ = s.cfg.Store.Audit(store.AuditEntry{At: s.cfg.Clock(), Actor: u.Name, Role: u.Role, Action: "ssh_login", Details: details})
		start := time.Now()
		next(sess)
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
		_ = s.cfg.Store.Audit(store.AuditEntry{At: s.cfg.Clock(), Actor: u.Name, Role: u.Role, Action: "ssh_logout", Details: details})
	}
}

// requireTerminal turns away sessions without a PTY with one line.
func requireTerminal(next cssh.Handler) cssh.Handler {
	return func(sess cssh.Session) {
		if _, _, ok := sess.Pty(); !ok {
			wish.Fatalln(sess, "frontdoor is an interactive console: connect from a terminal (ssh -t -p PORT NAME@HOST); use the frontdoor command line for scripts.")
			return
		}
		next(sess)
	}
}

// program builds the session's Bubble Tea program on its own renderer.
func (s *Server) program(sess cssh.Session) *tea.Program {
	st, ok := sess.Context().Value(sessionKey).(*session)
	if !ok {
		return nil
	}
	r := renderer(sess)
	env := tui.NewEnv(sess.Context(), st.actor, s.cfg.Store, r)
	env.Clock, env.IdleTimeout, env.MaxSession = s.cfg.Clock, s.cfg.IdleTimeout, s.cfg.MaxSession
	if s.cfg.Mode != "" {
		env.Mode = s.cfg.Mode
	}
	st.app = tui.NewApp(env, screens.NewLookup(env))
	// no tea.WithContext: wish quits the program when the session ends, and a
	// killed program would log a client's plain disconnect as an error
	opts := append(bm.MakeOptions(sess), tea.WithAltScreen(), tea.WithoutSignalHandler())
	p := tea.NewProgram(st.app, opts...)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.programs[p] = struct{}{}
	s.mu.Unlock()
	go func() {
		<-sess.Context().Done()
		s.mu.Lock()
		delete(s.programs, p)
		s.mu.Unlock()
	}()
	return p
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
