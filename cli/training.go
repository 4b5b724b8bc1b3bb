package cli

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/training"
	"frontdoor/tui"
)

// library is the scenario library: dir's scenarios, or the embedded ones.
// bad lists dir's files that were skipped, each naming the file and what
// is wrong with it; err is for dir itself.
func library(dir string) (lib training.Library, bad []error, err error) {
	if dir == "" {
		lib, err = training.Builtin()
		return lib, nil, err
	}
	return training.LoadDir(dir)
}

// runScenarios lists or validates training scenarios (issue 13). Validate
// parses each, imports its accounts into a throwaway store and checks the
// diagnosis and policy agree with what it expects. Both name every file
// that is not a scenario (issue 20) and then exit 1.
func runScenarios(c *ctx) error {
	if err := c.parse(); err != nil {
		return err
	}
	if len(c.args) == 0 || len(c.args) > 2 || (c.args[0] != "list" && c.args[0] != "validate") {
		return usagef("scenarios: want list [DIR] or validate [DIR]")
	}
	dir := ""
	if len(c.args) == 2 {
		dir = c.args[1]
	}
	lib, bad, err := library(dir)
	if err != nil {
		return err
	}
	where := dir
	if dir == "" {
		where = "the embedded scenarios"
	}
	if len(lib) == 0 && len(bad) == 0 {
		return fmt.Errorf("%s: no scenarios (*%s)", dir, strings.Join(training.ScenarioExts, ", *"))
	}
	if c.args[0] == "list" {
		tw := tabwriter.NewWriter(c.io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tLEVEL\tFIRST FINDING\tTITLE")
		for _, sc := range lib {
			// each cell sanitised: a newline or a tab in a file name or a
			// title is shown escaped, not taken as the table's own layout
			// (training review: a file name forged a row)
			fmt.Fprintf(tw, "%s\t%s\t%s (rung %d)\t%s\n", tui.Sanitize(sc.Name), tui.Sanitize(sc.Difficulty), sc.Expect.Finding, training.Rung(sc.Expect.Finding), tui.Sanitize(sc.Title))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, e := range bad {
			fmt.Fprintln(c.io.Err, tui.Sanitize(e.Error())) // a file name may hold a newline: one error, one line
		}
		if len(bad) > 0 {
			return fmt.Errorf("%s: %d %s skipped", where, len(bad), plural(len(bad), "file", "files"))
		}
		return nil
	}
	if all := append(bad, splitJoined(training.ValidateAll(lib, model.DefaultPolicy))...); len(all) > 0 {
		for _, e := range all {
			fmt.Fprintln(c.io.Err, tui.Sanitize(e.Error())) // a file name may hold a newline: one error, one line
		}
		// each error is one file's: one that did not load, or one
		// scenario that does not hold
		files := len(lib) + len(bad)
		return fmt.Errorf("%s: %d of %d scenario %s invalid", where, len(all), files, plural(files, "file", "files"))
	}
	fmt.Fprintf(c.io.Out, "%d %s valid; first findings covered: %s\n", len(lib), plural(len(lib), "scenario", "scenarios"), strings.Join(lib.Covered(), ", "))
	return nil
}

// splitJoined undoes errors.Join, for one error a line.
func splitJoined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// runTraining reports practice scores from the live audit trail.
func runTraining(c *ctx) error {
	trainee := c.fs.String("trainee", "", "only this trainee")
	asJSON := c.fs.Bool("json", false, "JSON: every score, oldest first")
	if err := c.parse(); err != nil {
		return err
	}
	if len(c.args) != 1 || c.args[0] != "report" {
		return usagef("training: want report [--trainee NAME] [--json]")
	}
	st, err := c.existingStore()
	if err != nil {
		return err
	}
	results, err := scores(st, *trainee)
	if err != nil {
		return err
	}
	if *trainee != "" && len(results) == 0 {
		// a misspelt name must not read as a trainee yet to practise
		if _, err := st.User(*trainee); err != nil {
			return fmt.Errorf("training report --trainee %q: no such trainee: no user of that name and no practice scores", *trainee)
		}
		if !*asJSON {
			fmt.Fprintf(c.io.Out, "No practice scores for %s yet.\n", *trainee)
			return nil
		}
	}
	if *asJSON {
		return printJSONList(c, results)
	}
	if len(results) == 0 {
		fmt.Fprintln(c.io.Out, "No practice scores yet.")
		return nil
	}
	tw := tabwriter.NewWriter(c.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN (UTC)\tTRAINEE\tSCENARIO\tSCORE\tFINDING\tACTION\tWRONG\tHINTS\tTOOK")
	for _, r := range results {
		score := strconv.Itoa(r.Score)
		if r.Ended == training.EndedLeft {
			score += " left"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", r.At.UTC().Format("2006-01-02 15:04"), tui.Sanitize(r.Trainee), tui.Sanitize(r.Scenario), score,
			yesNo(r.RightFinding), yesNo(r.RightActions), len(r.WrongActions), r.Hints, r.Took.Round(time.Second))
	}
	tw.Flush()
	for _, by := range []struct {
		title string
		key   func(training.Result) string
	}{{"Per trainee", func(r training.Result) string { return r.Trainee }}, {"Per scenario", func(r training.Result) string { return r.Scenario }}} {
		fmt.Fprintln(c.io.Out, "\n"+by.title)
		tw = tabwriter.NewWriter(c.io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\tRUNS\tLEFT\tAVERAGE\tBEST\tLATEST")
		for _, g := range summarise(results, by.key) {
			if g.scored == 0 {
				fmt.Fprintf(tw, "%s\t%d\t%d\t-\t-\t-\n", tui.Sanitize(g.name), g.runs, g.left)
				continue
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%d\t%d\n", tui.Sanitize(g.name), g.runs, g.left, g.average, g.best, g.latest)
		}
		tw.Flush()
	}
	return nil
}

// scores reads the score records, oldest first.
func scores(st *store.Store, trainee string) ([]training.Result, error) {
	log, err := st.AuditLog(store.AuditFilter{Actions: []string{training.ScoreAction}})
	if err != nil {
		return nil, err
	}
	slices.Reverse(log)
	var out []training.Result
	for _, e := range log {
		if trainee != "" && e.Actor != trainee {
			continue
		}
		r, err := training.ResultFrom(e)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

type scoreGroup struct {
	name               string
	runs, left, scored int // every run; those left; those ended and scored
	best, latest       int // of the scored
	average            float64
}

// summarise groups scores (oldest first) by key, sorted by name.
func summarise(rs []training.Result, key func(training.Result) string) []scoreGroup {
	by := map[string]*scoreGroup{}
	for _, r := range rs {
		g := by[key(r)]
		if g == nil {
			g = &scoreGroup{name: key(r)}
			by[key(r)] = g
		}
		g.runs++
		if r.Ended == training.EndedLeft { // counted, not scored: left is no answer
			g.left++
			continue
		}
		g.average = (g.average*float64(g.scored) + float64(r.Score)) / float64(g.scored+1)
		g.scored++
		g.best = max(g.best, r.Score)
		g.latest = r.Score
	}
	out := make([]scoreGroup, 0, len(by))
	for _, g := range by {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
