package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	fdssh "frontdoor/ssh"
	"frontdoor/store"
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
		if st.Replicated() {
			return listSessions(c, *asJSON) // every front end's, as each last said
		}
		fmt.Fprintln(c.io.Out, "no server is running on --data "+c.dataDir+": no sessions")
		return nil
	}
	if len(c.args) == 2 {
		name := c.args[1]
		actor := c.io.actor()
		n := c.sessions.End(name, "Your session was ended by "+actor.Name+".")
		st, err := c.store()
		if err != nil {
			return err
		}
		if n == 0 && !(st.Replicated() && onAnotherFrontEnd(st, name)) {
			return fmt.Errorf("%s has no open session", name)
		}
		// recorded in the store too: on a cluster, every other front end
		// ends the sessions it holds
		if err := st.EndSessions(name, actor, c.io.now()); err != nil {
			return fmt.Errorf("ended %d session(s) of %s, but not audited: %w", n, name, err)
		}
		if st.Replicated() {
			fmt.Fprintf(c.io.Out, "ended %d session(s) of %s here; every other front end of %s ends theirs\n", n, name, st.Describe())
			return nil
		}
		fmt.Fprintf(c.io.Out, "ended %d session(s) of %s\n", n, name)
		return nil
	}
	return listSessions(c, *asJSON)
}

// onAnotherFrontEnd says whether another front end of the cluster last
// said it holds a session of user name.
func onAnotherFrontEnd(st *store.Store, name string) bool {
	fes, _ := st.FrontEnds(time.Now())
	for _, fe := range fes {
		if fe.ID == store.ThisFrontEnd() {
			continue
		}
		for _, s := range fe.Sessions {
			if s.User == name {
				return true
			}
		}
	}
	return false
}

// sessionRow is a line of `sessions`: a live session, and on a cluster
// the front end holding it.
type sessionRow struct {
	store.SessionPresent
	FrontEnd string `json:"front_end,omitempty"`
}

// listSessions lists the server's own sessions, and on a cluster those
// every other front end last said it holds (store.FrontEnds).
func listSessions(c *ctx, asJSON bool) error {
	var rows []sessionRow
	own := ""
	if c.sessions != nil {
		own = store.ThisFrontEnd()
		for _, s := range presentSessions(c.sessions.Sessions()) {
			rows = append(rows, sessionRow{SessionPresent: s})
		}
	}
	cluster := c.st != nil && c.st.Replicated()
	if cluster {
		fes, err := c.st.FrontEnds(time.Now())
		if err != nil {
			return fmt.Errorf("the cluster's front ends: %w", err)
		}
		for i := range rows {
			rows[i].FrontEnd = own
		}
		for _, fe := range fes {
			if fe.ID == own {
				continue // this server's own, listed live above
			}
			for _, s := range fe.Sessions {
				rows = append(rows, sessionRow{SessionPresent: s, FrontEnd: fe.ID})
			}
		}
	}
	if asJSON {
		return printJSONList(c, rows)
	}
	tw := tabwriter.NewWriter(c.io.Out, 0, 4, 2, ' ', 0)
	head := "ID\tUSER\tROLE\tFROM\tSINCE\tKEY"
	if cluster {
		head += "\tFRONT END"
	}
	fmt.Fprintln(tw, head)
	for _, s := range rows {
		line := fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s", s.ID, s.User, s.Role, s.Remote, s.Started.UTC().Format(time.RFC3339), s.Key)
		if cluster {
			line += "\t" + s.FrontEnd
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.io.Out, "%d %s\n", len(rows), plural(len(rows), "session", "sessions"))
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
