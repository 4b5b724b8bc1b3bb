package cli

import (
	"bufio"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"frontdoor/store"
)

// Issue 20: the audit key can live apart from the data directory, named
// by --audit-key or $FRONTDOOR_AUDIT_KEY on every command; the data
// directory alone then neither holds it nor opens without it.
func TestAuditKeyApartFromTheData(t *testing.T) {
	dir, key := t.TempDir(), filepath.Join(t.TempDir(), "audit.key")
	if r := run(t, "", "import", "../testdata/fixtures/accounts.jsonl", "--data", dir, "--audit-key", key); r.code != 0 {
		t.Fatalf("import with --audit-key: %+v", r)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the key for a new store: %v %v, want a 0600 file", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, store.KeyFile)); err == nil {
		t.Fatal("a key was made in the data directory too")
	}
	for _, args := range [][]string{
		{"check", "--data", dir, "--audit-key", key},
		{"--audit-key", key, "--data", dir, "check"}, // before the command
		{"check", "--data", dir, "--audit-key=" + key},
		{"audit", "head", "--data", dir, "--audit-key", key},
	} {
		if r := run(t, "", args...); r.code != 0 {
			t.Errorf("%v: %+v", args, r)
		}
	}
	t.Setenv("FRONTDOOR_AUDIT_KEY", key)
	if r := run(t, "", "check", "--data", dir); r.code != 0 {
		t.Errorf("check with $FRONTDOOR_AUDIT_KEY: %+v", r)
	}
	os.Unsetenv("FRONTDOOR_AUDIT_KEY")

	// without the key, or with one that is not there, the store stays
	// shut, and no new key is made for its trail
	missing := filepath.Join(t.TempDir(), "audit.key")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--data", dir}, filepath.Join(dir, store.KeyFile) + " is missing"},
		{[]string{"check", "--data", dir, "--audit-key", missing}, missing + " is missing"},
		{[]string{"import", "../testdata/fixtures/accounts.jsonl", "--data", dir, "--audit-key", missing}, missing + " is missing"},
	} {
		r := run(t, "", tc.args...)
		if r.code != ExitFail || !strings.Contains(r.err, tc.want) {
			t.Errorf("%v: %+v, want exit 1 and %q", tc.args, r, tc.want)
		}
	}
	for _, p := range []string{missing, filepath.Join(dir, store.KeyFile)} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("a new key %s was made for an existing trail", p)
		}
	}

	// a backup without its key checks with the key the flags name
	backup := filepath.Join(t.TempDir(), "backup.db")
	if r := run(t, "", "backup", backup, "--data", dir, "--audit-key", key); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	if r := run(t, "", "check", backup, "--data", dir, "--audit-key", key); r.code != 0 {
		t.Fatalf("check FILE with --audit-key: %+v", r)
	}
}

// A key file its group or others may read is refused, wherever it is,
// naming the file, its mode and the fix; nothing is opened.
func TestAuditKeyOthersCanReadIsRefused(t *testing.T) {
	apart, key := t.TempDir(), filepath.Join(t.TempDir(), "audit.key")
	if r := run(t, "", "import", "../testdata/fixtures/accounts.jsonl", "--data", apart, "--audit-key", key); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	beside := importFixtures(t)
	for _, tc := range []struct {
		name, key string
		args      []string
	}{
		{"apart", key, []string{"check", "--data", apart, "--audit-key", key}},
		{"apart, through the environment", key, []string{"diagnose", "--email", "dmoore@cityclinic.org", "--data", apart}},
		{"beside the data", filepath.Join(beside, store.KeyFile), []string{"audit", "--data", beside}},
		{"seal-legacy", filepath.Join(beside, store.KeyFile), []string{"audit", "seal-legacy", "--data", beside}},
		{"a backup's", key, []string{"check", filepath.Join(apart, store.FileName), "--data", t.TempDir(), "--audit-key", key}},
	} {
		for _, mode := range []os.FileMode{0o640, 0o604, 0o660} {
			os.Chmod(tc.key, mode)
			if strings.Contains(tc.name, "environment") {
				t.Setenv("FRONTDOOR_AUDIT_KEY", tc.key)
			}
			r := run(t, "", tc.args...)
			os.Unsetenv("FRONTDOOR_AUDIT_KEY")
			want := []string{tc.key, "mode 0" + octal(mode), "chmod 600 " + tc.key}
			if r.code != ExitFail || !containsAll(r.err, want) {
				t.Errorf("%s, key %o: %+v, want exit 1 and %q", tc.name, mode, r, want)
			}
		}
		os.Chmod(tc.key, 0o600)
	}
	if r := run(t, "", "check", "--data", apart, "--audit-key", key); r.code != 0 {
		t.Fatalf("check with the key 0600 again: %+v", r)
	}
}

