package ssh

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"frontdoor/mirror"
	"frontdoor/model"
)

// snapshot is a change-stream line for a fixture account with changes.
func snapshot(t *testing.T, seq, version int, id string, change func(map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/fixtures/accounts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["id"] == id {
			change(m)
			raw, _ := json.Marshal(m)
			return fmt.Sprintf(`{"seq":%d,"version":%d,"account":%s}`+"\n", seq, version, raw)
		}
	}
	t.Fatalf("no fixture account %s", id)
	return ""
}

// An agent looking at an account sees a synced change within a second,
// without a key; an action of theirs the platform has not confirmed stays
// visible across a snapshot that predates it (rules S3, S6).
func TestSyncedChangesReachOpenScreens(t *testing.T) {
	f := serveFixtures(t)
	s := f.connect("sam", 100, 30)
	s.typ("maria.lopez@gmail.com")
	s.see("Maria Lopez")
	s.typ("\r")
	s.see("Latest sign-ins")
	// the caller says "I just tried again": the platform's stream has it
	line := snapshot(t, 1, 1, "p001", func(m map[string]any) {
		m["logins"] = append(m["logins"].([]any), map[string]any{"at": time.Now().UTC().Format(time.RFC3339), "portal": "provider", "result": "bad_password", "browser": "Safari 18", "device": "mobile"})
	})
	start := time.Now()
	if _, err := mirror.Sync(context.Background(), f.st, strings.NewReader(line), mirror.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	s.see("Safari 18")
	t.Logf("synced sign-in on screen %v after the stream", time.Since(start).Round(time.Millisecond))

	// the agent sends a reset; the next snapshot does not have it yet
	s.typ("p")
	s.see("confirm the portal before any reset") // the synced sign-in was on the provider portal (P5)
	s.typ(" ")
	s.typ("\t")
	s.typ("caller checked: patient portal, still locked out\r")
	s.see("PENDING")
	line = snapshot(t, 2, 2, "p001", func(m map[string]any) { m["name"] = "Maria Lopez-Ruiz" })
	if _, err := mirror.Sync(context.Background(), f.st, strings.NewReader(line), mirror.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	s.see("Maria Lopez-Ruiz")
	if !strings.Contains(s.text(), "PENDING") {
		t.Fatalf("a snapshot that predates the reset hid it:\n%s", s.text())
	}
	rec, _ := f.st.Get("p001")
	if len(rec.Pending) != 1 || rec.Pending[0].Action != model.ActSendReset {
		t.Fatalf("pending %+v", rec.Pending)
	}
}
