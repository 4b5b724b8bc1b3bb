package training

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor/model"
	"frontdoor/store"
)

// trainee works a scenario the way the screens do: asks the caller,
// diagnoses (audited like the Diagnose screen), and takes actions
// through the store with the policy's decisions.
type trainee struct {
	t   *testing.T
	run *Run
	rec []Result
}

func practise(t *testing.T, sc Scenario) *trainee {
	t.Helper()
	tr := &trainee{t: t}
	wall := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	run, err := Start(sc, t.TempDir(), "tess", func() time.Time { wall = wall.Add(time.Minute); return wall }, func(r Result) error {
		tr.rec = append(tr.rec, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Close() })
	tr.run = run
	return tr
}

func (tr *trainee) askAll() {
	for _, q := range Questions {
		if _, err := tr.run.Ask(q.Key); err != nil {
			tr.t.Fatal(err)
		}
	}
}

func (tr *trainee) diagnose(r model.Report) {
	tr.t.Helper()
	rec, err := tr.run.Sandbox.CallerAccount(tr.run.Scenario)
	if err != nil {
		tr.t.Fatal(err)
	}
	var acc *model.Account
	if rec != nil {
		acc = &rec.Account
	}
	top := model.Diagnose(acc, r, tr.run.Scenario.Now)[0].Code
	err = tr.run.Sandbox.Store.AuditAs(tr.run.Actor(), store.AuditEntry{At: tr.run.Scenario.Now, Action: "diagnose", Details: map[string]string{"top": top}})
	if err != nil {
		tr.t.Fatal(err)
	}
}

// act takes an action by palette name ("remove-factor f1"); a refusal
// is audited by the store, as on screen.
func (tr *trainee) act(name string, checks []string) error {
	tr.t.Helper()
	sc := tr.run.Scenario
	rec, err := tr.run.Sandbox.CallerAccount(sc)
	if err != nil {
		tr.t.Fatal(err)
	}
	if rec == nil {
		r, err := tr.run.Sandbox.Store.Get(sc.Expect.Account)
		if err != nil {
			return errNoAccount
		}
		rec = &r
	}
	spec, _ := model.ActionByName(actionName(name))
	in := model.ActionInput{By: "tess", Role: PracticeRole, Now: sc.Now, Reason: "practice", Confirmed: true, Checks: checks, Target: actionTarget(name)}
	_, err = tr.run.Sandbox.Store.Act(rec.Account.ID, rec.Version, tr.run.Actor(), sc.Now, spec.Action,
		func(a model.Account, _ store.Actor) (model.Effect, error) {
			e, err := spec.Decide(model.DefaultPolicy, a, in)
			return e, model.Refused(in, err) // as the screens do
		})
	return err
}

var errNoAccount = errors.New("no account to act on")

// A scripted trainee who asks, diagnoses and acts as expected scores
// full marks on every scenario; the practice ends by itself once the
// expected actions are taken.
func TestExpectedPathScoresFullMarks(t *testing.T) {
	for _, sc := range builtin(t) {
		t.Run(sc.Name, func(t *testing.T) {
			tr := practise(t, sc)
			tr.askAll()
			tr.diagnose(sc.Report())
			for _, a := range sc.Expect.Actions {
				if err := tr.act(a, sc.PassingChecks()); err != nil {
					t.Fatalf("%s: %v", a, err)
				}
			}
			if len(sc.Expect.Actions) > 0 && !tr.run.ExpectedTaken() {
				t.Fatal("the expected actions were taken but the practice does not know")
			}
			res, err := tr.run.Finish("done")
			if err != nil {
				t.Fatal(err)
			}
			if res.Score != MaxScore || !res.RightFinding || !res.RightActions || len(res.WrongActions) > 0 {
				t.Fatalf("expected path scored %+v", res)
			}
			if len(tr.rec) != 1 || tr.rec[0].Score != MaxScore || tr.rec[0].Trainee != "tess" || tr.rec[0].Took != time.Minute {
				t.Fatalf("recorded %+v", tr.rec)
			}
		})
	}
}

// A wrong action, a wrong first diagnosis, a hint: each loses marks.
func TestMistakesLoseMarks(t *testing.T) {
	for _, sc := range builtin(t) {
		if len(sc.Expect.Wrong) == 0 {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			tr := practise(t, sc)
			tr.askAll()
			tr.diagnose(sc.Report())
			if err := tr.act(sc.Expect.Wrong[0], sc.PassingChecks()); err == errNoAccount {
				t.Skip("no account to take a wrong action on: the caller is not on the platform")
			} // done or refused: tried is wrong
			for _, a := range sc.Expect.Actions {
				_ = tr.act(a, sc.PassingChecks())
			}
			res, _ := tr.run.Finish("done")
			if res.Score > MaxScore-PointsClean || len(res.WrongActions) == 0 {
				t.Fatalf("a wrong action (%s) kept the marks: %+v", sc.Expect.Wrong[0], res)
			}
		})
	}
	sc, _ := builtin(t).Find("provider-on-patient-portal")
	tr := practise(t, sc)
	// guessed the problem without asking (a guessed site would not do: the
	// account's sign-ins show the patient portal, and the evidence
	// outranks the label, §7 #8 revised)
	wrongGuess := sc.Report()
	wrongGuess.Problem = model.ProblemNo2FACode
	tr.diagnose(wrongGuess)
	tr.diagnose(sc.Report())
	tr.run.Hint()
	res, _ := tr.run.Finish("done")
	if want := MaxScore - CostWrongDiagnosis - CostHint; res.Score != want || res.WrongDiagnoses != 1 || res.FirstFinding == sc.Expect.Finding {
		t.Fatalf("one wrong diagnosis and a hint: %+v, want score %d", res, want)
	}
}

