package cli

import (
	"bufio"
	"strconv"

	"frontdoor/internal/gen"
	"frontdoor/model"
)

// runGen writes synthetic accounts as import JSONL: the same seed gives
// the same bytes, for load tests and benchmarks. With --updates, it
// writes a change stream of updates to those accounts instead, for
// timing `frontdoor sync FILE` as the operator runs it (BENCHMARKS.md).
func runGen(c *ctx) error {
	n := c.fs.Int("accounts", 1000, "how many accounts to write; with --updates, how many the store holds (gen --accounts N imported)")
	seed := c.fs.Uint64("seed", 1, "the generator's seed: the same seed writes the same accounts")
	updates := c.fs.Int("updates", 0, "write N change-stream events instead: updates of random accounts of --accounts, each with one sign-in more, version 1, 2, … per account (over an import's 0)")
	after := c.fs.Uint64("after", 0, "with --updates: the first event's seq is this plus one (the store's checkpoint, as sync checkpoint shows it)")
	if err := c.parse(); err != nil {
		return err
	}
	if len(c.args) != 0 {
		return usagef("gen takes no arguments (it writes JSONL to stdout)")
	}
	if *n < 0 || *n > 100_000_000 {
		return usagef("gen: --accounts %s: want 0 to 100000000", strconv.Itoa(*n))
	}
	if *updates < 0 || *updates > 100_000_000 {
		return usagef("gen: --updates %s: want 0 to 100000000", strconv.Itoa(*updates))
	}
	if *after > model.MaxStreamNumber-uint64(*updates) {
		// seq past what a change stream may carry (S1's bound): sync
		// refused them, and past 2^64 they wrapped to 0 (CLI review)
		return usagef("gen: --after %d: the last event's seq would pass %d (2^53−1, S1)", *after, uint64(model.MaxStreamNumber))
	}
	w := bufio.NewWriterSize(c.jsonOut(), 1<<20)
	if *updates > 0 {
		if *n == 0 {
			return usagef("gen --updates: --accounts is the store's accounts, at least 1")
		}
		if err := gen.New(*seed).WriteUpdates(w, *n, *updates, *after); err != nil {
			return err
		}
		return w.Flush()
	}
	if *after != 0 {
		return usagef("gen: --after goes with --updates")
	}
	if err := gen.New(*seed).Write(w, *n); err != nil {
		return err
	}
	return w.Flush()
}
