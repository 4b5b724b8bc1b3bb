package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor/model"
	"frontdoor/store"
)

var fixedNow = time.Date(2026, 11, 10, 18, 0, 0, 0, time.UTC)

type result struct {
	code     int
	out, err string
}

func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	actor := store.Actor{Name: "oncall", Role: store.RoleAdmin}
	code := Run(args, IO{In: strings.NewReader(stdin), Out: &out, Err: &errb, Clock: func() time.Time { return fixedNow }, Actor: &actor})
	return result{code, out.String(), errb.String()}
}

func importFixtures(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	r := run(t, "", "import", "../testdata/fixtures/accounts.jsonl", "--data", dir)
	if r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	return dir
}

// TestReferenceCasesThroughCLI runs every shared reference case through
// `frontdoor diagnose --json`.
func TestReferenceCasesThroughCLI(t *testing.T) {
	dir := importFixtures(t)
	f, err := os.Open("../testdata/fixtures/diagnosis-cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var c struct {
			ID, Email, Site, Problem, Now, Expect string
			Flags                                 []string
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		n++
		args := []string{"diagnose", "--email", c.Email, "--site", c.Site, "--problem", c.Problem, "--now", c.Now, "--json", "--data", dir}
		if slices.Contains(c.Flags, "abroad") {
			args = append(args, "--abroad")
		}
		if slices.Contains(c.Flags, "other_device") {
			args = append(args, "--other-device")
		}
		r := run(t, "", args...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", c.ID, r.code, r.err)
		}
		var out DiagnoseOutput
		if err := json.Unmarshal([]byte(r.out), &out); err != nil {
			t.Fatalf("%s: bad JSON: %v\n%s", c.ID, err, r.out)
		}
		if got := out.Findings[0].Code; got != c.Expect {
			t.Errorf("%s: first finding %s, want %s", c.ID, got, c.Expect)
		}
		if (c.Expect == "no_account") != (out.AccountID == nil) {
			t.Errorf("%s: account_id %v", c.ID, out.AccountID)
		}
		for _, f := range out.Findings {
			if f.Title == "" || f.Steps == nil || f.Evidence == nil || f.Rules == nil {
				t.Errorf("%s: %s lacks a field in JSON", c.ID, f.Code)
			}
		}
	}
	if n < 16 {
		t.Fatalf("read %d cases", n)
	}
	// each diagnosis is audited with the OS user as actor
	r := run(t, "", "audit", "--json", "--data", dir)
	if strings.Count(r.out, `"action":"diagnose"`) != n || !strings.Contains(r.out, `"actor":"oncall"`) {
		t.Fatalf("diagnoses not audited:\n%s", r.out)
	}
}

func TestDiagnoseUsage(t *testing.T) {
	dir := importFixtures(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"diagnose", "--data", dir}, "want the EMAIL the caller gives"},
		{[]string{"diagnose", "a@b.co", "c@d.co", "--data", dir}, "want one EMAIL, got 2 arguments"},
		{[]string{"diagnose", "a@b.co", "--email", "c@d.co", "--data", dir}, `the address twice, --email "c@d.co" and "a@b.co"`},
		{[]string{"diagnose", "--email", "a@b.co", "--site", "mars", "--data", dir}, "allowed: patient, provider, careers, capital, unknown"},
		{[]string{"diagnose", "--email", "a@b.co", "--problem", "sad", "--data", dir}, "allowed: cant_log_in, no_reset_email"},
		{[]string{"diagnose", "--email", "a@b.co", "--now", "noon", "--data", dir}, "not an RFC 3339 time"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
	}
	for _, c := range cases {
		r := run(t, "", c.args...)
		if r.code != ExitUsage || !strings.Contains(r.err, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.err, c.want)
		}
	}
	// a value without an @ is diagnosed as DOMAIN §7 says, no_account,
	// with a note on stderr naming what was looked up; a full-width ＠
	// reaches the family rung, which explains it
	for _, v := range []string{"notanemail", "Maria Lopez"} {
		r := run(t, "", "diagnose", "--json", "--email", v, "--data", dir)
		if r.code != 0 || !strings.Contains(r.out, `"no_account"`) || !strings.Contains(r.err, "has no @") {
			t.Errorf("diagnose %q: %+v, want no_account and a note", v, r)
		}
	}
	if r := run(t, "", "diagnose", "--json", "--problem", "family_account", "kid＠gmail.com", "--data", dir); r.code != 0 || !strings.Contains(r.out, `"family_new_email"`) || r.err != "" {
		t.Errorf("a full-width ＠ for a family account: %+v", r)
	}
	// defaults: site unknown, problem cant_log_in, now = the clock
	r := run(t, "", "diagnose", "--email", "maria.lopez@gmail.com", "--data", dir)
	if r.code != 0 || !strings.Contains(r.out, "browser_session") || !strings.Contains(r.out, "Read to the caller") {
		t.Fatalf("default diagnose: %+v", r)
	}
	// the address as the one argument, flags either side (issue 22, item 24)
	for _, args := range [][]string{
		{"diagnose", "maria.lopez@gmail.com", "--data", dir},
		{"diagnose", "--data", dir, "maria.lopez@gmail.com"},
	} {
		if p := run(t, "", args...); p.code != 0 || p.out != r.out {
			t.Errorf("%q: %+v, want what --email prints", args, p)
		}
	}
}

