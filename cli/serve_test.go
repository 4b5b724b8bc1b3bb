package cli

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

const serveChildEnv = "FRONTDOOR_TEST_SERVE_ARGS"

// TestServeChild is not a test of its own: it is `frontdoor serve` in a
// child process, for the tests that need a real server to signal.
func TestServeChild(t *testing.T) {
	args := os.Getenv(serveChildEnv)
	if args == "" {
		t.Skip("runs only as a child of another test")
	}
	os.Exit(Run(strings.Split(args, "\x1f"), IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}

// serveLog is a child server's stderr, line by line.
type serveLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *serveLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// wait returns the first JSON line whose msg is msg (and that has want
// among its values, if given).
func (l *serveLog) wait(t *testing.T, msg string, want ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range l.all() {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg && containsAll(line, want) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the log never said %q %v; it has:\n%s", msg, want, strings.Join(l.all(), "\n"))
	return nil
}

func containsAll(s string, subs []string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// startServe runs `frontdoor serve args…` in a child process.
func startServe(t *testing.T, args ...string) (*exec.Cmd, *serveLog) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$")
	cmd.Env = append(os.Environ(), serveChildEnv+"="+strings.Join(append([]string{"serve"}, args...), "\x1f"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log := &serveLog{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.mu.Lock()
			log.lines = append(log.lines, sc.Text())
			log.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		cmd.Wait()
	})
	return cmd, log
}

func newSigner(t *testing.T) gossh.Signer {
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

// TestServeLogsJSONWithoutPII: serve --log-format json writes one JSON
// object a line on stderr; a login and refused logins are logged with the
// agent's name and the remote address, never an email typed as a login
// name or anything of an account's. --metrics serves the same run.
func TestServeLogsJSONWithoutPII(t *testing.T) {
	dir := importFixtures(t)
	sam := newSigner(t)
	if r := run(t, "", "user", "add", "sam", "--role", "agent", "--key", string(gossh.MarshalAuthorizedKey(sam.PublicKey())), "--data", dir); r.code != 0 {
		t.Fatalf("user add: %+v", r)
	}
	cmd, log := startServe(t, "--data", dir, "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--log-format", "json", "--log-level", "debug")
	addr, _ := log.wait(t, "serving")["addr"].(string)
	url, _ := log.wait(t, "metrics")["url"].(string)
	dial := func(user string, key gossh.Signer) (*gossh.Client, error) {
		return gossh.Dial("tcp", addr, &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
	}

	// sam logs in, searches an account by its email, leaves
	c, err := dial("sam", sam)
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := c.NewSession()
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	in, _ := sess.StdinPipe()
	out, _ := sess.StdoutPipe()
	go io.Copy(io.Discard, out)
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	log.wait(t, "connect", `"user":"sam"`)
	io.WriteString(in, "maria.lopez@gmail.com")
	time.Sleep(200 * time.Millisecond)
	io.WriteString(in, "\x03")
	sess.Wait()
	c.Close()

	// refused: an email typed as the login name, and sam with a stranger's key
	for _, user := range []string{"maria.lopez@gmail.com", "sam"} {
		if _, err := dial(user, newSigner(t)); err == nil {
			t.Fatalf("%s got in with a stranger's key", user)
		}
	}
	log.wait(t, "login refused", `"user":"(not a user)"`, `"result":"unknown_key"`)
	log.wait(t, "login refused", `"user":"sam"`)

	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `frontdoor_logins_total{result="ok"} 1`) {
		t.Errorf("metrics after one login:\n%s", b)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	log.wait(t, "shutting down")
	for _, line := range log.all() {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("not a JSON line: %q", line)
			continue
		}
		if m["level"] == nil || m["msg"] == nil || m["time"] == nil {
			t.Errorf("a line without level, msg or time: %s", line)
		}
		for _, pii := range []string{"maria", "gmail", "p001"} {
			if strings.Contains(strings.ToLower(line), pii) {
				t.Errorf("the log has %q: %s", pii, line)
			}
		}
		// a phone, not any "+1" (a host key's base64 fingerprint may hold one)
		if phone := regexp.MustCompile(`\+1\d{10}`).FindString(line); phone != "" {
			t.Errorf("the log has the phone %s: %s", phone, line)
		}
		checkLogNames(t, line, m)
	}
	// sam's session: the address is "remote" as everywhere, its length
	// a number of seconds (issue 22, item 24: wish's "remote-addr" and
	// "duration":"1.2s")
	d := log.wait(t, "disconnect", `"user":"sam"`)
	if _, ok := d["duration_s"].(float64); !ok || d["remote"] == nil {
		t.Errorf("disconnect: want remote and duration_s in seconds: %v", d)
	}
}

// checkLogNames: one JSON log line names the address "remote" and gives
// durations as seconds (a key ending _s, a number), never as strings.
func checkLogNames(t *testing.T, line string, m map[string]any) {
	t.Helper()
	for k, v := range m {
		if strings.Contains(k, "remote") && k != "remote" {
			t.Errorf("the address is %q, not remote: %s", k, line)
		}
		if s, ok := v.(string); ok && k != "time" && k != "msg" {
			if _, err := time.ParseDuration(s); err == nil {
				t.Errorf("%s is a duration string %q, want seconds (%s_s): %s", k, s, k, line)
			}
		}
		if strings.HasSuffix(k, "_s") {
			if _, ok := v.(float64); !ok {
				t.Errorf("%s is not a number: %s", k, line)
			}
		}
	}
}

// TestServeFlagsRefused: a bad log format or level, and a metrics address
// that is not loopback, are usage errors before anything starts.
func TestServeFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--log-format", "xml"}, "text, json or logfmt"},
		{[]string{"--log-level", "loud"}, "debug, info, warn, error"},
		{[]string{"--metrics", "0.0.0.0:9464"}, "not a loopback address"},
		{[]string{"--metrics", ":9464"}, "not a loopback address"},
		{[]string{"--metrics", "9464"}, "metrics address"},
		{[]string{"--metrics-public"}, "goes with --metrics"},
	} {
		r := run(t, "", append([]string{"serve", "--data", dir}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) {
			t.Errorf("serve %v: exit %d, %q; want 2 and %q", tc.args, r.code, r.err, tc.want)
		}
	}
}

// TestLogFormats: each format writes one line an event, at or above the
// level asked for; json and logfmt with RFC 3339 UTC times.
func TestLogFormats(t *testing.T) {
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{"text", []string{"frontdoor", "WARN", "login refused", "user=sam"}},
		{"json", []string{`"level":"warn"`, `"msg":"login refused"`, `"user":"sam"`, `"time":"20`, `Z"`}},
		{"logfmt", []string{"level=warn", `msg="login refused"`, "user=sam", "time=20"}},
	} {
		var out bytes.Buffer
		c := newCtx(IO{Out: io.Discard, Err: &out})
		l, err := c.newLogger(tc.format, "warn")
		if err != nil {
			t.Fatal(err)
		}
		l.Info("not shown at warn")
		l.Warn("login refused", "user", "sam")
		got := out.String()
		if strings.Count(got, "\n") != 1 || !containsAll(got, tc.want) {
			t.Errorf("%s: %q, want one line with %q", tc.format, got, tc.want)
		}
	}
}

// waitAny returns the first line of the log holding any of subs.
func (l *serveLog) waitAny(t *testing.T, subs ...string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range l.all() {
			for _, s := range subs {
				if strings.Contains(line, s) {
					return line
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the log never said any of %q; it has:\n%s", subs, strings.Join(l.all(), "\n"))
	return ""
}

// TestServeDeliverToSecrets: serve logs --deliver-to without its
// password or query values, and refuses a secret file its group or
// others may read, naming the file, its mode and the fix, before it
// serves anything.
func TestServeDeliverToSecrets(t *testing.T) {
	dir := importFixtures(t)
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("0123456789abcdef0123\n"), 0o600)
	to := "http://relay:hunter2@127.0.0.1:1/hook?token=s3cr3t"
	cmd, log := startServe(t, "--data", dir, "--listen", "127.0.0.1:0", "--log-format", "json", "--deliver-to", to, "--secret-file", secret)
	log.wait(t, "serving")
	line := log.wait(t, "delivering the outbox")
	if got, _ := line["to"].(string); got != "http://REDACTED@127.0.0.1:1/hook?token=REDACTED" {
		t.Errorf("logged to %q", got)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	log.wait(t, "shutting down")
	for _, l := range log.all() {
		if strings.Contains(l, "hunter2") || strings.Contains(l, "s3cr3t") {
			t.Errorf("the log has the URL's secrets: %s", l)
		}
	}

	os.Chmod(secret, 0o644)
	_, log = startServe(t, "--data", dir, "--listen", "127.0.0.1:0", "--log-format", "json", "--deliver-to", to, "--secret-file", secret)
	got := log.waitAny(t, "chmod 600", `"msg":"serving"`)
	if !containsAll(got, []string{secret, "mode 0644", "chmod 600 " + secret}) {
		t.Fatalf("a 0644 secret file: %q, want the file, its mode and chmod 600", got)
	}
}
