package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"frontdoor/internal/etcdtest"
)

// fixtureStream is the reference accounts as a change stream (DOMAIN
// §8): how a store on a cluster is filled.
func fixtureStream(t *testing.T) string {
	t.Helper()
	f, err := os.Open("../testdata/fixtures/accounts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for seq := 1; sc.Scan(); seq++ {
		fmt.Fprintf(&b, `{"seq":%d,"version":1,"account":%s}`+"\n", seq, sc.Text())
	}
	path := filepath.Join(t.TempDir(), "stream.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The commands on a store on a real three-member etcd cluster: filled
// by sync, read by diagnose, verified by check; a read under a prefix
// that holds no store and an unreachable cluster say so, naming the
// store and what to check (issue 21, items 2 and bad input).
func TestCommandsOnACluster(t *testing.T) {
	c := etcdtest.Start(t, 3)
	url := c.URL("/team-a/")
	key := filepath.Join(t.TempDir(), "audit.key") // the key every front end is given, never in etcd
	on := func(args ...string) result {
		return run(t, "", append(args, "--store", url, "--audit-key", key, "--data", t.TempDir())...)
	}
	if r := on("sync", fixtureStream(t)); r.code != 0 {
		t.Fatalf("sync onto the cluster: %+v", r)
	}
	r := on("diagnose", "--email", "maria.lopez@gmail.com", "--problem", "cant_log_in", "--json")
	var d struct {
		AccountID string `json:"account_id"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.out), &d) != nil || d.AccountID != "p001" {
		t.Fatalf("diagnose on the cluster: %+v", r)
	}
	if r := on("check"); r.code != 0 {
		t.Fatalf("check on the cluster: %+v", r)
	}
	r = run(t, "", "diagnose", "--email", "maria.lopez@gmail.com", "--store", c.URL("/team-b/"), "--audit-key", key, "--data", t.TempDir())
	if r.code != ExitFail || !strings.Contains(r.err, "no store under etcd://") || !strings.Contains(r.err, "/team-b/") {
		t.Fatalf("a prefix with no store: %+v", r)
	}
	r = run(t, "", "check", "--store", "etcd://127.0.0.1:1/team-a?timeout=500ms", "--audit-key", key, "--data", t.TempDir())
	if r.code != ExitFail || !strings.Contains(r.err, "no member answered") || !strings.Contains(r.err, "--store") {
		t.Fatalf("an unreachable cluster: %+v", r)
	}
}

// migrate copies a store to a cluster and back, audit trail, outbox and
// checkpoint with it, check passing on both sides each time; the copy
// goes on where the original was (an action's audit entry chains on,
// an outbox id is not given twice); a destination that holds a store
// is refused; and backup of a cluster's store writes a bbolt file that
// checks (issue 21, item 6).
func TestMigrateBothWaysAndBackup(t *testing.T) {
	c := etcdtest.Start(t, 3)
	dir := importFixtures(t)
	if r := run(t, "", "act", "send-reset", "--account", "p001", "--reason", "caller asked", "--data", dir); r.code != 0 {
		t.Fatalf("act: %+v", r)
	}
	before := run(t, "", "export", "--data", dir)
	url := c.URL("/mig/")
	r := run(t, "", "migrate", "--to", url, "--data", dir)
	if r.code != 0 || !strings.Contains(r.out, "check: ok on both sides") {
		t.Fatalf("migrate to etcd: %+v", r)
	}
	if r := run(t, "", "migrate", "--to", url, "--data", dir); r.code != ExitFail || !strings.Contains(r.err, "holds a store already") {
		t.Fatalf("migrate into a store: %+v", r)
	}
	key := filepath.Join(dir, "audit.key")
	onCluster := func(args ...string) result {
		return run(t, "", append(args, "--store", url, "--audit-key", key)...)
	}
	if got := onCluster("export"); got.out != before.out {
		t.Fatal("the cluster's export differs from the original's")
	}
	if r := onCluster("act", "send-reset", "--account", "p002", "--reason", "caller asked"); r.code != 0 {
		t.Fatalf("act on the copy: %+v", r)
	}
	var msgs []struct{ ID uint64 }
	if r := onCluster("outbox", "--all", "--json"); json.Unmarshal([]byte(r.out), &msgs) != nil || len(msgs) < 2 {
		t.Fatalf("outbox on the copy: %+v", r)
	}
	seen := map[uint64]bool{}
	for _, m := range msgs {
		if seen[m.ID] {
			t.Fatalf("outbox id %d given twice after the copy", m.ID)
		}
		seen[m.ID] = true
	}
	back := t.TempDir()
	if r := onCluster("migrate", "--to", "bbolt:"+back); r.code != 0 || !strings.Contains(r.out, "check: ok on both sides") {
		t.Fatalf("migrate back: %+v", r)
	}
	if r := run(t, "", "check", "--data", back, "--audit-key", key); r.code != 0 {
		t.Fatalf("check the bbolt copy: %+v", r)
	}
	bk := filepath.Join(t.TempDir(), "cluster.db")
	if r := onCluster("backup", bk); r.code != 0 {
		t.Fatalf("backup of the cluster's store: %+v", r)
	}
	if r := run(t, "", "check", bk, "--audit-key", key, "--data", t.TempDir()); r.code != 0 {
		t.Fatalf("check the backup: %+v", r)
	}
}
