package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"frontdoor/store"
	"frontdoor/training"
)

// `scenarios validate` is part of go test: the embedded library passes,
// and a trainer's broken scenario is named by file, line and field.
func TestScenariosValidate(t *testing.T) {
	r := run(t, "", "scenarios", "validate")
	if r.code != 0 || !strings.Contains(r.out, "scenarios valid") {
		t.Fatalf("embedded library: %+v", r)
	}
	if r := run(t, "", "scenarios", "list"); r.code != 0 || !strings.Contains(r.out, "provider-lost-everything") {
		t.Fatalf("list: %+v", r)
	}
	dir := t.TempDir()
	good, _ := os.ReadFile("../training/scenarios/expired-link.yaml")
	os.WriteFile(filepath.Join(dir, "ok.yaml"), good, 0o600)
	os.WriteFile(filepath.Join(dir, "drift.yaml"), []byte(strings.Replace(string(good), "finding: reset_link_expired", "finding: reset_filtered", 1)), 0o600)
	os.WriteFile(filepath.Join(dir, "typo.yaml"), []byte(strings.Replace(string(good), "hints:", "hint:", 1)), 0o600)
	r = run(t, "", "scenarios", "validate", dir)
	if r.code != ExitFail || !strings.Contains(r.err, "drift.yaml: expect.finding: the diagnosis leads with reset_link_expired") ||
		!strings.Contains(r.err, "typo.yaml:") || !strings.Contains(r.err, "field hint not found") || !strings.Contains(r.err, dir+": 2 of 3 scenario files invalid") {
		t.Fatalf("broken scenarios: %+v", r)
	}
	// a trainer's folder of .yml scenarios, with a draft, a link to a
	// device and a fifo among them: every bad file named, exit 1
	dir = t.TempDir()
	os.WriteFile(filepath.Join(dir, "ok.yml"), good, 0o600)
	os.WriteFile(filepath.Join(dir, "draft.yml"), []byte("title: oops\n"), 0o600)
	os.Symlink("/dev/zero", filepath.Join(dir, "zero.yaml"))
	r = run(t, "", "scenarios", "validate", dir)
	if r.code != ExitFail || strings.Contains(r.err, "no scenarios") || !strings.Contains(r.err, "draft.yml: difficulty") ||
		!strings.Contains(r.err, "zero.yaml: not a regular file (a character device)") || !strings.Contains(r.err, dir+": 2 of 3 scenario files invalid") {
		t.Fatalf(".yml folder with bad files: %+v", r)
	}
	r = run(t, "", "scenarios", "list", dir)
	if r.code != ExitFail || !strings.Contains(r.out, "ok ") || !strings.Contains(r.err, "draft.yml") || !strings.Contains(r.err, "zero.yaml") ||
		!strings.Contains(r.err, dir+": 2 files skipped") {
		t.Fatalf("list of a folder with bad files: %+v", r)
	}
	os.Remove(filepath.Join(dir, "draft.yml"))
	os.Remove(filepath.Join(dir, "zero.yaml"))
	if r := run(t, "", "scenarios", "validate", dir); r.code != 0 || !strings.Contains(r.out, "1 scenario valid;") {
		t.Fatalf("a folder of .yml: %+v", r)
	}
	if r := run(t, "", "scenarios", "validate", t.TempDir()); r.code != ExitFail || !strings.Contains(r.err, "no scenarios (*.yaml, *.yml)") {
		t.Fatalf("an empty folder: %+v", r)
	}
	if r := run(t, "", "scenarios", "frobnicate"); r.code != ExitUsage {
		t.Fatalf("bad subcommand: %+v", r)
	}
}

