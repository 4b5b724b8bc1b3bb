package ssh

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestPasteLimit(t *testing.T) {
	big := strings.Repeat("x", 3*maxPaste)
	for _, c := range []struct{ name, in, want string }{
		{"typing passes", "abc\r", "abc\r"},
		{"a small paste passes", "a\x1b[200~hello\x1b[201~b", "a\x1b[200~hello\x1b[201~b"},
		{"a big paste is cut, its end kept", "\x1b[200~" + big + "\x1b[201~z", "\x1b[200~" + big[:maxPaste] + "\x1b[201~z"},
		{"a paste of exactly the limit passes", "\x1b[200~" + big[:maxPaste] + "\x1b[201~", "\x1b[200~" + big[:maxPaste] + "\x1b[201~"},
		{"two pastes each counted", "\x1b[200~" + big + "\x1b[201~\x1b[200~ok\x1b[201~", "\x1b[200~" + big[:maxPaste] + "\x1b[201~\x1b[200~ok\x1b[201~"},
	} {
		// one byte a read: every marker split across reads
		got, err := io.ReadAll(&pasteLimit{r: iotest.OneByteReader(strings.NewReader(c.in))})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, []byte(c.want)) {
			t.Errorf("%s: got %d bytes, want %d", c.name, len(got), len(c.want))
		}
	}
}

// fakeTime is a clock the test moves by hand.
type fakeTime struct{ t time.Time }

func (f *fakeTime) now() time.Time { return f.t }

// A user's input budget (issue 20, item 5): what comes faster than it
// is dropped, typing and a whole bracketed paste pass, and the markers
// stay in step with what the program saw.
func TestInputBudget(t *testing.T) {
	flood := strings.Repeat("maria ", 1<<20/6) // a megabyte, no bracketed paste
	paste := "\x1b[200~" + strings.Repeat("y", maxPaste) + "\x1b[201~"
	for _, c := range []struct {
		name      string
		in        string
		most      int    // at most this many bytes pass
		want      string // when set, exactly this passes
		hasSuffix string
	}{
		{name: "typing passes", in: "noah kim\r", want: "noah kim\r"},
		{name: "a whole bracketed paste passes", in: paste, want: paste},
		{name: "a flood is cut at the burst", in: flood, most: inputBurst},
		{name: "a flood of empty pastes passes no more than twice the burst",
			in: strings.Repeat("\x1b[200~\x1b[201~", 1<<20/12), most: 2 * inputBurst},
		{name: "a paste whose start was dropped passes nothing of its end",
			in: flood + "\x1b[200~zz\x1b[201~", most: inputBurst},
	} {
		clock := &fakeTime{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
		b := newInputBudget(clock.now)
		// reads of seven bytes, as Bubble Tea's are small: markers split across them
		got, err := io.ReadAll(&pasteLimit{r: smallReads{strings.NewReader(c.in), 7}, budget: b})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.want != "" && string(got) != c.want:
			t.Errorf("%s: %d bytes passed, want %d", c.name, len(got), len(c.want))
		case c.most > 0 && len(got) > c.most:
			t.Errorf("%s: %d bytes passed, want at most %d", c.name, len(got), c.most)
		case c.most > 0 && b.dropped.Load() == 0:
			t.Errorf("%s: nothing counted dropped", c.name)
		}
		if bytes.Count(got, pasteEnd) > bytes.Count(got, pasteStart) {
			t.Errorf("%s: an end marker passed without its start", c.name)
		}
	}
}

// The budget refills at its rate, and one user's sessions share it.
func TestInputBudgetRefillsAndIsShared(t *testing.T) {
	clock := &fakeTime{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	var bs inputBudgets
	bs.now = clock.now
	a, releaseA := bs.hold("sam")
	b, releaseB := bs.hold("sam")
	other, releaseOther := bs.hold("ann")
	defer releaseOther()
	if a != b || a == other {
		t.Fatal("one budget a user, shared by their sessions")
	}
	if got := a.take(inputBurst + 1); got != inputBurst {
		t.Fatalf("the first take got %d, want the burst %d", got, inputBurst)
	}
	if got := b.take(10); got != 0 {
		t.Fatalf("sam's other session got %d bytes of a spent budget", got)
	}
	if got := other.take(10); got != 10 {
		t.Fatalf("ann got %d of 10: another user's budget is her own", got)
	}
	clock.t = clock.t.Add(time.Second)
	if got := b.take(1 << 20); got != inputRate {
		t.Fatalf("a second later %d bytes, want the rate %d", got, inputRate)
	}
	releaseA()
	releaseA() // twice is once
	releaseB()
	if c, release := bs.hold("sam"); c == a {
		t.Fatal("a budget outlived every session holding it")
	} else {
		release()
	}
}

// smallReads reads at most n bytes at a time.
type smallReads struct {
	r io.Reader
	n int
}

func (s smallReads) Read(b []byte) (int, error) { return s.r.Read(b[:min(len(b), s.n)]) }
