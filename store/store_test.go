package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"frontdoor/demo"
	"frontdoor/internal/corpus"
	"frontdoor/internal/gen"
	"frontdoor/model"
	"frontdoor/store/bolt"
)

var (
	now  = time.Date(2026, 11, 10, 18, 0, 0, 0, time.UTC)
	root = Actor{Name: "tester", Role: RoleAdmin}
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

// line builds a valid account line.
func line(i int) string {
	return fmt.Sprintf(`{"id":"acc_%04d","email":"user%d@example.com","name":"User Number%d","role":"client","status":"active","phone":"+1212555%04d","created_at":"2026-01-01T00:00:00Z","email_verified_at":"2026-01-01T00:05:00Z"}`, i, i, i, i)
}

func lines(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(line(i) + "\n")
	}
	return b.String()
}

func mustCount(t *testing.T, s *Store) int {
	t.Helper()
	n, err := s.Count()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustCheck(t *testing.T, s *Store) {
	t.Helper()
	problems, err := s.Check()
	if err != nil || len(problems) > 0 {
		t.Fatalf("check: %v %v", err, problems)
	}
}

func TestFileModeAndInUse(t *testing.T) {
	boltOnly(t)
	s, dir := openTemp(t)
	st, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	// bbolt's flock is per open file description: a second Open in the
	// same process is refused the same way a second process is.
	start := time.Now()
	_, err = Open(dir)
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second open: %v, want ErrInUse", err)
	}
	if !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("message %q", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Fatal("second open hung")
	}
}

func TestImportGood(t *testing.T) {
	s, _ := openTemp(t)
	n, err := s.Import(strings.NewReader("\xef\xbb\xbf"+lines(3)+"\n\r\n"), "good.jsonl", root, now)
	if err != nil || n != 3 {
		t.Fatalf("import: %d %v", n, err)
	}
	r, err := s.ByEmail("  USER2@Example.COM ")
	if err != nil || r.Account.ID != "acc_0002" || r.Version != 1 {
		t.Fatalf("ByEmail: %+v %v", r, err)
	}
	mustCheck(t, s)
}

func TestImportBadLineWritesNothing(t *testing.T) {
	cases := []struct {
		name, file string
		want       string
	}{
		{"invalid at 500 of 1000", strings.Replace(lines(1000), line(500), strings.Replace(line(500), `"client"`, `"patient"`, 1), 1), `in.jsonl:500: role: unknown value "patient"`},
		{"broken json", lines(2) + "{\"id\":\n" + lines(1), "in.jsonl:3: not valid JSON"},
		{"duplicate id in file", lines(3) + strings.Replace(line(9), "acc_0009", "acc_0002", 1) + "\n", `in.jsonl:4: id: duplicate id "acc_0002" (first on line 2)`},
		{"duplicate email in file", lines(3) + strings.Replace(line(9), "user9@", "USER1@", 1) + "\n", `in.jsonl:4: email: "USER1@example.com" is already the current email on line 1 (A1, S5)`},
		{"bad time", strings.Replace(lines(2), `"2026-01-01T00:00:00Z"`, `"Jan 1"`, 1), "in.jsonl:1: created_at: not an RFC 3339 time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := openTemp(t)
			_, err := s.Import(strings.NewReader(c.file), "in.jsonl", root, now)
			var le *LineError
			if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("err = %v, want prefix %q", err, c.want)
			}
			if n := mustCount(t, s); n != 0 {
				t.Fatalf("%d accounts written, want none", n)
			}
			mustCheck(t, s)
		})
	}
}

func TestImportDuplicateAgainstStore(t *testing.T) {
	s, _ := openTemp(t)
	if _, err := s.Import(strings.NewReader(lines(2)), "a.jsonl", root, now); err != nil {
		t.Fatal(err)
	}
	// same id
	_, err := s.Import(strings.NewReader(line(7)+"\n"+line(2)+"\n"), "b.jsonl", root, now)
	if err == nil || !strings.HasPrefix(err.Error(), `b.jsonl:2: id: account "acc_0002" already exists`) {
		t.Fatalf("err = %v", err)
	}
	// new id, email already a previous email in the store
	l := strings.Replace(line(8), "user8@example.com", "User1@example.com", 1)
	_, err = s.Import(strings.NewReader(l+"\n"), "c.jsonl", root, now)
	if err == nil || !strings.Contains(err.Error(), "c.jsonl:1: email:") {
		t.Fatalf("err = %v", err)
	}
	if n := mustCount(t, s); n != 2 {
		t.Fatalf("count %d, want 2", n)
	}
}

func TestExportRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	src, err := os.ReadFile("../testdata/fixtures/accounts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	// an unknown member, top level and nested, must survive
	in := strings.Replace(string(src), `"id": "p001",`, `"id": "p001", "crm": {"tier": 2},`, 1)
	in = strings.Replace(in, `"type": "totp",`, `"type": "totp", "vendor": "Ente",`, 1)
	if _, err := s.Import(strings.NewReader(in), "fixtures", root, now); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := s.Export(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"crm":{"tier":2}`, `"vendor":"Ente"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("export lost %s", want)
		}
	}
	s2, _ := openTemp(t)
	if _, err := s2.Import(bytes.NewReader(out.Bytes()), "export", root, now); err != nil {
		t.Fatalf("re-import of export: %v", err)
	}
	var again bytes.Buffer
	s2.Export(&again)
	if again.String() != out.String() {
		t.Fatal("export → import → export differs")
	}
}

