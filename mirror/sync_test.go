package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor/model"
	"frontdoor/store"
)

var now = time.Date(2026, 11, 10, 18, 0, 0, 0, time.UTC)

func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// account is a valid §6 account for the generated streams.
func account(i int, email string, v int) map[string]any {
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	return map[string]any{
		"id": fmt.Sprintf("acc_%05d", i), "email": email, "name": fmt.Sprintf("Person Number%d", i),
		"role": "client", "status": "active", "us_state": "NY", "phone": fmt.Sprintf("+1212555%04d", 100+i%100),
		"created_at": at(-1000 * time.Hour), "email_verified_at": at(-999 * time.Hour),
		"emails_unsubscribed_at": nil, "previous_emails": []string{}, "sign_in_methods": []string{"password"},
		"factors": []any{}, "remembered_devices": []any{}, "mfa_exemption": nil,
		"logins": []any{}, "resets": []any{}, "appointments": []any{}, "notes": []any{},
	}
}

// stream is a generated change stream and the state it must leave: for
// every account, the version and the snapshot that should be applied.
type stream struct {
	lines []string
	want  map[string]wantAccount
}

type wantAccount struct {
	version uint64
	account []byte // canonical JSON of the model account
}

func canonical(t testing.TB, raw []byte) []byte {
	t.Helper()
	a, err := model.ParseAccount(raw)
	if err != nil {
		t.Fatalf("generated an invalid account: %v\n%s", err, raw)
	}
	b, _ := json.Marshal(a)
	return b
}

// generate makes a stream over n accounts: new accounts, logins
// appended, reset progress, email moves, duplicates, stale snapshots, and
// an address taken one event before its old holder moves away (rule S5).
func generate(t testing.TB, n, events int, seed uint64) stream {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	type acc struct {
		v    int
		data map[string]any
		hist [][]byte // every snapshot sent, by version-1
	}
	accs := map[int]*acc{}
	s := stream{want: map[string]wantAccount{}}
	seq := uint64(0)
	emit := func(raw []byte, v int) {
		seq += 1 + uint64(r.IntN(3)) // gaps are normal (rule S1)
		s.lines = append(s.lines, fmt.Sprintf(`{"seq":%d,"version":%d,"account":%s}`, seq, v, raw))
	}
	send := func(i int) {
		a := accs[i]
		// an address is current or previous on one account, never both
		prev := a.data["previous_emails"].([]string)
		var keep []string
		for _, p := range prev {
			if p != a.data["email"] && !slices.Contains(keep, p) {
				keep = append(keep, p)
			}
		}
		a.data["previous_emails"] = append([]string{}, keep...)
		a.v++
		raw, _ := json.Marshal(a.data)
		a.hist = append(a.hist, raw)
		emit(raw, a.v)
		s.want[a.data["id"].(string)] = wantAccount{uint64(a.v), canonical(t, raw)}
	}
	next := 0
	for e := 0; e < events; e++ {
		switch k := r.IntN(10); {
		case next < n && (k < 3 || len(accs) == 0):
			accs[next] = &acc{data: account(next, fmt.Sprintf("user%d@example.com", next), 1)}
			send(next)
			next++
		case k == 3: // a duplicate: the same version again
			a := accs[r.IntN(len(accs))]
			emit(a.hist[len(a.hist)-1], a.v)
		case k == 4: // a stale snapshot: an older version, late
			a := accs[r.IntN(len(accs))]
			if a.v > 1 {
				old := r.IntN(a.v - 1)
				emit(a.hist[old], old+1)
			}
		case k == 5: // an email move: the old address becomes a previous one
			i := r.IntN(len(accs))
			d := accs[i].data
			d["previous_emails"] = append(d["previous_emails"].([]string), d["email"].(string))
			d["email"] = fmt.Sprintf("moved%d.%d@example.com", i, e)
			send(i)
		case k == 6 && len(accs) > 2: // rule S5: B takes A's address one event before A moves away
			ia, ib := r.IntN(len(accs)), r.IntN(len(accs))
			if ia == ib {
				continue
			}
			a, b := accs[ia].data, accs[ib].data
			taken := a["email"].(string)
			b["previous_emails"] = append(b["previous_emails"].([]string), b["email"].(string))
			b["email"] = taken
			send(ib)
			a["previous_emails"] = append(a["previous_emails"].([]string), taken)
			a["email"] = fmt.Sprintf("after%d.%d@example.com", ia, e)
			send(ia)
		case k == 7: // reset progress
			i := r.IntN(len(accs))
			d := accs[i].data
			rs := d["resets"].([]any)
			at := now.Add(time.Duration(e) * time.Second).Format(time.RFC3339)
			if len(rs) == 0 || rs[len(rs)-1].(map[string]any)["status"] == "used" {
				rs = append(rs, map[string]any{"id": fmt.Sprintf("r%d", len(rs)+1), "requested_at": at, "portal": "patient", "status": "requested"})
			} else {
				last := rs[len(rs)-1].(map[string]any)
				switch last["status"] {
				case "requested":
					last["status"], last["sent_at"] = "sent", at
				case "sent":
					last["status"], last["delivered_at"] = "delivered", at
				default:
					last["status"], last["used_at"] = "used", at
				}
			}
			d["resets"] = rs
			send(i)
		default: // a sign-in appended
			i := r.IntN(len(accs))
			d := accs[i].data
			d["logins"] = append(d["logins"].([]any), map[string]any{"at": now.Add(time.Duration(e) * time.Second).Format(time.RFC3339),
				"portal": "patient", "result": []string{"ok", "bad_password"}[r.IntN(2)], "browser": "Firefox 133", "device": "desktop"})
			send(i)
		}
	}
	return s
}

