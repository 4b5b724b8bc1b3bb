package model

import (
	"errors"
	"regexp"
	"strings"
	"sync"
)

// Family accounts (A1, A2): every person needs their own account with a
// unique email; a family member without an address of their own may use
// a plus-address of the parent's, where the mail provider delivers it.

// plusDomains deliver name+tag@domain to name@domain (rule A2).
var plusDomains = map[string]bool{
	"gmail.com": true, "googlemail.com": true,
	"msn.com": true, "windowslive.com": true,
	"icloud.com": true, "me.com": true, "mac.com": true,
}

// microsoftDomain matches every country variant of Hotmail, Outlook and
// Live (rule A2): hotmail.com, hotmail.co.uk, outlook.fr, live.com.au …
// The part after the brand is a country suffix (a two-letter code,
// optionally under co/com/net/org), or com/net; so a company's own
// outlook.example.com is not one of them. Compiled on first use: every
// command would pay for it before main (issue 23).
var microsoftDomain = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(hotmail|outlook|live)\.(com|net|[a-z]{2}|(co|com|net|org)\.[a-z]{2})$`)
})

// SupportsPlusAddress reports whether email's provider delivers
// name+tag@domain to name@domain (rule A2). Case and spaces do not matter.
func SupportsPlusAddress(email string) bool {
	_, domain, ok := strings.Cut(NormalizeEmail(email), "@")
	return ok && (plusDomains[domain] || microsoftDomain().MatchString(domain))
}

// PlusAddressBase is what a plus-address suggestion builds on: the part
// before the @, without a +tag it already has, and the domain (rule A2):
// "mike.obi+kid1@gmail.com" gives "mike.obi", "gmail.com". The local part
// keeps the caller's spelling.
func PlusAddressBase(email string) (local, domain string) {
	local, domain, _ = strings.Cut(strings.TrimSpace(email), "@")
	local, _, _ = strings.Cut(local, "+")
	return local, NormalizeEmail(domain)
}

// FamilyBase is what a family member's plus-address builds on (rule A2):
// PlusAddressBase of an address that is an email and has a name before
// its +tag. It refuses anything else, saying why without repeating the
// address: a full-width ＠ (U+FF20) is not an @, so "kid＠gmail.com" has
// no domain to read; and "+kid@gmail.com" would give "+1@gmail.com",
// which is nobody's inbox.
func FamilyBase(email string) (local, domain string, err error) {
	e := strings.TrimSpace(email)
	if ValidateEmail(e) != nil {
		if strings.ContainsRune(e, '＠') {
			return "", "", errors.New("not a valid email address: its @ is a full-width ＠ (U+FF20)")
		}
		return "", "", errors.New("not a valid email address")
	}
	local, domain = PlusAddressBase(e)
	if local == "" {
		return "", domain, errors.New("no name before its +tag")
	}
	return local, domain, nil
}