// `training report` lists the score records per trainee and scenario.
func TestTrainingReport(t *testing.T) {
	dir := importFixtures(t)
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range []struct {
		who, scenario string
		score         int
		ended         string
	}{{"tess", "expired-link", 30, training.EndedLeft}, {"tess", "expired-link", 60, "done"}, {"tess", "expired-link", 100, "done"}, {"ravi", "sms-abroad", 80, "done"}} {
		res := training.Result{Scenario: s.scenario, Score: s.score, RightFinding: true, Took: 90 * time.Second, Ended: s.ended}
		err := st.AuditAs(store.Actor{Name: s.who, Role: "agent"}, store.AuditEntry{At: fixedNow.Add(time.Duration(i) * time.Hour), Action: training.ScoreAction, Details: res.Details()})
		if err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	r := run(t, "", "training", "report", "--data", dir)
	// a run left is listed and counted, not scored (training review)
	if r.code != 0 || !strings.Contains(r.out, "Per trainee") || !strings.Contains(r.out, "tess  3     1     80       100   100") ||
		!strings.Contains(r.out, "sms-abroad    1     0     80") || !strings.Contains(r.out, "30 left") {
		t.Fatalf("report: %+v", r)
	}
	r = run(t, "", "training", "report", "--trainee", "ravi", "--json", "--data", dir)
	var got []training.Result
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || len(got) != 1 || got[0].Trainee != "ravi" || got[0].Score != 80 || got[0].Took != 90*time.Second {
		t.Fatalf("json: %v %+v", err, r)
	}
	if r := run(t, "", "training", "report", "--data", t.TempDir()); r.code != ExitFail || !strings.Contains(r.err, "no store") {
		t.Fatalf("no store: %+v", r)
	}
}

// training report --json keeps what the score record holds: the actions
// taken, the wrong ones with why, the time in seconds; a trainee no one
// is called is an error (issue 22, item 15: "wrong_actions": [""],
// "taken": null, "took" in nanoseconds, and --trainee nobody exit 0).
func TestTrainingReportJSONKeepsTheActions(t *testing.T) {
	dir := importFixtures(t)
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	res := training.Result{Scenario: "expired-link", Score: 40, RightFinding: true, Taken: []string{"send-reset", "clear-lockout"},
		WrongActions: []string{"clear-lockout: wrong on this call"}, Missing: []string{"add-note"}, Took: 95 * time.Second, Ended: "done"}
	if err := st.AuditAs(store.Actor{Name: "tess", Role: "agent"}, store.AuditEntry{At: fixedNow, Action: training.ScoreAction, Details: res.Details()}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if r := run(t, "", "user", "add", "ravi", "--role", "agent", "--key", string(gossh.MarshalAuthorizedKey(newSigner(t).PublicKey())), "--data", dir); r.code != 0 {
		t.Fatalf("user add: %+v", r)
	}
	r := run(t, "", "training", "report", "--json", "--data", dir)
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || len(got) != 1 {
		t.Fatalf("json: %v %+v", err, r)
	}
	g := got[0]
	for k, want := range map[string]string{
		"taken": "[send-reset clear-lockout]", "wrong_actions": "[clear-lockout: wrong on this call]", "missing": "[add-note]", "took_s": "95",
	} {
		if fmt.Sprint(g[k]) != want {
			t.Errorf("%s = %v, want %s", k, g[k], want)
		}
	}
	if _, ok := g["took"]; ok {
		t.Errorf("took in nanoseconds is still there: %v", g)
	}
	r = run(t, "", "training", "report", "--trainee", "nobody", "--data", dir)
	if r.code != ExitFail || !strings.Contains(r.err, `--trainee "nobody": no such trainee`) {
		t.Errorf("--trainee nobody: %+v", r)
	}
	if r := run(t, "", "training", "report", "--trainee", "nobody", "--json", "--data", dir); r.code != ExitFail {
		t.Errorf("--trainee nobody --json: %+v", r)
	}
	// a user who has not practised yet is no error
	if r := run(t, "", "training", "report", "--trainee", "ravi", "--data", dir); r.code != 0 || !strings.Contains(r.out, "No practice scores for ravi yet.") {
		t.Errorf("--trainee ravi: %+v", r)
	}
	if r := run(t, "", "training", "report", "--trainee", "ravi", "--json", "--data", dir); r.code != 0 || strings.TrimSpace(r.out) != "[]" {
		t.Errorf("--trainee ravi --json: %+v", r)
	}
}