func octal(m os.FileMode) string {
	const digits = "01234567"
	p := m.Perm()
	return string([]byte{digits[p>>6&7], digits[p>>3&7], digits[p&7]})
}

// Moving the key: the flag given before the file was moved says where
// the key still is.
func TestAuditKeyNotYetMovedSaysWhere(t *testing.T) {
	dir := importFixtures(t)
	to := filepath.Join(t.TempDir(), "audit.key")
	r := run(t, "", "check", "--data", dir, "--audit-key", to)
	if r.code != ExitFail || !strings.Contains(r.err, "mv "+filepath.Join(dir, store.KeyFile)+" "+to) {
		t.Fatalf("check with a key not moved yet: %+v", r)
	}
	// another key where the flag points: no mv over it
	other := filepath.Join(t.TempDir(), "audit.key")
	os.WriteFile(other, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	r = run(t, "", "check", "--data", dir, "--audit-key", other)
	if r.code != ExitFail || !strings.Contains(r.err, "not this store's key") || strings.Contains(r.err, "mv ") {
		t.Fatalf("check with another key: %+v", r)
	}
	if err := os.Rename(filepath.Join(dir, store.KeyFile), to); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "", "check", "--data", dir, "--audit-key", to); r.code != 0 {
		t.Fatalf("check with the moved key: %+v", r)
	}
}

// Every command takes --audit-key (registered where --data is).
func TestEveryCommandTakesAuditKey(t *testing.T) {
	for _, cmd := range commands {
		r := run(t, "", cmd.name, "--audit-key", "k", "--help")
		if r.code != ExitOK {
			t.Errorf("%s --audit-key: %+v", cmd.name, r)
		}
	}
}

// A command forwarded to a running server does not send --audit-key over
// the socket: the server runs it with its own key. The recorder stands
// where the server's socket would, to see the bytes; the real server
// then runs one.
func TestForwardedCommandsDoNotSendTheKey(t *testing.T) {
	dir := t.TempDir()
	ln, err := ListenControl(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var sent []string
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err == nil { // serverAnswers' probe sends nothing
				mu.Lock()
				sent = append(sent, line)
				mu.Unlock()
				var h [frameHeader]byte // the reply: exit 0
				h[0] = frameExit
				binary.BigEndian.PutUint32(h[1:], 1)
				conn.Write(append(h[:], '0'))
			}
			conn.Close()
		}
	}()
	secret := filepath.Join(t.TempDir(), "secret-place", "audit.key")
	for _, args := range [][]string{
		{"check", "--data", dir, "--audit-key", secret},
		{"--audit-key=" + secret, "audit", "head", "--data", dir},
		{"-audit-key", secret, "--data", dir, "export"},
	} {
		if r := run(t, "", args...); r.code != 0 {
			t.Errorf("%v: %+v", args, r)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 3 {
		t.Fatalf("%d commands forwarded, want 3: %q", len(sent), sent)
	}
	for _, s := range sent {
		if strings.Contains(s, "audit-key") || strings.Contains(s, "secret-place") {
			t.Errorf("the key's flag went over the socket: %s", s)
		}
	}

	// the real server runs a forwarded command with its own key
	dir, _ = serveControl(t)
	if r := run(t, "", "diagnose", "--email", "dmoore@cityclinic.org", "--data", dir, "--audit-key", secret); r.code != 0 {
		t.Fatalf("forwarded with --audit-key: %+v", r)
	}
}
