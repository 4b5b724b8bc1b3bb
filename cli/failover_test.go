package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	gossh "golang.org/x/crypto/ssh"

	"frontdoor/internal/etcdtest"
	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/store/etcd"
)

// clusterStore opens the store on c under prefix, as a command does.
func clusterStore(t *testing.T, c *etcdtest.Cluster, prefix, key string) *store.Store {
	t.Helper()
	kv, err := etcd.Dial(etcd.Config{Endpoints: c.Endpoints(), Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenBackend(kv, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// filledCluster is a three-member cluster holding the reference
// accounts under prefix (filled by sync), its store URL and audit key.
func filledCluster(t *testing.T, prefix string) (*etcdtest.Cluster, string, string) {
	t.Helper()
	c := etcdtest.Start(t, 3)
	url, key := c.URL(prefix), filepath.Join(t.TempDir(), "audit.key")
	if r := run(t, "", "sync", fixtureStream(t), "--store", url, "--audit-key", key); r.code != 0 {
		t.Fatalf("fill: %+v", r)
	}
	return c, url, key
}

// startChild runs `frontdoor args…` in a child process (TestServeChild).
func startChild(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$")
	cmd.Env = append(os.Environ(), serveChildEnv+"="+strings.Join(args, "\x1f"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// eventually polls until ok, failing the test after a liveness bound.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(45 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

// renames writes a change stream renaming account id, from seq/version
// from to to.
func renames(t *testing.T, path, id string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for v := from; v <= to; v++ {
		fmt.Fprintf(f, `{"seq":%d,"version":%d,"account":{"id":%q,"email":"renamed.%s@example.com","name":"Renamed %d","role":"client","status":"active","us_state":"NY","created_at":"2026-01-01T00:00:00Z","email_verified_at":"2026-01-01T00:05:00Z"}}`+"\n", 100+v, v, id, id, v)
	}
}

// One change-stream follower across the cluster: a second `sync
// --follow` stands by; the first killed mid-stream (kill -9), the second
// takes over within seconds and resumes from the checkpoint, every
// event applied once (issue 21, items 5 and 7).
func TestFollowerFailsOverOnACluster(t *testing.T) {
	c, url, key := filledCluster(t, "/fo/")
	st := clusterStore(t, c, "/fo/", key)
	stream := filepath.Join(t.TempDir(), "stream.jsonl")
	renames(t, stream, "p001", 2, 20)
	args := []string{"sync", stream, "--follow", "--store", url, "--audit-key", key}
	first := startChild(t, args...)
	eventually(t, "the first follower applied the stream", func() bool { return st.Checkpoint() == 120 })
	leader := func() string { // who the cluster's election says follows the stream
		cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Close()
		r, err := cli.Get(context.Background(), "/fo/election/"+store.RoleSyncFollower+"/", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend), clientv3.WithLimit(1))
		if err != nil || len(r.Kvs) == 0 {
			return ""
		}
		return string(r.Kvs[0].Value)
	}
	second := startChild(t, args...)
	if l := leader(); !strings.HasSuffix(l, fmt.Sprint("pid ", first.Process.Pid)) {
		t.Fatalf("the first follower does not lead: %q", l)
	}
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	renames(t, stream, "p001", 21, 40)
	eventually(t, "the second follower took over and applied the rest", func() bool { return st.Checkpoint() == 140 })
	if l := leader(); !strings.HasSuffix(l, fmt.Sprint("pid ", second.Process.Pid)) {
		t.Fatalf("the second follower does not lead: %q", l)
	}
	r, err := st.Get("p001")
	if err != nil || r.Account.Name != "Renamed 40" || r.PlatformVersion != 40 {
		t.Fatalf("after the failover: %+v %v", r.Account.Name, err)
	}
	if problems, err := st.Check(); err != nil || len(problems) > 0 {
		t.Fatalf("check: %v %v", problems, err)
	}
	second.Process.Signal(syscall.SIGTERM)
}

// Two front ends acting on one account at once: one wins, the other is
// told of the conflict (the version it decided on is gone), never a
// lost update; and a member stopped mid-actions loses nothing committed
// and leaves no half action (issue 21, item 7).
func TestActionsOnACluster(t *testing.T) {
	c, _, key := filledCluster(t, "/act/")
	a, b := clusterStore(t, c, "/act/", key), clusterStore(t, c, "/act/", key)
	by := store.Actor{Name: "oncall", Role: model.RoleAdmin}
	note := func(text string) func(model.Account, store.Actor) (store.Change, error) {
		return func(acc model.Account, _ store.Actor) (store.Change, error) {
			acc.Notes = append(acc.Notes, model.Note{At: &fixedNow, By: "oncall", Text: text})
			return store.Change{Account: acc, Audit: store.AuditEntry{Action: "add_note"}}, nil
		}
	}
	rec, err := a.Get("p002")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, st := range []*store.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = st.Apply("p002", rec.Version, by, fixedNow, note(fmt.Sprint("from front end ", i)))
		}()
	}
	wg.Wait()
	var conflict *store.ConflictError
	if (errs[0] == nil) == (errs[1] == nil) || !(errors.As(errs[0], &conflict) || errors.As(errs[1], &conflict)) {
		t.Fatalf("two actions on one version: %v / %v, want one applied and one conflict", errs[0], errs[1])
	}
	if got, _ := b.Get("p002"); len(got.Account.Notes) != len(rec.Account.Notes)+1 {
		t.Fatalf("%d notes, want the winner's only", len(got.Account.Notes))
	}

	// a member stopped while front ends act
	before, err := a.Get("p003")
	if err != nil {
		t.Fatal(err)
	}
	var done atomic.Int64
	stop := make(chan struct{})
	var acting sync.WaitGroup
	for i, st := range []*store.Store{a, b} {
		acting.Add(1)
		go func() {
			defer acting.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				cur, err := st.Get("p003")
				if err != nil {
					continue
				}
				if _, err := st.Apply("p003", cur.Version, by, fixedNow, note(fmt.Sprintf("%d-%d", i, n))); err == nil {
					done.Add(1)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	c.Stop(0)
	time.Sleep(time.Second)
	close(stop)
	acting.Wait()
	got, err := a.Get("p003")
	if err != nil {
		t.Fatal(err)
	}
	if n := int64(len(got.Account.Notes) - len(before.Account.Notes)); n != done.Load() || n == 0 {
		t.Fatalf("%d actions reported done, %d notes kept: a committed action was lost or a half one kept", done.Load(), n)
	}
	if problems, err := a.Check(); err != nil || len(problems) > 0 {
		t.Fatalf("check after a member stopped: %v %v", problems, err)
	}
}

// One outbox relay across the cluster: two front ends, each started
// with --deliver-to; the leading one killed -9 mid-delivery, the other
// takes over and every message is delivered, each under one key
// (issue 21, items 5 and 7; rule S8).
func TestRelayFailsOverOnACluster(t *testing.T) {
	c, url, key := filledCluster(t, "/relay/")
	st := clusterStore(t, c, "/relay/", key)
	var mu sync.Mutex
	keys := map[string]map[string]bool{} // message id → the keys it came with
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m store.OutboxMessage
		json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		if keys[fmt.Sprint(m.ID)] == nil {
			keys[fmt.Sprint(m.ID)] = map[string]bool{}
		}
		keys[fmt.Sprint(m.ID)][r.Header.Get("Idempotency-Key")] = true
		mu.Unlock()
		time.Sleep(20 * time.Millisecond) // a platform that takes its time: the kill lands mid-delivery
	}))
	defer platform.Close()
	secret := filepath.Join(t.TempDir(), "relay.secret")
	os.WriteFile(secret, []byte("s3cret-for-the-test"), 0o600)
	start := func() (*exec.Cmd, *serveLog) {
		return startServe(t, "--store", url, "--audit-key", key, "--data", t.TempDir(), "--listen", "127.0.0.1:0",
			"--deliver-to", platform.URL, "--secret-file", secret, "--log-format", "json")
	}
	a, alog := start()
	alog.wait(t, "leading", "relay")
	b, blog := start()
	alog.wait(t, "serving")
	blog.wait(t, "serving")
	by := store.Actor{Name: "oncall", Role: model.RoleAdmin}
	const queued = 40
	for i := range queued {
		cur, err := st.Get("p004")
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Apply("p004", cur.Version, by, fixedNow, func(acc model.Account, _ store.Actor) (store.Change, error) {
			return store.Change{Account: acc, Audit: store.AuditEntry{Action: "resend"},
				Outbox: []store.OutboxMessage{{Kind: store.KindCommand, Type: "noop", Payload: map[string]string{"n": fmt.Sprint(i)}}}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the leading relay delivered some", func() bool { mu.Lock(); defer mu.Unlock(); return len(keys) > 0 })
	a.Process.Signal(syscall.SIGKILL)
	a.Wait()
	blog.wait(t, "leading", "relay")
	eventually(t, "every message delivered", func() bool {
		counts, err := st.OutboxCounts()
		return err == nil && counts[store.OutboxDelivered] >= queued && counts[store.OutboxPending] == 0
	})
	mu.Lock()
	defer mu.Unlock()
	for id, ks := range keys {
		if len(ks) != 1 {
			t.Errorf("message %s came with %d keys", id, len(ks))
		}
	}
	_ = b
}

// The audit chain stays one line across front ends: sessions on two
// front ends auditing at once (look-ups, batched a front end at a
// time) leave every entry in one chain that checks (issue 21, item 3).
func TestAuditIsOneChainAcrossFrontEnds(t *testing.T) {
	c, _, key := filledCluster(t, "/aud/")
	a, b := clusterStore(t, c, "/aud/", key), clusterStore(t, c, "/aud/", key)
	before, err := a.Head()
	if err != nil {
		t.Fatal(err)
	}
	by := store.Actor{Name: "oncall", Role: model.RoleAdmin}
	const sessions, each = 8, 20
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range sessions {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range each {
				if err := st.AuditAs(by, store.AuditEntry{At: fixedNow, Action: "lookup", Account: "p001",
					Details: map[string]string{"via": fmt.Sprintf("session %d look-up %d", i, n)}}); err != nil {
					failed.Add(1)
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	after, err := b.Head()
	if err != nil || failed.Load() > 0 {
		t.Fatal(err)
	}
	if after.Seq-before.Seq != sessions*each {
		t.Fatalf("%d entries appended, want %d", after.Seq-before.Seq, sessions*each)
	}
	if problems, err := a.Check(); err != nil || len(problems) > 0 {
		t.Fatalf("check: %v %v", problems, err)
	}
}

// `sessions end NAME` on a cluster reaches every front end: an agent
// connected to front end B is cut off when on-call ends their sessions
// through the cluster, and logs in again afterwards (issue 21, item 4:
// session ends follow the watch).
func TestSessionsEndOnEveryFrontEnd(t *testing.T) {
	_, url, key := filledCluster(t, "/ends/")
	sam := newSigner(t)
	if r := run(t, "", "user", "add", "sam", "--role", "agent", "--key", string(gossh.MarshalAuthorizedKey(sam.PublicKey())),
		"--store", url, "--audit-key", key); r.code != 0 {
		t.Fatalf("user add: %+v", r)
	}
	_, blog := startServe(t, "--store", url, "--audit-key", key, "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--log-format", "json")
	addr, _ := blog.wait(t, "serving")["addr"].(string)
	login := func() (*gossh.Client, *gossh.Session, *strings.Builder, *sync.Mutex) {
		cl, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "sam", Auth: []gossh.AuthMethod{gossh.PublicKeys(sam)},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		sess, _ := cl.NewSession()
		sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{})
		var out strings.Builder
		var mu sync.Mutex
		w := funcWriter(func(b []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(b) })
		sess.Stdout = w
		if err := sess.Shell(); err != nil {
			t.Fatal(err)
		}
		return cl, sess, &out, &mu
	}
	cl, sess, out, mu := login()
	defer cl.Close()
	eventually(t, "sam's console drew", func() bool { mu.Lock(); defer mu.Unlock(); return strings.Contains(out.String(), "Find an account") })
	// who is on is listed on every front end: through the cluster, and
	// forwarded to front end A, which holds no session of its own
	dataA := t.TempDir()
	_, alog := startServe(t, "--store", url, "--audit-key", key, "--data", dataA, "--listen", "127.0.0.1:0", "--log-format", "json")
	alog.wait(t, "serving")
	for _, args := range [][]string{{"--store", url}, {"--data", dataA}} {
		eventually(t, "sam listed by `sessions "+strings.Join(args, " ")+"`", func() bool {
			r := run(t, "", append([]string{"sessions", "--json", "--audit-key", key}, args...)...)
			var rows []struct {
				User     string `json:"user"`
				FrontEnd string `json:"front_end"`
			}
			if r.code != 0 || json.Unmarshal([]byte(r.out), &rows) != nil {
				t.Fatalf("sessions %v: %+v", args, r)
			}
			return len(rows) == 1 && rows[0].User == "sam" && strings.Contains(rows[0].FrontEnd, "pid")
		})
	}
	time.Sleep(50 * time.Millisecond) // the session began before the order
	// on-call's command, on the wall clock the front ends' sessions run on
	var endOut, endErr strings.Builder
	actor := store.Actor{Name: "oncall", Role: model.RoleAdmin}
	if code := Run([]string{"sessions", "end", "sam", "--store", url, "--audit-key", key},
		IO{Out: &endOut, Err: &endErr, Clock: time.Now, Actor: &actor}); code != 0 || !strings.Contains(endOut.String(), "every front end") {
		t.Fatalf("sessions end through the cluster: %d %s %s", code, endOut.String(), endErr.String())
	}
	ended := make(chan error, 1)
	go func() { ended <- sess.Wait() }()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("front end B kept sam's session after it was ended through the cluster")
	}
	mu.Lock()
	said := out.String()
	mu.Unlock()
	if !strings.Contains(said, "ended by") {
		t.Errorf("the session ended without saying why: %q", said)
	}
	eventually(t, "sam's ended session gone from `sessions`", func() bool {
		r := run(t, "", "sessions", "--json", "--store", url, "--audit-key", key)
		return r.code == 0 && strings.TrimSpace(r.out) == "[]"
	})
	// a new login afterwards is not ended
	cl2, sess2, out2, mu2 := login()
	defer cl2.Close()
	eventually(t, "sam's new console drew", func() bool { mu2.Lock(); defer mu2.Unlock(); return strings.Contains(out2.String(), "Find an account") })
	time.Sleep(300 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- sess2.Wait() }()
	select {
	case <-done:
		t.Fatal("a login after the order was ended too")
	default:
	}
}

// act on an account another writer changes at that moment runs again on
// the new state: no one decided on what they saw, the rules decide on
// the account as it is. Six add-notes on one account at once: six notes.
func TestActRunsAgainOnAConflict(t *testing.T) {
	c, url, key := filledCluster(t, "/conc/")
	var wg sync.WaitGroup
	results := make([]result, 6)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = run(t, "", "act", "add-note", "--account", "p002", "--reason", fmt.Sprint("at once ", i), "--store", url, "--audit-key", key)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("act %d: %+v", i, r)
		}
	}
	got, err := clusterStore(t, c, "/conc/", key).Get("p002")
	if err != nil {
		t.Fatal(err)
	}
	notes := 0
	for _, n := range got.Account.Notes {
		if strings.HasPrefix(n.Text, "at once ") {
			notes++
		}
	}
	if notes != len(results) {
		t.Fatalf("%d of %d notes taken", notes, len(results))
	}
}