func (s stream) text() string { return strings.Join(s.lines, "\n") + "\n" }

func syncString(t testing.TB, st *store.Store, text string, o SyncOptions) (store.SyncCounts, error) {
	t.Helper()
	if o.Name == "" {
		o.Name = "stream.jsonl"
	}
	o.Clock = func() time.Time { return now }
	return Sync(context.Background(), st, strings.NewReader(text), o)
}

// matches checks that the store holds exactly the stream's end state,
// that every address is found where it should be, and that check passes.
func matches(t *testing.T, st *store.Store, s stream) {
	t.Helper()
	n, _ := st.Count()
	if n != len(s.want) {
		t.Fatalf("store has %d accounts, the stream %d", n, len(s.want))
	}
	current := map[string]string{}
	for id, w := range s.want {
		r, err := st.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(r.Account)
		if r.PlatformVersion != w.version || !bytes.Equal(got, w.account) {
			t.Fatalf("%s: version %d, want %d\n got %s\nwant %s", id, r.PlatformVersion, w.version, got, w.account)
		}
		current[model.NormalizeEmail(r.Account.Email)] = id
	}
	for id, w := range s.want { // rule S4, S5: the current holder first, previous ones listed
		var a model.Account
		json.Unmarshal(w.account, &a)
		if r, err := st.ByEmail(a.Email); err != nil || r.Account.ID != id {
			t.Fatalf("%s: its current address %s finds %s (%v)", id, a.Email, r.Account.ID, err)
		}
		for _, p := range a.PreviousEmails {
			r, err := st.ByEmail(p)
			if holder, ok := current[model.NormalizeEmail(p)]; ok {
				if r.Account.ID != holder {
					t.Fatalf("%s is %s's current address but finds %s", p, holder, r.Account.ID)
				}
				continue
			}
			holders, _ := st.Holders(p)
			found := false
			for _, h := range holders {
				found = found || h.Account.ID == id
			}
			if err != nil || !found {
				t.Fatalf("%s's previous address %s does not list it (%v)", id, p, err)
			}
		}
	}
	if p, err := st.Check(); err != nil || len(p) > 0 {
		t.Fatalf("check: %v %v", p, err)
	}
}