// A 2FA action ticked with checks the trainee never asked the caller, or
// one the caller failed, is a wrong action (CISA AA23-320A).
func TestUnaskedVerificationIsWrong(t *testing.T) {
	sc, _ := builtin(t).Find("provider-lost-everything")
	tr := practise(t, sc)
	tr.diagnose(sc.Report()) // asked nothing
	if err := tr.act("grant-exemption", sc.PassingChecks()); err != nil {
		t.Fatal(err)
	}
	res, _ := tr.run.Finish("expected action taken")
	if len(res.WrongActions) != 1 || !strings.Contains(res.WrongActions[0], "without asking") || res.Score != MaxScore-PointsClean {
		t.Fatalf("unverified grant: %+v", res)
	}

	tr = practise(t, sc)
	tr.askAll()
	tr.diagnose(sc.Report())
	if err := tr.act("grant-exemption", []string{model.VerificationChecks[0], model.VerificationChecks[3]}); err != nil {
		t.Fatal(err)
	}
	res, _ = tr.run.Finish("done")
	if len(res.WrongActions) != 1 || !strings.Contains(res.WrongActions[0], "caller failed") {
		t.Fatalf("grant on a failed call-back: %+v", res)
	}
}

// The sandbox is deleted when the practice closes, and Finish runs once.
func TestRunCloseDeletesSandbox(t *testing.T) {
	sc, _ := builtin(t).Find("sms-filtered")
	tr := practise(t, sc)
	dir := tr.run.Sandbox.Dir()
	a, _ := tr.run.Finish("done")
	b, _ := tr.run.Finish("done")
	if a.At != b.At || len(tr.rec) != 1 {
		t.Fatalf("finished twice: %+v %+v (%d records)", a, b, len(tr.rec))
	}
	if err := tr.run.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("sandbox %s left behind: %v", dir, err)
	}
	tr.run.Close() // twice is fine
}

// A score record read back is the result written: the actions taken,
// the wrong ones with why, what was missing; an older record, which kept
// only a count of wrong actions, reads as that many not recorded, never
// as empty strings (issue 22, item 15).
func TestScoreRecordRoundTrips(t *testing.T) {
	res := Result{Scenario: "s", Score: 40, RightFinding: true, FirstFinding: "f", Taken: []string{"send-reset", "reset-2fa"},
		WrongActions: []string{"reset-2fa: ticked “a, b” without asking the caller", "x: y"}, Missing: []string{"add-note"},
		Hints: 1, Took: 95 * time.Second, Ended: "done"}
	got, err := ResultFrom(store.AuditEntry{Actor: "tess", Details: res.Details()})
	res.Trainee = "tess"
	if err != nil || !reflect.DeepEqual(got, res) {
		t.Fatalf("read back %+v, %v\nwant %+v", got, err, res)
	}
	old := res.Details()
	old["wrong_actions"], old["taken"], old["missing"] = "2", "", ""
	got, err = ResultFrom(store.AuditEntry{Details: old})
	if err != nil || !slices.Equal(got.WrongActions, []string{"(not recorded)", "(not recorded)"}) || got.Taken != nil {
		t.Fatalf("an older record: %+v %v", got, err)
	}
	b, _ := json.Marshal(Result{})
	if !strings.Contains(string(b), `"taken":[],"wrong_actions":[],"missing":[]`) || !strings.Contains(string(b), `"took_s":0`) {
		t.Fatalf("empty result's JSON: %s", b)
	}
}

