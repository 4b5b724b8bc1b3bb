package training

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"frontdoor/model"
	"frontdoor/store"
)

// Points a practice is scored out of (100 in all): the right first
// finding, the right action(s), and no wrong action. Each wrong diagnosis
// before the right one and each hint costs some.
const (
	PointsFinding       = 40
	PointsAction        = 40
	PointsClean         = 20
	CostWrongDiagnosis  = 10
	CostHint            = 5
	MaxScore            = PointsFinding + PointsAction + PointsClean
	minFindingWhenFound = 10
)

// Result is how a practice went: what the debrief shows and the score
// record holds.
type Result struct {
	Trainee        string        `json:"trainee"`
	Scenario       string        `json:"scenario"`
	Score          int           `json:"score"`
	RightFinding   bool          `json:"right_finding"`   // a diagnosis led with the expected finding
	FirstFinding   string        `json:"first_finding"`   // the lead of the trainee's first diagnosis
	WrongDiagnoses int           `json:"wrong_diagnoses"` // diagnoses that led elsewhere before the right one
	RightActions   bool          `json:"right_actions"`   // every expected action was taken (or none, when none was)
	Taken          []string      `json:"taken"`           // actions taken, in order
	WrongActions   []string      `json:"wrong_actions"`   // wrong ones, with why
	Missing        []string      `json:"missing"`         // expected actions not taken
	Hints          int           `json:"hints"`
	Took           time.Duration `json:"-"`     // JSON: took_s, seconds, as the logs give durations
	Ended          string        `json:"ended"` // "done" or "expected action taken"
	// NothingDone: no diagnosis and no action taken or tried: the call
	// was not worked, and scores 0 (D D at once had scored 60)
	NothingDone bool      `json:"nothing_done"`
	At          time.Time `json:"at"`
}

// Score reads what the trainee did from the sandbox's audit trail
// (oldest first): their diagnoses and actions, taken or refused. account
// is the account the call is about (expect.account, else the caller's;
// "" when there is none, so every account is another's): an action
// taken on another is a wrong action,
// and an expected one counts only there, and only on the target it names
// (the factor removed, the device forgotten). asked holds the
// caller-panel questions they asked; a 2FA action ticked with a check
// they never asked, or one the caller failed, is a wrong action (CISA
// AA23-320A: a help desk that verifies no one is the takeover path).
// Pure: the same trail scores the same.
func Score(sc Scenario, account string, trail []store.AuditEntry, asked map[string]bool, hints int, took time.Duration) Result {
	r := Result{Scenario: sc.Name, Hints: hints, Took: took}
	names := catalogNames()
	wrong := parseSpecs(sc.Expect.Wrong)
	tried := false              // an action refused is work done too
	var done []store.AuditEntry // actions taken on the call's account
	for _, e := range trail {
		switch {
		case e.Action == "diagnose":
			top := e.Details["top"]
			if r.FirstFinding == "" {
				r.FirstFinding = top
			}
			if r.RightFinding {
				continue
			}
			if top == sc.Expect.Finding {
				r.RightFinding = true
			} else {
				r.WrongDiagnoses++
			}
		case names[e.Action] != "":
			name := names[e.Action]
			label := takenLabel(name, e)
			if e.Account != account {
				// with no account the call is about (the caller has none),
				// every account is another's (review: a note on a
				// stranger's account scored 100)
				label = name + " on " + e.Account
				r.Taken = append(r.Taken, label)
				r.WrongActions = append(r.WrongActions, label+": not the account this call is about")
				continue
			}
			r.Taken = append(r.Taken, label)
			done = append(done, e)
			if slices.ContainsFunc(wrong, func(w actionSpec) bool { return w.matches(name, e) }) {
				r.WrongActions = append(r.WrongActions, label+": wrong on this call")
			} else if why := unverified(sc, e, asked); why != "" {
				r.WrongActions = append(r.WrongActions, label+": "+why)
			}
		case e.Action == store.ActionRefused && names[e.Details["action"]] != "":
			tried = true
			name := names[e.Details["action"]]
			label := takenLabel(name, e)
			if e.Account != account {
				r.WrongActions = append(r.WrongActions, name+" on "+e.Account+": tried, not the account this call is about")
			} else if slices.ContainsFunc(wrong, func(w actionSpec) bool { return w.matches(name, e) }) {
				r.WrongActions = append(r.WrongActions, label+": tried, wrong on this call (refused: "+e.Details["refusal"]+")")
			}
		}
	}
	r.Missing = missing(sc, done, names)
	r.NothingDone = r.FirstFinding == "" && len(r.Taken) == 0 && !tried
	if len(sc.Expect.Actions) == 0 {
		// the steps were the answer, which only a diagnosis finds; any
		// action but a note was not needed (no action alone is no answer)
		r.RightActions = r.RightFinding && !slices.ContainsFunc(r.Taken, func(n string) bool { return n != "add-note" })
	} else {
		r.RightActions = len(r.Missing) == 0
	}
	score := 0
	if r.RightFinding {
		score += max(PointsFinding-CostWrongDiagnosis*r.WrongDiagnoses, minFindingWhenFound)
	}
	if r.RightActions {
		score += PointsAction
	}
	if len(r.WrongActions) == 0 && !r.NothingDone { // no wrong action among work done
		score += PointsClean
	}
	r.Score = min(max(score-CostHint*hints, 0), MaxScore)
	return r
}

