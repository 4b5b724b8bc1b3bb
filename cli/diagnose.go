package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// DiagnoseOutput is `diagnose --json` (DESIGN §4).
type DiagnoseOutput struct {
	AccountID *string         `json:"account_id"`
	Findings  []model.Finding `json:"findings"`
}

func runDiagnose(c *ctx) error {
	email := c.fs.String("email", "", "the email the caller gives (or as the one argument: diagnose EMAIL)")
	site := c.fs.String("site", model.SiteUnknown, "where the caller is signing in: "+strings.Join(model.Sites, ", "))
	problem := c.fs.String("problem", model.ProblemCantLogIn, "what the caller reports: "+strings.Join(model.Problems, ", "))
	abroad := c.fs.Bool("abroad", false, "the caller is outside the US")
	other := c.fs.Bool("other-device", false, "signing in on a device other than the one 2FA was set up on")
	nowFlag := c.fs.String("now", "", "diagnose as of this RFC 3339 time (default: now)")
	asJSON := c.fs.Bool("json", false, "print JSON")
	if err := c.parse(); err != nil {
		return err
	}
	if strings.HasPrefix(*email, "-") { // `--email --data d`: the flag took the next flag as its value
		return usagef("diagnose: --email needs a value: the address the caller gives")
	}
	// the address may be the one argument, as one types it: diagnose EMAIL
	switch {
	case len(c.args) == 1 && *email == "":
		*email = c.args[0]
	case len(c.args) == 1:
		return usagef("diagnose: the address twice, --email %q and %q: give one", *email, c.args[0])
	case len(c.args) > 1:
		return usagef("diagnose: want one EMAIL, got %d arguments (quote an address with spaces)", len(c.args))
	}
	if strings.TrimSpace(*email) == "" {
		return usagef("diagnose: want the EMAIL the caller gives (diagnose EMAIL, or --email EMAIL)")
	}
	if !strings.ContainsAny(*email, "@＠﹫") {
		// DOMAIN §7 answers any value no account has with no_account, and
		// so does this (a script's JSON stays a diagnosis); but a name or
		// a typo told only no_account looked like a caller without an
		// account (walkthrough): stderr says what was looked up. A
		// full-width ＠ is the caller's typo the family rung explains.
		fmt.Fprintf(c.io.Err, "diagnose: note: %q has no @: it is looked up as an email address (the console's Lookup finds names)\n", *email)
	}
	if !slices.Contains(model.Sites, *site) {
		return usagef("diagnose: unknown --site %q (allowed: %s)", *site, strings.Join(model.Sites, ", "))
	}
	if !slices.Contains(model.Problems, *problem) {
		return usagef("diagnose: unknown --problem %q (allowed: %s)", *problem, strings.Join(model.Problems, ", "))
	}
	now := c.io.now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usagef("diagnose: --now %q is not an RFC 3339 time (e.g. 2026-11-10T18:00:00Z)", *nowFlag)
		}
		if t.Year() < 2000 || t.Year() > 2099 {
			// as a scenario's now: the evidence counts days from it, and
			// year 9999 read "sent 106751 d ago" (a duration's most)
			return usagef("diagnose: --now %s: want a time in 2000–2099", *nowFlag)
		}
		now = t
	}
	st, err := c.existingStore()
	if err != nil {
		return err
	}
	actor := c.io.actor()
	// The command line runs as an admin with the store's own file access
	// (on-call engineers, locally or through the server's socket), so its
	// findings spell out emails and phones, like an agent's revealed
	// account; every diagnosis is audited below. --json prints the same
	// findings: its shape and its content do not depend on who reads it.
	r := model.Report{Email: *email, Site: *site, Problem: *problem, Abroad: *abroad, OtherDevice: *other,
		Reveal: actor.Role == model.RoleAdmin}
	var acc *model.Account
	out := DiagnoseOutput{}
	rec, err := st.ByEmail(*email)
	switch {
	case err == nil:
		acc = &rec.Account
		out.AccountID = &rec.Account.ID
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	out.Findings = model.DefaultPolicy.Diagnose(acc, r, now)
	id := ""
	if acc != nil {
		id = acc.ID
	}
	if err := st.Audit(store.AuditEntry{At: c.io.now(), Actor: actor.Name, Role: actor.Role, Action: "diagnose", Account: id,
		Details: map[string]string{"email": r.Email, "site": r.Site, "problem": r.Problem, "abroad": fmt.Sprint(r.Abroad),
			"other_device": fmt.Sprint(r.OtherDevice), "top": out.Findings[0].Code, "via": store.DiagnoseViaCLI}}); err != nil {
		return fmt.Errorf("diagnosis not audited, not shown: %w", err)
	}
	if *asJSON {
		return c.printJSON(out)
	}
	w := c.io.Out
	if acc == nil {
		fmt.Fprintf(w, "No account has %s.\n\n", model.CleanText(*email))
	} else {
		fmt.Fprintf(w, "Account %s: %s, %s, %s\n\n", acc.ID, tui.Sanitize(acc.Name), acc.Role, acc.Status) // escaped as the screens show it, newlines too
	}
	for i, f := range out.Findings {
		if i == 1 {
			fmt.Fprintln(w, "Also holds:")
		}
		rules := "—" // §7 names no rule for it (reset_bounced)
		if len(f.Rules) > 0 {
			rules = strings.Join(f.Rules, " ")
		}
		fmt.Fprintf(w, "%s [%s] %s\n", f.Code, rules, f.Title)
		for _, e := range f.Evidence {
			fmt.Fprintf(w, "    · %s\n", model.CleanText(e))
		}
		if i == 0 {
			fmt.Fprintln(w, "  Read to the caller:")
			for j, s := range f.Steps {
				fmt.Fprintf(w, "    %d. %s\n", j+1, s)
			}
			fmt.Fprintln(w)
		}
	}
	return nil
}
