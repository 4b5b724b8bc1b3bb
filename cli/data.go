package cli

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"frontdoor/model"
	"frontdoor/store"
)

func runImport(c *ctx) error {
	if err := c.parse(); err != nil {
		return err
	}
	if len(c.args) != 1 {
		return usagef("import: want one FILE.jsonl, or - for standard input")
	}
	name := c.args[0]
	in := c.io.In
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	} else {
		name = "stdin"
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	n, err := st.Import(in, name, c.io.actor(), c.io.now())
	if err != nil {
		return fmt.Errorf("%w (nothing was imported)", err)
	}
	fmt.Fprintf(c.io.Out, "imported %d accounts from %s\n", n, name)
	return nil
}

func runExport(c *ctx) error {
	if err := c.parse(); err != nil {
		return err
	}
	if len(c.args) != 0 {
		return usagef("export takes no arguments (it writes to stdout)")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	_, err = st.Export(c.io.Out)
	return err
}

func runBackup(c *ctx) error {
	if err := c.parse(); err != nil {
		return err
	}
	if len(c.args) != 1 {
		return usagef("backup: want the FILE to write")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	if err := st.Backup(c.args[0]); err != nil {
		return err
	}
	fmt.Fprintf(c.io.Out, "backed up to %s\n", c.args[0])
	return nil
}

func runCheck(c *ctx) error {
	if err := c.parse(); err != nil {
		return err
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	problems, err := st.Check()
	if err != nil {
		return err
	}
	n, _ := st.Count()
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(c.io.Out, p)
		}
		return fmt.Errorf("check: %d problems in %s", len(problems), st.Path())
	}
	fmt.Fprintf(c.io.Out, "ok: %d accounts, indexes and audit chain consistent\n", n)
	return nil
}

func runAudit(c *ctx) error {
	account := c.fs.String("account", "", "only this account id")
	since := c.fs.Duration("since", 0, "only entries this recent (e.g. 24h)")
	asJSON := c.fs.Bool("json", false, "JSON, one entry per line")
	if err := c.parse(); err != nil {
		return err
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	filter := store.AuditFilter{Account: *account}
	if *since > 0 {
		filter.Since = c.io.now().Add(-*since)
	}
	entries, err := st.AuditLog(filter)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(c.io.Out)
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(c.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tACCOUNT\tREASON\tDETAILS")
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%s (%s)\t%s\t%s\t%s\t%s\n", e.Seq, e.At.Format(time.RFC3339), e.Actor, e.Role, e.Action,
			e.Account, model.CleanText(e.Reason), details(e.Details))
	}
	return tw.Flush()
}

func runOutbox(c *ctx) error {
	ack := c.fs.String("ack", "", "mark message ID delivered")
	all := c.fs.Bool("all", false, "include delivered messages")
	asJSON := c.fs.Bool("json", false, "JSON array")
	if err := c.parse(); err != nil {
		return err
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	if *ack != "" {
		id, err := strconv.ParseUint(*ack, 10, 64)
		if err != nil {
			return usagef("outbox --ack: %q is not a message id", *ack)
		}
		if err := st.Ack(id, c.io.actor(), c.io.now()); err != nil {
			return err
		}
		fmt.Fprintf(c.io.Out, "acknowledged %d\n", id)
		return nil
	}
	msgs, err := st.Outbox(*all)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(c.io.Out)
		enc.SetIndent("", "  ")
		if msgs == nil {
			return enc.Encode([]any{})
		}
		return enc.Encode(msgs)
	}
	tw := tabwriter.NewWriter(c.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tBY\tACCOUNT\tKIND\tTYPE\tPAYLOAD\tSTATE")
	for _, m := range msgs {
		state := "pending"
		if m.AckedAt != nil {
			state = "delivered " + m.AckedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.At.Format(time.RFC3339), m.By, m.Account, m.Kind, m.Type, details(m.Payload), state)
	}
	return tw.Flush()
}

func details(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+model.CleanText(m[k]))
	}
	return strings.Join(parts, " ")
}
