package model

import "strings"

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
