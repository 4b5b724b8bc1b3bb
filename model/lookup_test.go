package model

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatchedEmail(t *testing.T) {
	a := Account{Email: "dr.moore@mooremind.com", PreviousEmails: []string{"dmoore@cityclinic.org", "dr.moore@old.org"}}
	for _, c := range []struct {
		query, email string
		previous, ok bool
	}{
		{"dmoore@cityclinic.org", "dmoore@cityclinic.org", true, true},
		{" DMoore@CityClinic.org ", "dmoore@cityclinic.org", true, true},
		{"dmoore@city", "dmoore@cityclinic.org", true, true},
		{"dr.moore@", "dr.moore@mooremind.com", false, true}, // current beats previous
		{"dr.moore@old.org", "dr.moore@old.org", true, true},
		{"Daniel Moore", "", false, false},
		{"\u212Amoore@cityclinic.org", "", false, false}, // P7: not k
	} {
		e, prev, ok := MatchedEmail(a, c.query)
		if e != c.email || prev != c.previous || ok != c.ok {
			t.Errorf("MatchedEmail(%q) = %q, %v, %v; want %q, %v, %v", c.query, e, prev, ok, c.email, c.previous, c.ok)
		}
	}
}

// Names fold accents and punctuation for indexing and querying alike;
// emails do not (P7).
func TestNameTokensFold(t *testing.T) {
	if got := strings.Join(NameTokens("Zoë O'Brien-Núñez"), " "); got != "zoe o brien nunez obriennunez" {
		t.Errorf("tokens %q", got)
	}
	if got := strings.Join(NameQueryWords("Inês O'Brien"), " "); got != "ines o brien" {
		t.Errorf("query words %q", got)
	}
	if got := strings.Join(NameTokens("Søren Straße"), " "); got != "soren strasse" {
		t.Errorf("tokens %q", got)
	}
	if NormalizeEmail("Zoë@x.com") == NormalizeEmail("zoe@x.com") {
		t.Error("an email was folded past ASCII (P7)")
	}
}

// TestFoldNameASCII: an ASCII name is folded by lowering it alone, as the
// whole folding would fold it, every ASCII byte included.
func TestFoldNameASCII(t *testing.T) {
	var every []byte
	for c := range byte(utf8.RuneSelf) {
		every = append(every, c)
	}
	for _, s := range []string{"", "Linh Flores", "O'BRIEN-Smith", "  Mary,  Ann / Lee;x ", "A1b2\tC3\n", string(every)} {
		if got, want := foldName(s), foldNameSlow(s); got != want {
			t.Errorf("foldName(%q) = %q, want %q", s, got, want)
		}
	}
	for _, s := range []string{"Zoë", "Søren Straße", "ÀB"} {
		if isASCII(s) {
			t.Errorf("%q taken for ASCII", s)
		}
	}
}
