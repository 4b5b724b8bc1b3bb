package ssh

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/log"
	"github.com/hinshun/vt10x"
	gossh "golang.org/x/crypto/ssh"

	"frontdoor/demo"
	"frontdoor/metrics"
	"frontdoor/model"
	"frontdoor/store"
)

type fixture struct {
	t    *testing.T
	st   *store.Store
	srv  *Server
	dir  string
	keys map[string]gossh.Signer
}

func newKey(t *testing.T) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serve starts the real server on a random loopback port with the demo
// data and two users: sam (agent) and kay (lead).
func serve(t *testing.T, cfg Config) *fixture {
	t.Helper()
	return serveWith(t, cfg, func(st *store.Store) error {
		accs, _ := demo.Data(time.Now())
		return st.SeedDemo(accs, time.Now())
	})
}

// serveFixtures is serve on a live store holding the reference accounts
// (a demo store takes no change stream).
func serveFixtures(t *testing.T) *fixture {
	t.Helper()
	return serveWith(t, Config{}, func(st *store.Store) error {
		f, err := os.Open("../testdata/fixtures/accounts.jsonl")
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = st.Import(f, "accounts.jsonl", store.Actor{Name: "test", Role: model.RoleAdmin}, time.Now())
		return err
	})
}

func serveWith(t *testing.T, cfg Config, seed func(*store.Store) error) *fixture {
	t.Helper()
	return serveOn(t, cfg, openStore, seed)
}

// serveOn is serveWith on the store open makes in the server's data
// directory.
func serveOn(t *testing.T, cfg Config, open func(dir string) (*store.Store, error), seed func(*store.Store) error) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := seed(st); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, dir: dir, keys: map[string]gossh.Signer{}}
	for name, role := range map[string]string{"sam": model.RoleAgent, "ann": model.RoleAgent, "kay": model.RoleLead, "tina": model.RoleTrainer} {
		k := newKey(t)
		f.keys[name] = k
		line := string(gossh.MarshalAuthorizedKey(k.PublicKey()))
		if err := st.AddUser(name, role, []string{line}, store.Actor{Name: "test", Role: model.RoleAdmin}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Addr, cfg.DataDir, cfg.Store = "127.0.0.1:0", dir, st
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	f.srv = srv
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		st.Close()
	})
	return f
}

func (f *fixture) dial(user string, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", f.srv.Addr(), &gossh.ClientConfig{
		User: user, Auth: auth, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second,
	})
}

// shell logs user in with a w×h PTY and starts the console.
func (f *fixture) shell(user string, w, h int) (*gossh.Client, *gossh.Session, io.WriteCloser, io.Reader) {
	return f.start(user, "", w, h)
}

// start logs user in with a w×h PTY and runs command (ssh -t HOST
// command), or the console when command is "".
func (f *fixture) start(user, command string, w, h int) (*gossh.Client, *gossh.Session, io.WriteCloser, io.Reader) {
	f.t.Helper()
	c, err := f.dial(user, gossh.PublicKeys(f.keys[user]))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.Close() })
	sess, err := c.NewSession()
	if err != nil {
		f.t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		f.t.Fatal(err)
	}
	in, _ := sess.StdinPipe()
	out, _ := sess.StdoutPipe()
	if command == "" {
		err = sess.Shell()
	} else {
		err = sess.Start(command)
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return c, sess, in, out
}

// screen is what an agent's terminal shows, via a VT emulator.
type screen struct {
	t    *testing.T
	term vt10x.Terminal
	in   io.WriteCloser
	sess *gossh.Session
	conn io.Closer // the client's connection, where the test has it
	done chan struct{}
	mu   sync.Mutex
	raw  strings.Builder
}

func (f *fixture) connect(user string, w, h int) *screen { return f.run(user, "", w, h) }

// run is connect for a command (ssh -t HOST practice NAME).
func (f *fixture) run(user, command string, w, h int) *screen {
	f.t.Helper()
	c, sess, in, out := f.start(user, command, w, h)
	s := &screen{t: f.t, term: vt10x.New(vt10x.WithSize(w, h)), sess: sess, conn: c, in: in, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 32<<10)
		var pending []byte
		for {
			n, err := out.Read(buf)
			if n > 0 {
				s.mu.Lock()
				s.raw.Write(buf[:n])
				s.mu.Unlock()
				pending = append(pending, buf[:n]...)
				m, _ := s.term.Write(pending) // keeps a split UTF-8 rune for the next read
				pending = append(pending[:0], pending[m:]...)
			}
			if err != nil {
				return
			}
		}
	}()
	return s
}

func (s *screen) text() string { return s.term.String() }

