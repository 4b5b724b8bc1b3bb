package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"frontdoor/model"
	"frontdoor/store"
)

// Issue 9's command-line findings, each as a test that failed on the old code.

// noEscapes: output for a terminal carries nothing a terminal acts on.
func noEscapes(t *testing.T, what, s string) {
	t.Helper()
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e' || r == '\u2066' {
			t.Fatalf("%s prints %U raw: %q", what, r, s)
		}
	}
}

func TestTextOutputIsSanitised(t *testing.T) {
	dir := importFixtures(t)
	evil := "x\x1b]52;c;ZXZpbA==\x07\x1b[2J\u202e\u0085@evil.com"
	r := run(t, "", "diagnose", "--email", evil, "--data", dir)
	if r.code != 0 {
		t.Fatalf("diagnose: %+v", r)
	}
	noEscapes(t, "diagnose", r.out)
	if !strings.Contains(r.out, "evil.com") {
		t.Fatalf("the address is not shown at all: %q", r.out)
	}
	// the same address, audited, comes back out of audit escaped
	r = run(t, "", "audit", "--data", dir)
	noEscapes(t, "audit", r.out)
	// an error message quoting what the caller typed
	r = run(t, "", "diagnose", "--email", "a@b.co", "--site", "\x1b[31mred", "--data", dir)
	noEscapes(t, "a usage error", r.err)
}

