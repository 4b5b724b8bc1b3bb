package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"frontdoor/store"
)

// shipperOn opens the store in dir and a shipper of its head to to.
func shipperOn(t *testing.T, dir, to string) (*headShipper, *store.Store) {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := newHeadShipper(to, dir, func() time.Time { return fixedNow })
	if err != nil {
		t.Fatal(err)
	}
	h.st = st
	return h, st
}

func audit(t *testing.T, st *store.Store) {
	t.Helper()
	if err := st.Audit(store.AuditEntry{At: fixedNow, Actor: "ann", Role: store.RoleAgent, Action: "lookup"}); err != nil {
		t.Fatal(err)
	}
}

func fileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(strings.ReplaceAll(string(b), " ", "_"))
}

// serve --head-to FILE appends SEQ:HASH and the time, only when the head
// moved, and check --head-from reads what it wrote.
func TestHeadShippedToAFile(t *testing.T) {
	dir := importFixtures(t)
	file := filepath.Join(t.TempDir(), "heads")
	h, st := shipperOn(t, dir, file)
	for i, want := range []struct {
		audit   bool
		shipped bool
	}{{false, true}, {false, false}, {true, true}, {false, false}} {
		if want.audit {
			audit(t, st)
		}
		shipped, err := h.ship(context.Background())
		if err != nil || shipped != want.shipped {
			t.Fatalf("ship %d: %v %v, want shipped %v", i, shipped, err, want.shipped)
		}
	}
	lines := fileLines(t, file)
	head, _ := st.Head()
	if len(lines) != 2 || lines[1] != head.String()+"_"+fixedNow.Format(time.RFC3339) {
		t.Fatalf("head file %q, want two lines, the last %s at %s", lines, head, fixedNow)
	}
	st.Close()
	if r := run(t, "", "check", "--data", dir, "--head-from", file); r.code != 0 || !strings.Contains(r.out, "every head in "+file) {
		t.Fatalf("check --head-from: %+v", r)
	}
}

// serve --head-to URL POSTs {"seq","hash","at"} when the head moved; a
// redirect is not followed, a failure is said without the URL's secrets,
// and the head is shipped again at the next try.
func TestHeadShippedToAURL(t *testing.T) {
	var mu sync.Mutex // the handler runs on the server's goroutines
	var got []store.ShippedHead
	status := http.StatusOK
	setStatus := func(s int) { mu.Lock(); status = s; mu.Unlock() }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var h store.ShippedHead
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&h) != nil {
			t.Errorf("%s %s %s: not a JSON head", r.Method, r.URL, r.Header.Get("Content-Type"))
		}
		mu.Lock()
		defer mu.Unlock()
		if status == http.StatusOK {
			got = append(got, h)
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	dir := importFixtures(t)
	secretURL := strings.Replace(srv.URL, "http://", "http://shipper:pa55word@", 1) + "/heads?token=s3cret"
	h, st := shipperOn(t, dir, secretURL)
	noSecrets := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		for _, s := range []string{"pa55word", "s3cret", "shipper"} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%s: the error gives away %q: %v", what, s, err)
			}
		}
	}

	if shipped, err := h.ship(context.Background()); !shipped || err != nil {
		t.Fatalf("first ship: %v %v", shipped, err)
	}
	if shipped, err := h.ship(context.Background()); shipped || err != nil {
		t.Fatalf("an unmoved head shipped again: %v %v", shipped, err)
	}
	audit(t, st)
	setStatus(http.StatusInternalServerError)
	_, err := h.ship(context.Background())
	noSecrets("500", err)
	if !strings.Contains(err.Error(), "500") {
		t.Errorf("500: %v", err)
	}
	setStatus(http.StatusOK)
	if shipped, err := h.ship(context.Background()); !shipped || err != nil {
		t.Fatalf("the head after a failure: %v %v", shipped, err)
	}
	head, _ := st.Head()
	mu.Lock()
	if len(got) != 2 || got[1].Seq != head.Seq || got[1].Hash != head.Hash || !got[1].At.Equal(fixedNow) {
		t.Fatalf("received %+v, want two heads, the last %s at %s", got, head, fixedNow)
	}
	mu.Unlock()

	// a redirect is an error, and the head does not go where it points
	var redirected atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { redirected.Store(true) }))
	defer elsewhere.Close()
	mover := httptest.NewServer(http.RedirectHandler(elsewhere.URL, http.StatusTemporaryRedirect))
	defer mover.Close()
	h, st = shipperOn(t, t.TempDir(), mover.URL+"/?token=s3cret")
	audit(t, st)
	_, err = h.ship(context.Background())
	noSecrets("redirect", err)
	if !strings.Contains(err.Error(), "redirects are not followed") || redirected.Load() {
		t.Errorf("a redirect: %v (followed: %v)", err, redirected.Load())
	}
	// a receiver that never answers: the attempt times out
	hang := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-hang }))
	defer silent.Close()
	defer close(hang)
	h, st = shipperOn(t, t.TempDir(), silent.URL)
	h.client.Timeout = 100 * time.Millisecond
	audit(t, st)
	if _, err = h.ship(context.Background()); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("a silent receiver: %v", err)
	}
	// nobody there
	srv.Close()
	h, st = shipperOn(t, t.TempDir(), secretURL)
	audit(t, st)
	_, err = h.ship(context.Background())
	noSecrets("connection refused", err)
}

