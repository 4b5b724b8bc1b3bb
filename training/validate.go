package training

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"frontdoor/model"
	"frontdoor/store"
)

// Validate holds a scenario to the rules, so it can never drift from
// them: its accounts import into a throwaway store; the diagnosis
// engine's first finding for the caller's full report is the expected
// one; each expected action, in order, is allowed by policy on the
// account (a 2FA action with the checks the caller passes) and is not one
// the diagnosis stands against; and each wrong action is a real one.
func Validate(sc Scenario, p model.Policy) error {
	sb, err := NewSandbox(sc, "")
	if err != nil {
		return err
	}
	defer sb.Close()
	bad := func(field string, err error) error { return &FieldError{File: sc.File, Field: field, Err: err} }

	rec, err := sb.CallerAccount(sc)
	if err != nil {
		return bad("caller.email", err)
	}
	var acc *model.Account
	if rec != nil {
		acc = &rec.Account
	}
	findings := p.Diagnose(acc, sc.Report(), sc.Now)
	if got := findings[0].Code; got != sc.Expect.Finding {
		return bad("expect.finding", fmt.Errorf("the diagnosis leads with %s (rung %d), not %s (rung %d), for site=%s problem=%s",
			got, Rung(got), sc.Expect.Finding, Rung(sc.Expect.Finding), sc.Caller.Site.Value, sc.Caller.Problem.Value))
	}
	if len(sc.Expect.Actions) == 0 {
		return nil
	}
	target, err := actedOn(sb, sc, rec)
	if err != nil {
		return err
	}
	version := target.Version
	for _, name := range sc.Expect.Actions {
		spec, _ := model.ActionByName(actionName(name))
		if cs := p.ActionConflicts(spec.Action, target.Account, findings, sc.Now); len(cs) > 0 {
			return bad("expect.actions", fmt.Errorf("%s: the diagnosis stands against it here (%s: %s)", name, cs[0].Code, cs[0].Why))
		}
		in := model.ActionInput{By: "validate", Role: PracticeRole, Now: sc.Now, Reason: "training scenario check",
			Confirmed: true, Target: actionTarget(name), Checks: sc.PassingChecks()}
		r, err := sb.Store.Act(target.Account.ID, version, store.Actor{Name: "validate", Role: PracticeRole}, sc.Now, spec.Action,
			func(a model.Account, _ store.Actor) (model.Effect, error) { return spec.Decide(p, a, in) })
		if err != nil {
			return bad("expect.actions", fmt.Errorf("%s on %s: policy refuses it: %w", name, target.Account.ID, err))
		}
		version, target.Account = r.Version, r.Account
		// the next action is judged on the account as this one left it
		findings = p.Diagnose(&target.Account, sc.Report(), sc.Now)
	}
	return nil
}

// actedOn is the account the expected actions act on.
func actedOn(sb *Sandbox, sc Scenario, rec *store.Record) (store.Record, error) {
	if sc.Expect.Account != "" {
		r, err := sb.Store.Get(sc.Expect.Account)
		if err != nil {
			return r, &FieldError{File: sc.File, Field: "expect.account", Err: err}
		}
		return r, nil
	}
	if rec == nil {
		return store.Record{}, &FieldError{File: sc.File, Field: "expect.actions",
			Err: errors.New("no account has the caller's email: name the one acted on in expect.account")}
	}
	return *rec, nil
}

// PassingChecks are the checklist lines the caller would pass if asked.
func (sc Scenario) PassingChecks() []string {
	var out []string
	for i, k := range VerifyKeys {
		if c, ok := sc.Caller.Verify[k]; ok && c.Pass {
			out = append(out, model.VerificationChecks[i])
		}
	}
	return out
}

// Rung is a finding's place on the ladder (DOMAIN §7), from 1; 0 when it
// is not one.
func Rung(code string) int { return slices.Index(model.Codes(), code) + 1 }

// ValidateAll validates every scenario of the library, joining the errors.
func ValidateAll(lib Library, p model.Policy) error {
	var errs []error
	seen := map[string]string{}
	for _, sc := range lib {
		if first, dup := seen[sc.Name]; dup {
			errs = append(errs, &FieldError{File: sc.File, Err: fmt.Errorf("two scenarios are called %s (also %s)", sc.Name, first)})
			continue
		}
		seen[sc.Name] = sc.File
		if err := Validate(sc, p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Holding is the library without the scenarios that do not hold (the
// expected finding not the diagnosis's, an expected action the policy
// refuses), and an error naming each one left out: what serve offers
// trainees, so none is given a call it cannot get right (training
// review: serve offered what validate refused).
func (l Library) Holding(p model.Policy) (Library, []error) {
	var ok Library
	var bad []error
	for _, sc := range l {
		if err := Validate(sc, p); err != nil {
			bad = append(bad, err)
			continue
		}
		ok = append(ok, sc)
	}
	return ok, bad
}

// Covered lists the first findings a library exercises, for the
// coverage test and `scenarios list`.
func (l Library) Covered() []string {
	var out []string
	for _, sc := range l {
		if !slices.Contains(out, sc.Expect.Finding) {
			out = append(out, sc.Expect.Finding)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return Rung(a) - Rung(b) })
	return out
}

// Summary is one line about a scenario for lists.
func (sc Scenario) Summary() string {
	return fmt.Sprintf("%-8s %s", sc.Difficulty, strings.TrimSpace(sc.Title))
}
