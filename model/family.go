package model

import (
	"regexp"
	"strings"
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
// outlook.example.com is not one of them.
var microsoftDomain = regexp.MustCompile(`^(hotmail|outlook|live)\.(com|net|[a-z]{2}|(co|com|net|org)\.[a-z]{2})$`)

// SupportsPlusAddress reports whether email's provider delivers
// name+tag@domain to name@domain (rule A2). Case and spaces do not matter.
func SupportsPlusAddress(email string) bool {
	_, domain, ok := strings.Cut(NormalizeEmail(email), "@")
	return ok && (plusDomains[domain] || microsoftDomain.MatchString(domain))
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
