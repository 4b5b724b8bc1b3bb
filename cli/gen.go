package cli

import (
	"bufio"
	"strconv"

	"frontdoor/internal/gen"
)

// runGen writes synthetic accounts as import JSONL: the same seed gives
// the same bytes, for load tests and benchmarks.
func runGen(c *ctx) error {
	n := c.fs.Int("accounts", 1000, "how many accounts to write")
	seed := c.fs.Uint64("seed", 1, "the generator's seed: the same seed writes the same accounts")
	if err := c.parse(); err != nil {
		return err
	}
	if len(c.args) != 0 {
		return usagef("gen takes no arguments (it writes JSONL to stdout)")
	}
	if *n < 0 || *n > 100_000_000 {
		return usagef("gen: --accounts %s: want 0 to 100000000", strconv.Itoa(*n))
	}
	w := bufio.NewWriterSize(c.jsonOut(), 1<<20)
	if err := gen.New(*seed).Write(w, *n); err != nil {
		return err
	}
	return w.Flush()
}