func (s *screen) see(want string) {
	s.t.Helper()
	s.seeWithin(want, 5*time.Second)
}

func (s *screen) seeWithin(want string, d time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Contains(s.text(), want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("screen never showed %q; it shows:\n%s", want, s.text())
}

func (s *screen) typ(keys string) {
	s.t.Helper()
	if _, err := io.WriteString(s.in, keys); err != nil {
		s.t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond) // one key batch per frame, as a person types
}

func (s *screen) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.String()
}

func (s *screen) ended() bool {
	select {
	case <-s.done:
		return true
	case <-time.After(5 * time.Second):
		return false
	}
}

func TestAgentFindsAndOpensAccount(t *testing.T) {
	f := serve(t, Config{})
	s := f.connect("sam", 80, 24)
	s.see("Find an account")
	s.see("sam · agent")
	s.typ("lope")
	s.see("Maria Lopez")
	s.typ("\r")
	s.see("Latest sign-ins")
	s.see("headway.co")
	log, _ := f.st.AuditLog(store.AuditFilter{})
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action+":"+e.Actor)
	}
	joined := strings.Join(actions, " ")
	if !strings.Contains(joined, "lookup:sam") || !strings.Contains(joined, "ssh_login:sam") {
		t.Fatalf("audit: %s", joined)
	}
	s.typ("q")
	s.see("End this session")
	s.typ("y")
	if !s.ended() {
		t.Fatal("q, y did not end the session")
	}
}

func TestRefusedLogins(t *testing.T) {
	f := serve(t, Config{})
	if _, err := f.dial("sam", gossh.PublicKeys(newKey(t))); err == nil {
		t.Error("a stranger's key was let in")
	}
	if _, err := f.dial("sam", gossh.Password("hunter2")); err == nil {
		t.Error("a password was let in")
	}
	if _, err := f.dial("sam", gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
		return []string{"x"}, nil
	})); err == nil {
		t.Error("keyboard-interactive was let in")
	}
	if _, err := f.dial("kay", gossh.PublicKeys(f.keys["sam"])); err == nil {
		t.Error("sam's key opened kay's account")
	}
}

// TestNoPTYGetsOneLine: a registered user connecting without a terminal
// (ssh -T) is told to ask for one, and counted, logged and audited as
// no_pty, not as unknown_key: a brute-force alert on unknown_key must not
// fire for a colleague's script (issue 20, item 18).
func TestNoPTYGetsOneLine(t *testing.T) {
	var logged syncBuffer
	reg := metrics.New(metrics.Sources{})
	f := serve(t, Config{Metrics: reg, Logger: log.NewWithOptions(&logged, log.Options{Formatter: log.LogfmtFormatter})})
	addr, stop, err := reg.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	c, err := f.dial("sam", gossh.PublicKeys(f.keys["sam"]))
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := c.NewSession()
	out, _ := sess.CombinedOutput("")
	c.Close()
	if !strings.Contains(string(out), "frontdoor needs a terminal: connect with ssh -t") || strings.Count(string(out), "\n") != 1 {
		t.Fatalf("got %q", out)
	}
	body := eventually(t, addr, `frontdoor_logins_total{result="no_pty"}`, 1)
	if n := sample(body, `frontdoor_logins_total{result="unknown_key"}`); n != 0 {
		t.Errorf("a registered key without a terminal counted as unknown_key (%v)", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logged.String(), "result=no_pty") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if l := logged.String(); !strings.Contains(l, "result=no_pty") || !strings.Contains(l, "user=sam") || strings.Contains(l, "unknown_key") {
		t.Errorf("log:\n%s", l)
	}
	trail, err := f.st.AuditLog(store.AuditFilter{Actions: []string{"ssh_login_refused"}})
	if err != nil || len(trail) != 1 || trail[0].Details["why"] != "no terminal requested" {
		t.Errorf("audit: %v %+v", err, trail)
	}

	// ssh -N: the key proven, no session asked for at all
	c, err = f.dial("sam", gossh.PublicKeys(f.keys["sam"]))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	body = eventually(t, addr, `frontdoor_logins_total{result="no_pty"}`, 2)
	if n := sample(body, `frontdoor_logins_total{result="unknown_key"}`); n != 0 {
		t.Errorf("a registered key that opened no session counted as unknown_key (%v)", n)
	}
	// a stranger offering sam's public key without its private key is
	// still an unknown key
	if _, err := f.dial("sam", gossh.PublicKeys(publicOnly{f.keys["sam"], newKey(t)})); err == nil {
		t.Fatal("a public key without its private key got in")
	}
	eventually(t, addr, `frontdoor_logins_total{result="unknown_key"}`, 1)
}

// publicOnly offers one key's public half and signs with another's
// private key: what a stranger who knows a user's public key can do.
type publicOnly struct{ pub, sign gossh.Signer }

func (p publicOnly) PublicKey() gossh.PublicKey { return p.pub.PublicKey() }
func (p publicOnly) Sign(r io.Reader, data []byte) (*gossh.Signature, error) {
	return p.sign.Sign(r, data)
}

// syncBuffer is a bytes.Buffer the server's goroutines may write to.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestTrainerKeptOffTheLiveStore(t *testing.T) {
	f := serve(t, Config{})
	c, err := f.dial("tina", gossh.PublicKeys(f.keys["tina"]))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, _ := c.NewSession()
	sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{})
	out, _ := sess.CombinedOutput("")
	if !strings.Contains(string(out), "training sandbox") {
		t.Fatalf("got %q", out)
	}
}