func TestSearch(t *testing.T) {
	s, _ := openTemp(t)
	accs, _ := demo.Data(now)
	if err := s.SeedDemo(accs, now); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ q, wantID string }{
		{"demo-001", "demo-001"},
		{"maria.lopez@gmail.com", "demo-001"},
		{"MARIA.L", "demo-001"},
		{"dmoore@city", "demo-003"},
		{"lopez", "demo-001"},
		{"mar lop", "demo-001"},
		{"Núñez", "demo-028"},
		{"(503) 555-0142", "demo-006"},
		{"0142", "demo-006"},
		{"张伟", "demo-029"},
	}
	for _, c := range cases {
		hits, err := s.Search(c.q, 20)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, h := range hits {
			found = found || h.Account.ID == c.wantID
		}
		if !found {
			var ids []string
			for _, h := range hits {
				ids = append(ids, h.Account.ID)
			}
			t.Errorf("Search(%q) = %v, want %s among them", c.q, ids, c.wantID)
		}
	}
	if hits, _ := s.Search("mar lopez", 20); len(hits) != 1 {
		t.Errorf("two words must both match: got %d hits", len(hits))
	}
	// masked values are matched whole: a prefix of an address or number
	// would read it back one keystroke at a time
	for _, q := range []string{"5550142", "dmoore", "dmoo@cityclinic.org", "50355"} {
		if hits, _ := s.Search(q, 20); len(hits) != 0 && hits[0].MatchedBy != "name" {
			t.Errorf("Search(%q) matched %s by %s", q, hits[0].Account.ID, hits[0].MatchedBy)
		}
	}
	if hits, _ := s.Search("zzzz-nothing", 20); len(hits) != 0 {
		t.Errorf("nonsense matched %d", len(hits))
	}
	if hits, _ := s.Search("demo-0", 5); len(hits) != 5 {
		t.Errorf("limit not honoured: %d", len(hits))
	}
	mustCheck(t, s)
}

func TestCheckFindsCorruption(t *testing.T) {
	s, _ := openTemp(t)
	if _, err := s.Import(strings.NewReader(lines(3)), "a", root, now); err != nil {
		t.Fatal(err)
	}
	s.kv.Update(func(tx Tx) error {
		tx.Delete(bEmail, join0([]byte("user2@example.com"), "acc_0002"))               // missing
		tx.Put(bName, join0([]byte("ghost"), "acc_0001"), nil)                          // stale
		tx.Put(bEmail, join0([]byte("nobody@example.com"), "acc_9"), []byte("current")) // dangling
		return nil
	})
	problems, err := s.Check()
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(problems, "\n")
	for _, want := range []string{`missing "user2@example.com␀acc_0002"`, `stale entry "ghost␀acc_0001"`, "missing account acc_9"} {
		if !strings.Contains(joined, want) {
			t.Errorf("check did not report %s:\n%s", want, joined)
		}
	}
}

