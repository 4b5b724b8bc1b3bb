package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/log"

	"frontdoor/tui"
)

// Log formats and levels serve takes (--log-format, --log-level).
var (
	logFormats = map[string]log.Formatter{"text": log.TextFormatter, "json": log.JSONFormatter, "logfmt": log.LogfmtFormatter}
	logLevels  = []string{"debug", "info", "warn", "error"}
)

// newLogger is the server's structured log on stderr: text for a person,
// json or logfmt for a collector. Its lines never reach a session, and
// name agents and remote addresses, never an account's email, phone or
// id. Text passes the terminal sanitiser, JSON the JSON one (control and
// bidi characters escaped), as everything else the command line prints.
func (c *ctx) newLogger(format, level string) (*log.Logger, error) {
	f, ok := logFormats[format]
	if !ok {
		return nil, usagef("--log-format %q: want text, json or logfmt", format)
	}
	lv, err := log.ParseLevel(level)
	if err != nil || !containsFold(logLevels, level) {
		return nil, usagef("--log-level %q: want %s", level, strings.Join(logLevels, ", "))
	}
	var w io.Writer = c.errOut
	if format == "json" {
		w = tui.JSONWriter(c.rawErr)
	}
	opts := log.Options{ReportTimestamp: true, Formatter: f, Level: lv}
	if format == "text" {
		opts.Prefix = "frontdoor"
	} else { // for a collector: RFC 3339, UTC, to the millisecond
		opts.TimeFormat, opts.TimeFunction = "2006-01-02T15:04:05.000Z07:00", log.NowUTC
	}
	return log.NewWithOptions(w, opts), nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// logFlagsHelp is the usage text of the logging flags.
var logFlagsHelp = fmt.Sprintf("[--log-format %s] [--log-level %s]", "text|json|logfmt", strings.Join(logLevels, "|"))
