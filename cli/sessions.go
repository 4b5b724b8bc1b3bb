package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	fdssh "frontdoor/ssh"
)

// Sessions is what a running server lists and ends; a command forwarded
// to it over the control socket reaches them through its ctx.
type Sessions interface {
	Sessions() []fdssh.SessionInfo
	End(name, reason string) int
}

// runSessions lists the server's live sessions, or ends a user's.
func runSessions(c *ctx) error {
	asJSON := c.fs.Bool("json", false, "JSON array")
	if err := c.parse(); err != nil {
		return err
	}
	if len(c.args) != 0 && !(len(c.args) == 2 && c.args[0] == "end") {
		return usagef("sessions: want no argument, or end NAME")
	}
	if c.sessions == nil {
		// not forwarded: if the store opens here, no server holds it
		st, err := c.existingStore()
		if err != nil {
			return err
		}
		if len(c.args) == 2 && c.storeURL != "" {
			// a cluster's front ends each end the sessions they hold
			name, actor := c.args[1], c.io.actor()
			if err := st.EndSessions(name, actor, c.io.now()); err != nil {
				return err
			}
			fmt.Fprintf(c.io.Out, "every front end of %s ends %s's sessions begun before now\n", st.Describe(), name)
			return nil
		}
		if len(c.args) == 2 {
			return errors.New("no server is running on --data " + c.dataDir + ": no sessions to end")
		}
		fmt.Fprintln(c.io.Out, "no server is running on --data "+c.dataDir+": no sessions")
		return nil
	}
	if len(c.args) == 2 {
		name := c.args[1]
		actor := c.io.actor()
		n := c.sessions.End(name, "Your session was ended by "+actor.Name+".")
		if n == 0 {
			return fmt.Errorf("%s has no open session", name)
		}
		st, err := c.store()
		if err != nil {
			return err
		}
		// recorded in the store too: on a cluster, every other front end
		// ends the sessions it holds
		if err := st.EndSessions(name, actor, c.io.now()); err != nil {
			return fmt.Errorf("ended %d session(s) of %s, but not audited: %w", n, name, err)
		}
		fmt.Fprintf(c.io.Out, "ended %d session(s) of %s\n", n, name)
		return nil
	}
	list := c.sessions.Sessions()
	if *asJSON {
		return printJSONList(c, list)
	}
	tw := tabwriter.NewWriter(c.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tROLE\tFROM\tSINCE\tKEY")
	for _, s := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.User, s.Role, s.Remote, s.Started.UTC().Format(time.RFC3339), s.Key)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.io.Out, "%d %s\n", len(list), plural(len(list), "session", "sessions"))
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
