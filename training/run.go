package training

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"frontdoor/model"
	"frontdoor/store"
)

// Recorder writes a finished practice's score to the live store, as one
// audit record by the trainee. It is the only way training reaches the
// live store, and it is handed in by whoever owns that store (ssh/, cli/).
type Recorder func(Result) error

// Run is one trainee's practice of one scenario: the sandbox, what they
// asked the caller, the hints they took, and the result once it ends.
type Run struct {
	Scenario Scenario
	Trainee  string
	Sandbox  *Sandbox
	Started  time.Time

	wall    func() time.Time
	record  Recorder
	initial *model.Account // the caller's account as the call began, for the debrief

	mu     sync.Mutex
	asked  map[string]bool
	order  []string // questions in the order asked
	hints  int
	result *Result
	closed bool
}

// Start makes the scenario's sandbox under dir ("" for the system's
// temporary directory) and starts the clock. wall is the real clock (the
// time taken); the sandbox's own clock is the scenario's fixed now.
func Start(sc Scenario, dir, trainee string, wall func() time.Time, record Recorder) (*Run, error) {
	sb, err := NewSandbox(sc, dir)
	if err != nil {
		return nil, err
	}
	r := &Run{Scenario: sc, Trainee: trainee, Sandbox: sb, Started: wall(), wall: wall, record: record, asked: map[string]bool{}}
	rec, err := sb.CallerAccount(sc)
	if err != nil {
		sb.Close()
		return nil, err
	}
	if rec != nil {
		r.initial = &rec.Account
	}
	return r, nil
}

// Actor is who the trainee is in the sandbox: their name, the practice
// role, and no registry (the sandbox has none).
func (r *Run) Actor() store.Actor { return store.Actor{Name: r.Trainee, Role: PracticeRole} }

// Question is one thing an agent may ask the caller.
type Question struct {
	Key, Ask string
}

// Questions lists what the caller panel offers, in the order an agent
// works a call: who and where, what happened, then the verification
// checklist (model.VerificationChecks) for 2FA actions.
var Questions = []Question{
	{"email", "What email address do you sign in with?"},
	{"site", "Which website are you on? What does the page say?"},
	{"problem", "What happens when you try?"},
	{"abroad", "Are you in the U.S. right now?"},
	{"other_device", "Is this the device you set up two-step sign-in on?"},
	{"email_reply", "Verify: please reply from the account's email address."},
	{"name_dob", "Verify: your full name and date of birth?"},
	{"detail", "Verify: when was your last visit, or which state are you in?"},
	{"callback", "Verify: I'll call you back on the number on file."},
}

// Ask is the caller's answer to question key, remembered as asked.
func (r *Run) Ask(key string) (string, error) {
	c := r.Scenario.Caller
	var a string
	switch key {
	case "email":
		a = or(c.Email.Says, "It's "+c.Email.Value+".")
	case "site":
		a = or(c.Site.Says, siteWords[c.Site.Value])
	case "problem":
		a = or(c.Problem.Says, problemWords[c.Problem.Value])
	case "abroad":
		a = or(c.Abroad.Says, map[bool]string{true: "No, I'm travelling outside the U.S.", false: "Yes, I'm at home."}[c.Abroad.Value == "true"])
	case "other_device":
		a = or(c.OtherDevice.Says, map[bool]string{true: "No, it's a different one.", false: "Yes, same one as always."}[c.OtherDevice.Value == "true"])
	default:
		if !slices.Contains(VerifyKeys, key) {
			return "", fmt.Errorf("no question %q", key)
		}
		v, ok := c.Verify[key]
		switch {
		case ok && v.Says != "":
			a = v.Says
		case ok && v.Pass:
			a = "(The caller answers, and it matches the account.)"
		default:
			a = "(The caller can't: this check fails.)"
		}
	}
	r.mu.Lock()
	if !r.asked[key] {
		r.asked[key] = true
		r.order = append(r.order, key)
	}
	r.mu.Unlock()
	return a, nil
}

// Asked reports whether the trainee has asked question key.
func (r *Run) Asked(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.asked[key]
}

// Hint gives the next hint (each costs CostHint points) and how many
// have been given; ok is false when there are no more.
func (r *Run) Hint() (hint string, n int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hints >= len(r.Scenario.Hints) {
		return "", r.hints, false
	}
	r.hints++
	return r.Scenario.Hints[r.hints-1], r.hints, true
}

// HintsGiven are the hints taken so far, in order.
func (r *Run) HintsGiven() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.Scenario.Hints[:r.hints])
}

