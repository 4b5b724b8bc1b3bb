package mirror

import (
	"errors"
	"net/url"
	"strings"
)

// Redacted stands for a secret left out of a URL.
const Redacted = "REDACTED"

// RedactURL is a URL as it may be logged, stored or printed: its user
// information (a password, or a user name that is a token), every query
// value, a query part that is not key=value, the fragment and an opaque
// part become REDACTED. A URL that does not parse is not shown at all:
// its secrets cannot be told from the rest.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	if u.User != nil {
		u.User = url.User(Redacted)
	}
	if u.Opaque != "" {
		u.Opaque = Redacted
	}
	if u.RawQuery != "" || u.ForceQuery {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			if k, _, ok := strings.Cut(p, "="); ok {
				parts[i] = k + "=" + Redacted
			} else if p != "" {
				parts[i] = Redacted
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = Redacted, ""
	}
	return u.String()
}

// redactError is err's text with the URL a *url.Error carries (Go's
// client names the whole URL in every error) redacted.
func redactError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		c := *ue
		c.URL = RedactURL(c.URL)
		// the outer text would still hold the URL if err wraps ue
		if err == error(ue) {
			return c.Error()
		}
		return strings.ReplaceAll(err.Error(), ue.Error(), c.Error())
	}
	return err.Error()
}
