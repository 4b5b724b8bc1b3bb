package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"frontdoor/store"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func runUser(c *ctx) error {
	role := c.fs.String("role", "", "role: "+strings.Join(store.Roles, ", "))
	var keys, keyFiles multi
	c.fs.Var(&keys, "key", "an OpenSSH public key (\"ssh-ed25519 AAAA… comment\"); repeatable")
	c.fs.Var(&keyFiles, "key-file", "a file of OpenSSH public keys, one per line; repeatable")
	if err := c.parse(); err != nil {
		return err
	}
	if len(c.args) == 0 {
		return usagef("user: want add, list or remove")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	actor := c.io.actor()
	switch sub, args := c.args[0], c.args[1:]; sub {
	case "add":
		if len(args) != 1 {
			return usagef("user add: want one NAME")
		}
		if !slices.Contains(store.Roles, *role) {
			return usagef("user add: --role must be one of %s", strings.Join(store.Roles, ", "))
		}
		for _, f := range keyFiles {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			for _, line := range strings.Split(string(b), "\n") {
				if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
					keys = append(keys, line)
				}
			}
		}
		if len(keys) == 0 {
			return usagef("user add: give --key or --key-file")
		}
		if err := st.AddUser(args[0], *role, keys, actor, c.io.now()); err != nil {
			return err
		}
		fmt.Fprintf(c.io.Out, "added %s (%s) with %d key(s)\n", args[0], *role, len(keys))
	case "list":
		us, err := st.Users()
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tKEYS\tADDED\tBY")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", u.Name, u.Role, len(u.Keys), u.AddedAt.Format(time.RFC3339), u.AddedBy)
		}
		return tw.Flush()
	case "remove":
		if len(args) != 1 {
			return usagef("user remove: want one NAME")
		}
		if err := st.RemoveUser(args[0], actor, c.io.now()); err != nil {
			return err
		}
		fmt.Fprintf(c.io.Out, "removed %s\n", args[0])
	default:
		return usagef("user: unknown subcommand %q (want add, list or remove)", sub)
	}
	return nil
}
