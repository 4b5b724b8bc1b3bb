package model

import (
	"strings"
	"testing"
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