// TestAgentSendsResetSeenInOutbox: the reset an agent sends over SSH is
// in the outbox for the platform.
func TestAgentSendsResetSeenInOutbox(t *testing.T) {
	f := serve(t, Config{})
	s := f.connect("sam", 80, 24)
	s.typ("noah")
	s.see("Noah Kim")
	s.typ("\r")
	s.see("Latest resets")
	s.typ("r")
	s.see("DELIVERED")
	s.typ("p")
	s.see("a new reset kills it") // its delivered link still works (R3): confirmed past
	s.typ(" ")
	s.typ("\t")
	s.typ("link expired on the caller's side\r")
	s.see("Reset requested")
	msgs, _ := f.st.Outbox(false)
	if len(msgs) != 1 || msgs[0].Type != model.ActSendReset || msgs[0].By != "sam" {
		t.Fatalf("outbox %+v", msgs)
	}
}

// TestLeadGrantsExemptionAgentCannot is the 2FA issue's end to end.
func TestLeadGrantsExemptionAgentCannot(t *testing.T) {
	f := serve(t, Config{})
	agent := f.connect("sam", 80, 24)
	agent.typ("ava patel")
	agent.see("Ava Patel")
	agent.typ("\r2")
	agent.see("Factors")
	agent.typ("g")
	agent.see("2FA actions need a lead")

	lead := f.connect("kay", 100, 40)
	lead.typ("ava patel")
	lead.see("Ava Patel")
	lead.typ("\r2")
	lead.see("Factors")
	lead.typ("g")
	lead.see("Verify the caller")
	lead.typ(" ")
	lead.typ("\t")
	lead.typ(" ")
	lead.typ("\t\t\t")
	lead.typ("lost phone, verified by callback")
	lead.typ("\r")
	lead.see("Exemption granted")
	msgs, _ := f.st.Outbox(false)
	var types []string
	for _, m := range msgs {
		types = append(types, m.Type)
	}
	if strings.Join(types, ",") != "grant_mfa_exemption,mfa_exemption_granted" {
		t.Fatalf("outbox %v", types)
	}
	// the agent's open screen shows the lead's change without a restart
	agent.see("ACTIVE")
}

func TestIdleLogoff(t *testing.T) {
	f := serve(t, Config{IdleTimeout: 300 * time.Millisecond})
	s := f.connect("sam", 80, 24)
	s.see("Find an account")
	if !s.ended() {
		t.Fatal("idle session was not logged off")
	}
	if !strings.Contains(s.output(), "Logged off after 300ms without a key press") {
		t.Fatalf("no logoff message in %q", s.output())
	}
}

func TestShutdownEndsSessionsWithMessage(t *testing.T) {
	f := serve(t, Config{})
	s := f.connect("sam", 80, 24)
	s.see("Find an account")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := f.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("shutdown took longer than 5 s")
	}
	if !s.ended() || !strings.Contains(s.output(), "restarting") {
		t.Fatalf("session not ended with a message: %q", s.output())
	}
	// the agent's terminal is given back: out of the alternate screen, cursor shown
	out := s.output()
	if !strings.Contains(out, "\x1b[?1049l") || !strings.Contains(out, "\x1b[?25h") {
		t.Fatalf("the terminal was not restored before the session ended: %q", out[max(len(out)-200, 0):])
	}
}

func TestHostKeyCreatedOnceAndPrivate(t *testing.T) {
	f := serve(t, Config{})
	path := filepath.Join(f.dir, HostKeyFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("host key mode %v", st.Mode().Perm())
	}
	before, _ := os.ReadFile(path)
	if _, err := New(Config{Addr: "127.0.0.1:0", DataDir: f.dir, Store: f.st}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("host key replaced on second start")
	}
}

