package tui

import (
	"errors"
	"strings"
	"time"

	"frontdoor/store/backend"
)

// What an agent is told when a cluster store stops answering, and when
// it is back. Over SSH an outage read as a cut-off line naming etcd's
// addresses ("store etcd://127.0.0.1:2379,…: store …") after each
// action had waited out the store's timeout; the addresses and the
// cause are in the server's log for whoever fixes it.

// StoreBack is said when the store answers again.
const StoreBack = "The store answers again: opening accounts and actions work as before."

// StoreDown says what works while the store is out of reach: two
// lines at the narrowest window.
func StoreDown(h backend.Health) string {
	return "Store not answering since " + h.Since.UTC().Format("15:04:05 MST") +
		": search works; opening accounts and actions fail until it is back."
}

// storeDownFor is how long the outage's toast stays (the header keeps
// saying it): longer than a toast's 6 s, as a caller may be talking.
const storeDownFor = 20 * time.Second

// Explain words an error for the footer: a store's outage in plain
// words (whether anything was written, what to do), kept in place
// within what the screen said failed; a joined error's lines on one.
func Explain(err error) string {
	text := err.Error()
	walkErrors(err, func(e error) bool {
		plain := outageWords(e)
		if plain == "" {
			return true
		}
		text = strings.Replace(text, e.Error(), plain, 1)
		return false
	})
	return strings.ReplaceAll(text, "\n", " · ")
}

// outageWords is what a store's own error (one that names the store:
// "store etcd://…: store unavailable…") means to an agent; "" for any
// other error.
func outageWords(e error) string {
	if !strings.HasPrefix(e.Error(), "store ") {
		return ""
	}
	switch {
	case errors.Is(e, backend.ErrOutcomeUnknown):
		return "the store did not confirm it, so it may have been done: reopen the account before trying again"
	case errors.Is(e, backend.ErrUnavailable):
		return "the store is not answering (nothing written): retry; STORE DOWN shows an outage"
	}
	return ""
}

// walkErrors calls fn for err and what it wraps, outermost first, not
// below an error for which fn returns false.
func walkErrors(err error, fn func(error) bool) {
	if err == nil || !fn(err) {
		return
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walkErrors(u.Unwrap(), fn)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walkErrors(e, fn)
		}
	}
}