// A call not worked scores nothing: D D at once had scored 60 (the
// action points of a call whose steps are the answer, and the points for
// no wrong action). Work done, even a wrong diagnosis alone, is scored
// as before (issue 22, item 13).
func TestNothingDoneScoresNothing(t *testing.T) {
	for _, sc := range builtin(t) {
		t.Run(sc.Name, func(t *testing.T) {
			tr := practise(t, sc)
			tr.askAll() // asking is not working the call
			res, err := tr.run.Finish("done")
			if err != nil {
				t.Fatal(err)
			}
			if res.Score != 0 || !res.NothingDone || res.RightActions {
				t.Fatalf("nothing done scored %+v", res)
			}
			if len(tr.rec) != 1 || !tr.rec[0].NothingDone {
				t.Fatalf("recorded %+v", tr.rec)
			}
		})
	}
	sc, _ := builtin(t).Find("provider-on-patient-portal")
	tr := practise(t, sc)
	wrong := sc.Report()
	wrong.Problem = model.ProblemNo2FACode
	tr.diagnose(wrong)
	res, _ := tr.run.Finish("done")
	if res.NothingDone || res.Score != PointsClean || res.RightActions {
		t.Fatalf("a wrong diagnosis alone: %+v, want %d (no wrong action; the steps not found)", res, PointsClean)
	}
}

// An expected action counts only on the account the call is about and
// on the target it names; the same action on another account, or on
// another factor, is wrong (training review: a reset sent to the wrong
// account scored "expected action taken", and removing the named
// factor was marked wrong beside the factor the scenario called wrong).
func TestScoreReadsTheAccountAndTheTarget(t *testing.T) {
	sc := Scenario{Name: "key", Expect: Expect{Finding: "mfa_use_other_factor",
		Actions: []string{"remove-factor f1"}, Wrong: []string{"remove-factor f2"}}}
	diag := store.AuditEntry{Action: "diagnose", Details: map[string]string{"top": "mfa_use_other_factor"}}
	removed := func(account, factor string) store.AuditEntry {
		return store.AuditEntry{Action: model.ActRemoveFactor, Account: account, Details: map[string]string{"factor": factor + " (sms)"}}
	}
	refused := func(account, target string) store.AuditEntry {
		return store.AuditEntry{Action: store.ActionRefused, Account: account,
			Details: map[string]string{"action": model.ActRemoveFactor, "refusal": "no", "target": target}}
	}
	cases := []struct {
		name      string
		trail     []store.AuditEntry
		score     int
		right     bool
		wrongHas  string
		expectEnd bool
	}{
		{"the named factor", []store.AuditEntry{diag, removed("c1", "f1")}, MaxScore, true, "", true},
		{"the factor called wrong", []store.AuditEntry{diag, removed("c1", "f2")}, PointsFinding, false, "remove-factor f2: wrong on this call", false},
		{"the named factor, on another account", []store.AuditEntry{diag, removed("x5", "f1")}, PointsFinding, false, "remove-factor on x5: not the account", false},
		{"the factor called wrong, tried and refused", []store.AuditEntry{diag, refused("c1", "f2"), removed("c1", "f1")}, PointsFinding + PointsAction, true, "remove-factor f2: tried", true},
		{"the named factor, tried and refused, then taken", []store.AuditEntry{diag, refused("c1", "f1"), removed("c1", "f1")}, MaxScore, true, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Score(sc, "c1", c.trail, nil, 0, time.Minute)
			if r.Score != c.score || r.RightActions != c.right {
				t.Errorf("score %d, right actions %v; want %d, %v: %+v", r.Score, r.RightActions, c.score, c.right, r)
			}
			if got := strings.Join(r.WrongActions, "; "); (c.wrongHas == "") != (got == "") || !strings.Contains(got, c.wrongHas) {
				t.Errorf("wrong actions %q, want one with %q", got, c.wrongHas)
			}
			if got := ExpectedTaken(sc, "c1", c.trail); got != c.expectEnd {
				t.Errorf("ExpectedTaken = %v, want %v", got, c.expectEnd)
			}
		})
	}
	// a caller with no account: any account acted on is a stranger's
	// (review: a note on one scored 100)
	careers := Scenario{Name: "careers", Expect: Expect{Finding: "other_service_careers"}}
	note := store.AuditEntry{Action: model.ActAddNote, Account: "c900"}
	if r := Score(careers, "", []store.AuditEntry{{Action: "diagnose", Details: map[string]string{"top": "other_service_careers"}}, note}, nil, 0, time.Minute); r.Score == MaxScore || len(r.WrongActions) != 1 {
		t.Errorf("a note on a stranger's account, the caller having none: %+v", r)
	}
	if _, err := Parse("x.yaml", []byte(strings.Replace(string(mustRead(t, "scenarios/security-key-survives.yaml")),
		`actions: []`, `actions: ["remove-factor f2"]`, 1))); err != nil {
		t.Errorf("a factor expected beside another called wrong: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
