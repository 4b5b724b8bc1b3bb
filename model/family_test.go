package model

import "testing"

// TestPlusAddressDomainsRuleA2: the providers and every country variant A2
// names, and lookalikes that are not them.
func TestPlusAddressDomainsRuleA2(t *testing.T) {
	for email, want := range map[string]bool{
		"a@gmail.com": true, "a@googlemail.com": true,
		"a@hotmail.com": true, "a@hotmail.co.uk": true, "a@hotmail.fr": true, "a@hotmail.com.br": true, "a@hotmail.co.jp": true,
		"a@outlook.com": true, "a@outlook.fr": true, "a@outlook.com.au": true, "a@outlook.de": true,
		"a@live.com": true, "a@live.com.au": true, "a@live.co.uk": true, "a@live.nl": true,
		"a@msn.com": true, "a@windowslive.com": true,
		"a@icloud.com": true, "a@me.com": true, "a@mac.com": true,
		" A@Hotmail.CO.UK ": true,
		"a@gmail.co":        false, "a@yahoo.com": false, "a@protonmail.com": false,
		"a@outlook.example.com": false, "a@live.company.org": false, "a@myhotmail.com": false,
		"a@hotmail": false, "a@mail.gmail.com": false, "not an email": false,
	} {
		if got := SupportsPlusAddress(email); got != want {
			t.Errorf("SupportsPlusAddress(%q) = %v, want %v", email, got, want)
		}
	}
}

func TestPlusAddressBaseDropsAnExistingTag(t *testing.T) {
	for email, want := range map[string][2]string{
		"mike.obi+kid1@gmail.com": {"mike.obi", "gmail.com"},
		"Mike.Obi@GMAIL.com":      {"Mike.Obi", "gmail.com"},
		"a+b+c@me.com":            {"a", "me.com"},
	} {
		if l, d := PlusAddressBase(email); l != want[0] || d != want[1] {
			t.Errorf("PlusAddressBase(%q) = %q, %q; want %q", email, l, d, want)
		}
	}
}
