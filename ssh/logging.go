package ssh

import (
	"strings"
	"time"

	"github.com/charmbracelet/log"
	cssh "github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
)

// logSessions logs each session's connect and disconnect in the log's
// own vocabulary, as wish's logging middleware does but for its names:
// the address is "remote" as in every other line and the audit trail
// (wish said "remote-addr"), keys are snake_case, and a duration is a
// number of seconds, duration_s (wish's a Go string, "1m2.003s", which a
// collector cannot sum or compare).
func logSessions(logger *log.Logger) wish.Middleware {
	return func(next cssh.Handler) cssh.Handler {
		return func(sess cssh.Session) {
			start := time.Now()
			pty, _, _ := sess.Pty()
			logger.Info("connect", "user", cleanName(sess.User()), "remote", sess.RemoteAddr().String(),
				"public_key", sess.PublicKey() != nil, "command", logCommand(sess.Command()), "term", pty.Term,
				"width", pty.Window.Width, "height", pty.Window.Height, "client_version", sess.Context().ClientVersion())
			next(sess)
			logger.Info("disconnect", "user", cleanName(sess.User()), "remote", sess.RemoteAddr().String(),
				"duration_s", Seconds(time.Since(start)))
		}
	}
}

// logCommand is a session's command as the log may show it: practice
// and watch with their argument, anything else unnamed (it is what a
// client typed, an email address as likely as not).
func logCommand(args []string) string {
	switch {
	case len(args) == 0:
		return ""
	case args[0] == "practice" || args[0] == "watch":
		return cleanName(strings.Join(args, " "))
	default:
		return "(unknown command)"
	}
}

// Seconds is a duration as the logs give it: seconds, to the millisecond.
func Seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}