// trail is the sandbox's audit trail, oldest first, without the
// scenario's own import.
func (r *Run) trail() ([]store.AuditEntry, error) {
	log, err := r.Sandbox.Store.AuditLog(store.AuditFilter{})
	if err != nil {
		return nil, err
	}
	slices.Reverse(log)
	return slices.DeleteFunc(log, func(e store.AuditEntry) bool { return e.Actor == scenarioActor.Name }), nil
}

// ExpectedTaken reports whether the trainee has taken every expected
// action, so the practice may end by itself.
func (r *Run) ExpectedTaken() bool {
	t, err := r.trail()
	return err == nil && ExpectedTaken(r.Scenario, r.account(), t)
}

// account is the account the call is about: expect.account, else the
// caller's; "" when neither is known.
func (r *Run) account() string {
	if r.Scenario.Expect.Account != "" {
		return r.Scenario.Expect.Account
	}
	if r.initial != nil {
		return r.initial.ID
	}
	return ""
}

// ErrFinished: the practice has ended already.
var ErrFinished = errors.New("the practice has ended")

// Finish scores the practice from the sandbox's trail and records the
// score in the live store through the Recorder. It runs once; later calls
// return the same result.
func (r *Run) Finish(ended string) (Result, error) {
	r.mu.Lock()
	if r.result != nil {
		res := *r.result
		r.mu.Unlock()
		return res, nil
	}
	if r.closed {
		r.mu.Unlock()
		return Result{}, ErrFinished
	}
	asked := make(map[string]bool, len(r.asked))
	for k, v := range r.asked {
		asked[k] = v
	}
	hints := r.hints
	r.mu.Unlock()

	trail, err := r.trail()
	if err != nil {
		return Result{}, fmt.Errorf("reading the practice's trail: %w", err)
	}
	now := r.wall()
	res := Score(r.Scenario, r.account(), trail, asked, hints, now.Sub(r.Started).Round(time.Second))
	res.Trainee, res.Ended, res.At = r.Trainee, ended, now
	r.mu.Lock()
	r.result = &res
	r.mu.Unlock()
	if r.record != nil {
		if err := r.record(res); err != nil {
			return res, fmt.Errorf("score not recorded: %w", err)
		}
	}
	return res, nil
}

// EndedLeft is how a practice the trainee left (esc twice, quitting, a
// dropped connection) after working on it ended: recorded too, so what
// was tried before a clean run shows in the report (training review: a
// trainee took both hints, left, and scored 100 on the next run).
const EndedLeft = "left"

// Worked says whether the trainee did anything a score reads: asked the
// caller, took a hint, diagnosed or acted. A practice opened and left at
// once is no attempt.
func (r *Run) Worked() bool {
	r.mu.Lock()
	asked, hints := len(r.asked), r.hints
	r.mu.Unlock()
	if asked > 0 || hints > 0 {
		return true
	}
	t, err := r.trail()
	return err == nil && len(t) > 0
}

// Finished reports whether the practice has been scored.
func (r *Run) Finished() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.result != nil
}

// Close deletes the sandbox. Safe to call more than once, from any
// goroutine (the session's end calls it too).
func (r *Run) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	return r.Sandbox.Close()
}

// Explain is the debrief's account of the case: the diagnosis of the
// caller's full report on the account as the call began (not as the
// trainee's actions left it), every finding that holds (the first is the
// answer), with its rung and rules.
func (r *Run) Explain(p model.Policy) []model.Finding {
	return p.Diagnose(r.initial, r.Scenario.Report(), r.Scenario.Now)
}

func or(s, fallback string) string {
	if strings.TrimSpace(s) != "" {
		return s
	}
	return fallback
}

var siteWords = map[string]string{
	model.SitePatient:  "headway.co, where I see my appointments.",
	model.SiteProvider: "The provider portal, sigmund.headway.co.",
	model.SiteCareers:  "The page where I applied for a job.",
	model.SiteCapital:  "The page with my payments.",
	model.SiteUnknown:  "I'm not sure, honestly.",
}

var problemWords = map[string]string{
	model.ProblemCantLogIn:       "It won't let me sign in.",
	model.ProblemNoResetEmail:    "The reset email never arrives.",
	model.ProblemResetLinkFailed: "The reset link doesn't work.",
	model.ProblemNo2FACode:       "The sign-in code never comes.",
	model.ProblemLost2FA:         "I lost the phone I get codes on.",
	model.ProblemCantJoinSession: "I can't join my video visit.",
	model.ProblemFamilyAccount:   "I need an account for someone in my family.",
}
