package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"frontdoor/model"
	"frontdoor/store"
)

// actResult is what `act` did to one account.
type actResult struct {
	Account string `json:"account"`
	Result  string `json:"result"` // done | would | refused | error
	Detail  string `json:"detail,omitempty"`
}

// runAct takes a console action from the command line, on one account or
// a list (an email-provider incident: lift the suppressions it caused).
// The same policy functions as the screens decide, under the local
// user's name, one transaction per account; a bulk run goes on past a
// refusal and reports each.
func runAct(c *ctx) error {
	account := c.fs.String("account", "", "the account id")
	accounts := c.fs.String("accounts", "", "a file of account ids, one a line (# comments), or - for standard input")
	reason := c.fs.String("reason", "", "why (audited; the note's text for add-note)")
	target := c.fs.String("target", "", "the factor or device id, for actions on one")
	checks := c.fs.String("checks", "", "2FA actions: the caller-verification checks that passed, by number (e.g. 1,4): "+checkList())
	confirm := c.fs.Bool("confirm", false, "confirm an action that needs a second confirmation (a reset within minutes of the last)")
	dry := c.fs.Bool("dry-run", false, "show what would happen to each account; change nothing")
	asJSON := c.fs.Bool("json", false, "JSON, one result a line")
	list := c.fs.Bool("list", false, "list the actions")
	if err := c.parse(); err != nil {
		return err
	}
	if *list {
		if len(c.args) != 0 {
			return usagef("act --list: takes no ACTION")
		}
		for _, a := range model.Catalog {
			fmt.Fprintf(c.io.Out, "%-20s %s\n", a.Name, a.Summary)
		}
		return nil
	}
	if len(c.args) != 1 {
		return usagef("act: want one ACTION (see act --list)")
	}
	spec, ok := model.ActionByName(c.args[0])
	if !ok {
		return usagef("act: unknown action %q (see act --list)", c.args[0])
	}
	if (*account == "") == (*accounts == "") {
		return usagef("act: give --account ID or --accounts FILE")
	}
	if strings.TrimSpace(*reason) == "" {
		return usagef("act: --reason is required (it is audited)")
	}
	if spec.Target == "factor" && *target == "" {
		return usagef("act %s: give --target FACTOR_ID", spec.Name)
	}
	var passed []string
	if spec.Verified {
		var err error
		if passed, err = parseChecks(*checks); err != nil {
			return err
		}
	}
	// the store first: one held by a server forwards the command, and
	// standard input must still be there to go with it
	st, err := c.existingStore()
	if err != nil {
		return err
	}
	ids := []string{*account}
	if *accounts != "" {
		if ids, err = readIDs(c, *accounts); err != nil {
			return err
		}
	}
	actor := c.io.actor()
	var results []actResult
	for _, id := range ids {
		results = append(results, actOn(c, st, actor, spec, id, model.ActionInput{
			By: actor.Name, Role: actor.Role, Reason: *reason, Confirmed: *confirm, Checks: passed, CheckHow: ticked("--checks", len(passed)), Target: *target}, *dry))
	}
	failed := 0
	for _, r := range results {
		if r.Result == "refused" || r.Result == "error" {
			failed++
		}
		if *asJSON {
			b, _ := json.Marshal(r)
			fmt.Fprintln(c.jsonOut(), string(b))
		} else {
			fmt.Fprintf(c.io.Out, "%s\t%s\t%s\n", r.Account, r.Result, r.Detail)
		}
	}
	if failed > 0 {
		return fmt.Errorf("act %s: %d of %d accounts not done", spec.Name, failed, len(results))
	}
	return nil
}

