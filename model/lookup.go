package model

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MatchedEmail is the address of a that a look-up for query found: the
// current or a previous email equal to the query or, as search matches
// prefixes, starting with it (P7: ASCII case and surrounding spaces do not
// matter). An exact match beats a prefix, the current email a previous
// one. previous says whether it is only a previous email (P4); ok is false
// when no address of a matches the query (found by name, phone or id).
func MatchedEmail(a Account, query string) (email string, previous, ok bool) {
	q := NormalizeEmail(query)
	if q == "" {
		return "", false, false
	}
	all := append([]string{a.Email}, a.PreviousEmails...)
	for _, exact := range []bool{true, false} {
		for i, e := range all {
			n := NormalizeEmail(e)
			if (exact && n == q) || (!exact && strings.HasPrefix(n, q)) {
				return e, i > 0, true
			}
		}
	}
	return "", false, false
}

// SearchesMasked says whether a look-up query searches what the screen
// masks — an email (it has an @) or a phone (four digits or more) — and so
// may be a guess at a masked value: such look-ups are paced (DESIGN §3,
// PII masked until a reveal).
func SearchesMasked(q string) bool {
	digits := 0
	for _, r := range q {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return strings.Contains(q, "@") || digits >= 4
}

// foldName reads a name as callers spell it and agents type it: lower
// case, accents dropped (Zoë is zoe, Núñez nunez, Inês ines) and the
// letters that do not decompose spelled in ASCII (ø o, ß ss). Names
// only: emails keep P7's ASCII-only folding.
func foldName(s string) string {
	if isASCII(s) {
		// ASCII is its own NFD, has no marks and none of nameLetters:
		// lowered is folded, without the normaliser's copy (a name's
		// folding was a tenth of an import's parse)
		return strings.ToLower(s)
	}
	return foldNameSlow(s)
}

// foldNameSlow is foldName of any string.
func foldNameSlow(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if t, ok := nameLetters[r]; ok {
			b.WriteString(t)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

var nameLetters = map[rune]string{'ø': "o", 'æ': "ae", 'œ': "oe", 'ß': "ss", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i"}

// maxNameToken bounds one indexed word, in bytes.
const maxNameToken = 64

// nameParts splits a folded name into its words (split at spaces), each
// into its parts (split at punctuation: O'Brien-Núñez is o, brien, nunez).
func nameParts(name string) [][]string {
	var out [][]string
	for _, w := range strings.FieldsFunc(foldName(name), func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' || r == '/' }) {
		parts := strings.FieldsFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if len(parts) > 0 {
			out = append(out, parts)
		}
	}
	return out
}

// NameTokens are the words a name is indexed by for prefix search: each
// part of each word folded (foldName), and a word of several parts also
// joined, so "obrien" finds O'Brien-Núñez as "o brien" does.
func NameTokens(name string) []string {
	var out []string
	add := func(t string) {
		if len(t) > maxNameToken {
			t = strings.ToValidUTF8(t[:maxNameToken], "")
		}
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for _, parts := range nameParts(name) {
		for _, p := range parts {
			add(p)
		}
		if len(parts) > 1 {
			add(strings.Join(parts, ""))
		}
	}
	return out
}

// NameQueryWords are the words of a look-up, folded as NameTokens folds
// names; each must begin one of an account's NameTokens. A query's
// punctuation splits ("o'brien" is o and brien, both there).
func NameQueryWords(q string) []string {
	var out []string
	for _, parts := range nameParts(q) {
		for _, p := range parts {
			if len(p) > maxNameToken {
				p = strings.ToValidUTF8(p[:maxNameToken], "")
			}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}