func TestSyncReachesTheStreamsStateAndReplaysFree(t *testing.T) {
	s := generate(t, 300, 4000, 7)
	st := openStore(t, t.TempDir())
	defer st.Close()
	c, err := syncString(t, st, s.text(), SyncOptions{Batch: 250})
	if err != nil {
		t.Fatal(err)
	}
	if c.Duplicate == 0 || c.Stale == 0 || c.New != len(s.want) {
		t.Fatalf("the stream should have had duplicates, stale and %d new: %+v", len(s.want), c)
	}
	matches(t, st, s)
	before, _ := st.Get("acc_00001")
	// a replay of the whole stream is skipped by the checkpoint (rule S1)
	c, err = syncString(t, st, s.text(), SyncOptions{Batch: 77})
	if err != nil || c.Replayed != len(s.lines) || c.Applied != 0 {
		t.Fatalf("replay: %+v %v", c, err)
	}
	after, _ := st.Get("acc_00001")
	if after.Version != before.Version {
		t.Fatal("a replay changed a record")
	}
	matches(t, st, s)
}

// Rule S2 on its own: once the checkpoint is past, a duplicate or a stale
// snapshot in a new stream is counted and skipped.
func TestVersionsDecide(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	a, _ := json.Marshal(account(1, "a@example.com", 1))
	b, _ := json.Marshal(account(1, "b@example.com", 1))
	text := fmt.Sprintf(`{"seq":1,"version":5,"account":%s}
{"seq":2,"version":5,"account":%s}
{"seq":3,"version":4,"account":%s}
`, a, b, b)
	c, err := syncString(t, st, text, SyncOptions{})
	if err != nil || c.Applied != 1 || c.Duplicate != 1 || c.Stale != 1 {
		t.Fatalf("%+v %v", c, err)
	}
	if r, _ := st.Get("acc_00001"); r.Account.Email != "a@example.com" || r.PlatformVersion != 5 {
		t.Fatalf("%+v", r)
	}
}

