// Package mirror is the console's boundary with the platform (DOMAIN §8):
// the change-stream reader that keeps the mirror current (sync, rules
// S1–S7) and the relay that delivers the outbox (rule S8). It speaks to
// the store through its API, never to bbolt.
package mirror

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"frontdoor/store"
)

// Headers of a delivery (rule S8).
const (
	HeaderKey       = "Idempotency-Key"
	HeaderSignature = "X-Frontdoor-Signature"
)

// Relay delivers the outbox to the platform: each message POSTed as the
// JSON `outbox --json` prints, signed with HMAC-SHA256 with the time it
// was sent (Sign, Verify), at least once, one account's messages in the
// order they were queued; a failure that may pass is retried with
// exponential backoff and jitter, a refusal (a redirect too) or too many
// attempts makes the message dead (rule S8).
type Relay struct {
	Store       *store.Store
	URL         string
	Secret      []byte
	Client      *http.Client  // nil: one with Timeout; either way its redirects are not followed
	Timeout     time.Duration // per attempt; 0: 10 s
	Backoff     time.Duration // first retry delay; 0: 1 s
	MaxBackoff  time.Duration // 0: 5 min
	MaxAttempts int           // 0: 10
	Workers     int           // deliveries at once, each to a different account; 0: 8
	Clock       func() time.Time

	client, given *http.Client // Client as the relay uses it, and the one it was made from
}

func (r *Relay) defaults() {
	if r.Timeout <= 0 {
		r.Timeout = 10 * time.Second
	}
	if r.Client == nil {
		r.Client = &http.Client{Timeout: r.Timeout}
	}
	if r.given != r.Client {
		// a copy, so the caller's client keeps its own policy
		c := *r.Client
		c.CheckRedirect = noRedirect
		r.client, r.given = &c, r.Client
	}
	if r.Backoff <= 0 {
		r.Backoff = time.Second
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = 5 * time.Minute
	}
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 10
	}
	if r.Workers <= 0 {
		r.Workers = 8
	}
	if r.Clock == nil {
		r.Clock = time.Now
	}
}

// noRedirect makes a client hand back a redirect instead of following
// it: a 307 or 308 would carry the body, its signature and its key to
// wherever the answer points, over plain HTTP if it says so, and its
// target's 2xx would mark the message delivered.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Sign is the signature header's value for body sent at: t=UNIX,v1=HEX,
// HEX the HMAC-SHA256 under secret of "UNIX.BODY" (the shape Stripe's
// webhooks use). The timestamp is signed with the body, so a captured
// request cannot be replayed past the receiver's window (Verify), and
// each attempt is signed afresh: a retry is not stale.
func Sign(secret, body []byte, at time.Time) string {
	t := strconv.FormatInt(at.Unix(), 10)
	return "t=" + t + ",v1=" + hex.EncodeToString(mac(secret, t, body))
}

// mac is the HMAC-SHA256 under secret of t, a dot and body.
func mac(secret []byte, t string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(t))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// DefaultWindow is how far a delivery's signed timestamp may be from the
// receiver's clock, either way: replays older than this are refused, and
// the two clocks may disagree by this much.
const DefaultWindow = 5 * time.Minute

// Errors of Verify.
var (
	ErrBadSignature = errors.New("bad signature")
	ErrStale        = errors.New("signature timestamp outside the window")
)

// Verify is the receiver's check of a delivery (rule S8): header, the
// X-Frontdoor-Signature value, must hold a t=UNIX and a v1=HEX that is
// the HMAC-SHA256 of "UNIX.BODY" under secret (compared in constant
// time; more than one v1 may come, while a secret is rotated), and UNIX
// must be within window of now (0: DefaultWindow), past or future. Run
// it on the raw body before acting on it, then deduplicate on the key in
// that body: within the window a replay is caught only by the key.
func Verify(secret []byte, header string, body []byte, now time.Time, window time.Duration) error {
	if window <= 0 {
		window = DefaultWindow
	}
	var t string
	var hasT bool
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
			return fmt.Errorf("%w: %q is not key=value", ErrBadSignature, trim(part))
		case k == "t" && hasT:
			return fmt.Errorf("%w: two timestamps", ErrBadSignature)
		case k == "t":
			t, hasT = v, true
		case k == "v1":
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	unix, err := strconv.ParseInt(t, 10, 64)
	if err != nil || t[0] == '+' || t[0] == '-' {
		return fmt.Errorf("%w: no t=UNIX timestamp", ErrBadSignature)
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: no v1=HEX signature", ErrBadSignature)
	}
	want, match := mac(secret, t, body), false
	for _, sig := range sigs {
		match = hmac.Equal(sig, want) || match
	}
	if !match {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(unix, 0)); d > window || d < -window {
		return fmt.Errorf("%w: signed at %s, %s from now (window %s)", ErrStale,
			time.Unix(unix, 0).UTC().Format(time.RFC3339), d.Round(time.Second), window)
	}
	return nil
}