func TestImportErrorsAndFlagOrder(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"id":"a1","email":"a@b.co","name":"A","role":"client","status":"active"}`+"\n"+
		`{"id":"a2","email":"not-an-email","name":"B","role":"client","status":"active"}`+"\n"), 0o600)
	r := run(t, "", "import", "--data", dir, bad)
	if r.code != ExitFail || !strings.Contains(r.err, "bad.jsonl:2: email:") || !strings.Contains(r.err, "nothing was imported") {
		t.Fatalf("bad import: %+v", r)
	}
	if r := run(t, "", "export", "--data", dir); r.out != "" {
		t.Fatalf("half an import written: %q", r.out)
	}
	// flags after the positional argument, and '-' for stdin
	r = run(t, `{"id":"a1","email":"a@b.co","name":"A","role":"client","status":"active"}`, "--data", dir, "import", "-")
	if r.code != 0 || !strings.Contains(r.out, "imported 1 account from stdin") {
		t.Fatalf("stdin import: %+v", r)
	}
	if r := run(t, "", "import", "--data", dir, "/no/such/file.jsonl"); r.code != ExitFail || !strings.Contains(r.err, "/no/such/file.jsonl") {
		t.Fatalf("missing file: %+v", r)
	}
}

func TestExportBackupCheck(t *testing.T) {
	dir := importFixtures(t)
	exp := run(t, "", "export", "--data", dir)
	if strings.Count(exp.out, "\n") != fixtureAccounts(t) {
		t.Fatalf("export has %d lines", strings.Count(exp.out, "\n"))
	}
	dir2 := t.TempDir()
	if r := run(t, exp.out, "import", "-", "--data", dir2); r.code != 0 {
		t.Fatalf("re-import: %+v", r)
	}
	if again := run(t, "", "export", "--data", dir2); again.out != exp.out {
		t.Fatal("export → import → export differs")
	}
	bk := filepath.Join(t.TempDir(), "backup")
	os.MkdirAll(bk, 0o700)
	backup := filepath.Join(bk, store.FileName)
	if r := run(t, "", "backup", backup, "--data", dir); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	// without its key a backup opens nowhere else: the trail is keyed
	if r := run(t, "", "check", "--data", bk); r.code != ExitFail || !strings.Contains(r.err, "audit key") {
		t.Fatalf("check of a backup without its key: %+v", r)
	}
	// check FILE verifies it with the data directory's key
	if r := run(t, "", "check", backup, "--data", dir); r.code != 0 || !strings.Contains(r.out, checkOK(t)) {
		t.Fatalf("check FILE: %+v", r)
	}
	// and only reads it: two checks at once (each had locked it to
	// write, and it needed write access: a backup on read-only media,
	// or another user's, could not be checked — CLI review), the file
	// unchanged
	before, _ := os.ReadFile(backup)
	reader, err := store.OpenFileReadOnly(backup, filepath.Join(dir, store.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, "", "check", backup, "--data", dir); r.code != 0 {
		t.Fatalf("check FILE while another check reads it: %+v", r)
	}
	reader.Close()
	if after, _ := os.ReadFile(backup); !bytes.Equal(before, after) {
		t.Fatal("check wrote to the backup")
	}
	// with --with-key the key goes beside it, and the pair checks anywhere
	if r := run(t, "", "backup", backup, "--with-key", "--data", dir); r.code != 0 {
		t.Fatalf("backup --with-key: %+v", r)
	}
	if err := os.Rename(backup+store.BackupKeySuffix, filepath.Join(bk, store.KeyFile)); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "", "check", "--data", bk); r.code != 0 || !strings.Contains(r.out, checkOK(t)) {
		t.Fatalf("check of backup with its key: %+v", r)
	}
	// a key given is the one trusted: another store's backup with its own
	// key beside it passed a check run with this store's key (review)
	other := importFixtures(t)
	forged := filepath.Join(t.TempDir(), "forged.db")
	if r := run(t, "", "backup", forged, "--with-key", "--data", other); r.code != 0 {
		t.Fatalf("backup of another store: %+v", r)
	}
	if r := run(t, "", "check", forged, "--audit-key", filepath.Join(dir, store.KeyFile), "--data", dir); r.code != ExitFail {
		t.Fatalf("another store's backup checked with this store's key: %+v", r)
	}
	// never over the live store
	if r := run(t, "", "backup", filepath.Join(dir, store.FileName), "--data", dir); r.code != ExitFail || !strings.Contains(r.err, "live store") {
		t.Fatalf("backup onto the live file: %+v", r)
	}
	if r := run(t, "", "check", "--data", dir); r.code != 0 {
		t.Fatalf("live store after the refused backup: %+v", r)
	}
}

func TestUsers(t *testing.T) {
	dir := t.TempDir()
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl sam@laptop"
	kf := filepath.Join(dir, "k.pub")
	os.WriteFile(kf, []byte("# sam's key\n"+key+"\n"), 0o600)
	if r := run(t, "", "user", "add", "sam", "--role", "agent", "--key-file", kf, "--data", dir); r.code != 0 {
		t.Fatalf("add: %+v", r)
	}
	if r := run(t, "", "user", "add", "kay", "--role", "chief", "--key", key, "--data", dir); r.code != ExitUsage {
		t.Fatalf("bad role: %+v", r)
	}
	if r := run(t, "", "user", "add", "kay", "--role", "lead", "--key", "ssh-rsa nonsense", "--data", dir); r.code != ExitFail || !strings.Contains(r.err, "not an OpenSSH public key") {
		t.Fatalf("bad key: %+v", r)
	}
	if r := run(t, "", "user", "list", "--data", dir); !strings.Contains(r.out, "sam   agent") {
		t.Fatalf("list: %q", r.out)
	}
	if r := run(t, "", "user", "remove", "sam", "--data", dir); r.code != 0 {
		t.Fatalf("remove: %+v", r)
	}
	if r := run(t, "", "user", "remove", "sam", "--data", dir); r.code != ExitFail {
		t.Fatalf("remove twice: %+v", r)
	}
}

// TestForwardToServer: while a server holds the store, commands run
// through its control socket instead of failing.
func TestForwardToServer(t *testing.T) {
	dir, st := serveControl(t)
	r := run(t, "", "diagnose", "--email", "dmoore@cityclinic.org", "--json", "--data", dir)
	if r.code != 0 || !strings.Contains(r.out, "login_email_changed") {
		t.Fatalf("forwarded diagnose: %+v", r)
	}
	if r := run(t, "", "outbox", "--json", "--data", dir); r.code != 0 || strings.TrimSpace(r.out) != "[]" {
		t.Fatalf("forwarded outbox: %+v", r)
	}
	if r := run(t, "", "outbox", "--ack", "77", "--data", dir); r.code != ExitFail || !strings.Contains(r.err, "no such outbox message") {
		t.Fatalf("forwarded failure keeps its exit code: %+v", r)
	}
	if r := run(t, "", "--data", dir); r.code == 0 {
		t.Fatal("console ran through the socket")
	}
	// standard input streams through the socket: kcat | frontdoor sync -
	line := streamLine(t, 1, 1, "p001", func(m map[string]any) { m["name"] = "Maria Forwarded" })
	if r := run(t, line+"\n", "sync", "-", "--data", dir); r.code != 0 || !strings.Contains(r.out, "1 applied") {
		t.Fatalf("forwarded sync -: %+v", r)
	}
	if rec, _ := st.Get("p001"); rec.Account.Name != "Maria Forwarded" {
		t.Fatalf("the server's store did not take the stream: %q", rec.Account.Name)
	}
	// an import rebuilds the server's store file under it: the server
	// reads and writes the new one, a file's and standard input's alike
	accounts := run(t, "", "gen", "--accounts", "300", "--seed", "8").out
	file := filepath.Join(t.TempDir(), "gen.jsonl")
	os.WriteFile(file, []byte(accounts), 0o600)
	if r := run(t, "", "import", file, "--data", dir); r.code != 0 || !strings.Contains(r.out, "imported 300") {
		t.Fatalf("forwarded import FILE: %+v", r)
	}
	more := run(t, "", "gen", "--accounts", "600", "--seed", "8").out[len(accounts):]
	more = strings.ReplaceAll(more, `"id":"acc_`, `"id":"more_`)
	more = strings.ReplaceAll(more, "@", "+more@")
	if r := run(t, more, "import", "-", "--data", dir); r.code != 0 || !strings.Contains(r.out, "imported 300") {
		t.Fatalf("forwarded import -: %+v", r)
	}
	if rec, err := st.Get("acc_00000299"); err != nil || rec.Account.ID != "acc_00000299" {
		t.Fatalf("the server does not see the imported accounts: %v", err)
	}
	if _, err := st.Apply("p001", 2, store.Actor{Name: "oncall", Role: store.RoleAdmin}, fixedNow, func(a model.Account, _ store.Actor) (store.Change, error) {
		a.Notes = append(a.Notes, model.Note{At: &fixedNow, By: "oncall", Text: "after the import"})
		return store.Change{Account: a, Audit: store.AuditEntry{Action: "add_note"}}, nil
	}); err != nil {
		t.Fatalf("a write after the import: %v", err)
	}
	if r := run(t, "", "check", "--data", dir); r.code != 0 {
		t.Fatalf("forwarded check after the imports: %+v", r)
	}
}

func TestForwardedPathsAreAbsolute(t *testing.T) {
	wd, _ := os.Getwd()
	got := absolutePaths([]string{"--data", "d", "import", "in.jsonl", "--json"})
	if got[1] != "d" || got[3] != filepath.Join(wd, "in.jsonl") {
		t.Fatalf("import: %v", got)
	}
	got = absolutePaths([]string{"user", "add", "sam", "--role", "agent", "--key-file", "k.pub"})
	if got[6] != filepath.Join(wd, "k.pub") || got[2] != "sam" {
		t.Fatalf("user add: %v", got)
	}
	got = absolutePaths([]string{"backup", "b.db", "--key-file=x"})
	if got[1] != filepath.Join(wd, "b.db") || got[2] != "--key-file="+filepath.Join(wd, "x") {
		t.Fatalf("backup: %v", got)
	}
	if got := absolutePaths([]string{"import", "-"}); got[1] != "-" {
		t.Fatalf("stdin: %v", got)
	}
}

// serveControl holds a store of the fixtures as a server does, answering
// on its control socket, for the test's lifetime.
func serveControl(t *testing.T) (string, *store.Store) {
	t.Helper()
	dir := importFixtures(t)
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	answerControl(t, dir, st)
	return dir, st
}

// answerControl answers on dir's control socket against st, as a
// server does, for the test's lifetime.
func answerControl(t *testing.T, dir string, st *store.Store) {
	t.Helper()
	t.Cleanup(func() { st.Close() })
	ln, err := ListenControl(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go ServeControl(ln, st, func() time.Time { return fixedNow }, nil)
}

// Every command has its own help, the same by `help COMMAND` and
// `COMMAND --help`: its synopsis and each of its flags (issue 22, item
// 24: `help sync` printed the general help).
func TestEveryCommandHasItsHelp(t *testing.T) {
	wants := map[string][]string{
		"sync":     {"--follow", "--batch INT", "--set STRING", "--reason STRING"},
		"diagnose": {"--email STRING", "--site STRING", "--now STRING", "--json", "(default cant_log_in)"},
		"outbox":   {"--dead", "--max-attempts INT", "(default 10)"},
		"act":      {"--accounts STRING", "--dry-run"},
	}
	for _, cmd := range commands {
		h := run(t, "", "help", cmd.name)
		f := run(t, "", cmd.name, "--help")
		if h.code != 0 || !strings.HasPrefix(h.out, "Usage: frontdoor "+cmd.name) || !strings.Contains(h.out, cmd.summary) {
			t.Errorf("help %s: %+v", cmd.name, h)
		}
		if f != h {
			t.Errorf("%s --help differs from help %s:\n%s\n---\n%s", cmd.name, cmd.name, f.out, h.out)
		}
		for _, w := range wants[cmd.name] {
			if !strings.Contains(h.out, w) {
				t.Errorf("help %s lacks %q:\n%s", cmd.name, w, h.out)
			}
		}
		if strings.Contains(h.out, "--store-cacert STRING") {
			t.Errorf("help %s lists the store flags as its own:\n%s", cmd.name, h.out)
		}
	}
	if r := run(t, "", "help", "--data", "x", "sync"); !strings.HasPrefix(r.out, "Usage: frontdoor sync") {
		t.Errorf("help --data x sync: %+v", r)
	}
	if r := run(t, "", "help", "nosuch"); r.code != ExitUsage || !strings.Contains(r.err, `unknown command "nosuch"`) {
		t.Errorf("help nosuch: %+v", r)
	}
	if r := run(t, "", "help"); r.code != 0 || !strings.Contains(r.out, "frontdoor help COMMAND") {
		t.Errorf("help: %+v", r)
	}
}
