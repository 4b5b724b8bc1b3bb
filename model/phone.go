package model

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Phone numbers are read against the numbering plans of libphonenumber
// (github.com/nyaruka/phonenumbers), not a pattern of our own: which area
// codes belong to Canada, the Caribbean or a US territory, and which
// ranges are toll-free or premium, is its metadata's business.
//
// Every phone the console accepts goes through ParsePhone: the contact
// phone on file (any country: a client may live abroad, or in Puerto
// Rico) and, through USPhone, a 2FA phone factor (US numbers only, M2).

// Phone is a number read against its numbering plan.
type Phone struct {
	E164    string // "+12125550123"
	Country int32  // country calling code: 1 for the North American plan
	Region  string // ISO 3166 region by the numbering plan: "US", "CA", "PR" …; "" when none
	Type    phonenumbers.PhoneNumberType
}

// ParsePhone reads s, written in E.164 form (+, country code, number;
// spaces, dashes, dots and brackets allowed), as a number that is valid
// in its numbering plan and reaches a phone: toll-free, premium-rate,
// shared-cost, UAN, pager and voicemail numbers are not phones (M2).
func ParsePhone(s string) (Phone, error) {
	p, valid, err := readPhone(s)
	if err != nil {
		return Phone{}, err
	}
	if !valid {
		return Phone{}, fmt.Errorf("%q is not a number in the numbering plan of +%d", clip(s), p.Country)
	}
	if what, ok := notAPhone[p.Type]; ok {
		return Phone{}, fmt.Errorf("%q is a %s number, not a phone (M2)", clip(s), what)
	}
	return p, nil
}

// phoneMemo remembers what readPhone said of a string: a change stream
// sends an account's same numbers with every snapshot, and
// libphonenumber's reading costs tens of microseconds (a third of sync's
// time before this). The answer depends on s alone; the memo is bounded.
var phoneMemo struct {
	sync.Mutex
	m map[string]phoneRead
}

type phoneRead struct {
	p     Phone
	valid bool
	err   error
}

const phoneMemoSize = 1 << 16

// readPhone parses s and says whether it is a valid number. The region is
// set even for an invalid number where the plan tells it from the first
// digits (a territory's area code), so USPhone can say why it refuses.
func readPhone(s string) (Phone, bool, error) {
	phoneMemo.Lock()
	r, ok := phoneMemo.m[s]
	phoneMemo.Unlock()
	if ok {
		return r.p, r.valid, r.err
	}
	r.p, r.valid, r.err = readPhoneUncached(s)
	phoneMemo.Lock()
	if phoneMemo.m == nil || len(phoneMemo.m) >= phoneMemoSize {
		phoneMemo.m = make(map[string]phoneRead, 1024)
	}
	phoneMemo.m[s] = r
	phoneMemo.Unlock()
	return r.p, r.valid, r.err
}

func readPhoneUncached(s string) (p Phone, valid bool, err error) {
	d := phoneDigits(s)
	if strings.HasPrefix(d, "00") {
		return p, false, fmt.Errorf("%q starts with an international dialling prefix: write it as +<country code>…", clip(s))
	}
	if !strings.HasPrefix(d, "+") {
		return p, false, fmt.Errorf("%q has no country code: write it as +1… (E.164)", clip(s))
	}
	digits := d[1:]
	if len(digits) < 8 || len(digits) > 15 || strings.TrimFunc(digits, isASCIIDigit) != "" {
		return p, false, fmt.Errorf("%q is not a phone number in E.164 form (+ and 8–15 digits)", clip(s))
	}
	n, err := phonenumbers.Parse(d, "ZZ")
	if err != nil {
		return p, false, fmt.Errorf("%q is not a phone number: %v", clip(s), err)
	}
	p.E164, p.Country = phonenumbers.Format(n, phonenumbers.E164), n.GetCountryCode()
	if p.Country == 1 {
		if err := nanpShape(s, p.E164[2:]); err != nil {
			return Phone{}, false, err
		}
	}
	valid = phonenumbers.IsValidNumber(n)
	p.Region, p.Type = phonenumbers.GetRegionCodeForNumber(n), phonenumbers.GetNumberType(n)
	if !valid && IsFictionalNANP(p.E164) {
		if region, typ, ok := areaCodeOf(p.E164[2:5]); ok {
			p.Region, p.Type, valid = region, typ, true
		}
	}
	return p, valid, nil
}

// notAPhone names the number types that do not reach a phone line.
var notAPhone = map[phonenumbers.PhoneNumberType]string{
	phonenumbers.TOLL_FREE:    "toll-free",
	phonenumbers.PREMIUM_RATE: "premium-rate",
	phonenumbers.SHARED_COST:  "shared-cost",
	phonenumbers.UAN:          "universal access (UAN)",
	phonenumbers.PAGER:        "pager",
	phonenumbers.VOICEMAIL:    "voicemail access",
}

// nanpShape checks a +1 national number: 10 digits NXX-NXX-XXXX, and
// neither the area code nor the exchange an N11 service code (211 … 911:
// 411 directory, 911 emergency …), which is never a phone number (M2).
func nanpShape(s, national string) error {
	if len(national) != 10 || national[0] < '2' || national[3] < '2' {
		return fmt.Errorf("%q is not a valid US number: want +1 and 10 digits, area code and exchange not starting with 0 or 1", clip(s))
	}
	for _, code := range []string{national[0:3], national[3:6]} {
		if code[1:] == "11" {
			return fmt.Errorf("%q uses the N11 service code %s (like 411 or 911): not a phone number", clip(s), code)
		}
	}
	return nil
}