func actOn(c *ctx, st *store.Store, actor store.Actor, spec model.ActionSpec, id string, in model.ActionInput, dry bool) actResult {
	res := actResult{Account: id}
	rec, err := st.Get(id)
	if err != nil {
		res.Result, res.Detail = "error", err.Error()
		return res
	}
	in.Now = c.io.now()
	if dry {
		e, err := spec.Decide(model.DefaultPolicy, rec.Account, in)
		if err != nil {
			res.Result, res.Detail = "refused", err.Error()
			return res
		}
		res.Result, res.Detail = "would", describe(e)
		return res
	}
	var took model.Effect // the decision committed (the last one made: a conflict decides again)
	var ce *store.ConflictError
	// An agent's action on the same account between this read and the
	// commit is a conflict: no one here decided on what they saw, so the
	// account is read again and the rules decide on it again, a few times
	// (a bulk run while the floor works failed on every account an agent
	// touched at that moment).
	for try := 0; ; try++ {
		_, err = st.Act(id, rec.Version, actor, in.Now, spec.Action, func(a model.Account, by store.Actor) (model.Effect, error) {
			in.Role = by.Role
			e, err := spec.Decide(model.DefaultPolicy, a, in)
			took = e
			return e, model.Refused(in, err) // audited with its reason and target
		})
		if !errors.As(err, &ce) || try == actTries-1 {
			break
		}
		// apart: writers that collided come back at different moments
		time.Sleep(time.Duration(1+try)*time.Millisecond + rand.N(time.Duration(5*(1+try))*time.Millisecond))
		if rec, err = st.Get(id); err != nil {
			res.Result, res.Detail = "error", err.Error()
			return res
		}
	}
	switch {
	case errors.As(err, &ce):
		res.Result, res.Detail = "error", err.Error()
	case errors.Is(err, store.ErrAuditHead):
		res.Result, res.Detail = "error", err.Error()
	case err != nil:
		res.Result, res.Detail = "refused", err.Error()
	case len(took.Commands)+len(took.Notify) > 0:
		res.Result, res.Detail = "done", "queued for the platform: "+describe(took)
	default: // a note, say: nothing goes to the platform
		res.Result, res.Detail = "done", describe(took)
	}
	return res
}

// actTries is how often act runs an action that met a conflict.
const actTries = 10

// describe says what an effect would do.
func describe(e model.Effect) string {
	var parts []string
	for _, m := range e.Commands {
		parts = append(parts, "command "+m.Type)
	}
	for _, m := range e.Notify {
		parts = append(parts, "notify "+m.Type)
	}
	if len(parts) == 0 {
		return e.Action
	}
	return strings.Join(parts, ", ")
}

func checkList() string {
	var s []string
	for i, c := range model.VerificationChecks {
		s = append(s, fmt.Sprintf("%d %s", i+1, c))
	}
	return strings.Join(s, "; ")
}

// ticked says n checks were ticked the same way, for the audit.
func ticked(how string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = how
	}
	return out
}

func parseChecks(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > len(model.VerificationChecks) {
			return nil, usagef("act --checks: %q is not a check number (1–%d)", f, len(model.VerificationChecks))
		}
		if c := model.VerificationChecks[n-1]; !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) < model.MinVerificationChecks {
		return nil, usagef("act: a 2FA action needs --checks with at least %d passed checks: %s", model.MinVerificationChecks, checkList())
	}
	return out, nil
}

// readIDs reads account ids, one a line, from a file or standard input.
func readIDs(c *ctx, name string) ([]string, error) {
	in := c.io.In
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	var ids []string
	seen := map[string]int{}
	sc := bufio.NewScanner(in)
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if first, again := seen[l]; again {
			// a list joined from two exports: one action each, not two notes
			fmt.Fprintf(c.errOut, "%s:%d: %s again (first on line %d): acted on once\n", name, line, l, first)
			continue
		}
		seen[l] = line
		ids = append(ids, l)
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, fmt.Errorf("%s:%d: a line over %d KiB: want one account id a line", name, line+1, bufio.MaxScanTokenSize>>10)
	} else if err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if len(ids) == 0 {
		return nil, usagef("act --accounts %s: no account ids", name)
	}
	return ids, nil
}
