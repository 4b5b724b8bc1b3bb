package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// What one account may carry (DOMAIN §6). The platform's accounts are
// small: a name is not megabytes, nor are sign-ins thousands. Bounds keep
// what one line can cost the server to what the platform sends: 20
// accounts with 230,000 unknown members each had taken the server from
// 20 MB to 1.2 GB, and one agent's search matching them 9 s and 3.95 GB;
// 300 names of 3.5 MB, through `sync -`, had run a server out of memory
// (attack review, issue 20). A record past a bound is refused, the field
// named, as any invalid one is: import's FILE:LINE: field, sync's file,
// line and seq (rule S7).
const (
	// MaxRecordBytes is the longest line import or sync reads: one
	// account (with a change-stream line's envelope). The largest the
	// other bounds allow (a thousand sign-ins …) is well under it.
	MaxRecordBytes = 256 << 10

	// MaxNameRunes: a person's name as a form takes it.
	MaxNameRunes = 200
	// MaxEmailBytes: RFC 5321's longest forward path, less its brackets.
	MaxEmailBytes = 254
	// MaxPhoneBytes: an E.164 number (15 digits) with room for the
	// separators people type and an extension.
	MaxPhoneBytes = 32
	// MaxTextRunes bounds the platform's other short strings: labels,
	// devices, browsers, who granted an exemption and why, who an
	// appointment is with.
	MaxTextRunes = 200

	// The lists, in elements.
	MaxPreviousEmails    = 100
	MaxSignInMethods     = 8 // three known, each once
	MaxFactors           = 20
	MaxRememberedDevices = 100
	MaxLogins            = 1000
	MaxResets            = 500
	MaxAppointments      = 1000
	MaxNotes             = 10000 // the console's own: each note at most MaxNoteLength

	// MaxUnknownMembers is the most members one object may carry that the
	// model does not know (kept, not dropped: §6): room for the platform
	// to add fields before the console learns them, not for a flood.
	MaxUnknownMembers = 64
	// MaxUnknownBytes bounds the unknown members of one account in all,
	// names and values: a quarter of the largest line, so a field the
	// platform adds to every sign-in still fits.
	MaxUnknownBytes = 64 << 10
)

// checkBounds refuses an account past the bounds above, naming the field.
// It is the first of Validate's checks, so nothing longer is looked at.
func (a *Account) checkBounds() error {
	if len(a.Email) > MaxEmailBytes { // ValidateEmail says so too; before the other checks look at it
		return fieldErr("email", "longer than %d bytes", MaxEmailBytes)
	}
	if n := utf8.RuneCountInString(a.Name); n > MaxNameRunes {
		return fieldErr("name", "%d characters, more than %d", n, MaxNameRunes)
	}
	if len(a.Phone) > MaxPhoneBytes {
		return fieldErr("phone", "longer than %d bytes", MaxPhoneBytes)
	}
	for _, l := range []struct {
		field  string
		n, max int
	}{
		{"previous_emails", len(a.PreviousEmails), MaxPreviousEmails},
		{"sign_in_methods", len(a.SignInMethods), MaxSignInMethods},
		{"factors", len(a.Factors), MaxFactors},
		{"remembered_devices", len(a.RememberedDevices), MaxRememberedDevices},
		{"logins", len(a.Logins), MaxLogins},
		{"resets", len(a.Resets), MaxResets},
		{"appointments", len(a.Appointments), MaxAppointments},
		{"notes", len(a.Notes), MaxNotes},
	} {
		if l.n > l.max {
			return fieldErr(l.field, "%d elements, more than %d", l.n, l.max)
		}
	}
	u := unknowns{}
	u.add("", a.Extra)
	for i, f := range a.Factors {
		it := item{"factors", i}
		if err := texts(it, ".label", f.Label, ".device", f.Device); err != nil {
			return err
		}
		if len(f.Phone) > MaxPhoneBytes {
			return fieldErr(it.at(".phone"), "longer than %d bytes", MaxPhoneBytes)
		}
		u.addItem(it, f.Extra)
	}
	for i, d := range a.RememberedDevices {
		it := item{"remembered_devices", i}
		if err := texts(it, ".label", d.Label); err != nil {
			return err
		}
		u.addItem(it, d.Extra)
	}
	if x := a.MFAExemption; x != nil {
		for _, f := range []struct{ field, v string }{{"mfa_exemption.granted_by", x.GrantedBy}, {"mfa_exemption.reason", x.Reason}} {
			if n := utf8.RuneCountInString(f.v); n > MaxTextRunes {
				return fieldErr(f.field, "%d characters, more than %d", n, MaxTextRunes)
			}
		}
		u.add("mfa_exemption", x.Extra)
	}
	for i, l := range a.Logins {
		it := item{"logins", i}
		method := ""
		if l.MFAMethod != nil {
			method = *l.MFAMethod
		}
		if err := texts(it, ".browser", l.Browser, ".device", l.Device, ".mfa_method", method); err != nil {
			return err
		}
		u.addItem(it, l.Extra)
	}
	for i, r := range a.Resets {
		it := item{"resets", i}
		if err := texts(it, ".requested_by", r.RequestedBy); err != nil {
			return err
		}
		u.addItem(it, r.Extra)
	}
	for i, ap := range a.Appointments {
		it := item{"appointments", i}
		if err := texts(it, ".with", ap.With); err != nil {
			return err
		}
		u.addItem(it, ap.Extra)
	}
	for i, n := range a.Notes {
		it := item{"notes", i}
		if err := texts(it, ".by", n.By); err != nil {
			return err
		}
		if c := utf8.RuneCountInString(n.Text); c > MaxNoteLength {
			return fieldErr(it.at(".text"), "%d characters, more than %d", c, MaxNoteLength)
		}
		u.addItem(it, n.Extra)
	}
	return u.err
}

// texts checks an element's short strings, given as sub-field, value pairs.
func texts(it item, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if len(pairs[i+1]) <= MaxTextRunes { // the usual string: no count needed
			continue
		}
		if n := utf8.RuneCountInString(pairs[i+1]); n > MaxTextRunes {
			return fieldErr(it.at(pairs[i]), "%d characters, more than %d", n, MaxTextRunes)
		}
	}
	return nil
}

// unknowns counts an account's unknown members, keeping the first bound
// crossed.
type unknowns struct {
	bytes int
	err   error
}

func (u *unknowns) addItem(it item, e Extra) {
	if len(e) > 0 && u.err == nil { // the path spelled only when there is something
		u.add(it.at(""), e)
	}
}

func (u *unknowns) add(path string, e Extra) {
	if len(e) == 0 || u.err != nil {
		return
	}
	if len(e) > MaxUnknownMembers {
		first, some := someKeys(e)
		u.err = fieldErr(join(path, first), "one of %d unknown members (%s): at most %d an object are kept", len(e), some, MaxUnknownMembers)
		return
	}
	for k, v := range e {
		u.bytes += len(k) + len(v)
	}
	if u.bytes > MaxUnknownBytes {
		first, some := someKeys(e)
		u.err = fieldErr(join(path, first), "unknown members (%s) past %d bytes in the account: at most that is kept", some, MaxUnknownBytes)
	}
}

// someKeys names e's first member, and the first few, for an error.
func someKeys(e Extra) (first, some string) {
	keys := slices.Sorted(maps.Keys(e))
	first = clip(keys[0])
	for i, k := range keys {
		keys[i] = fmt.Sprintf("%q", clip(k))
	}
	if len(keys) > 3 {
		return first, strings.Join(keys[:3], ", ") + ", …"
	}
	return first, strings.Join(keys, ", ")
}
