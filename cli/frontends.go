package cli

import (
	"slices"
	"time"

	fdssh "frontdoor/ssh"
	"frontdoor/store"

	"github.com/charmbracelet/log"
)

// frontEndHeartbeat is how often a front end of a cluster says which
// sessions it holds even when none began or ended (store.FrontEndStale
// is three of them), and frontEndLook how often it looks for a change.
const (
	frontEndHeartbeat = 10 * time.Second
	frontEndLook      = time.Second
)

// publishFrontEnd keeps this front end's entry in a cluster's store
// current — its sessions within a second of a login or logout, and a
// heartbeat — so `frontdoor sessions` on any front end lists who is on
// everywhere (issue 21). stop takes the entry out (a clean shutdown);
// a killed front end's entry goes stale and drops out of the list.
func publishFrontEnd(st *store.Store, srv *fdssh.Server, clock func() time.Time, logger *log.Logger) (stop func()) {
	id := store.ThisFrontEnd()
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		var last []store.SessionPresent
		var lastAt time.Time
		var lastErr string
		tick := time.NewTicker(frontEndLook)
		defer tick.Stop()
		for {
			now := clock()
			cur := presentSessions(srv.Sessions())
			if lastAt.IsZero() || !slices.Equal(cur, last) || now.Sub(lastAt) >= frontEndHeartbeat {
				err := st.PublishFrontEnd(store.FrontEnd{ID: id, Addr: srv.Addr(), Seen: now.UTC(), Sessions: cur})
				switch {
				case err == nil:
					last, lastAt, lastErr = cur, now, ""
				case err.Error() != lastErr: // said once, not every second of an outage
					lastErr = err.Error()
					logger.Warn("could not publish this front end's sessions to the cluster (tried again within a second)", "err", err)
				}
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		if err := st.RemoveFrontEnd(id); err != nil {
			logger.Warn("could not take this front end out of the cluster's list (it drops out once stale)", "err", err)
		}
	}
}

// presentSessions is list with times in UTC, as the store keeps them.
func presentSessions(list []fdssh.SessionInfo) []store.SessionPresent {
	for i := range list {
		list[i].Started = list[i].Started.UTC()
	}
	return list
}

// logHealth writes to the server's log when the cluster stops
// answering this front end, and when it is back: what sessions are told
// in plain words (tui.StoreDown), with the cause, for whoever fixes it.
func logHealth(st *store.Store, logger *log.Logger) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			_, changed := st.Health()
			if changed == nil {
				return
			}
			select {
			case <-done:
				return
			case <-changed:
			}
			if h, _ := st.Health(); h.Down != nil {
				logger.Error("the store is not answering: sessions read from the local index, and writes fail until it is back", "store", st.Describe(), "err", h.Down)
			} else {
				logger.Info("the store answers again", "store", st.Describe())
			}
		}
	}()
	return func() { close(done); <-finished }
}
