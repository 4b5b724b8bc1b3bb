package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"

	"frontdoor/internal/smallfile"
	"frontdoor/mirror"
	"frontdoor/store"
)

// runSync applies the platform's change stream (DOMAIN §8).
func runSync(c *ctx) error {
	follow := c.fs.Bool("follow", false, "at the end of FILE wait for more, like tail -F: through log rotation, truncated or moved and made again (until interrupted; a FILE missing for a minute ends it)")
	batch := c.fs.Int("batch", 0, "events applied per transaction (default: the store's: 20000 on bbolt, a few on etcd)")
	set := c.fs.String("set", "", "checkpoint: the seq to set the checkpoint to (audited)")
	reason := c.fs.String("reason", "", "checkpoint --set: why (audited)")
	if err := c.parse(); err != nil {
		return err
	}
	if len(c.args) >= 1 && c.args[0] == "checkpoint" { // a file of that name: ./checkpoint
		return syncCheckpoint(c, *set, *reason)
	}
	if *set != "" || *reason != "" {
		return usagef("sync: --set and --reason are for `sync checkpoint`")
	}
	if len(c.args) != 1 || c.args[0] == "" {
		return usagef("sync: want one FILE, or - for standard input")
	}
	if *batch < 0 || *batch > 1_000_000 {
		return usagef("sync --batch %d: want 1 to 1000000 (0: the store's own)", *batch)
	}
	name, in := c.args[0], c.io.In
	if name == "-" {
		name = "stdin"
		if *follow {
			return usagef("sync: --follow is for a FILE that grows; standard input is read to its end")
		}
	} else if *follow { // as tail -F: through truncation and a new file at the path
		f, err := mirror.OpenFollow(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	} else {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	if err := st.RefuseIfDemo(); err != nil {
		return fmt.Errorf("--data %s %w; sync into a new --data directory", c.dataDir, store.ErrDemoStore)
	}
	// GOGC is left at Go's default (or the operator's): 400 bought a fifth
	// of BenchmarkSync's time, whose heap had grown while the store was
	// loaded, but end to end a heap five times the live one is ~350,000
	// first-touch page faults (1.4 GB), dearer here than the collections
	// saved: 500,000 updates at 1M, 11.9-12.4 s at 400 against 11.0-12.0 s
	// at 100 (BENCHMARKS.md, 2026-12-07)
	ctx := c.context()
	var lost chan struct{} // closed: another process took over the stream
	if *follow {
		// one follower across a store's front ends (etcd's election):
		// this one waits its turn, and stops when another takes over,
		// for a supervisor to start it again as a candidate
		lead, err := st.Lead(ctx, store.RoleSyncFollower)
		if err != nil {
			return err
		}
		defer lead.Resign()
		held, cancel := context.WithCancel(ctx)
		defer cancel()
		lost = make(chan struct{})
		go func() {
			select {
			case <-lead.Lost():
				close(lost)
				cancel()
			case <-held.Done():
			}
		}()
		ctx = held
	}
	start := time.Now()
	// the batches' commits need not each wait for the disk: each holds
	// its checkpoint (S1) and becomes durable at the next durable point,
	// the last before this returns; through serve, an agent's action
	// meanwhile still waits for the disk, and takes the batches before it
	// there with it (store.Deferral)
	opts := mirror.SyncOptions{Name: name, Follow: *follow, Batch: *batch, Clock: c.io.Clock, DeferFsync: true}
	progress := c.progress("sync")
	opts.Progress = func(t store.SyncCounts, line int) {
		progress(fmt.Sprintf("line %d: %d applied (%d new), %d duplicate, %d stale, %d replayed; %s", line,
			t.Applied, t.New, t.Duplicate, t.Stale, t.Replayed, rate(t.Applied+t.Duplicate+t.Stale+t.Replayed, start)))
	}
	total, err := mirror.Sync(ctx, st, in, opts)
	progress("")
	events := total.Applied + total.Duplicate + total.Stale + total.Replayed
	cp := st.Checkpoint()
	fmt.Fprintf(c.io.Out, "%s: %d applied (%d new), %d duplicate, %d stale, %d replayed; checkpoint seq %d; %s\n",
		name, total.Applied, total.New, total.Duplicate, total.Stale, total.Replayed, cp, rate(events, start))
	var lineErr *store.LineError
	switch {
	case errors.As(err, &lineErr):
		return fmt.Errorf("%w (everything before it was applied; fix the line and run sync again: it resumes after seq %d)", err, cp)
	case err != nil:
		return fmt.Errorf("%w (everything applied before it stays; run sync again once that is mended: it resumes after seq %d)", err, cp)
	case !*follow && ctx.Err() != nil:
		// stopped (SIGTERM, ^C) before the end of FILE: not a success a
		// script may archive the file on (CLI review)
		return fmt.Errorf("interrupted before the end of %s: applied up to seq %d, which is durable; run sync again to resume there", name, cp)
	}
	select {
	case <-lost: // a nil channel (not following) never is
		return errors.New("another process took over following the change stream; this one stops (a supervisor starts it again, to stand by)")
	default:
	}
	return nil
}

// syncCheckpoint prints the change stream's checkpoint, or sets it by
// hand with a reason, audited (rule S1: a line that raised it too far
// would otherwise freeze the mirror for good).
func syncCheckpoint(c *ctx, set, reason string) error {
	if len(c.args) != 1 {
		return usagef("sync checkpoint: want no argument; --set N --reason R to set it")
	}
	if set == "" {
		if reason != "" {
			return usagef("sync checkpoint: --reason goes with --set N")
		}
		st, err := c.existingStore()
		if err != nil {
			return err
		}
		at := "no event applied yet"
		if t, ok := st.LastSync(); ok {
			at = "last event applied " + t.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(c.io.Out, "checkpoint seq %d (%s)\n", st.Checkpoint(), at)
		return nil
	}
	seq, err := strconv.ParseUint(set, 10, 64)
	if err != nil {
		return usagef("sync checkpoint --set: %q is not a seq (a whole number, 0 or more)", set)
	}
	if strings.TrimSpace(reason) == "" {
		return usagef("sync checkpoint --set: --reason is required (it is audited)")
	}
	st, err := c.existingStore()
	if err != nil {
		return err
	}
	old, err := st.SetCheckpoint(seq, c.io.actor(), reason, c.io.now())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.io.Out, "checkpoint seq %d (was %d): the next sync applies events after it\n", seq, old)
	return nil
}

func rate(n int, since time.Time) string {
	d := time.Since(since)
	if d < time.Millisecond || n == 0 {
		return fmt.Sprintf("%d events", n)
	}
	return fmt.Sprintf("%d events in %s (%.0f/s)", n, d.Round(time.Millisecond), float64(n)/d.Seconds())
}

// progress writes a progress line over itself on a terminal, at most a
// few times a second, and nothing elsewhere; progress("") clears it.
func (c *ctx) progress(what string) func(string) {
	f, ok := c.rawErr.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return func(string) {}
	}
	var last time.Time
	return func(s string) {
		if s == "" {
			fmt.Fprint(f, "\r\x1b[K")
			return
		}
		if time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		w, _, err := term.GetSize(f.Fd())
		line := what + ": " + s
		if err == nil && w > 1 && len(line) >= w {
			line = line[:w-1]
		}
		fmt.Fprint(f, "\r\x1b[K"+line)
	}
}

// outboxDeliver delivers every pending message and exits: 0 when all
// were delivered, 1 naming the dead ones (rule S8).
func outboxDeliver(c *ctx, st *store.Store, url, secretFile string, backoff time.Duration, attempts int, timeout time.Duration) error {
	relay, err := newRelay(st, url, secretFile, c.io.Clock)
	if err != nil {
		return err
	}
	relay.Backoff, relay.MaxAttempts, relay.Timeout = backoff, attempts, timeout
	pending, delivered, before, err := mirror.Summary(st)
	if err != nil {
		return err
	}
	start := time.Now()
	progress := c.progress("deliver")
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				p, d, dead, _ := mirror.Summary(st)
				progress(fmt.Sprintf("%d pending, %d delivered, %d dead", p, d-delivered, len(dead)-len(before)))
			}
		}
	}()
	err = relay.Drain(c.context())
	close(stop)
	progress("")
	if err != nil {
		return err
	}
	left, nowDelivered, dead, err := mirror.Summary(st)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.io.Out, "%d pending messages in %s: %d delivered, %d dead, %d left\n",
		pending, time.Since(start).Round(time.Millisecond), nowDelivered-delivered, len(dead)-len(before), left)
	for _, m := range dead {
		fmt.Fprintf(c.io.Out, "dead %d %s %s (account %s): %s after %d attempts\n", m.ID, m.Key, m.Type, m.Account, m.LastError, m.Attempts)
	}
	if len(dead) > 0 {
		return fmt.Errorf("%d dead messages: fix the cause, then `frontdoor outbox retry ID` (or KEY), or `outbox retry --dead` for all", len(dead))
	}
	return nil
}

