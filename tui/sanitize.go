package tui

import (
	"fmt"
	"strings"
	"unicode"
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
// are cut to two per character so they cannot spill over other lines.
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
		case r == '\u200d': // zero-width joiner: part of emoji sequences
			b.WriteRune(r)
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
	if pad := w - ansi.StringWidth(s); pad > 0 {
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

// Width is the number of cells s takes on screen.
func Width(s string) int { return ansi.StringWidth(s) }