// trim cuts an attacker's text short for an error.
func trim(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// Pass tries every message due now once, and says when the next one
// falls due (zero when none waits).
func (r *Relay) Pass(ctx context.Context) (tried int, next time.Time, err error) {
	r.defaults()
	due, next, err := r.Store.Due(r.Clock(), 256)
	if err != nil || len(due) == 0 {
		return 0, next, err
	}
	outcomes := make([]store.Outcome, len(due))
	var wg sync.WaitGroup
	work := make(chan int)
	for range min(r.Workers, len(due)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				outcomes[i] = r.attempt(ctx, due[i])
			}
		}()
	}
	for i := range due {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := r.Store.RecordDeliveries(outcomes, r.Clock()); err != nil {
		return 0, next, err
	}
	// what was rescheduled may fall due before the next one found above
	for _, o := range outcomes {
		if !o.Retry.IsZero() && (next.IsZero() || o.Retry.Before(next)) {
			next = o.Retry
		}
	}
	return len(due), next, nil
}

// attempt POSTs one message and judges the answer.
func (r *Relay) attempt(ctx context.Context, m store.OutboxMessage) store.Outcome {
	o := store.Outcome{ID: m.ID}
	body, _ := json.Marshal(m)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(body))
	if err != nil {
		o.Err = redactError(err) // a bad URL passes no more than it did
		return o
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderKey, m.Key)
	req.Header.Set(HeaderSignature, Sign(r.Secret, body, r.Clock()))
	resp, err := r.client.Do(req)
	attempts := m.Attempts + 1
	if err != nil { // timeout, connection refused: may pass
		o.Err = redactError(err) // kept, shown and sent with the message: no URL secrets
		o.Retry = r.retryAt(attempts, 0)
		return o
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	o.Status = resp.StatusCode
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode == http.StatusTooManyRequests:
		o.Err = resp.Status
		o.Retry = r.retryAt(attempts, retryAfter(resp.Header.Get("Retry-After"), r.Clock(), r.MaxBackoff))
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		// a refusal, not a retry: the URL is wrong (the endpoint moved, or
		// http:// where the platform wants https://) and every retry would
		// meet the same redirect; the operator fixes the URL and retries
		to := "nowhere"
		if loc := resp.Header.Get("Location"); loc != "" {
			to = RedactURL(loc)
		}
		o.Err = resp.Status + ": a redirect to " + to + ", not followed: fix the delivery URL"
	case resp.StatusCode >= 500:
		o.Err = resp.Status
		o.Retry = r.retryAt(attempts, 0)
	default: // any other answer is a refusal: retrying will not change it
		o.Err = resp.Status + ": refused by the platform"
	}
	return o
}

// retryAt is when attempt number attempts+1 may go, or zero when there
// may be none: exponential backoff with full jitter over its upper half,
// at least what the platform asked for (Retry-After, capped likewise).
func (r *Relay) retryAt(attempts int, atLeast time.Duration) time.Time {
	if attempts >= r.MaxAttempts {
		return time.Time{}
	}
	d := r.Backoff << min(attempts-1, 30)
	if d <= 0 || d > r.MaxBackoff {
		d = r.MaxBackoff
	}
	d = d/2 + rand.N(d/2+1)
	return r.Clock().Add(max(d, atLeast))
}

// retryAfter reads a Retry-After header, seconds or an HTTP date, at
// most limit (MaxBackoff): a platform's "in a year" would park the
// message, and `outbox deliver` waiting for it, for a year.
func retryAfter(v string, now time.Time, limit time.Duration) time.Duration {
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		if s > int64(limit/time.Second) {
			return limit // before multiplying: so many seconds may not fit a Duration
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), limit)
	}
	return 0
}

// Drain delivers until no message is pending: each delivered or dead.
// It waits out backoffs (or ctx).
func (r *Relay) Drain(ctx context.Context) error {
	for {
		tried, next, err := r.Pass(ctx)
		if err != nil {
			return err
		}
		if tried > 0 {
			continue
		}
		if next.IsZero() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(next)):
		}
	}
}

// Run delivers continuously until ctx ends: at once when wake says a
// message was queued, and when a retry falls due. It never runs inside
// an agent's action; an action only queues.
func (r *Relay) Run(ctx context.Context, wake <-chan string, logf func(string, ...any)) {
	for {
		tried, next, err := r.Pass(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			logf("outbox delivery: %v", err)
			next = r.Clock().Add(5 * time.Second)
		}
		if tried > 0 && err == nil {
			continue
		}
		var timer <-chan time.Time
		if !next.IsZero() {
			timer = time.After(max(time.Until(next), 0))
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-timer:
		}
	}
}

// Summary says how an outbox stands: how many messages are pending,
// delivered and dead, and the dead ones.
func Summary(st *store.Store) (pending, delivered int, dead []store.OutboxMessage, err error) {
	msgs, err := st.Outbox(true)
	for _, m := range msgs {
		switch m.State {
		case store.OutboxPending:
			pending++
		case store.OutboxDelivered:
			delivered++
		case store.OutboxDead:
			dead = append(dead, m)
		}
	}
	return pending, delivered, dead, err
}

// ReadSecret reads a shared secret file: its bytes, surrounding space
// trimmed; it must hold at least 16.
func ReadSecret(b []byte, name string) ([]byte, error) {
	b = bytes.TrimSpace(b)
	if len(b) < 16 {
		return nil, fmt.Errorf("%s: a delivery secret needs at least 16 bytes", name)
	}
	return b, nil
}