// --head-to refuses the data directory (the insider's) and anything that
// is neither a file nor an http(s) URL, before anything starts.
func TestHeadToRefused(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(dir, link)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--head-to", filepath.Join(dir, "heads")}, "is in the data directory"},
		{[]string{"--head-to", filepath.Join(dir, "sub", "heads")}, "is in the data directory"},
		{[]string{"--head-to", filepath.Join(link, "heads")}, "is in the data directory"},
		{[]string{"--head-to", "ftp://user:pw@host/heads"}, "want a file or an http(s):// URL"},
		{[]string{"--head-to", filepath.Join(t.TempDir(), "heads"), "--head-every", "0s"}, "positive duration"},
	} {
		r := run(t, "", append([]string{"serve", "--data", dir, "--listen", "127.0.0.1:0"}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) || strings.Contains(r.err, "pw@") {
			t.Errorf("serve %v: %+v, want exit 2 and %q", tc.args, r, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		t.Error("a refused serve opened the store")
	}
}

// check --head-from: a file that is not a head file, or is not there, is
// an error naming it; --head and --head-from are one or the other.
func TestCheckHeadFrom(t *testing.T) {
	dir := importFixtures(t)
	head := strings.TrimSpace(run(t, "", "audit", "head", "--data", dir).out)
	file := filepath.Join(t.TempDir(), "heads")
	os.WriteFile(file, []byte(head+" 2026-11-10T18:00:00Z\n"), 0o600)
	if r := run(t, "", "check", "--data", dir, "--head-from", file, "--json"); r.code != 0 || !strings.Contains(r.out, `"head_checked": 1`) {
		t.Fatalf("check --head-from --json: %+v", r)
	}
	for _, tc := range []struct {
		text string
		code int
		want string
	}{
		{head + "\nnonsense\n", ExitFail, file + ":2: head \"nonsense\""},
		{head + "\n1:" + strings.Repeat("0", 64) + "\n", ExitFail, "check: 1 problems"},
		{"", ExitFail, file + ": no head in it"},
	} {
		os.WriteFile(file, []byte(tc.text), 0o600)
		r := run(t, "", "check", "--data", dir, "--head-from", file)
		if r.code != tc.code || !strings.Contains(r.err, tc.want) {
			t.Errorf("%q: %+v, want exit %d and %q", tc.text, r, tc.code, tc.want)
		}
	}
	if r := run(t, "", "check", "--data", dir, "--head-from", filepath.Join(t.TempDir(), "none")); r.code != ExitFail || !strings.Contains(r.err, "none") {
		t.Errorf("a missing head file: %+v", r)
	}
	if r := run(t, "", "check", "--data", dir, "--head-from", file, "--head", head); r.code != ExitUsage {
		t.Errorf("--head and --head-from: %+v", r)
	}
}

// waitFor polls until ok, or fails the test after ten seconds saying what.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("never: %s", what)
}

func keyWarnings(log *serveLog) []string {
	var out []string
	for _, line := range log.all() {
		if strings.Contains(line, `"level":"warn"`) && strings.Contains(line, "audit key") {
			out = append(out, line)
		}
	}
	return out
}

// A real server: it warns at start when the audit key is in the data
// directory (and not when it is kept elsewhere), ships the head to a
// file at start and as commands move it, and the file checks.
func TestServeShipsTheHeadAndWarnsOfTheKeyBeside(t *testing.T) {
	dir := importFixtures(t)
	file := filepath.Join(t.TempDir(), "heads")
	cmd, log := startServe(t, "--data", dir, "--listen", "127.0.0.1:0", "--log-format", "json", "--head-to", file, "--head-every", "20ms")
	log.wait(t, "serving")
	if w := keyWarnings(log); len(w) != 1 || !containsAll(w[0], []string{"insider", "--audit-key", filepath.Join(dir, store.KeyFile)}) {
		t.Fatalf("the key beside the data: warnings %q", w)
	}
	waitFor(t, "the head shipped at start", func() bool { return len(fileLines(t, file)) == 1 })
	if r := run(t, "", "diagnose", "--email", "dmoore@cityclinic.org", "--data", dir); r.code != 0 { // through the server
		t.Fatalf("diagnose: %+v", r)
	}
	waitFor(t, "the moved head shipped", func() bool { return len(fileLines(t, file)) == 2 })
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if r := run(t, "", "check", "--data", dir, "--head-from", file); r.code != 0 {
		t.Fatalf("check --head-from what serve shipped: %+v", r)
	}
	if m := log.wait(t, "shipping the audit head"); m["every_s"] != 0.02 {
		t.Errorf("shipping the audit head: every_s %v, want 0.02 (seconds)", m["every_s"])
	}
	for _, line := range log.all() {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			checkLogNames(t, line, m)
		}
	}
}

