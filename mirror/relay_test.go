package mirror

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor/model"
	"frontdoor/store"
)

var secret = []byte("a shared secret of enough bytes")

// platform is a scripted platform endpoint: it checks every delivery's
// signature (as a receiver does, with Verify) and key, answers from a
// script per message type, and records the key of every attempt and
// what it took.
type platform struct {
	t      *testing.T
	mu     sync.Mutex
	script map[string][]int // "ACCOUNT/TYPE" or TYPE → statuses to answer in turn (then 200)
	got    []store.OutboxMessage
	keys   map[string]int      // key → times taken (answered 2xx)
	tries  map[uint64][]string // message id → the key of each attempt, failed ones too
	hang   time.Duration       // answer this late (a timeout)
	after  string              // a 429's Retry-After; "": 1
	onPost func()
}

// oneKeyEach fails the test unless every message kept one key across all
// its attempts, failed ones included, and at least one message was tried
// more than once (else it proves nothing): the platform deduplicates on
// the key, so a new key on a retry is a second command (rule S8).
func (p *platform) oneKeyEach(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	retried := false
	for id, keys := range p.tries {
		retried = retried || len(keys) > 1
		if slices.ContainsFunc(keys, func(k string) bool { return k != keys[0] }) {
			t.Errorf("message %d came under keys %q: its attempts cannot be deduplicated (rule S8)", id, keys)
		}
	}
	if !retried {
		t.Errorf("no message was tried twice: %v", p.tries)
	}
}

func (p *platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := Verify(secret, r.Header.Get(HeaderSignature), body, time.Now(), DefaultWindow); err != nil {
		p.t.Errorf("the receiver's check: %v", err)
	}
	var m store.OutboxMessage
	if err := json.Unmarshal(body, &m); err != nil {
		p.t.Errorf("body is not the message: %v", err)
	}
	if k := r.Header.Get(HeaderKey); k == "" || k != m.Key {
		p.t.Errorf("Idempotency-Key %q, message key %q", k, m.Key)
	}
	p.mu.Lock()
	p.tries[m.ID] = append(p.tries[m.ID], r.Header.Get(HeaderKey))
	onPost := p.onPost
	p.mu.Unlock()
	if onPost != nil {
		onPost()
	}
	p.mu.Lock()
	status := http.StatusOK
	for _, k := range []string{m.Account + "/" + m.Type, m.Type} { // one account's, then any
		if s := p.script[k]; len(s) > 0 {
			status, p.script[k] = s[0], s[1:]
			break
		}
	}
	hang, after := p.hang, cmp.Or(p.after, "1")
	p.mu.Unlock()
	if hang > 0 {
		time.Sleep(hang)
		return
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", after)
	}
	if status == http.StatusOK {
		p.mu.Lock()
		p.got = append(p.got, m)
		p.keys[m.Key]++
		p.mu.Unlock()
	}
	w.WriteHeader(status)
}

