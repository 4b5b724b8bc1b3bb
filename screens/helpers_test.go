package screens

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"regexp"
	"testing"
)

func naughty(t *testing.T) []string {
	b, err := os.ReadFile("../testdata/corpora/blns.base64.json")
	if err != nil {
		t.Fatal(err)
	}
	var enc []string
	json.Unmarshal(b, &enc)
	var out []string
	for _, e := range enc {
		if d, err := base64.StdEncoding.DecodeString(e); err == nil {
			out = append(out, string(d))
		}
	}
	return out
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// stripSGR removes the styling the renderer itself adds.
func stripSGR(s string) string { return sgr.ReplaceAllString(s, "") }
