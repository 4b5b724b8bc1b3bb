package model

import "fmt"

// MaxStreamNumber is the largest change-stream seq or version taken
// (rules S1, S2): 2^53−1, the largest integer every JSON encoder carries
// exactly (a float64's: JavaScript's, jq's). A larger one is no counter's;
// held as the checkpoint (or an account's version) it would make every
// later event look replayed (or stale), freezing the mirror for good.
const MaxStreamNumber = 1<<53 - 1

// MaxStreamJump is the most one step may raise a seq over the held one
// (the checkpoint, or the line before), and the largest version (rules S1,
// S2): 2^32. Gaps are normal (S1: a stream
// filtered to this console's accounts skips the rest), but 2^32 events
// skipped at once is fifty days of a thousand events a second that all
// belonged to others, and 2^32 versions of one account between two of its
// snapshots is not an account's history. A jump beyond it is a mistake or
// an attack, and once held it could not be undone by the stream: it is
// refused, and an operator who means it sets the checkpoint by hand
// (`frontdoor sync checkpoint --set`).
const MaxStreamJump = 1 << 32

// CheckSeq says whether a change-stream line's seq is plausible over
// held, the seq the mirror holds (its checkpoint, or the stream's line
// before; 0: none yet, so any seq up to MaxStreamNumber). A seq at or
// below held is not judged here: a replay is skipped (S1).
func CheckSeq(held, seq uint64) error {
	return checkStep("seq", held, seq)
}

// CheckVersion says whether a snapshot's version is plausible (rule S2).
// A version counts one account's changes from its first, so it is at most
// MaxStreamJump whatever the mirror holds: held, a larger one (a first
// snapshot at 2^53−1, say) would make every later snapshot of the account
// stale. That bounds every step over a held version too.
func CheckVersion(version uint64) error {
	if version > MaxStreamJump {
		return fmt.Errorf("%d is more than 2^32 changes of one account: no account's history (S2); held, it would make every later snapshot of the account stale", version)
	}
	return nil
}

func checkStep(what string, held, n uint64) error {
	switch {
	case n > MaxStreamNumber:
		return fmt.Errorf("%d is past 2^53−1, the largest %s taken (S1, S2)", n, what)
	case held > 0 && n > held && n-held > MaxStreamJump:
		return fmt.Errorf("jumps from %d to %d, more than 2^32 at once: not a gap (S1, S2); if it is meant, set the checkpoint with `frontdoor sync checkpoint --set`", held, n)
	}
	return nil
}
