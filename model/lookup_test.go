package model

import "testing"

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