func TestAuditChain(t *testing.T) {
	s, _ := openTemp(t)
	for i := 0; i < 3; i++ {
		if err := s.Audit(AuditEntry{At: now, Actor: "a", Action: "lookup", Account: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	mustCheck(t, s)
	log, _ := s.AuditLog(AuditFilter{Account: "x"})
	if len(log) != 3 || log[0].Seq != 3 || log[1].Hash != log[0].Prev {
		t.Fatalf("log %+v", log)
	}
	// tamper with the middle entry
	s.kv.Update(func(tx Tx) error {
		var e AuditEntry
		json.Unmarshal(tx.Get(bAudit, seqKey(2)), &e)
		e.Actor = "mallory"
		b, _ := json.Marshal(e)
		return tx.Put(bAudit, seqKey(2), b)
	})
	problems, _ := s.Check()
	if len(problems) == 0 || !strings.Contains(strings.Join(problems, " "), "audit 2: hash does not match") {
		t.Fatalf("tampering not found: %v", problems)
	}
}

func TestBackupIsHotAndChecks(t *testing.T) {
	boltOnly(t) // opens the backup as the data directory's file (a cluster's backup: TestMigrateBothWaysAndBackup)
	s, _ := openTemp(t)
	s.Import(strings.NewReader(lines(50)), "a", root, now)
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := s.Backup(dst, true); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{dst, dst + BackupKeySuffix} {
		st, _ := os.Stat(f)
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v", f, st.Mode().Perm())
		}
	}
	if err := s.Backup(s.Path(), false); !errors.Is(err, ErrLiveFile) {
		t.Fatalf("backup over the live store: %v", err)
	}
	bdir := t.TempDir()
	os.Rename(dst, filepath.Join(bdir, FileName))
	os.Rename(dst+BackupKeySuffix, filepath.Join(bdir, KeyFile))
	b, err := Open(bdir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mustCheck(t, b)
	if n := mustCount(t, b); n != 50 {
		t.Fatalf("backup has %d accounts", n)
	}
}

func TestUsers(t *testing.T) {
	s, _ := openTemp(t)
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl sam@laptop"
	if err := s.AddUser("sam", RoleAgent, []string{key}, root, now); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, role, key string
		want            error
	}{
		{"sam", RoleAgent, key, ErrUserExists},
		{"kay", RoleLead, key, ErrKeyTaken},
		{"Bad Name", RoleAgent, key, ErrInvalidUser},
		{"kay", "root", key, ErrInvalidUser},
		{"kay", RoleLead, "not a key", ErrInvalidUser},
	} {
		if err := s.AddUser(c.name, c.role, []string{c.key}, root, now); !errors.Is(err, c.want) {
			t.Errorf("AddUser(%s,%s) = %v, want %v", c.name, c.role, err, c.want)
		}
	}
	us, _ := s.Users()
	if len(us) != 1 || us[0].Role != RoleAgent {
		t.Fatalf("users %+v", us)
	}
	mustCheck(t, s)
	if err := s.RemoveUser("sam", root, now); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveUser("sam", root, now); !errors.Is(err, ErrNoUser) {
		t.Fatalf("second remove: %v", err)
	}
	mustCheck(t, s)
}

func noteChange(text string) func(model.Account, Actor) (Change, error) {
	return func(a model.Account, _ Actor) (Change, error) {
		a.Notes = append(a.Notes, model.Note{At: &now, By: "x", Text: text})
		return Change{Account: a, Audit: AuditEntry{Action: "add_note"},
			Outbox: []OutboxMessage{{Kind: KindCommand, Type: "noop"}}}, nil
	}
}

func TestApplyConflict(t *testing.T) {
	s, _ := openTemp(t)
	s.Import(strings.NewReader(lines(1)), "a", root, now)
	changes, cancel := s.Subscribe()
	defer cancel()
	r, err := s.Apply("acc_0001", 1, Actor{Name: "ann", Role: RoleAgent}, now, noteChange("first"))
	if err != nil || r.Version != 2 {
		t.Fatalf("apply: %v %+v", err, r)
	}
	select {
	case id := <-changes:
		if id != "acc_0001" {
			t.Fatalf("notified %s", id)
		}
	case <-time.After(time.Second):
		t.Fatal("no change notification")
	}
	// Bob decided on version 1 too: refused, nothing written.
	_, err = s.Apply("acc_0001", 1, Actor{Name: "bob", Role: RoleAgent}, now.Add(time.Minute), noteChange("second"))
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.By != "ann" || !strings.Contains(err.Error(), "changed by ann at 18:00:00 UTC — review and retry") {
		t.Fatalf("err = %v", err)
	}
	got, _ := s.Get("acc_0001")
	if len(got.Account.Notes) != 1 {
		t.Fatalf("notes %v", got.Account.Notes)
	}
	ob, _ := s.Outbox(false)
	if len(ob) != 1 || ob[0].By != "ann" || ob[0].Account != "acc_0001" {
		t.Fatalf("outbox %+v", ob)
	}
	if err := s.Ack(ob[0].ID, root, now); err != nil {
		t.Fatal(err)
	}
	if ob, _ := s.Outbox(false); len(ob) != 0 {
		t.Fatalf("acked message still pending: %+v", ob)
	}
	if err := s.Ack(999, root, now); !errors.Is(err, ErrNoMessage) {
		t.Fatalf("ack unknown: %v", err)
	}
	mustCheck(t, s)
}

func TestApplyRefusesInvalidResult(t *testing.T) {
	s, _ := openTemp(t)
	s.Import(strings.NewReader(lines(2)), "a", root, now)
	_, err := s.Apply("acc_0001", 1, root, now, func(a model.Account, _ Actor) (Change, error) {
		a.Email = "user2@example.com" // another account's email
		return Change{Account: a}, nil
	})
	if err == nil {
		t.Fatal("took another account's email")
	}
	mustCheck(t, s)
}

// Crash tests: a child process (this test binary) is killed in the middle
// of a write; the parent reopens the file and finds all or nothing.

const crashEnv = "FRONTDOOR_CRASH_TEST"

// crashLines is how many accounts the killed imports add: line(i) is
// valid up to 9,999 (its phone number has four digits for i).
const crashLines = 9999

func TestCrashChild(t *testing.T) {
	mode := os.Getenv(crashEnv)
	if mode == "" {
		t.Skip("helper for the crash tests")
	}
	dir := os.Getenv("FRONTDOOR_CRASH_DIR")
	s, err := Open(dir)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	switch mode {
	case "import-mid":
		testHookMidImport = func() {
			fmt.Println("importing")
			time.Sleep(time.Hour) // killed here, half the accounts written
		}
		s.Import(strings.NewReader(lines(2000)), "big.jsonl", root, now)
	case "import-swap":
		bolt.TestHookBeforeSwap = func() {
			p, _ := os.FindProcess(os.Getpid())
			p.Kill() // SIGKILL with the new file built and synced, before its rename
			time.Sleep(time.Hour)
		}
		s.Import(strings.NewReader(lines(3000)[len(lines(10)):]), "more.jsonl", root, now)
	case "import", "import-file":
		var in io.Reader = strings.NewReader(lines(crashLines))
		if mode == "import-file" { // read inside the rebuild, records straight in
			p := filepath.Join(dir, "big.jsonl")
			os.WriteFile(p, []byte(lines(crashLines)), 0o600)
			f, _ := os.Open(p)
			in = f
		}
		fmt.Println("importing")
		if _, err := s.Import(in, "big.jsonl", root, now); err != nil {
			fmt.Fprintln(os.Stderr, "import:", err)
		}
		fmt.Println("imported")
		time.Sleep(time.Hour) // wait to be killed
	case "apply":
		testHookMidApply = func() {
			p, _ := os.FindProcess(os.Getpid())
			p.Kill() // SIGKILL between the account write and the audit write
			time.Sleep(time.Hour)
		}
		s.Apply("acc_0001", 1, root, now, noteChange("never"))
	case "backup":
		bolt.TestHookMidWrite = func() {
			p, _ := os.FindProcess(os.Getpid())
			p.Kill() // SIGKILL with the copy written, before its rename
			time.Sleep(time.Hour)
		}
		os.MkdirAll(filepath.Join(dir, "bk"), 0o700)
		s.Backup(filepath.Join(dir, "bk", "backup.db"), true)
	}
	os.Exit(0)
}

func runChild(t *testing.T, mode, dir string, killAfter time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashEnv+"="+mode, "FRONTDOOR_CRASH_DIR="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if killAfter > 0 {
		buf := make([]byte, 10)
		out.Read(buf) // "importing": the import has begun
		time.Sleep(killAfter)
		cmd.Process.Kill()
	}
	cmd.Wait()
}

func TestCrashMidImport(t *testing.T) {
	for i, after := range []time.Duration{5 * time.Millisecond, 60 * time.Millisecond, 250 * time.Millisecond,
		10 * time.Millisecond, 120 * time.Millisecond, 400 * time.Millisecond, 180 * time.Millisecond, 30 * time.Millisecond} {
		dir := t.TempDir()
		had := 0
		if i >= 3 { // into a store with data (and an audit chain) of its own
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			gen.New(5).Write(&b, 50)
			if _, err := s.Import(&b, "first.jsonl", root, now); err != nil {
				t.Fatal(err)
			}
			s.Close()
			had = 50
		}
		mode := "import"
		if i%2 == 1 {
			mode = "import-file"
		}
		runChild(t, mode, dir, after)
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		n := mustCount(t, s)
		t.Logf("killed %v after the import began: %d accounts", after, n)
		if n != had && n != had+crashLines {
			t.Fatalf("killed after %v: %d accounts, want %d or %d", after, n, had, had+crashLines)
		}
		mustCheck(t, s)
		s.Close()
	}
}

func TestCrashHalfwayThroughImportWrite(t *testing.T) {
	dir := t.TempDir()
	runChild(t, "import-mid", dir, time.Millisecond)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := mustCount(t, s); n != 0 {
		t.Fatalf("%d accounts survived a kill mid-transaction, want 0", n)
	}
	mustCheck(t, s)
}

// TestCrashBeforeImportSwap: an import into a store with data, killed
// with its new file complete but not yet renamed, leaves the store as it
// was; the copy it left (PHI) is gone at the next open.
func TestCrashBeforeImportSwap(t *testing.T) {
	boltOnly(t)
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(strings.NewReader(lines(10)), "a.jsonl", root, now); err != nil {
		t.Fatal(err)
	}
	s.Close()
	runChild(t, "import-swap", dir, 0)
	if left, _ := filepath.Glob(filepath.Join(dir, bolt.RebuildPattern)); len(left) != 1 {
		t.Fatalf("the killed import left %v, want its new file", left)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := mustCount(t, s); n != 10 {
		t.Fatalf("%d accounts after the kill, want the 10 from before", n)
	}
	mustCheck(t, s)
	if left, _ := filepath.Glob(filepath.Join(dir, bolt.RebuildPattern)); len(left) != 0 {
		t.Fatalf("open left %v", left)
	}
	if n, err := s.Import(strings.NewReader(lines(3000)[len(lines(10)):]), "more.jsonl", root, now); err != nil || n != 2990 {
		t.Fatalf("import again: %d %v", n, err)
	}
	mustCheck(t, s)
}

func TestCrashMidApply(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Import(strings.NewReader(lines(1)), "a", root, now)
	s.Close()
	runChild(t, "apply", dir, 0)
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, _ := s.Get("acc_0001")
	ob, _ := s.Outbox(true)
	log, _ := s.AuditLog(AuditFilter{Account: "acc_0001"})
	if r.Version != 1 || len(r.Account.Notes) != 0 || len(ob) != 0 || len(log) != 0 {
		t.Fatalf("half a change survived: version %d notes %d outbox %d audit %d", r.Version, len(r.Account.Notes), len(ob), len(log))
	}
	mustCheck(t, s)
}

func FuzzImportLine(f *testing.F) {
	boltOnly(f) // the line's parsing and checks, not the backend's: once is enough
	f.Add([]byte(line(1)))
	f.Add([]byte(`{"id":"x","email":"a@b.co","name":"n","role":"client","status":"active","factors":[{"id":"f","type":"phone","phone":"+44"}]}`))
	f.Add([]byte("{\"id\":\"\x1b[31m\"}"))
	for _, s := range corpus.Naughty(f) {
		f.Add([]byte(strings.Replace(line(2), "User Number2", strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`), 1)))
	}
	dir := f.TempDir()
	s, err := Open(dir)
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		before := mustCount(t, s)
		n, err := s.Import(bytes.NewReader(data), "fuzz.jsonl", root, now)
		after := mustCount(t, s)
		if err != nil && after != before {
			t.Fatalf("failed import changed the store: %d → %d (%v)", before, after, err)
		}
		if err == nil && after != before+n {
			t.Fatalf("import said %d, store grew by %d", n, after-before)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.jsonl:") {
			t.Fatalf("error does not name the file and line: %v", err)
		}
	})
}

// TestDemoStaysCurrent: a demo seeded days ago, re-anchored, leads with
// the same findings as a fresh one.
func TestDemoStaysCurrent(t *testing.T) {
	s, _ := openTemp(t)
	seeded := now.Add(-72 * time.Hour)
	accs, cases := demo.Data(seeded)
	if err := s.SeedDemo(accs, seeded); err != nil {
		t.Fatal(err)
	}
	if err := s.ReanchorDemo(now); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		var acc *model.Account
		if r, err := s.ByEmail(c.Report.Email); err == nil {
			acc = &r.Account
		}
		if got := model.Diagnose(acc, c.Report, now)[0].Code; got != c.Expect {
			t.Errorf("%s: %s after re-anchoring, want %s", c.Report.Email, got, c.Expect)
		}
	}
	mustCheck(t, s)
	live, _ := openTemp(t)
	live.Import(strings.NewReader(lines(1)), "a", root, seeded)
	before, _ := live.Get("acc_0001")
	live.ReanchorDemo(now)
	after, _ := live.Get("acc_0001")
	if !before.Account.CreatedAt.Equal(*after.Account.CreatedAt) {
		t.Fatal("a live store was re-anchored")
	}
}

// Rule S5: an address may be one account's current email and others'
// previous one. Import takes it; a look-up prefers the current holder
// and lists every holder; two current holders are refused.
func TestEmailReuse(t *testing.T) {
	s, _ := openTemp(t)
	moved := strings.Replace(line(1), `"email":"user1@example.com"`, `"email":"new1@example.com","previous_emails":["shared@example.com"]`, 1)
	other := strings.Replace(line(2), `"email":"user2@example.com"`, `"email":"new2@example.com","previous_emails":["shared@example.com"]`, 1)
	holder := strings.Replace(line(3), `"email":"user3@example.com"`, `"email":"Shared@Example.com"`, 1)
	if _, err := s.Import(strings.NewReader(moved+"\n"+other+"\n"+holder+"\n"), "a", root, now); err != nil {
		t.Fatal(err)
	}
	r, err := s.ByEmail("shared@example.com")
	if err != nil || r.Account.ID != "acc_0003" {
		t.Fatalf("ByEmail prefers the current holder: %s %v", r.Account.ID, err)
	}
	hits, _ := s.Search("shared@example.com", 10)
	if len(hits) != 3 || hits[0].Account.ID != "acc_0003" {
		t.Fatalf("search lists every holder, current first: %+v", hits)
	}
	mustCheck(t, s)
	twice := strings.Replace(line(4), `"email":"user4@example.com"`, `"email":"shared@example.com"`, 1)
	if _, err := s.Import(strings.NewReader(twice+"\n"), "b", root, now); err == nil || !strings.Contains(err.Error(), "current email of 2 accounts") {
		t.Fatalf("a second current holder was let in: %v", err)
	}
}

// A store written with schema 1 (one id per address) is migrated on open.
func TestMigrateEmailIndexFromSchema1(t *testing.T) {
	s, dir := openTemp(t)
	s.Import(strings.NewReader(lines(3)), "a", root, now)
	s.kv.Update(func(tx Tx) error {
		var keys [][]byte
		tx.Scan(bEmail, nil, func(k, _ []byte) (bool, error) { keys = append(keys, append([]byte(nil), k...)); return true, nil })
		for _, k := range keys {
			email, id := splitKey(k)
			tx.Delete(bEmail, k)
			tx.Put(bEmail, []byte(email), []byte(id+"\x00current"))
		}
		return tx.Put(bMeta, []byte("schema"), []byte("1"))
	})
	s.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustCheck(t, s)
	if r, err := s.ByEmail("user2@example.com"); err != nil || r.Account.ID != "acc_0002" {
		t.Fatalf("after migration: %v %v", r.Account.ID, err)
	}
}

// Exact matches come first (id, email, previous email, phone), then
// prefixes, then names; SearchCount says how many more match.
func TestSearchRanksExactFirstAndCounts(t *testing.T) {
	s, _ := openTemp(t)
	s.Import(strings.NewReader(lines(120)), "a", root, now)
	hits, more, err := s.SearchCount("number1", 5)
	if err != nil || len(hits) != 5 || more == 0 {
		t.Fatalf("%d hits, %d more, %v", len(hits), more, err)
	}
	// counted, each account once: Number1, Number10–19, Number100–120
	for q, want := range map[string]int{"number1": 1 + 10 + 21, "user": 120, "number11": 1 + 10, "user number2": 1 + 10} {
		hits, more, err := s.SearchCount(q, 5)
		if err != nil || len(hits)+more != want {
			t.Errorf("%q: %d hits and %d more, want %d in all (%v)", q, len(hits), more, want, err)
		}
	}
	hits, _, _ = s.SearchCount("user12@example.com", 5)
	if len(hits) == 0 || hits[0].Account.ID != "acc_0012" || !hits[0].Exact {
		t.Fatalf("exact email not first: %+v", hits)
	}
	hits, _, _ = s.SearchCount("2125550100", 5) // the phone of acc_0100, a prefix of nothing else
	if len(hits) == 0 || hits[0].Account.ID != "acc_0100" || !hits[0].Exact || hits[0].MatchedBy != "phone" {
		t.Fatalf("exact phone not first: %+v", hits)
	}
	hits, _, _ = s.SearchCount("acc_0011", 5)
	if hits[0].Account.ID != "acc_0011" || !hits[0].Exact {
		t.Fatalf("exact id not first: %+v", hits[0].Account.ID)
	}
}

// A name with two words of one prefix ("Mara Marsh" for "mar") is one
// account, counted once, and an account found by its id is not counted
// again by its name (ids acc_m000–acc_m003 are one prefix).
func TestSearchCountsEachAccountOnce(t *testing.T) {
	s, _ := openTemp(t)
	var b strings.Builder
	for i, name := range []string{"Mara Marsh", "Marc Mar", "Omar Marr", "Ann Lee"} {
		fmt.Fprintf(&b, `{"id":"acc_m%03d","email":"m%d@example.com","name":%q,"role":"client","status":"active","created_at":"2026-01-01T00:00:00Z"}`+"\n", i, i, name)
	}
	if _, err := s.Import(strings.NewReader(b.String()), "a", root, now); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 2, 20} {
		hits, more, err := s.SearchCount("mar", limit)
		if err != nil || len(hits)+more != 3 {
			t.Errorf("mar, limit %d: %d hits and %d more, want 3 in all (%v)", limit, len(hits), more, err)
		}
		seen := map[string]bool{}
		for _, h := range hits {
			if seen[h.Account.ID] {
				t.Errorf("mar, limit %d: %s listed twice", limit, h.Account.ID)
			}
			seen[h.Account.ID] = true
		}
	}
	if hits, more, _ := s.SearchCount("acc_m00", 20); len(hits)+more != 4 {
		t.Errorf("acc_m00: %d hits and %d more, want 4", len(hits), more)
	}
}

// A record written from a snapshot's own bytes decodes as one encoded
// from the account does.
func TestRawRecordDecodes(t *testing.T) {
	s, _ := openTemp(t)
	a, _ := model.ParseAccount([]byte(line(3)))
	r := Record{Version: 4, PlatformVersion: 9, UpdatedBy: `pl"at`, UpdatedAt: now, Account: a}
	if err := s.kv.Update(func(tx Tx) error { return putRecordRaw(tx, r, json.RawMessage(line(3)), indexedDigest(&a)) }); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("acc_0003")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(r)
	have, _ := json.Marshal(got)
	if string(want) != string(have) {
		t.Fatalf("raw record decodes to\n%s\nwant\n%s", have, want)
	}
}

// decodeRecord's one-pass envelope (decodeShellFast) gives what
// encoding/json gives, for records as the store writes them: generated
// accounts, with and without the envelope's optional members; one it does
// not take (pending actions, an escape) still decodes the long way.
func TestDecodeRecordAgreesWithEncodingJSON(t *testing.T) {
	g := gen.New(7)
	var line []byte
	for i := range 200 {
		line = g.Append(line[:0], i, i%3)
		a, err := model.ParseAccount(bytes.TrimSpace(line))
		if err != nil {
			t.Fatalf("account %d: %v", i, err)
		}
		r := Record{Version: uint64(i + 1), UpdatedAt: now.Add(time.Duration(i) * time.Second), Account: a}
		switch i % 4 {
		case 1:
			r.UpdatedBy, r.PlatformVersion = "sam", uint64(1000+i)
		case 2:
			r.Demo = true
			r.Pending = []model.Pending{{Message: 9, Action: "send_password_reset", At: now, By: "sam", State: "pending"}}
		case 3:
			r.UpdatedBy = `o"brien` // escaped: the long way
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		// the common records take the one pass; pending actions (numbers
		// inside: rare) and escapes take the long way
		if _, ok := decodeShellFast(b); ok != (i%4 <= 1) {
			t.Fatalf("record %d: one-pass envelope ok=%v", i, ok)
		}
		got, err := decodeRecord(b)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		var want Record
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if !bytes.Equal(gb, wb) || got.UpdatedAt != want.UpdatedAt {
			t.Fatalf("record %d decodes to\n%s\nnot\n%s", i, gb, wb)
		}
	}
}

// The open outbox index (issue 21, item 5): the relay and the metrics
// read the messages not delivered from it, not every message ever
// queued; it follows every change of state; a store of schema 2 gets it
// on open; and check catches an index that lost a message.
func TestOutboxOpenIndex(t *testing.T) {
	s, _ := openTemp(t)
	s.Import(strings.NewReader(lines(3)), "a", root, now)
	for range 5 {
		r, err := s.Get("acc_0001")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply("acc_0001", r.Version, root, now, noteChange("n")); err != nil {
			t.Fatal(err)
		}
	}
	due, _, err := s.Due(now, 100)
	if err != nil || len(due) != 1 { // one account: its oldest only
		t.Fatalf("due %d %v", len(due), err)
	}
	if err := s.RecordDeliveries([]Outcome{{ID: due[0].ID}}, now); err != nil {
		t.Fatal(err)
	}
	due, _, _ = s.Due(now, 100)
	if err := s.RecordDeliveries([]Outcome{{ID: due[0].ID, Status: 400, Err: "refused"}}, now); err != nil {
		t.Fatal(err)
	}
	counts, err := s.OutboxCounts()
	if err != nil || counts[OutboxDelivered] != 1 || counts[OutboxDead] != 1 || counts[OutboxPending] != 3 {
		t.Fatalf("counts %v %v", counts, err)
	}
	if open, _ := s.Outbox(false); len(open) != 4 {
		t.Fatalf("%d open messages listed, want 4", len(open))
	}
	if err := s.Retry(due[0].ID, root, now); err != nil {
		t.Fatal(err)
	}
	if counts, _ := s.OutboxCounts(); counts[OutboxDead] != 0 || counts[OutboxPending] != 4 {
		t.Fatalf("after a retry: %v", counts)
	}
	mustCheck(t, s)
	// an index that lost a pending message: check says so
	s.kv.Update(func(tx Tx) error { return tx.Delete(bOutboxOpen, seqKey(due[0].ID)) })
	if problems, _ := s.Check(); len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), "the relay would not see it") {
		t.Fatalf("check with a message missing from the index: %v", problems)
	}
	// a store of schema 2: the index is made on open
	s.kv.Update(func(tx Tx) error {
		tx.Put(bMeta, []byte("schema"), []byte("2"))
		return tx.Delete(bOutboxOpen, seqKey(due[0].ID+1))
	})
	if err := s.kv.Update(migrate); err != nil {
		t.Fatal(err)
	}
	if counts, _ := s.OutboxCounts(); counts[OutboxPending] != 4 {
		t.Fatalf("after the migration: %v", counts)
	}
	mustCheck(t, s)
}

// Names are found as callers spell them: without accents or punctuation
// (issue 22, item 3), in a new store and in one whose name index was
// written before names were folded (schema 3), rebuilt on open.
func TestNamesFoundWithoutAccentsOrPunctuation(t *testing.T) {
	s, dir := openTemp(t)
	accs := `{"id":"acc_zoe","email":"zoe@example.com","name":"Zoë O'Brien-Núñez","role":"client","status":"active","created_at":"2026-01-01T00:00:00Z","email_verified_at":"2026-01-01T00:05:00Z"}
{"id":"acc_ines","email":"ines@example.com","name":"Inês Søndergaard","role":"client","status":"active","created_at":"2026-01-01T00:00:00Z","email_verified_at":"2026-01-01T00:05:00Z"}
` + lines(3)
	if _, err := s.Import(strings.NewReader(accs), "a", root, now); err != nil {
		t.Fatal(err)
	}
	finds := func(s *Store, when string) {
		t.Helper()
		for q, id := range map[string]string{"zoe": "acc_zoe", "obrien": "acc_zoe", "nunez": "acc_zoe", "Zoe O": "acc_zoe",
			"o'brien": "acc_zoe", "ZOË": "acc_zoe", "brien nun": "acc_zoe", "ines": "acc_ines", "sondergaard": "acc_ines", "Inês": "acc_ines"} {
			hits, err := s.Search(q, 5)
			if err != nil || len(hits) != 1 || hits[0].Account.ID != id {
				t.Errorf("%s: %q found %v (%v), want %s", when, q, hits, err, id)
			}
		}
	}
	finds(s, "new store")
	// the index as schema 3 wrote it: lower case, split at punctuation
	s.kv.Update(func(tx Tx) error {
		var keys [][]byte
		tx.Scan(bName, nil, func(k, _ []byte) (bool, error) { keys = append(keys, append([]byte(nil), k...)); return true, nil })
		for _, k := range keys {
			tx.Delete(bName, k)
		}
		for id, toks := range map[string][]string{"acc_zoe": {"zoë", "o", "brien", "núñez"}, "acc_ines": {"inês", "søndergaard"}} {
			for _, tok := range toks {
				tx.Put(bName, join0([]byte(tok), id), []byte(strings.Join(toks, " ")))
			}
		}
		return tx.Put(bMeta, []byte("schema"), []byte("3"))
	})
	s.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustCheck(t, s)
	finds(s, "migrated store")
	if hits, _ := s.Search("number2", 5); len(hits) != 1 {
		t.Fatalf("the other accounts' names were not indexed again: %v", hits)
	}
}

// Recent lists an actor's looked-up accounts, newest first, each once;
// another actor's are not there.
func TestRecentAccounts(t *testing.T) {
	s, _ := openTemp(t)
	s.Import(strings.NewReader(lines(3)), "a", root, now)
	for i, e := range []AuditEntry{{Actor: "sam", Account: "acc_0001"}, {Actor: "ann", Account: "acc_0003"}, {Actor: "sam", Account: "acc_0002"}, {Actor: "sam", Account: "acc_0001"}} {
		e.At, e.Action = now.Add(time.Duration(i)*time.Second), "lookup"
		if err := s.Audit(e); err != nil {
			t.Fatal(err)
		}
	}
	hits, err := s.Recent("sam", 10, now.Add(time.Minute), time.Hour)
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.Account.ID)
	}
	if err != nil || strings.Join(ids, " ") != "acc_0001 acc_0002" {
		t.Fatalf("recent %v %v", ids, err)
	}
}

// Sessions auditing at once on one bbolt file share commits (group
// commit): while one commit holds the writer, the entries asked for
// queue and go in as a few transactions, not one each, and every caller
// returns only once its own entry is in the chain. (On a cluster:
// TestAuditIsOneChainAcrossFrontEnds.)
func TestAuditsAtOnceShareCommits(t *testing.T) {
	boltOnly(t) // the blocking writer below holds bbolt's one writer lock
	s, _ := openTemp(t)
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl sam@laptop"
	if err := s.AddUser("sam", RoleAgent, []string{key}, root, now); err != nil {
		t.Fatal(err)
	}
	commitID := func() (id uint64) {
		_ = s.kv.View(func(tx Tx) error { id = tx.ID(); return nil })
		return id
	}
	hold, held := make(chan struct{}), make(chan struct{})
	go s.kv.Update(func(Tx) error { close(held); <-hold; return nil })
	<-held
	before := commitID()
	const n = 64
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- s.AuditAs(Actor{Name: "sam"}, AuditEntry{At: now, Action: "lookup", Account: fmt.Sprintf("acc_%04d", i)})
		}()
	}
	// all asked: a first batch taken by the batcher (however many were
	// queued when it began), blocked behind the writer, the rest queued
	// behind it
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.audits.mu.Lock()
		queued, taken := len(s.audits.queue), s.audits.taken
		s.audits.mu.Unlock()
		if queued+taken == n {
			break
		}
		if time.Now().After(deadline) {
			close(hold)
			t.Fatalf("%d of %d entries queued and %d taken: each went to the writer on its own", queued, n, taken)
		}
	}
	select {
	case err := <-errs:
		t.Fatalf("a caller returned before its entry could commit: %v", err)
	default:
	}
	close(hold)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if commits := commitID() - before; commits > 1+1+(n-1+auditBatchMax-1)/auditBatchMax {
		t.Fatalf("%d entries took %d commits; want them batched (%d a commit)", n, commits, auditBatchMax)
	}
	log, err := s.AuditLog(AuditFilter{Actor: "sam"})
	if err != nil || len(log) != n {
		t.Fatalf("%d entries by sam in the trail, want %d (%v)", len(log), n, err)
	}
	mustCheck(t, s)
}

// A relay's batch of outcomes larger than the backend takes in one
// transaction (a cluster: 128 writes; a command delivered is two or
// three) is recorded whole, in parts: on a cluster a batch of 43 or more
// failed as too large, stayed pending, and was sent again every few
// seconds.
func TestALargeBatchOfDeliveriesIsRecorded(t *testing.T) {
	s, _ := openTemp(t)
	const n = 100
	if _, err := s.Import(strings.NewReader(lines(n)), "a", root, now); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("acc_%04d", i)
		r, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(id, r.Version, root, now, noteChange("n")); err != nil {
			t.Fatal(err)
		}
	}
	due, _, err := s.Due(now, 256)
	if err != nil || len(due) != n {
		t.Fatalf("due %d %v", len(due), err)
	}
	var outcomes []Outcome
	for _, m := range due {
		outcomes = append(outcomes, Outcome{ID: m.ID, Status: 200})
	}
	if err := s.RecordDeliveries(outcomes, now); err != nil {
		t.Fatalf("recording %d deliveries: %v", n, err)
	}
	if counts, err := s.OutboxCounts(); err != nil || counts[OutboxDelivered] != n || counts[OutboxPending] != 0 {
		t.Fatalf("after recording %d deliveries: %v %v", n, counts, err)
	}
	mustCheck(t, s)
}
