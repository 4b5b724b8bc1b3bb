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
