// Package corpus reads the hostile-string corpora in testdata/ for tests
// and fuzz seeds of any package.
package corpus

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Naughty returns the Big List of Naughty Strings (testdata/corpora).
func Naughty(tb testing.TB) []string {
	tb.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "testdata", "corpora", "blns.base64.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var enc []string
	if err := json.Unmarshal(b, &enc); err != nil {
		tb.Fatal(err)
	}
	out := make([]string, 0, len(enc))
	for _, e := range enc {
		if d, err := base64.StdEncoding.DecodeString(e); err == nil {
			out = append(out, string(d))
		}
	}
	return out
}

// EndlessLine reads as a line that never ends (/dev/zero, `yes | tr -d
// '\n'`): 'a' after 'a', no newline, no end.
type EndlessLine struct{}

func (EndlessLine) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// Returns runs fn and gives its error, failing the test if fn has not
// returned within a minute: a liveness bound for what must not hang
// (an endless input), not a timing.
func Returns(tb testing.TB, what string, fn func() error) error {
	tb.Helper()
	got := make(chan error, 1)
	go func() { got <- fn() }()
	select {
	case err := <-got:
		return err
	case <-time.After(time.Minute):
		tb.Fatalf("%s never returned", what)
		return nil
	}
}