// maxSecretFile is the most a --secret-file may hold: a secret is tens
// of bytes.
const maxSecretFile = 4 << 10

// newRelay builds the relay from the command line's URL and secret file.
// The URL is shown only redacted: it may carry a password or a token.
func newRelay(st *store.Store, rawURL, secretFile string, clock func() time.Time) (*mirror.Relay, error) {
	if rawURL == "" {
		return nil, usagef("give --url: where the platform takes the outbox's messages (http(s)://HOST/…)")
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("the delivery URL %s is not http(s)://HOST/…", mirror.RedactURL(rawURL))
	}
	if secretFile == "" {
		return nil, usagef("give --secret-file: the platform verifies each message's signature with it")
	}
	if err := checkPrivateFile(secretFile); err != nil {
		return nil, err
	}
	b, err := smallfile.Read(secretFile, maxSecretFile) // not a fifo, not 300 MB of zeros
	if err != nil {
		return nil, err
	}
	secret, err := mirror.ReadSecret(b, secretFile)
	if err != nil {
		return nil, err
	}
	return &mirror.Relay{Store: st, URL: rawURL, Secret: secret, Clock: clock}, nil
}

// outboxRetry re-queues a dead message, named by its id or by the key
// that deliver prints (fd-…-N).
func outboxRetry(c *ctx, st *store.Store, arg string) error {
	id, err := strconv.ParseUint(arg, 10, 64)
	if err != nil {
		msgs, err := st.Outbox(true)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(msgs, func(m store.OutboxMessage) bool { return m.Key == arg })
		if i < 0 {
			return fmt.Errorf("outbox retry: no message has the id or key %q (see `frontdoor outbox --all`)", arg)
		}
		id = msgs[i].ID
	}
	if err := st.Retry(id, c.io.actor(), c.io.now()); err != nil {
		return err
	}
	fmt.Fprintf(c.io.Out, "message %d is pending again\n", id)
	return nil
}

// outboxRetryDead re-queues every dead message, each audited as one
// retry is; a message settled meanwhile is named and the rest go on.
func outboxRetryDead(c *ctx, st *store.Store) error {
	_, _, dead, err := mirror.Summary(st)
	if err != nil {
		return err
	}
	failed := 0
	for _, m := range dead {
		if err := st.Retry(m.ID, c.io.actor(), c.io.now()); err != nil {
			fmt.Fprintf(c.io.Err, "message %d (%s): %v\n", m.ID, m.Key, err)
			failed++
			continue
		}
		fmt.Fprintf(c.io.Out, "message %d (%s) is pending again\n", m.ID, m.Key)
	}
	if failed > 0 {
		return fmt.Errorf("outbox retry --dead: %d of %d dead messages not retried", failed, len(dead))
	}
	fmt.Fprintf(c.io.Out, "%d dead %s queued again\n", len(dead), plural(len(dead), "message", "messages"))
	return nil
}