func TestSmallTerminalOverSSH(t *testing.T) {
	f := serve(t, Config{})
	s := f.connect("sam", 40, 10)
	s.see("Terminal too small")
	// as a terminal does: its window is larger first, then the client
	// says so (the frame for the new size comes at once, and would be
	// drawn into the old width otherwise)
	s.term.Resize(80, 24)
	if err := s.sess.WindowChange(24, 80); err != nil {
		t.Fatal(err)
	}
	s.see("Find an account")
}

// TestSuppressedAccountEndToEnd is the reset issue's done-when: an agent
// lifts a suppression with a reason and sends a reset; the outbox has the
// notification and the reset command; a second agent who acted on the
// stale version is refused.
func TestSuppressedAccountEndToEnd(t *testing.T) {
	f := serve(t, Config{})
	sam := f.connect("sam", 80, 24)
	sam.typ("paul.green")
	sam.see("Paul Green")
	sam.typ("\r")
	sam.see("SUPPRESSED")

	ann := f.connect("ann", 80, 24)
	ann.typ("paul.green")
	ann.see("Paul Green")
	ann.typ("\r")
	ann.see("SUPPRESSED")
	ann.typ("n") // ann starts a note on the version she sees
	ann.see("Add a note")

	sam.typ("u")
	sam.see("Lift email suppression")
	sam.typ("caller asked; consent given")
	sam.typ("\r")
	sam.see("Suppression lifted")
	sam.typ("p")
	sam.see("Send password reset")
	sam.typ("\r")
	sam.see("Reset requested")

	msgs, _ := f.st.Outbox(false)
	var got []string
	for _, m := range msgs {
		got = append(got, m.Kind+":"+m.Type)
	}
	if strings.Join(got, " ") != "command:lift_email_suppression notification:email_suppression_lifted command:send_password_reset" {
		t.Fatalf("outbox %v", got)
	}

	ann.typ("called back about the reset")
	ann.typ("\r")
	ann.see("changed by sam at")
	ann.see("review and retry")
	rec, _ := f.st.ByEmail("paul.green@outlook.com")
	if len(rec.Account.Notes) != 0 {
		t.Fatalf("stale note written: %+v", rec.Account.Notes)
	}
	log, _ := f.st.AuditLog(store.AuditFilter{Account: rec.Account.ID})
	found := false
	for _, e := range log {
		found = found || (e.Action == model.ActLiftSuppression && e.Reason == "caller asked; consent given" && e.Actor == "sam")
	}
	if !found {
		t.Fatal("lift not audited with its reason")
	}
}

func TestShutdownAuditsLogout(t *testing.T) {
	f := serve(t, Config{})
	s := f.connect("sam", 80, 24)
	s.see("Find an account")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f.srv.Shutdown(ctx)
	log, _ := f.st.AuditLog(store.AuditFilter{Limit: 1}) // read at once: the store may close now
	if len(log) == 0 || log[0].Action != "ssh_logout" || !strings.Contains(log[0].Details["reason"], "restarting") {
		t.Fatalf("last audit entry %+v, want the logout", log)
	}
}

func TestConnectionRateLimit(t *testing.T) {
	f := serve(t, Config{ConnRate: 1}) // burst of 4
	refused := 0
	for i := 0; i < 8; i++ {
		c, err := f.dial("sam", gossh.PublicKeys(f.keys["sam"]))
		if err != nil {
			refused++
			continue
		}
		c.Close()
	}
	if refused < 3 {
		t.Fatalf("8 rapid connections at 1/s (burst 4): %d refused, want at least 3", refused)
	}
}

// TestProvenKeyLeavingAtOnceIsNeverUnknown: clients that prove their key
// and close at once (ssh -N, then gone) race the SSH library publishing
// the finished handshake; every one must count as no_pty, never as an
// unknown key, which a brute-force alert reads (a CI flake of
// TestNoPTYGetsOneLine found the race).
func TestProvenKeyLeavingAtOnceIsNeverUnknown(t *testing.T) {
	reg := metrics.New(metrics.Sources{})
	f := serve(t, Config{Metrics: reg, ConnRate: 1000})
	addr, stop, err := reg.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	const n = 40
	for range n {
		c, err := f.dial("sam", gossh.PublicKeys(f.keys["sam"]))
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	body := eventually(t, addr, `frontdoor_logins_total{result="no_pty"}`, n)
	if u := sample(body, `frontdoor_logins_total{result="unknown_key"}`); u != 0 {
		t.Errorf("%v of %d proven keys that left at once counted as unknown_key", u, n)
	}
}