// catalogNames maps an audit action to its palette name.
func catalogNames() map[string]string {
	names := map[string]string{}
	for _, spec := range model.Catalog {
		names[spec.Action] = spec.Name
	}
	return names
}

// actionSpec is an action as a scenario names it (expect.actions,
// expect.wrong): a palette name and, optionally, the target within the
// account ("remove-factor f2": that factor; "remove-factor": any).
type actionSpec struct{ name, target string }

func parseSpecs(list []string) []actionSpec {
	out := make([]actionSpec, len(list))
	for i, a := range list {
		out[i] = actionSpec{actionName(a), actionTarget(a)}
	}
	return out
}

func (a actionSpec) String() string { return strings.TrimSpace(a.name + " " + a.target) }

// matches: the audited action e, named name, is this one — on the
// target it names, if it names one.
func (a actionSpec) matches(name string, e store.AuditEntry) bool {
	return name == a.name && (a.target == "" || slices.Contains(targets(e), a.target))
}

// targets are what an audited action was taken on within its account:
// the factor removed, the devices forgotten (model: RemoveFactor,
// ForgetDevices), or the one a refusal was aimed at (model.RefusedOn);
// none for an action on the whole account.
func targets(e store.AuditEntry) []string {
	var t []string
	if x := e.Details["target"]; x != "" && e.Action == store.ActionRefused {
		t = append(t, x)
	}
	if f := e.Details["factor"]; f != "" {
		id, _, _ := strings.Cut(f, " ") // "f2 (totp)"
		t = append(t, id)
	}
	if d := e.Details["devices"]; d != "" {
		t = append(t, strings.Split(d, ",")...)
	}
	return t
}

// takenLabel is how the debrief and the report name a taken action: with
// its target when it had one ("remove-factor f2"; forgetting several
// devices at once is every device, named by the action alone).
func takenLabel(name string, e store.AuditEntry) string {
	if t := targets(e); len(t) == 1 {
		return name + " " + t[0]
	}
	return name
}

// missing are the expected actions no action in done (taken on the
// call's account) matches.
func missing(sc Scenario, done []store.AuditEntry, names map[string]string) []string {
	var out []string
	for _, want := range parseSpecs(sc.Expect.Actions) {
		if !slices.ContainsFunc(done, func(e store.AuditEntry) bool { return want.matches(names[e.Action], e) }) {
			out = append(out, want.String())
		}
	}
	return out
}

// unverified says why a 2FA action's caller verification does not hold:
// a ticked check the trainee never asked the caller, or one the caller
// failed.
func unverified(sc Scenario, e store.AuditEntry, asked map[string]bool) string {
	checks := e.Details["checks"]
	if checks == "" {
		return ""
	}
	for _, c := range strings.Split(checks, "; ") {
		k, ok := CheckKey(c)
		if !ok {
			continue
		}
		switch {
		case !asked[k]:
			return "ticked “" + c + "” without asking the caller"
		case !sc.Caller.Verify[k].Pass:
			return "ticked “" + c + "”, which the caller failed"
		}
	}
	return ""
}