func newPlatform(t *testing.T, script map[string][]int) (*platform, *httptest.Server) {
	p := &platform{t: t, script: script, keys: map[string]int{}, tries: map[uint64][]string{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv
}

// queue takes console actions so the outbox has messages: on each account
// a note (no command), a lift and a reset (two commands, in that order).
func queue(t testing.TB, st *store.Store, accounts int) {
	t.Helper()
	var lines []string
	for i := 1; i <= accounts; i++ {
		d := account(i, fmt.Sprintf("u%d@example.com", i), 1)
		d["emails_unsubscribed_at"] = now.Add(-time.Hour).Format(time.RFC3339)
		raw, _ := json.Marshal(d)
		lines = append(lines, fmt.Sprintf(`{"seq":%d,"version":1,"account":%s}`, i, raw))
	}
	if _, err := Sync(context.Background(), st, strings.NewReader(strings.Join(lines, "\n")), SyncOptions{Clock: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	agent := store.Actor{Name: "sam", Role: model.RoleAgent}
	for i := 1; i <= accounts; i++ {
		id := fmt.Sprintf("acc_%05d", i)
		for _, act := range []func(model.Account, model.ActionInput) (model.Effect, error){model.DefaultPolicy.LiftSuppression, model.DefaultPolicy.SendReset} {
			rec, _ := st.Get(id)
			if _, err := st.Act(id, rec.Version, agent, now, "test", func(a model.Account, by store.Actor) (model.Effect, error) {
				return act(a, model.ActionInput{By: by.Name, Role: by.Role, Now: now, Reason: "incident"})
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func relay(st *store.Store, url string) *Relay {
	return &Relay{Store: st, URL: url, Secret: secret, Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Timeout: 200 * time.Millisecond, MaxAttempts: 4}
}

func states(t *testing.T, st *store.Store) map[string]store.OutboxMessage {
	t.Helper()
	msgs, _ := st.Outbox(true)
	out := map[string]store.OutboxMessage{}
	for _, m := range msgs {
		out[m.Account+"/"+m.Type] = m
	}
	return out
}

func TestRelayDeliversSignedAndInOrder(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	queue(t, st, 20)
	// the lifts fail twice with 503 and once with 429: the resets queued
	// after them on the same account must wait their turn
	p, srv := newPlatform(t, map[string][]int{model.ActLiftSuppression: {503, 429, 503}})
	if err := relay(st, srv.URL).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	order := map[string][]string{}
	for _, m := range p.got {
		order[m.Account] = append(order[m.Account], m.Type)
	}
	for acc, types := range order {
		if strings.Join(types, ",") != "lift_email_suppression,email_suppression_lifted,send_password_reset" {
			t.Errorf("%s: delivered %v, not in queued order", acc, types)
		}
	}
	for k, n := range p.keys {
		if n != 1 {
			t.Errorf("key %s delivered %d times", k, n)
		}
	}
	p.oneKeyEach(t)
	msgs := states(t, st)
	if len(p.got) != len(msgs) {
		t.Fatalf("%d delivered of %d", len(p.got), len(msgs))
	}
	for _, m := range msgs {
		if m.State != store.OutboxDelivered || m.DeliveredAt == nil {
			t.Fatalf("%+v", m)
		}
	}
	// the account's pending lift now says delivered (rule S6)
	rec, _ := st.Get("acc_00001")
	for _, pd := range rec.Pending {
		if pd.State != model.PendingDelivered {
			t.Fatalf("pending %+v", pd)
		}
	}
}

func TestRelayRetryAfter(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	queue(t, st, 1)
	p, srv := newPlatform(t, map[string][]int{model.ActLiftSuppression: {429}})
	r := relay(st, srv.URL)
	r.MaxBackoff = 5 * time.Second // above the Retry-After, which it caps
	start := time.Now()
	if err := r.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second {
		t.Fatalf("429 with Retry-After: 1 retried after %v", took)
	}
	if m := states(t, st)["acc_00001/"+model.ActLiftSuppression]; m.Attempts != 2 || m.State != store.OutboxDelivered {
		t.Fatalf("%+v", m)
	}
	p.oneKeyEach(t)
}

func TestRelayDeadLetters(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	queue(t, st, 2)
	// a refusal is dead at once, and holds the account's later messages
	// (rule S8: in the order queued): the reset after a refused lift
	// would go to a still-suppressed address; another account's go on
	p, srv := newPlatform(t, map[string][]int{"acc_00001/" + model.ActLiftSuppression: {400}})
	if err := relay(st, srv.URL).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	lift := states(t, st)["acc_00001/"+model.ActLiftSuppression]
	if lift.State != store.OutboxDead || lift.LastStatus != 400 || lift.Attempts != 1 || !strings.Contains(lift.LastError, "refused") {
		t.Fatalf("a 400 is not dead at once: %+v", lift)
	}
	if reset := states(t, st)["acc_00001/"+model.ActSendReset]; reset.State != store.OutboxPending || reset.Attempts != 0 {
		t.Fatalf("a message after a dead one on its account was tried: %+v", reset)
	}
	if other := states(t, st)["acc_00002/"+model.ActSendReset]; other.State != store.OutboxDelivered {
		t.Fatalf("another account's messages were held: %+v", other)
	}
	rec, _ := st.Get("acc_00001")
	if rec.Pending[0].State != model.PendingFailed {
		t.Fatalf("a dead command does not show failed: %+v", rec.Pending)
	}
	// an operator retries it: pending again, then delivered
	if err := st.Retry(lift.ID, store.Actor{Name: "oncall", Role: model.RoleAdmin}, now); err != nil {
		t.Fatal(err)
	}
	if err := relay(st, srv.URL).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := states(t, st)["acc_00001/"+model.ActLiftSuppression]; m.State != store.OutboxDelivered {
		t.Fatalf("after retry: %+v", m)
	}
	if m := states(t, st)["acc_00001/"+model.ActSendReset]; m.State != store.OutboxDelivered {
		t.Fatalf("the message held behind the dead one, after its retry: %+v", m)
	}
	// the platform took acc_00001's in the order queued, the lift first
	var order []string
	for _, m := range p.got {
		if m.Account == "acc_00001" && m.Kind == store.KindCommand {
			order = append(order, m.Type)
		}
	}
	if want := []string{model.ActLiftSuppression, model.ActSendReset}; !slices.Equal(order, want) {
		t.Fatalf("acc_00001's commands reached the platform as %v, want %v", order, want)
	}
	p.oneKeyEach(t) // the retried message kept its key
}

func TestRelayTimeoutsUntilDead(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	queue(t, st, 1)
	p, srv := newPlatform(t, nil)
	p.hang = time.Second // longer than the relay's 200 ms timeout
	if err := relay(st, srv.URL).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := states(t, st)["acc_00001/"+model.ActLiftSuppression]
	if m.State != store.OutboxDead || m.Attempts != 4 || m.LastStatus != 0 || m.LastError == "" {
		t.Fatalf("timeouts did not end dead after 4 attempts: %+v", m)
	}
	p.oneKeyEach(t)
}

func TestRelayConnectionRefused(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	queue(t, st, 1)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	r := relay(st, url)
	if _, _, err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := states(t, st)["acc_00001/"+model.ActLiftSuppression]
	if m.State != store.OutboxPending || m.Attempts != 1 || m.NextAttempt == nil {
		t.Fatalf("a refused connection is not retried: %+v", m)
	}
}

// kill -9 of a relay after it POSTed but before it recorded: the message
// may go twice (same key), never be lost. Its first pass fails and is
// recorded, so the keys of the attempts before the kill, in it and after
// the restart are all compared (rule S8).
const deliverEnv = "FRONTDOOR_DELIVER_CRASH"

func TestDeliverCrashChild(t *testing.T) {
	dir, url := os.Getenv(deliverEnv), os.Getenv(deliverEnv+"_URL")
	if dir == "" {
		t.Skip("helper for TestKillDeliverMidway")
	}
	st := openStore(t, dir)
	relay(st, url).Drain(context.Background())
	os.Exit(0)
}

func TestKillDeliverMidway(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	queue(t, st, 10)
	want := len(states(t, st))
	st.Close()
	p, srv := newPlatform(t, map[string][]int{model.ActLiftSuppression: slices.Repeat([]int{503}, 10)})
	fifteenth, killed := make(chan struct{}), make(chan struct{})
	posts := 0
	p.mu.Lock()
	defer func() { p.mu.Lock(); p.onPost = nil; p.mu.Unlock() }()
	p.onPost = func() {
		p.mu.Lock()
		posts++
		n := posts
		p.mu.Unlock()
		if n == 15 { // in the second pass: the ten lifts failed once
			close(fifteenth)
			<-killed // answer this POST only once the relay is dead
		}
	}
	p.mu.Unlock()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeliverCrashChild$")
	cmd.Env = append(os.Environ(), deliverEnv+"="+dir, deliverEnv+"_URL="+srv.URL)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fifteenth:
		cmd.Process.Kill() // SIGKILL while the fifteenth POST is in flight
	case <-time.After(30 * time.Second):
		t.Fatal("the relay never reached its fifteenth POST")
	}
	close(killed)
	if err := cmd.Wait(); err == nil {
		t.Fatal("the relay was not killed")
	}
	st = openStore(t, dir)
	defer st.Close()
	if err := relay(st, srv.URL).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	took := len(p.keys)
	p.mu.Unlock()
	if took != want {
		t.Fatalf("%d distinct messages reached the platform, want %d: one was lost", took, want)
	}
	for _, m := range states(t, st) {
		if m.State != store.OutboxDelivered {
			t.Fatalf("%+v", m)
		}
	}
	if p, err := st.Check(); err != nil || len(p) > 0 {
		t.Fatalf("check: %v %v", p, err)
	}
	p.oneKeyEach(t)
}

// Run, as `serve --deliver-to` runs it: a queued action is delivered at
// once (the store wakes it), a failure retried when it falls due, and
// nothing is left when ctx ends.
func TestRelayRunDeliversAsActionsAreQueued(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	p, srv := newPlatform(t, map[string][]int{model.ActSendReset: {503}})
	ctx, cancel := context.WithCancel(context.Background())
	wake, unsub := st.OutboxQueued()
	defer unsub()
	done := make(chan struct{})
	go func() { relay(st, srv.URL).Run(ctx, wake, t.Logf); close(done) }()
	queue(t, st, 2) // actions taken while the relay runs
	want := len(states(t, st))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		n := len(p.keys)
		p.mu.Unlock()
		if n == want {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	for _, m := range states(t, st) {
		if m.State != store.OutboxDelivered {
			t.Fatalf("not delivered by the running relay: %+v", m)
		}
	}
	ms := states(t, st)
	if a := ms["acc_00001/"+model.ActSendReset].Attempts + ms["acc_00002/"+model.ActSendReset].Attempts; a != 3 {
		t.Fatalf("the 503 was not retried once: %d attempts for two resets", a)
	}
	p.oneKeyEach(t)
}

// A redirect is never followed, whatever client the relay is given: its
// target receives nothing (no body, signature or key, least of all over
// plain HTTP from an HTTPS endpoint), and the message is dead, not
// delivered: the URL is wrong and a retry would meet the same answer.
func TestRelayNeverFollowsRedirects(t *testing.T) {
	var mu sync.Mutex
	var took []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		took = append(took, r.Method+" "+r.URL.String()+" "+r.Header.Get(HeaderSignature)+" "+r.Header.Get(HeaderKey))
		mu.Unlock()
	}))
	defer target.Close()
	redirect := func(code int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/took", code)
		})
	}
	clients := []struct {
		name   string
		tls    bool
		client func(*httptest.Server) *http.Client
	}{
		{"its own client", false, func(*httptest.Server) *http.Client { return nil }},
		{"the endpoint's TLS client", true, func(s *httptest.Server) *http.Client { return s.Client() }},
		{"a client that follows everything", true, func(s *httptest.Server) *http.Client {
			return &http.Client{Transport: s.Client().Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
		}},
	}
	for _, c := range clients {
		for code := 300; code <= 308; code++ {
			t.Run(fmt.Sprintf("%s/%d", c.name, code), func(t *testing.T) {
				mu.Lock()
				took = nil
				mu.Unlock()
				st := openStore(t, t.TempDir())
				defer st.Close()
				queue(t, st, 1)
				srv := httptest.NewUnstartedServer(redirect(code))
				if c.tls {
					srv.StartTLS()
				} else {
					srv.Start()
				}
				defer srv.Close()
				r := relay(st, srv.URL)
				r.Client = c.client(srv)
				if _, _, err := r.Pass(context.Background()); err != nil {
					t.Fatal(err)
				}
				m := states(t, st)["acc_00001/"+model.ActLiftSuppression]
				if m.State != store.OutboxDead || m.LastStatus != code || m.NextAttempt != nil || !strings.Contains(m.LastError, "redirect") {
					t.Fatalf("a %d is not a refusal: %+v", code, m)
				}
				mu.Lock()
				defer mu.Unlock()
				if len(took) > 0 {
					t.Fatalf("the redirect's target received %q", took)
				}
			})
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://platform.example/hook", "https://platform.example/hook"},
		{"https://relay:hunter2@platform.example/hook", "https://REDACTED@platform.example/hook"},
		{"https://tok3n@platform.example/hook", "https://REDACTED@platform.example/hook"},
		{"https://platform.example/hook?token=s3cr3t&site=a", "https://platform.example/hook?token=REDACTED&site=REDACTED"},
		{"https://platform.example/hook?s3cr3t", "https://platform.example/hook?REDACTED"},
		{"https://platform.example/hook?a=1&&b", "https://platform.example/hook?a=REDACTED&&REDACTED"},
		{"https://platform.example/hook#s3cr3t", "https://platform.example/hook#REDACTED"},
		{"/moved?token=s3cr3t", "/moved?token=REDACTED"},
		{"http:s3cr3t", "http:REDACTED"},
		{"https://relay:hunter2@platform.example:bad/", "(a URL that does not parse)"},
		{"", ""},
	} {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A URL's secrets (userinfo, query values) are never stored with a
// message's last error, nor sent with the next attempt's body (which
// carries last_error), whether the error is Go's (which names the whole
// URL) or a redirect's Location.
func TestRelayKeepsNoURLSecrets(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	queue(t, st, 1)
	var mu sync.Mutex
	var bodies []string
	lifts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m store.OutboxMessage
		json.Unmarshal(body, &m)
		mu.Lock()
		bodies = append(bodies, string(body))
		first := m.Type == model.ActLiftSuppression && lifts == 0
		if m.Type == model.ActLiftSuppression {
			lifts++
		}
		mu.Unlock()
		switch {
		case first:
			time.Sleep(time.Second) // past the relay's timeout: Go's error names the URL
		case m.Type == model.ActSendReset:
			http.Redirect(w, r, "https://mover:l0cpass@elsewhere.example/hook?token=l0ct0ken", http.StatusTemporaryRedirect)
		}
	}))
	defer srv.Close()
	secrets := []string{"hunter2", "s3cr3t", "l0cpass", "l0ct0ken"}
	leaks := func(what, s string) {
		t.Helper()
		for _, x := range secrets {
			if strings.Contains(s, x) {
				t.Errorf("%s holds %q: %s", what, x, s)
			}
		}
	}
	r := relay(st, strings.Replace(srv.URL, "http://", "http://relay:hunter2@", 1)+"/hook?token=s3cr3t")
	if _, _, err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	lift := states(t, st)["acc_00001/"+model.ActLiftSuppression]
	if lift.State != store.OutboxPending || !strings.Contains(lift.LastError, "token=REDACTED") {
		t.Fatalf("the timeout's error does not name the redacted URL: %+v", lift)
	}
	if err := r.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs, _ := st.Outbox(true)
	stored, _ := json.Marshal(msgs)
	leaks("the outbox", string(stored))
	mu.Lock()
	leaks("a POST's body", strings.Join(bodies, "\n"))
	if !strings.Contains(strings.Join(bodies, "\n"), "token=REDACTED") {
		t.Errorf("the lift's retry does not carry its redacted last error: %q", bodies)
	}
	mu.Unlock()
	reset := states(t, st)["acc_00001/"+model.ActSendReset]
	if reset.State != store.OutboxDead || !strings.Contains(reset.LastError, "https://REDACTED@elsewhere.example/hook?token=REDACTED") {
		t.Fatalf("the redirect's error does not name its redacted Location: %+v", reset)
	}
}

// A captured delivery cannot be replayed past the receiver's window: the
// timestamp is signed with the body, so neither can be changed without
// the secret, and each attempt is signed as it is sent, so a retry after
// a long backoff is not stale.
func TestRelaySignatureResistsReplay(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	queue(t, st, 1)
	type capture struct {
		sig  string
		body []byte
	}
	var mu sync.Mutex
	var got []capture
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, capture{r.Header.Get(HeaderSignature), body})
		if len(got) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	sent := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := sent
	r := relay(st, srv.URL)
	r.Clock = func() time.Time { return clock }
	if _, _, err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock = sent.Add(2 * time.Hour) // the retry falls due long after
	if _, _, err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d attempts, want 2", len(got))
	}
	first, retry := got[0], got[1]
	shape := regexp.MustCompile(`^t=[0-9]+,v1=[0-9a-f]{64}$`)
	for _, c := range got {
		if !shape.MatchString(c.sig) {
			t.Fatalf("%s: %q is not t=UNIX,v1=HEX: a captured request replays forever", HeaderSignature, c.sig)
		}
	}
	unix := func(at time.Time) string { return fmt.Sprint(at.Unix()) }
	v1 := first.sig[strings.Index(first.sig, "v1="):]
	for _, c := range []struct {
		name   string
		sig    string
		body   []byte
		secret []byte
		now    time.Time
		want   error
	}{
		{"as sent", first.sig, first.body, secret, sent, nil},
		{"replayed within the window (the key dedups it)", first.sig, first.body, secret, sent.Add(4 * time.Minute), nil},
		{"replayed after the window", first.sig, first.body, secret, sent.Add(DefaultWindow + time.Second), ErrStale},
		{"replayed with the retry", first.sig, first.body, secret, clock, ErrStale},
		{"from the future", first.sig, first.body, secret, sent.Add(-DefaultWindow - time.Second), ErrStale},
		{"the retry, signed when sent", retry.sig, retry.body, secret, clock, nil},
		{"its timestamp moved to now", "t=" + unix(clock) + "," + v1, first.body, secret, clock, ErrBadSignature},
		{"its body changed", first.sig, append([]byte(" "), first.body...), secret, sent, ErrBadSignature},
		{"another secret", first.sig, first.body, []byte("another secret of enough bytes"), sent, ErrBadSignature},
		{"a second v1 while the secret is rotated", "t=" + unix(sent) + ",v1=00ff," + v1, first.body, secret, sent, nil},
		{"the old body-only shape", "sha256=" + strings.TrimPrefix(v1, "v1="), first.body, secret, sent, ErrBadSignature},
		{"no header", "", first.body, secret, sent, ErrBadSignature},
		{"no timestamp", v1, first.body, secret, sent, ErrBadSignature},
		{"no signature", "t=" + unix(sent), first.body, secret, sent, ErrBadSignature},
		{"a signed timestamp", "t=+" + unix(sent) + "," + v1, first.body, secret, sent, ErrBadSignature},
		{"two timestamps", "t=" + unix(sent) + ",t=" + unix(clock) + "," + v1, first.body, secret, sent, ErrBadSignature},
	} {
		if err := Verify(c.secret, c.sig, c.body, c.now, DefaultWindow); !errors.Is(err, c.want) || (err == nil) != (c.want == nil) {
			t.Errorf("%s: Verify(%q) = %v, want %v", c.name, c.sig, err, c.want)
		}
	}
}

// Sign is what the README tells a receiver to compute: t=UNIX,v1= the
// hex HMAC-SHA256 of UNIX, a dot and the body (checked here without
// the package's own code).
func TestSignIsTheDocumentedShape(t *testing.T) {
	body := []byte(`{"id":1}`)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("1733040000." + string(body)))
	want := "t=1733040000,v1=" + hex.EncodeToString(m.Sum(nil))
	if got := Sign(secret, body, time.Unix(1733040000, 0)); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

// One message keeps one key through failed attempts, a restart of the
// relay, death and an operator's retry: the platform deduplicates on it
// (rule S8). The clock moves a little each pass, so each retry is due.
func TestRelayKeepsOneKeyAcrossAttempts(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	queue(t, st, 1)
	p, srv := newPlatform(t, map[string][]int{model.ActLiftSuppression: {503, 503, 400, 503}})
	clock := time.Now()
	pass := func(st *store.Store) {
		t.Helper()
		clock = clock.Add(30 * time.Second)
		r := relay(st, srv.URL)
		r.Clock = func() time.Time { return clock }
		if _, _, err := r.Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	pass(st) // 503
	pass(st) // 503
	st.Close()
	st = openStore(t, dir) // the relay restarts
	defer func() { st.Close() }()
	pass(st) // 400: dead
	lift := states(t, st)["acc_00001/"+model.ActLiftSuppression]
	if lift.State != store.OutboxDead {
		t.Fatalf("a 400 is not dead: %+v", lift)
	}
	if err := st.Retry(lift.ID, store.Actor{Name: "oncall", Role: model.RoleAdmin}, clock); err != nil {
		t.Fatal(err)
	}
	pass(st) // 503
	pass(st) // delivered
	lift = states(t, st)["acc_00001/"+model.ActLiftSuppression]
	if lift.State != store.OutboxDelivered {
		t.Fatalf("not delivered: %+v", lift)
	}
	p.oneKeyEach(t)
	p.mu.Lock()
	defer p.mu.Unlock()
	if keys := p.tries[lift.ID]; len(keys) != 5 || keys[0] != lift.Key {
		t.Fatalf("the lift was tried under %q, want 5 attempts under %q", keys, lift.Key)
	}
}

// A Retry-After past MaxBackoff, in seconds or as an HTTP date, waits
// MaxBackoff: a platform's "in a year" does not park the message, or
// Drain (outbox deliver) waiting for it, for a year.
func TestRelayCapsRetryAfter(t *testing.T) {
	clock := time.Now()
	for _, after := range []string{"31536000", "9223372037", clock.Add(365 * 24 * time.Hour).UTC().Format(http.TimeFormat)} {
		t.Run(after, func(t *testing.T) {
			st := openStore(t, t.TempDir())
			defer st.Close()
			queue(t, st, 1)
			p, srv := newPlatform(t, map[string][]int{model.ActLiftSuppression: {429}})
			p.after = after
			r := relay(st, srv.URL)
			r.Clock = func() time.Time { return clock }
			if _, _, err := r.Pass(context.Background()); err != nil {
				t.Fatal(err)
			}
			m := states(t, st)["acc_00001/"+model.ActLiftSuppression]
			if m.NextAttempt == nil || m.NextAttempt.Sub(clock) > r.MaxBackoff || m.NextAttempt.Before(clock) {
				t.Fatalf("Retry-After: %s put the next attempt at %v (now %v, MaxBackoff %v)", after, m.NextAttempt, clock, r.MaxBackoff)
			}
			r.Clock = time.Now
			if err := r.Drain(context.Background()); err != nil {
				t.Fatal(err)
			}
			if m := states(t, st)["acc_00001/"+model.ActLiftSuppression]; m.State != store.OutboxDelivered || m.Attempts != 2 {
				t.Fatalf("%+v", m)
			}
		})
	}
}
