//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// TestServeSkipsBadScenarios: `serve --scenarios DIR` with a draft, a
// link to /dev/zero and a fifo among the scenarios starts, warns naming
// each, and offers the good one (issue 20, item 14: a draft stopped the
// live console from starting; /dev/zero exhausted its memory).
func TestServeSkipsBadScenarios(t *testing.T) {
	dir := importFixtures(t)
	sam := newSigner(t)
	if r := run(t, "", "user", "add", "sam", "--role", "agent", "--key", string(gossh.MarshalAuthorizedKey(sam.PublicKey())), "--data", dir); r.code != 0 {
		t.Fatalf("user add: %+v", r)
	}
	scenarios := t.TempDir()
	good, err := os.ReadFile("../training/scenarios/expired-link.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(scenarios, "mine.yml"), good, 0o600)
	os.WriteFile(filepath.Join(scenarios, "draft.yaml"), []byte("title: oops\n"), 0o600)
	// parses, but the diagnosis leads elsewhere: validate refuses it, so
	// serve does not offer it (training review)
	os.WriteFile(filepath.Join(scenarios, "astray.yaml"), []byte(strings.Replace(string(good), "finding: reset_link_expired", "finding: reset_link_used", 1)), 0o600)
	if err := os.Symlink("/dev/zero", filepath.Join(scenarios, "zero.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(scenarios, "pipe.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, log := startServe(t, "--data", dir, "--listen", "127.0.0.1:0", "--log-format", "json", "--scenarios", scenarios)
	addr, _ := log.wait(t, "serving")["addr"].(string)
	log.wait(t, "scenario skipped", "draft.yaml: difficulty")
	log.wait(t, "scenario skipped", "zero.yaml: not a regular file (a character device)")
	log.wait(t, "scenario skipped", "pipe.yaml: not a regular file (a fifo)")
	log.wait(t, "scenario skipped", "astray.yaml: expect.finding: the diagnosis leads with reset_link_expired")
	log.wait(t, "training scenarios", `"offered":1`, `"skipped":4`)

	// the good scenario is offered: sam practises it
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "sam", Auth: []gossh.AuthMethod{gossh.PublicKeys(sam)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, _ := c.NewSession()
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	out, _ := sess.StdoutPipe()
	if err := sess.Start("practice mine"); err != nil {
		t.Fatal(err)
	}
	seen := make(chan bool, 1)
	go func() {
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := out.Read(buf)
			b.Write(buf[:n])
			if strings.Contains(b.String(), "Marcus Bell") {
				seen <- true
				return
			}
			if err != nil {
				seen <- false
				return
			}
		}
	}()
	select {
	case ok := <-seen:
		if !ok {
			t.Fatal("practice mine never showed its caller")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("practice mine never showed its caller")
	}
}
