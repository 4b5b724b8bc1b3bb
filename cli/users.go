package cli

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"frontdoor/internal/smallfile"
	"frontdoor/store"
)

// maxKeyFile is the most a --key-file may hold: an authorized_keys file
// of a few hundred keys.
const maxKeyFile = 256 << 10

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
func (m *multi) Repeatable()        {}

func runUser(c *ctx) error {
	role := c.fs.String("role", "", "role: "+strings.Join(store.Roles, ", "))
	asJSON := c.fs.Bool("json", false, "list as JSON")
	var keys, keyFiles multi
	c.fs.Var(&keys, "key", "an OpenSSH public key (\"ssh-ed25519 AAAA… comment\"); repeatable")
	c.fs.Var(&keyFiles, "key-file", "a file of OpenSSH public keys, one per line; repeatable")
	if err := c.parse(); err != nil {
		return err
	}
	if len(c.args) == 0 {
		return usagef("user: want add, list, role or remove")
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
			b, err := smallfile.Read(f, maxKeyFile) // not /dev/zero, not a fifo
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
		st, err := c.store()
		if err != nil {
			return err
		}
		if err := st.AddUser(args[0], *role, keys, actor, c.io.now()); err != nil {
			return err
		}
		fmt.Fprintf(c.io.Out, "added %s (%s) with %d key(s)\n", args[0], *role, len(keys))
	case "list":
		if len(args) != 0 {
			return usagef("user list: takes no argument")
		}
		st, err := c.existingStore()
		if err != nil {
			return err
		}
		us, err := st.Users()
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSONList(c, us)
		}
		tw := tabwriter.NewWriter(c.io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tKEYS\tADDED\tBY")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", u.Name, u.Role, len(u.Keys), u.AddedAt.Format(time.RFC3339), u.AddedBy)
		}
		return tw.Flush()
	case "role":
		// user role NAME ROLE, or user role NAME --role ROLE
		if len(args) == 2 && *role == "" {
			*role, args = args[1], args[:1]
		}
		if len(args) != 1 || *role == "" {
			return usagef("user role: want NAME and a ROLE (%s)", strings.Join(store.Roles, ", "))
		}
		if !slices.Contains(store.Roles, *role) { // as user add says it: a usage error
			return usagef("user role: --role must be one of %s", strings.Join(store.Roles, ", "))
		}
		st, err := c.existingStore()
		if err != nil {
			return err
		}
		if err := st.SetRole(args[0], *role, actor, c.io.now()); err != nil {
			return err
		}
		fmt.Fprintf(c.io.Out, "%s is now %s; their open sessions were ended\n", args[0], *role)
	case "remove":
		if len(args) != 1 {
			return usagef("user remove: want one NAME")
		}
		st, err := c.existingStore()
		if err != nil {
			return err
		}
		if err := st.RemoveUser(args[0], actor, c.io.now()); err != nil {
			return err
		}
		fmt.Fprintf(c.io.Out, "removed %s; their open sessions were ended\n", args[0])
	default:
		return usagef("user: unknown subcommand %q (want add, list, role or remove)", sub)
	}
	return nil
}