// IsFictionalNANP reports whether e164 is in the 555-0100 … 555-0199
// range that the North American numbering plan reserves for fiction:
// fixtures and demo data use it. libphonenumber's metadata does not
// promise these numbers are valid (today it calls +1 983 555 0123
// invalid while +1 212 555 0123 is valid), so such a number is read as a
// number of its area code: see areaCodeOf.
func IsFictionalNANP(e164 string) bool {
	if len(e164) != 12 || !strings.HasPrefix(e164, "+1") {
		return false
	}
	n := e164[2:]
	return n[3:6] == "555" && n[6:8] == "01"
}

// areaCodeOf is the region and number type of area code npa, from
// libphonenumber: those of the first valid number npa-N00-1000 (N = 2 …
// 9), lines no plan reserves; ok is false when the area code has none.
func areaCodeOf(npa string) (region string, typ phonenumbers.PhoneNumberType, ok bool) {
	for n := '2'; n <= '9'; n++ {
		probe, err := phonenumbers.Parse("+1"+npa+string(n)+"001000", "ZZ")
		if err == nil && phonenumbers.IsValidNumber(probe) {
			return phonenumbers.GetRegionCodeForNumber(probe), phonenumbers.GetNumberType(probe), true
		}
	}
	return "", phonenumbers.UNKNOWN, false
}

// nanpRegions names the other regions of the +1 plan, for error messages.
var nanpRegions = map[string]string{
	"CA": "Canada",
	"PR": "Puerto Rico", "GU": "Guam", "VI": "US Virgin Islands", "AS": "American Samoa", "MP": "Northern Mariana Islands",
	"AG": "Antigua and Barbuda", "AI": "Anguilla", "BB": "Barbados", "BM": "Bermuda", "BS": "Bahamas", "DM": "Dominica",
	"DO": "Dominican Republic", "GD": "Grenada", "JM": "Jamaica", "KN": "St Kitts and Nevis", "KY": "Cayman Islands",
	"LC": "St Lucia", "MS": "Montserrat", "SX": "Sint Maarten", "TC": "Turks and Caicos", "TT": "Trinidad and Tobago",
	"VC": "St Vincent and the Grenadines", "VG": "British Virgin Islands",
}

// territories are US territories with a region of their own in the plan.
var territories = map[string]bool{"PR": true, "GU": true, "VI": true, "AS": true, "MP": true}

// errNotUS marks a 2FA phone refused by rule M2.
var errNotUS = errors.New("M2: phone codes are sent to US numbers only")

// USPhone reads s as a 2FA phone: a number whose region is the United
// States by the numbering plan, and a phone (rule M2). +1 numbers of
// Canada and the Caribbean, the territories with their own region (PR,
// GU, VI, AS, MP), toll-free, premium-rate and N11 service numbers are
// refused, each with its reason. The fictional 555-01xx lines count as
// numbers of their area code (IsFictionalNANP).
func USPhone(s string) (Phone, error) {
	p, valid, err := readPhone(s)
	if err != nil {
		return Phone{}, fmt.Errorf("%w (M2: 2FA phones must be US +1 numbers)", err)
	}
	if p.Country != 1 {
		return Phone{}, fmt.Errorf("%q is not a US +1 number (%w)", clip(s), errNotUS)
	}
	switch r := p.Region; {
	case r == "US" && valid:
	case r == "CA":
		return Phone{}, fmt.Errorf("%q is a number of Canada, not of the US (%w)", clip(s), errNotUS)
	case territories[r]:
		return Phone{}, fmt.Errorf("%q is a number of %s, a US territory with its own region: not accepted (%w)", clip(s), nanpRegions[r], errNotUS)
	case nanpRegions[r] != "":
		return Phone{}, fmt.Errorf("%q is a number of %s (Caribbean), not of the US (%w)", clip(s), nanpRegions[r], errNotUS)
	default:
		return Phone{}, fmt.Errorf("%q is not a number in the US numbering plan (%w)", clip(s), errNotUS)
	}
	switch p.Type {
	case phonenumbers.TOLL_FREE:
		return Phone{}, fmt.Errorf("%q is a toll-free number (800, 833 … 888), not a phone (%w)", clip(s), errNotUS)
	case phonenumbers.PREMIUM_RATE:
		return Phone{}, fmt.Errorf("%q is a premium-rate (900) number, not a phone (%w)", clip(s), errNotUS)
	}
	if what, ok := notAPhone[p.Type]; ok {
		return Phone{}, fmt.Errorf("%q is a %s number, not a phone (%w)", clip(s), what, errNotUS)
	}
	return p, nil
}

// NormalizePhone returns a contact phone in E.164 form (any country).
func NormalizePhone(s string) (string, error) {
	p, err := ParsePhone(s)
	return p.E164, err
}

// NormalizeUSPhone returns a 2FA phone in E.164 form, or the M2 error.
func NormalizeUSPhone(s string) (string, error) {
	p, err := USPhone(s)
	return p.E164, err
}

// FormatPhone writes a number as it is read aloud and as MaskPhone masks
// it: "+1 212-555-0132" for the North American plan, the international
// form of its plan elsewhere ("+44 20 7946 0958"); what is not a number
// is returned as it is. A revealed phone had been "+12125550132".
func FormatPhone(s string) string {
	d := strings.TrimPrefix(phoneDigits(s), "+")
	if len(d) == 11 && d[0] == '1' && strings.TrimFunc(d, isASCIIDigit) == "" {
		return "+1 " + d[1:4] + "-" + d[4:7] + "-" + d[7:]
	}
	n, err := phonenumbers.Parse(phoneDigits(s), "ZZ")
	if err != nil || !strings.HasPrefix(phoneDigits(s), "+") {
		return s
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}