func TestJSONEscapesC1DELAndBidi(t *testing.T) {
	dir := t.TempDir()
	name := "Eve\u0085\u009b31m\x7f\u202eevil\u2066"
	acc := `{"id":"acc_x","email":"eve@example.com","name":` + mustJSON(t, name) + `,"role":"client","status":"active","created_at":"2026-01-01T00:00:00Z","email_verified_at":"2026-01-01T00:05:00Z"}`
	if r := run(t, acc+"\n", "import", "-", "--data", dir); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	r := run(t, "", "export", "--data", dir)
	noEscapes(t, "export", r.out)
	for _, esc := range []string{`\u0085`, `\u009b`, `\u007f`, `\u202e`, `\u2066`} {
		if !strings.Contains(r.out, esc) {
			t.Errorf("export does not escape %s: %s", esc, r.out)
		}
	}
	var back model.Account
	if err := json.Unmarshal([]byte(r.out), &back); err != nil || back.Name != name {
		t.Fatalf("decoding gives %q (%v), want the exact name", back.Name, err)
	}
	r = run(t, "", "diagnose", "--email", "eve@example.com", "--json", "--data", dir)
	noEscapes(t, "diagnose --json", r.out)
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadCommandsNeedAStore(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "typo")
	for _, args := range [][]string{
		{"diagnose", "--email", "a@b.co"}, {"export"}, {"audit"}, {"outbox"}, {"check"}, {"user", "list"}, {"backup", filepath.Join(t.TempDir(), "b")}, {"sessions"},
	} {
		r := run(t, "", append(args, "--data", missing)...)
		if r.code != ExitFail || !strings.Contains(r.err, "no store at "+missing) {
			t.Errorf("%v on a missing store: %+v", args, r)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("a read command created the data directory")
	}
}

func TestDemoStoreRefusesImport(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	seedIfEmpty(st, fixedNow)
	st.Close()
	r := run(t, "", "import", "../testdata/fixtures/accounts.jsonl", "--data", dir)
	if r.code != ExitFail || !strings.Contains(r.err, "--data "+dir+" is a DEMO store") {
		t.Fatalf("import into a demo store: %+v", r)
	}
}

// The control socket takes who is asking from the peer's credentials,
// not from what the request says (an admin was added as "lee").
func TestControlSocketActorIsThePeer(t *testing.T) {
	dir, st := serveControl(t)
	conn, err := net.Dial("unix", filepath.Join(dir, ControlSocket))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// an old client's request, naming someone else
	json.NewEncoder(conn).Encode(map[string]any{"args": []string{"diagnose", "--email", "dmoore@cityclinic.org"}, "user": "lee\x1b[31m"})
	var out, errb bytes.Buffer
	if code, err := readFrames(conn, &out, &errb); err != nil || code != 0 {
		t.Fatalf("reply %d %v: %s %s", code, err, out.String(), errb.String())
	}
	me, _ := user.Current()
	log, _ := st.AuditLog(store.AuditFilter{Limit: 1})
	if log[0].Action != "diagnose" || log[0].Actor != me.Username {
		t.Fatalf("audited as %q, want the peer %q", log[0].Actor, me.Username)
	}
}

func TestUserRoleAndRemoveAreAuditedAndChecked(t *testing.T) {
	dir := t.TempDir()
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl sam@laptop"
	if r := run(t, "", "user", "add", "sam", "--role", "agent", "--key", key, "--data", dir); r.code != 0 {
		t.Fatalf("add: %+v", r)
	}
	if r := run(t, "", "user", "role", "sam", "lead", "--data", dir); r.code != 0 {
		t.Fatalf("role: %+v", r)
	}
	r := run(t, "", "user", "list", "--json", "--data", dir)
	var us []store.User
	if err := json.Unmarshal([]byte(r.out), &us); err != nil || len(us) != 1 || us[0].Role != "lead" {
		t.Fatalf("list --json: %+v %v", r, err)
	}
	if r := run(t, "", "check", "--data", dir); r.code != 0 {
		t.Fatalf("check after role change: %+v", r)
	}
	r = run(t, "", "audit", "--json", "--data", dir)
	if !strings.Contains(r.out, `"action":"user_role"`) || !strings.Contains(r.out, `"from":"agent"`) {
		t.Fatalf("role change not audited: %s", r.out)
	}
	if r := run(t, "", "user", "add", "bad", "--role", "agent", "--key", `command="/bin/sh" `+key, "--data", dir); r.code != ExitFail || !strings.Contains(r.err, "not enforced") {
		t.Fatalf("key with options: %+v", r)
	}
}

func TestAuditHeadAndCheckHead(t *testing.T) {
	dir := importFixtures(t)
	h := run(t, "", "audit", "head", "--data", dir)
	if h.code != 0 || !strings.HasPrefix(h.out, "1:") {
		t.Fatalf("audit head: %+v", h)
	}
	run(t, "", "diagnose", "--email", "dmoore@cityclinic.org", "--data", dir) // the trail moves on
	if r := run(t, "", "check", "--head", strings.TrimSpace(h.out), "--data", dir); r.code != 0 || !strings.Contains(r.out, "nothing up to it changed") {
		t.Fatalf("check --head: %+v", r)
	}
	bad := "1:" + strings.Repeat("0", 64)
	if r := run(t, "", "check", "--head", bad, "--data", dir); r.code != ExitFail {
		t.Fatalf("check --head with a wrong hash: %+v", r)
	}
	if r := run(t, "", "check", "--head", "nonsense", "--data", dir); r.code != ExitUsage {
		t.Fatalf("check --head nonsense: %+v", r)
	}
	r := run(t, "", "check", "--json", "--head", strings.TrimSpace(h.out), "--data", dir)
	var out CheckOutput
	if err := json.Unmarshal([]byte(r.out), &out); err != nil || r.code != 0 || !out.OK || out.HeadChecked != 1 || out.Accounts == 0 || len(out.Problems) != 0 {
		t.Fatalf("check --json: %+v %v", r, err)
	}
	r = run(t, "", "check", "--json", "--head", bad, "--data", dir)
	if err := json.Unmarshal([]byte(r.out), &out); err != nil || r.code != ExitFail || out.OK || len(out.Problems) == 0 {
		t.Fatalf("check --json with a problem: %+v %v", r, err)
	}
}

func TestCommandLineTidy(t *testing.T) {
	dir := importFixtures(t)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"diagnose", "--email", "--data", dir}, ExitUsage, "--email needs a value"},
		{[]string{"diagnose", "--data", dir, "--email"}, ExitUsage, "-email"},
		{[]string{"audit", "--since", "2d", "--data", dir}, ExitOK, ""},
		{[]string{"audit", "--since", "1w", "--data", dir}, ExitOK, ""},
		{[]string{"audit", "--since", "soon", "--data", dir}, ExitUsage, `"soon"`},
		{[]string{"version"}, ExitOK, ""},
	} {
		r := run(t, "", c.args...)
		if r.code != c.code || !strings.Contains(r.err, c.want) {
			t.Errorf("%v: %+v", c.args, r)
		}
	}
	if r := run(t, "", "version"); !strings.HasPrefix(r.out, "frontdoor ") {
		t.Errorf("version: %q", r.out)
	}
}