// Rule S3 and S6: a snapshot keeps the console's notes and does not hide
// an action the platform has not confirmed.
func TestSnapshotKeepsWhatTheConsoleOwns(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	d := account(1, "a@example.com", 1)
	d["emails_unsubscribed_at"] = now.Add(-48 * time.Hour).Format(time.RFC3339)
	raw, _ := json.Marshal(d)
	if _, err := syncString(t, st, fmt.Sprintf(`{"seq":1,"version":1,"account":%s}`+"\n", raw), SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	agent := store.Actor{Name: "sam", Role: model.RoleAgent}
	rec, _ := st.Get("acc_00001")
	rec, err := st.Act("acc_00001", rec.Version, agent, now, model.ActAddNote, func(a model.Account, by store.Actor) (model.Effect, error) {
		return model.DefaultPolicy.AddNote(a, model.ActionInput{By: by.Name, Role: by.Role, Now: now, Reason: "called twice"})
	})
	if err != nil {
		t.Fatal(err)
	}
	rec, err = st.Act("acc_00001", rec.Version, agent, now, model.ActLiftSuppression, func(a model.Account, by store.Actor) (model.Effect, error) {
		return model.DefaultPolicy.LiftSuppression(a, model.ActionInput{By: by.Name, Role: by.Role, Now: now, Reason: "caller asked"})
	})
	if err != nil || len(rec.Pending) != 1 || rec.Pending[0].State != model.PendingQueued {
		t.Fatalf("lift: %+v %v", rec.Pending, err)
	}
	// the platform's next snapshot predates the lift: still suppressed there
	d["logins"] = []any{map[string]any{"at": now.Format(time.RFC3339), "portal": "patient", "result": "ok"}}
	raw, _ = json.Marshal(d)
	if _, err := syncString(t, st, fmt.Sprintf(`{"seq":2,"version":2,"account":%s}`+"\n", raw), SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	rec, _ = st.Get("acc_00001")
	if len(rec.Account.Notes) != 1 || rec.Account.EmailsUnsubscribedAt != nil || len(rec.Pending) != 1 || len(rec.Account.Logins) != 1 {
		t.Fatalf("after a snapshot that predates the lift: notes %d, suppressed %v, pending %d, logins %d",
			len(rec.Account.Notes), rec.Account.EmailsUnsubscribedAt, len(rec.Pending), len(rec.Account.Logins))
	}
	// delivered, then a snapshot that reflects it: confirmed
	msgs, _ := st.Outbox(false)
	if err := st.RecordDeliveries([]store.Outcome{{ID: msgs[0].ID, Status: 200}}, now); err != nil {
		t.Fatal(err)
	}
	d["emails_unsubscribed_at"] = nil
	raw, _ = json.Marshal(d)
	syncString(t, st, fmt.Sprintf(`{"seq":3,"version":3,"account":%s}`+"\n", raw), SyncOptions{})
	rec, _ = st.Get("acc_00001")
	if len(rec.Pending) != 0 || len(rec.Account.Notes) != 1 {
		t.Fatalf("confirmed action still pending: %+v", rec.Pending)
	}
}

// Rule S7: a bad line stops the stream there, named by file, line and
// seq; everything before it stays applied and a re-run resumes.
func TestBadLineStopsTheStream(t *testing.T) {
	s := generate(t, 50, 400, 3)
	for _, c := range []struct {
		name, bad, want string
	}{
		{"not JSON", `{"seq":`, "stream.jsonl:201: not valid JSON"},
		{"invalid account", strings.Replace(s.lines[199], `"role":"client"`, `"role":"patient"`, 1), `stream.jsonl:201: seq `},
		{"seq does not rise", s.lines[10], "does not rise: line 200 had"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			st := openStore(t, dir)
			defer st.Close()
			lines := append(append(append([]string(nil), s.lines[:200]...), c.bad), s.lines[200:]...)
			// as `frontdoor sync` runs: the bad line ends the deferral too
			_, err := syncString(t, st, strings.Join(lines, "\n"), SyncOptions{Batch: 64, DeferFsync: true})
			var le *LineError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if _, err := os.Stat(filepath.Join(dir, store.FileName+".unsynced")); !os.IsNotExist(err) {
				t.Errorf("the stopped sync left its marker: %v", err)
			}
			var ev struct{ Seq uint64 }
			json.Unmarshal([]byte(s.lines[199]), &ev)
			if cp := st.Checkpoint(); cp != ev.Seq {
				t.Fatalf("checkpoint %d, want the line before the bad one (seq %d)", cp, ev.Seq)
			}
			// fixed, the stream resumes after the checkpoint and ends where it should
			if _, err := syncString(t, st, s.text(), SyncOptions{Batch: 64}); err != nil {
				t.Fatal(err)
			}
			matches(t, st, s)
		})
	}
}

func TestDemoStoreRefusesSync(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	st.SeedDemo(nil, now)
	if _, err := syncString(t, st, generate(t, 2, 3, 1).text(), SyncOptions{}); !errors.Is(err, store.ErrDemoStore) {
		t.Fatalf("a demo store took a stream: %v", err)
	}
}

// --follow reads a file that grows, line by line, as tail -f does.
func TestFollowAFileThatGrows(t *testing.T) {
	s := generate(t, 20, 100, 5)
	path := t.TempDir() + "/stream.jsonl"
	f, _ := os.Create(path)
	st := openStore(t, t.TempDir())
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	r, _ := os.Open(path)
	go func() {
		_, err := Sync(ctx, st, r, SyncOptions{Name: path, Follow: true, Idle: 20 * time.Millisecond})
		done <- err
	}()
	for i, l := range s.lines {
		if i == 50 {
			f.WriteString(l[:len(l)/2]) // a writer half-way through a line
			time.Sleep(100 * time.Millisecond)
			f.WriteString(l[len(l)/2:] + "\n")
			continue
		}
		f.WriteString(l + "\n")
	}
	var last struct{ Seq uint64 }
	json.Unmarshal([]byte(s.lines[len(s.lines)-1]), &last)
	for range 200 {
		if st.Checkpoint() == last.Seq {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	matches(t, st, s)
}

// kill -9 of a sync in the middle of a stream, then a re-run: the same
// end state as an uninterrupted run; also when its commits did not wait
// for the disk (DeferFsync: the kernel has them all, so the seventh
// batch's work is kept although the last durable point was the sixth).
const crashEnv = "FRONTDOOR_SYNC_CRASH"

func TestSyncCrashChild(t *testing.T) {
	dir, mode, _ := strings.Cut(os.Getenv(crashEnv), "|")
	if dir == "" {
		t.Skip("helper for TestKillSyncMidStream")
	}
	st := openStore(t, dir)
	batches := 0
	syncString(t, st, generate(t, 300, 4000, 11).text(), SyncOptions{Batch: 100, DeferFsync: mode == "defer", DurableEvery: 300,
		Progress: func(store.SyncCounts, int) {
			if batches++; batches == 7 {
				p, _ := os.FindProcess(os.Getpid())
				p.Kill()
				time.Sleep(time.Hour)
			}
		}})
	os.Exit(0)
}

func TestKillSyncMidStream(t *testing.T) {
	for _, mode := range []string{"wait", "defer"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestSyncCrashChild$")
			cmd.Env = append(os.Environ(), crashEnv+"="+dir+"|"+mode)
			err := cmd.Run()
			if err == nil {
				t.Fatal("the child was not killed")
			}
			_, err = os.Stat(filepath.Join(dir, store.FileName+".unsynced"))
			if marked := err == nil; marked != (mode == "defer") {
				t.Fatalf("marker left: %v", marked)
			}
			st := openStore(t, dir)
			defer st.Close()
			if cp := st.Checkpoint(); cp < 700 {
				t.Fatalf("checkpoint %d: the seven batches applied before the kill were not all kept", cp)
			}
			s := generate(t, 300, 4000, 11)
			if _, err := syncString(t, st, s.text(), SyncOptions{Batch: 100, DeferFsync: true}); err != nil {
				t.Fatal(err)
			}
			matches(t, st, s)
			if _, err := os.Stat(filepath.Join(dir, store.FileName+".unsynced")); !os.IsNotExist(err) {
				t.Errorf("a finished sync left its marker: %v", err)
			}
		})
	}
}

func FuzzSnapshotLine(f *testing.F) {
	for _, l := range generate(f, 5, 20, 9).lines {
		f.Add([]byte(l))
	}
	f.Add([]byte(`{"seq":1,"version":1,"account":null}`))
	f.Add([]byte(`{"seq":-1}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := store.ParseSnapshot(line)
		if err != nil {
			return
		}
		if ev.Seq == 0 || ev.Version == 0 {
			t.Fatalf("accepted a line without seq or version: %q", line)
		}
		if err := ev.Account.Validate(); err != nil {
			t.Fatalf("accepted an invalid account: %v", err)
		}
	})
}

// Rules S3 and S6 through sync's read-ahead: accounts with a note, or an
// action not yet confirmed, and nothing else of the console's, then newer
// snapshots of them in a batch the parse workers read and spell ahead of
// the writer (store.ReadAhead, store.SpellAhead). A spelled record is the
// snapshot's bytes alone: had it been used for them, the note or the
// pending action would be gone.
func TestSyncKeepsTheConsolesOwnThroughReadAhead(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	const n = 600 // more than a parse chunk (256 lines): several workers read ahead
	unsubscribed := now.Add(-48 * time.Hour).Format(time.RFC3339)
	snapshot := func(i, v int) map[string]any {
		d := account(i, fmt.Sprintf("user%d@example.com", i), v)
		if i%5 == 0 { // the platform's snapshots all predate the lift
			d["emails_unsubscribed_at"] = unsubscribed
		}
		if v > 1 {
			d["logins"] = []any{map[string]any{"at": now.Format(time.RFC3339), "portal": "patient", "result": "ok"}}
		}
		return d
	}
	var text strings.Builder
	for i := range n {
		raw, _ := json.Marshal(snapshot(i, 1))
		fmt.Fprintf(&text, `{"seq":%d,"version":1,"account":%s}`+"\n", i+1, raw)
	}
	if _, err := syncString(t, st, text.String(), SyncOptions{Batch: 1000}); err != nil {
		t.Fatal(err)
	}
	agent := store.Actor{Name: "sam", Role: model.RoleAgent}
	act := func(id, action string, do func(model.Account, model.ActionInput) (model.Effect, error)) {
		t.Helper()
		rec, _ := st.Get(id)
		_, err := st.Act(id, rec.Version, agent, now, action, func(a model.Account, by store.Actor) (model.Effect, error) {
			return do(a, model.ActionInput{By: by.Name, Role: by.Role, Now: now, Reason: "caller asked"})
		})
		if err != nil {
			t.Fatalf("%s %s: %v", action, id, err)
		}
	}
	noted, lifted := map[string]bool{}, map[string]bool{}
	for i := range n {
		id := fmt.Sprintf("acc_%05d", i)
		if i%7 == 0 {
			act(id, model.ActAddNote, model.DefaultPolicy.AddNote)
			noted[id] = true
		}
		if i%5 == 0 && i%3 == 0 { // a pending action, with or without a note
			act(id, model.ActLiftSuppression, model.DefaultPolicy.LiftSuppression)
			lifted[id] = true
		}
	}
	text.Reset()
	for i := range n {
		raw, _ := json.Marshal(snapshot(i, 2))
		fmt.Fprintf(&text, `{"seq":%d,"version":2,"account":%s}`+"\n", n+i+1, raw)
	}
	c, err := syncString(t, st, text.String(), SyncOptions{Batch: 1000})
	if err != nil || c.Applied != n {
		t.Fatalf("%+v %v", c, err)
	}
	for i := range n {
		id := fmt.Sprintf("acc_%05d", i)
		rec, err := st.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		a := rec.Account
		if len(a.Logins) != 1 || rec.PlatformVersion != 2 {
			t.Fatalf("%s: the snapshot was not applied: version %d, %d logins", id, rec.PlatformVersion, len(a.Logins))
		}
		if want := noted[id]; want != (len(a.Notes) == 1) {
			t.Fatalf("%s: %d notes after a newer snapshot, want %v (S3: notes are the console's own)", id, len(a.Notes), want)
		}
		if want := lifted[id]; want != (len(rec.Pending) == 1) || want && a.EmailsUnsubscribedAt != nil {
			t.Fatalf("%s: pending %d, suppressed %v after a snapshot that predates the lift; lifted %v (S6)", id, len(rec.Pending), a.EmailsUnsubscribedAt, want)
		}
	}
	if p, err := st.Check(); err != nil || len(p) > 0 {
		t.Fatalf("check: %v %v", p, err)
	}
}

// Rules S1, S2, S7: a seq that jumps implausibly far over the one held, or
// a version no account reaches, would freeze the mirror (every later
// event replayed, or every later snapshot of the account stale). It stops
// the stream at its line, named; the lines before it, in its batch too,
// stay applied; ordinary gaps are fine.
func TestImplausibleJumpsStopTheStream(t *testing.T) {
	s := generate(t, 50, 400, 3) // gaps of 1 to 3 between seqs
	var at struct {
		Seq     uint64
		Version uint64
		Account struct{ ID string }
	}
	json.Unmarshal([]byte(s.lines[199]), &at)
	jump := func(line string, field string, to uint64) string {
		var ev map[string]json.RawMessage
		json.Unmarshal([]byte(line), &ev)
		ev[field] = json.RawMessage(fmt.Sprint(to))
		b, _ := json.Marshal(ev)
		return string(b)
	}
	newAccount := func(seq, version uint64) string {
		raw, _ := json.Marshal(account(999, "new999@example.com", 1))
		return fmt.Sprintf(`{"seq":%d,"version":%d,"account":%s}`, seq, version, raw)
	}
	for _, c := range []struct {
		name, bad, want string
	}{
		{"seq past 2^53", jump(s.lines[200], "seq", model.MaxStreamNumber+1), "stream.jsonl:201: seq 9007199254740992: seq: "},
		{"seq jumps", jump(s.lines[200], "seq", at.Seq+model.MaxStreamJump+1), fmt.Sprintf("stream.jsonl:201: seq %d: seq: jumps from %d", at.Seq+model.MaxStreamJump+1, at.Seq)},
		// the account of line 200, a version far past the one line 200 set
		{"version jumps", strings.Replace(jump(s.lines[199], "version", at.Version+model.MaxStreamJump+1), fmt.Sprintf(`"seq":%d`, at.Seq), fmt.Sprintf(`"seq":%d`, at.Seq+1), 1),
			fmt.Sprintf("stream.jsonl:201: seq %d: version: %d is more than 2^32 changes of one account", at.Seq+1, at.Version+model.MaxStreamJump+1)},
		// a new account's first version: every later snapshot of it stale
		{"a new account's version past 2^32", newAccount(at.Seq+1, model.MaxStreamJump+1),
			fmt.Sprintf("stream.jsonl:201: seq %d: version: 4294967297 is more than 2^32 changes of one account", at.Seq+1)},
	} {
		for _, batch := range []int{64, 1000} { // the bad line mid-batch, and in the one batch
			t.Run(fmt.Sprintf("%s/batch %d", c.name, batch), func(t *testing.T) {
				st := openStore(t, t.TempDir())
				defer st.Close()
				lines := append(append(append([]string(nil), s.lines[:200]...), c.bad), s.lines[200:]...)
				_, err := syncString(t, st, strings.Join(lines, "\n"), SyncOptions{Batch: batch, DeferFsync: true})
				var le *LineError
				if !errors.As(err, &le) || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err = %v, want %q", err, c.want)
				}
				if cp := st.Checkpoint(); cp != at.Seq {
					t.Fatalf("checkpoint %d, want the line before the bad one's (seq %d)", cp, at.Seq)
				}
				if r, _ := st.Get(at.Account.ID); r.PlatformVersion != at.Version {
					t.Fatalf("%s at version %d, want line 200's %d", at.Account.ID, r.PlatformVersion, at.Version)
				}
				// without it the stream resumes and ends where it should
				if _, err := syncString(t, st, s.text(), SyncOptions{Batch: batch}); err != nil {
					t.Fatal(err)
				}
				matches(t, st, s)
			})
		}
	}
}

// A re-run's first line is judged from the checkpoint, not from nothing.
func TestAJumpOverTheCheckpointIsRefused(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	raw, _ := json.Marshal(account(1, "a@example.com", 1))
	if _, err := syncString(t, st, fmt.Sprintf(`{"seq":10,"version":1,"account":%s}`+"\n", raw), SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	far := uint64(10 + model.MaxStreamJump + 1)
	_, err := syncString(t, st, fmt.Sprintf(`{"seq":%d,"version":2,"account":%s}`+"\n", far, raw), SyncOptions{})
	if want := fmt.Sprintf("stream.jsonl:1: seq %d: seq: jumps from 10", far); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if cp := st.Checkpoint(); cp != 10 {
		t.Fatalf("checkpoint %d", cp)
	}
	// the largest gap is a gap
	if _, err := syncString(t, st, fmt.Sprintf(`{"seq":%d,"version":2,"account":%s}`+"\n", far-1, raw), SyncOptions{}); err != nil {
		t.Fatal(err)
	}
}