// The key kept elsewhere is no warning; an audit.key left beside it is.
func TestWarnKeyBeside(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(dir, link)
	apart := filepath.Join(t.TempDir(), "audit.key")
	for _, tc := range []struct {
		name, key string
		copy      bool
		want      string // "": no warning
	}{
		{"beside", filepath.Join(dir, store.KeyFile), false, "the audit key is in the data directory"},
		{"beside, through a link", filepath.Join(link, store.KeyFile), false, "the audit key is in the data directory"},
		{"apart", apart, false, ""},
		{"apart, a copy left beside", apart, true, "an audit key is still in the data directory"},
	} {
		os.Remove(filepath.Join(dir, store.KeyFile))
		if tc.copy {
			os.WriteFile(filepath.Join(dir, store.KeyFile), []byte("k\n"), 0o600)
		}
		var out bytes.Buffer
		c := newCtx(IO{Out: io.Discard, Err: &out})
		l, _ := c.newLogger("text", "info")
		warnKeyBeside(l, dir, tc.key)
		got := out.String()
		if tc.want == "" && got != "" || tc.want != "" && (strings.Count(got, "\n") != 1 || !containsAll(got, []string{"WARN", tc.want})) {
			t.Errorf("%s: %q, want one warning with %q", tc.name, got, tc.want)
		}
	}
}

// At start, serve holds the trail to the heads a head file already has
// and says loudly when they do not hold (the trail was rewritten while
// it was down); it still ships, and the file keeps the evidence. A head
// file it cannot write stops it.
func TestShippingStartSaysARewrittenTrail(t *testing.T) {
	dir := importFixtures(t)
	file := filepath.Join(t.TempDir(), "heads")
	os.WriteFile(file, []byte("1:"+strings.Repeat("0", 64)+" 2026-11-10T17:00:00Z\n"), 0o600)
	h, st := shipperOn(t, dir, file)
	var out bytes.Buffer
	l, _ := newCtx(IO{Out: io.Discard, Err: &out}).newLogger("text", "info")
	stop, err := startShipping(h, st, time.Hour, l)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if got := out.String(); !containsAll(got, []string{"ERRO", "does not hold the heads shipped before", "check --head-from " + file}) {
		t.Fatalf("start on a rewritten trail logged %q", got)
	}
	if lines := fileLines(t, file); len(lines) != 2 {
		t.Fatalf("head file %q: want the old head kept and the new one after it", lines)
	}

	h, st = shipperOn(t, t.TempDir(), filepath.Join(t.TempDir(), "no-such-dir", "heads"))
	if _, err := startShipping(h, st, time.Hour, l); err == nil || !strings.Contains(err.Error(), "no-such-dir") {
		t.Fatalf("a head file that cannot be written: %v", err)
	}
}