// ExpectedTaken: every expected action is in the trail, on the call's
// account and target (Score's matching), so the practice ends by itself
// (issue 13: "or takes the expected action").
func ExpectedTaken(sc Scenario, account string, trail []store.AuditEntry) bool {
	if len(sc.Expect.Actions) == 0 {
		return false
	}
	done := slices.DeleteFunc(slices.Clone(trail), func(e store.AuditEntry) bool { return e.Account != account })
	return len(missing(sc, done, catalogNames())) == 0
}

// ScoreAction is the live audit action of a practice's score: the one
// record training writes to the live store.
const ScoreAction = "training_score"

// resultJSON is Result as JSON: the time it took in seconds (took_s, a
// number, as the logs' duration_s), lists [] when empty, never null.
type resultJSON struct {
	resultFields
	TookS float64 `json:"took_s"`
}

type resultFields Result // Result's fields without its methods

// MarshalJSON implements json.Marshaler.
func (r Result) MarshalJSON() ([]byte, error) {
	for _, l := range []*[]string{&r.Taken, &r.WrongActions, &r.Missing} {
		if *l == nil {
			*l = []string{}
		}
	}
	return json.Marshal(resultJSON{resultFields(r), r.Took.Seconds()})
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *Result) UnmarshalJSON(b []byte) error {
	var j resultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Result(j.resultFields)
	r.Took = time.Duration(j.TookS * float64(time.Second))
	return nil
}

// Details is the score as the live audit record's details: no account,
// no PII, only the scenario and how it went. The actions are names from
// the catalog, comma-separated; the wrong ones, which say why, a JSON
// list of strings.
func (r Result) Details() map[string]string {
	wrong, _ := json.Marshal(append([]string{}, r.WrongActions...))
	return map[string]string{
		"scenario": r.Scenario, "score": strconv.Itoa(r.Score), "right_finding": strconv.FormatBool(r.RightFinding),
		"first_finding": r.FirstFinding, "wrong_diagnoses": strconv.Itoa(r.WrongDiagnoses),
		"right_actions": strconv.FormatBool(r.RightActions), "wrong_actions": string(wrong),
		"taken": strings.Join(r.Taken, ","), "missing": strings.Join(r.Missing, ","),
		"hints": strconv.Itoa(r.Hints), "seconds": strconv.Itoa(int(r.Took.Seconds())), "ended": r.Ended,
		"nothing_done": strconv.FormatBool(r.NothingDone),
	}
}

// ResultFrom reads a score record back. A record written before the
// actions were kept (wrong_actions a count, no taken) gives what it
// holds: its wrong actions as "(not recorded)", and taken empty.
func ResultFrom(e store.AuditEntry) (Result, error) {
	d := e.Details
	score, err := strconv.Atoi(d["score"])
	if err != nil {
		return Result{}, fmt.Errorf("audit %d: score %q: %w", e.Seq, d["score"], err)
	}
	r := Result{Trainee: e.Actor, Scenario: d["scenario"], Score: score, RightFinding: d["right_finding"] == "true",
		FirstFinding: d["first_finding"], RightActions: d["right_actions"] == "true", Ended: d["ended"], At: e.At,
		NothingDone: d["nothing_done"] == "true",
		Taken:       splitList(d["taken"]), Missing: splitList(d["missing"])}
	r.WrongDiagnoses, _ = strconv.Atoi(d["wrong_diagnoses"])
	r.Hints, _ = strconv.Atoi(d["hints"])
	secs, _ := strconv.Atoi(d["seconds"])
	r.Took = time.Duration(secs) * time.Second
	if n, err := strconv.Atoi(d["wrong_actions"]); err == nil { // an older record: a count
		for range n {
			r.WrongActions = append(r.WrongActions, "(not recorded)")
		}
	} else if w := d["wrong_actions"]; w != "" {
		if err := json.Unmarshal([]byte(w), &r.WrongActions); err != nil {
			return Result{}, fmt.Errorf("audit %d: wrong_actions %q: %w", e.Seq, w, err)
		}
	}
	return r, nil
}

// splitList reads a comma-separated list; "" is none.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
