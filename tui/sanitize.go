package tui

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Sanitize makes untrusted text (anything from an account or an import)
// safe for a terminal. It is the one place this happens, on the way to a
// screen; the store keeps every string as imported.
//
// Control characters (C0, DEL, C1, so every escape sequence's
// introducer), bidirectional overrides and isolates, line and paragraph
// separators, other invisible format characters and invalid UTF-8 are
// shown escaped (\x1b, \u202e), so an agent sees that something is there
// without the terminal acting on it. Stacks of combining marks (zalgo)
// are cut to two per character so they cannot spill over other lines,
// and what joins or restyles emoji is left out (emojiJoin), so a line is
// as wide on every terminal as the layout counted.
func Sanitize(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	marks := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\u%04x`, r)
		case emojiJoin(r):
			// dropped: terminals disagree on how wide the sequence they
			// make is (tmux 3.3 draws 👍🏽 4 cells wide, 👩🏽‍💻 4 and ❤️ 1, where
			// the layout's width counts 2, 2 and 2), and a line drawn
			// wider than counted wraps and breaks the frame; without
			// them every terminal draws what the layout counted
		case unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r):
			marks++
			if marks <= 2 {
				b.WriteRune(r)
			}
			i += size
			continue
		default:
			b.WriteRune(r)
		}
		marks = 0
		i += size
	}
	return b.String()
}

// emojiJoin: the zero-width joiner, the variation selectors that ask
// for text or emoji presentation, and the skin-tone modifiers — what
// joins or restyles an emoji rather than being a character of its own.
func emojiJoin(r rune) bool {
	return r == '\u200d' || r == '\ufe0e' || r == '\ufe0f' || (r >= 0x1f3fb && r <= 0x1f3ff)
}

// Typable says whether r may go into a text box: Sanitize shows it as it
// is (Sanitize is the one definition: controls, bidi overrides and
// isolates, separators and other invisible format characters are
// escaped there). An ASCII key costs no allocation.
func Typable(r rune) bool {
	s := string(r)
	return Sanitize(s) == s
}

// isPlain: printable ASCII needs no work (the common case, on every frame).
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// Fit sanitises s and makes it exactly w cells wide: cut with "…" when
// too long (whole graphemes, wide characters counted as two), padded with
// spaces when short.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	s = ansi.Truncate(Sanitize(s), w, "…")
	if pad := w - Width(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// Clip sanitises s and cuts it to at most w cells, without padding.
func Clip(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(Sanitize(s), w, "…")
}

// Width is the number of cells s takes on screen: ansi.StringWidth,
// with a quick way for what most of a frame is — printable ASCII and SGR
// colour sequences (ESC [ digits and semicolons m) — where each byte is a cell or part of a sequence.
// ansi.StringWidth walks grapheme clusters; on every line of every frame
// (fitting the screen to the window) it was a fifth of drawing a
// keystroke's frame (issue 23). Anything else takes the long way.
func Width(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			n++
		case c == 0x1b && i+1 < len(s) && s[i+1] == '[':
			// SGR: digits and semicolons, then m
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';') {
				j++
			}
			if j >= len(s) || s[j] != 'm' {
				return ansi.StringWidth(s)
			}
			i = j
		case c >= 0x80:
			// a letter with its accent, a dash, a quote, an arrow, a box
			// line: one cell each, and none joins what is next to it
			r, size := utf8.DecodeRuneInString(s[i:])
			if !oneCell(r) {
				return ansi.StringWidth(s)
			}
			n++
			i += size - 1
		default:
			return ansi.StringWidth(s)
		}
	}
	return n
}

// oneCell: r takes one cell on its own and starts its own grapheme
// cluster whatever comes before it (so what the quick Width counts is
// what ansi.StringWidth counts; TestWidthOfOneCellRunes checks each).
func oneCell(r rune) bool {
	switch {
	case r >= 0xC0 && r <= 0x24F: // Latin letters with accents
		return true
	case r >= 0x2010 && r <= 0x2027: // dashes, quotes, bullets, ellipsis
		return true
	case r >= 0x2030 && r <= 0x203B: // ‰ ′ ″ ‹ › ※
		return true
	case r >= 0x2190 && r <= 0x2193: // ← ↑ → ↓
		return true
	case r >= 0x2500 && r <= 0x257F: // box drawing
		return true
	}
	return false
}

// TextWriter passes text to w through Sanitize, line by line: what the
// command line prints from accounts, audits or arguments cannot act on
// the terminal it lands in. Newlines and tabs pass (they are the output's
// own layout). A rune split across writes is held until it is whole;
// Flush writes what is held.
func TextWriter(w io.Writer) *SafeWriter {
	return &SafeWriter{w: w, clean: func(s string) string {
		parts := strings.Split(s, "\n")
		for i, p := range parts {
			fields := strings.Split(p, "\t")
			for j, f := range fields {
				fields[j] = Sanitize(f)
			}
			parts[i] = strings.Join(fields, "\t")
		}
		return strings.Join(parts, "\n")
	}}
}

// JSONWriter passes encoded JSON to w with every C1 control, DEL and
// invisible format or bidi character (U+0080–U+009F, U+007F, U+200E,
// U+202E, U+2066 …) written as a \u escape. Such characters can only
// stand inside JSON strings, so the document means the same and decodes
// to the exact string, but a terminal showing it raw acts on none of
// them (encoding/json escapes C0, U+2028 and U+2029 itself).
func JSONWriter(w io.Writer) *SafeWriter {
	return &SafeWriter{w: w, clean: escapeJSON}
}

func escapeJSON(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == 0x7f || (r >= 0x80 && r < 0xa0) || (r != '\u200d' && unicode.Is(unicode.Cf, r)) {
			if r > 0xffff { // JSON spells these as a UTF-16 surrogate pair (tag characters, U+E0001…)
				hi, lo := utf16.EncodeRune(r)
				fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SafeWriter cleans what passes through it; see TextWriter, JSONWriter.
type SafeWriter struct {
	w       io.Writer
	clean   func(string) string
	pending []byte // the start of a rune the next write completes
}

// Write cleans p's whole runes and holds a rune cut at its end.
func (s *SafeWriter) Write(p []byte) (int, error) {
	buf := append(s.pending, p...)
	cut := len(buf)
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-utf8.UTFMax; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				cut = i
			}
			break
		}
	}
	s.pending = append([]byte(nil), buf[cut:]...)
	if _, err := io.WriteString(s.w, s.clean(string(buf[:cut]))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a rune left incomplete at the end (escaped: it is invalid).
func (s *SafeWriter) Flush() error {
	if len(s.pending) == 0 {
		return nil
	}
	rest := s.pending
	s.pending = nil
	_, err := io.WriteString(s.w, s.clean(string(rest)))
	return err
}
