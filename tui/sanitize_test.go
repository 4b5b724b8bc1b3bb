package tui

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"frontdoor/internal/corpus"
)

func TestSanitize(t *testing.T) {
	cases := map[string]string{
		"Maria Lopez":                     "Maria Lopez",
		"\x1b[2J\x1b[31mred":              `\x1b[2J\x1b[31mred`,
		"\x1b]52;c;ZXZpbA==\x07":          `\x1b]52;c;ZXZpbA==\x07`,
		"a\u202eevil\u202c":               `a\u202eevil\u202c`,
		"line\nbreak\rcr\ttab":            `line\x0abreak\x0dcr\x09tab`,
		"c1\u009b31m":                     `c1\u009b31m`,
		"bad\xffutf8":                     `bad\xffutf8`,
		"Zoë O'Brien-Núñez":               "Zoë O'Brien-Núñez",
		"张伟":                              "张伟",
		"👩‍👩‍👧":                           "👩👩👧",
		"👍🏽 ❤️ 👩🏽‍💻":                      "👍 ❤ 👩💻",
		"ad\u200bmin":                     `ad\u200bmin`,
		"z\u0301\u0302\u0303\u0304\u0305": "z\u0301\u0302",
	}
	for in, want := range cases {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEmojiAsWideAsCounted: what Sanitize leaves of an emoji sequence is
// as wide as the layout counts it on a terminal that draws one
// character at a time. The widths are tmux 3.3a's, measured by its
// cursor (BENCHMARKS.md has none: a fact of the terminal): it drew 👍🏽 4
// cells wide and ❤️ 1, where ansi.StringWidth, the layout's measure,
// counts 2 and 2 — a name holding one wrapped its line and broke the
// frame.
func TestEmojiAsWideAsCounted(t *testing.T) {
	drawn := map[string]int{ // as given, tmux 3.3a
		"👍🏽": 4, "👩🏽\u200d💻": 4, "❤\ufe0f": 1, "☺\ufe0f": 1,
	}
	for in, tmux := range drawn {
		out := Sanitize(in)
		perRune := 0 // a terminal that joins nothing: each rune its own width
		for _, r := range out {
			perRune += ansi.StringWidth(string(r))
		}
		if got := ansi.StringWidth(out); got != perRune {
			t.Errorf("Sanitize(%q) = %q: the layout counts %d cells, drawn rune by rune it is %d (tmux drew the original %d)", in, out, got, perRune, tmux)
		}
	}
}

// safe: nothing a terminal would act on survives.
func safe(t *testing.T, in, out string) {
	t.Helper()
	for _, r := range out {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Fatalf("Sanitize(%q) kept control %U: %q", in, r, out)
		}
	}
	if !utf8.ValidString(out) {
		t.Fatalf("Sanitize(%q) is not valid UTF-8", in)
	}
}

func TestSanitizeNaughtyStrings(t *testing.T) {
	for _, s := range corpus.Naughty(t) {
		out := Sanitize(s)
		safe(t, s, out)
		for _, w := range []int{1, 7, 20} {
			if got := ansi.StringWidth(Fit(s, w)); got != w {
				t.Fatalf("Fit(%q, %d) is %d cells wide", s, w, got)
			}
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range corpus.Naughty(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		safe(t, s, out)
		if Sanitize(out) != out && !strings.Contains(s, "\u0300") {
			// escaping is idempotent except where marks were cut
			t.Fatalf("not idempotent: %q → %q → %q", s, out, Sanitize(out))
		}
		if w := ansi.StringWidth(Fit(s, 12)); w != 12 {
			t.Fatalf("Fit width %d", w)
		}
	})
}

// FuzzSafeWriters: whatever is written, in whatever pieces, the text
// writer lets nothing through a terminal acts on, and the JSON writer
// keeps a JSON document that decodes to the exact string.
func FuzzSafeWriters(f *testing.F) {
	for _, s := range corpus.Naughty(f) {
		f.Add(s, uint8(3))
	}
	f.Add("caf\u00e9\u202e\x1b[31m\u0085", uint8(1))
	f.Fuzz(func(t *testing.T, s string, cut uint8) {
		write := func(w *SafeWriter, b []byte) {
			step := int(cut)%7 + 1 // split anywhere, runes included
			for i := 0; i < len(b); i += step {
				w.Write(b[i:min(i+step, len(b))])
			}
			w.Flush()
		}
		var text bytes.Buffer
		write(TextWriter(&text), []byte(s))
		for _, r := range strings.ReplaceAll(strings.ReplaceAll(text.String(), "\n", ""), "\t", "") {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) || emojiJoin(r) {
				t.Fatalf("TextWriter let %U through: %q", r, text.String())
			}
		}
		doc, _ := json.Marshal(s)
		var js bytes.Buffer
		write(JSONWriter(&js), doc)
		var back string
		if err := json.Unmarshal(js.Bytes(), &back); err != nil {
			t.Fatalf("JSONWriter broke the document: %v: %q", err, js.String())
		}
		var want string // what encoding/json itself gives back (invalid UTF-8 becomes U+FFFD)
		json.Unmarshal(doc, &want)
		if back != want {
			t.Fatalf("JSONWriter changed the string: %q → %q", want, back)
		}
		for _, r := range js.String() {
			if r == 0x7f || (r >= 0x80 && r < 0xa0) || (r != '\u200d' && unicode.Is(unicode.Cf, r)) {
				t.Fatalf("JSONWriter let %U through: %q", r, js.String())
			}
		}
	})
}
