package model

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// parseFast decodes an account line in one pass, for the lines import
// and sync see nearly always: every member known, strings without
// escapes, each member once. It checks the shape as it goes (kinds,
// required members, RFC 3339 times read as encoding/json reads them),
// so what it accepts is exactly what the long way (json.Valid,
// checkShapeRaw, json.Unmarshal through decodeKeeping) would decode, to
// the same Account. Anything else (an unknown member kept in Extra, an
// escape, a number, a duplicate key, bad JSON) makes ok false, and the
// long way decodes it and words the error. The long way was nine tenths
// of a line's parse (TestParseFastAgrees holds the two together).
func parseFast(b []byte) (a Account, ok bool) { return parseFastShare(b, false) }

// parseFastShare is parseFast; share: the account's strings share b's
// memory instead of copies (see DecodeAccountShared).
func parseFastShare(b []byte, share bool) (a Account, ok bool) {
	s := scanner{b: b, share: share}
	var seen uint32
	ok = s.object(func(key []byte) bool {
		bit, field := uint32(0), string(key)
		switch field {
		case "id":
			bit = 1 << 0
		case "email":
			bit = 1 << 1
		case "name":
			bit = 1 << 2
		case "role":
			bit = 1 << 3
		case "status":
			bit = 1 << 4
		case "us_state":
			bit = 1 << 5
		case "phone":
			bit = 1 << 6
		case "date_of_birth":
			bit = 1 << 7
		case "created_at":
			bit = 1 << 8
		case "email_verified_at":
			bit = 1 << 9
		case "emails_unsubscribed_at":
			bit = 1 << 10
		case "previous_emails":
			bit = 1 << 11
		case "sign_in_methods":
			bit = 1 << 12
		case "factors":
			bit = 1 << 13
		case "remembered_devices":
			bit = 1 << 14
		case "mfa_exemption":
			bit = 1 << 15
		case "logins":
			bit = 1 << 16
		case "resets":
			bit = 1 << 17
		case "appointments":
			bit = 1 << 18
		case "notes":
			bit = 1 << 19
		default:
			return false // unknown: kept in Extra by the long way
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		switch field {
		case "id":
			return s.reqString(&a.ID)
		case "email":
			return s.reqString(&a.Email)
		case "name":
			return s.reqString(&a.Name)
		case "role":
			return s.reqString(&a.Role)
		case "status":
			return s.reqString(&a.Status)
		case "us_state":
			return s.optString(&a.USState)
		case "phone":
			return s.optString(&a.Phone)
		case "date_of_birth":
			return s.optString(&a.DateOfBirth)
		case "created_at":
			return s.optTime(&a.CreatedAt)
		case "email_verified_at":
			return s.optTime(&a.EmailVerifiedAt)
		case "emails_unsubscribed_at":
			return s.optTime(&a.EmailsUnsubscribedAt)
		case "previous_emails":
			return list(&s, &a.PreviousEmails, func(v *string) bool { return s.reqString(v) })
		case "sign_in_methods":
			return list(&s, &a.SignInMethods, func(v *string) bool { return s.reqString(v) })
		case "factors":
			return list(&s, &a.Factors, s.factor)
		case "remembered_devices":
			return list(&s, &a.RememberedDevices, s.device)
		case "mfa_exemption":
			if s.null() {
				a.MFAExemption = nil
				return true
			}
			a.MFAExemption = new(Exemption)
			return s.exemption(a.MFAExemption)
		case "logins":
			return list(&s, &a.Logins, s.login)
		case "resets":
			return list(&s, &a.Resets, s.reset)
		case "appointments":
			return list(&s, &a.Appointments, s.appointment)
		case "notes":
			return list(&s, &a.Notes, s.note)
		}
		return false
	})
	const required = 1<<0 | 1<<1 | 1<<2 | 1<<3 | 1<<4
	if !ok || seen&required != required || !s.end() {
		return Account{}, false
	}
	return a, true
}

type scanner struct {
	b     []byte
	i     int
	share bool // strings share b's memory (DecodeAccountShared)
	// times holds the times reqTime reads, a few to an allocation: one
	// each (a sign-in's, a reset's, …) was a fifth of a line's garbage
	times []time.Time
}

// str is a string of b's bytes: a copy, or b's own memory when sharing.
func (s *scanner) str(b []byte) string {
	if s.share && len(b) > 0 {
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// end: nothing but space is left.
func (s *scanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

func (s *scanner) peek() byte {
	s.space()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) null() bool {
	if s.peek() == 'n' && len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// raw reads a string without escapes and returns it with its quotes.
func (s *scanner) raw() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i
	ascii := true
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			q := s.b[start:s.i]
			if !ascii && !utf8.Valid(q) {
				return nil, false // encoding/json would replace the bad bytes
			}
			return q, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, false
}

func (s *scanner) reqString(dst *string) bool {
	q, ok := s.raw()
	if ok {
		*dst = s.str(q[1 : len(q)-1])
	}
	return ok
}

// optString: null leaves the field as it is, as encoding/json does.
func (s *scanner) optString(dst *string) bool {
	return s.null() || s.reqString(dst)
}

func (s *scanner) reqTime(dst **time.Time) bool {
	q, ok := s.raw()
	if !ok {
		return false
	}
	if len(s.times) == cap(s.times) {
		s.times = make([]time.Time, 0, 8)
	}
	s.times = s.times[:len(s.times)+1]
	t := &s.times[len(s.times)-1]
	if t.UnmarshalJSON(q) != nil || !IsUTC(*t) {
		return false // the slow path explains it
	}
	*dst = t
	return true
}

func (s *scanner) optTime(dst **time.Time) bool {
	if s.null() {
		*dst = nil
		return true
	}
	return s.reqTime(dst)
}

// object reads {"key": value, …}, member reading each value.
func (s *scanner) object(member func(key []byte) bool) bool {
	if s.peek() != '{' {
		return false
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		q, ok := s.raw()
		if !ok || s.peek() != ':' {
			return false
		}
		s.i++
		if !member(q[1 : len(q)-1]) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// list reads a list, or null (nil), into dst: [] is an empty list, not
// nil, as encoding/json makes it.
func list[T any](s *scanner, dst *[]T, elem func(*T) bool) bool {
	if s.null() {
		*dst = nil
		return true
	}
	if s.peek() != '[' {
		return false
	}
	s.i++
	out := make([]T, 0, 2)
	if s.peek() == ']' {
		s.i++
		*dst = out
		return true
	}
	for {
		var v T
		if !elem(&v) {
			return false
		}
		out = append(out, v)
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			*dst = out
			return true
		default:
			return false
		}
	}
}

// fields reads an object whose members are all in names, each at most
// once, and all of the first nreq present; read reads member k's value.
func (s *scanner) fields(names []string, nreq int, read func(k int) bool) bool {
	var seen uint32
	ok := s.object(func(key []byte) bool {
		for k, n := range names {
			if n == string(key) {
				if seen&(1<<k) != 0 {
					return false
				}
				seen |= 1 << k
				return read(k)
			}
		}
		return false
	})
	return ok && seen&(1<<nreq-1) == 1<<nreq-1
}

var factorNames = []string{"id", "type", "label", "phone", "device", "enrolled_at", "last_used_at", "used_at"}

func (s *scanner) factor(f *Factor) bool {
	return s.fields(factorNames, 2, func(k int) bool {
		switch k {
		case 0:
			return s.reqString(&f.ID)
		case 1:
			return s.reqString(&f.Type)
		case 2:
			return s.optString(&f.Label)
		case 3:
			return s.optString(&f.Phone)
		case 4:
			return s.optString(&f.Device)
		case 5:
			return s.optTime(&f.EnrolledAt)
		case 6:
			return s.optTime(&f.LastUsedAt)
		default:
			return s.optTime(&f.UsedAt)
		}
	})
}

// deviceNames: remembered_at is required, label not: required ones first.
var deviceNames = []string{"id", "remembered_at", "label"}

func (s *scanner) device(d *RememberedDevice) bool {
	return s.fields(deviceNames, 2, func(k int) bool {
		switch k {
		case 0:
			return s.reqString(&d.ID)
		case 1:
			return s.reqTime(&d.RememberedAt)
		default:
			return s.optString(&d.Label)
		}
	})
}

var exemptionNames = []string{"granted_at", "expires_at", "granted_by", "reason"}

func (s *scanner) exemption(e *Exemption) bool {
	return s.fields(exemptionNames, 2, func(k int) bool {
		switch k {
		case 0:
			return s.reqTime(&e.GrantedAt)
		case 1:
			return s.reqTime(&e.ExpiresAt)
		case 2:
			return s.optString(&e.GrantedBy)
		default:
			return s.optString(&e.Reason)
		}
	})
}

var loginNames = []string{"at", "portal", "result", "mfa_method", "browser", "device"}

func (s *scanner) login(l *Login) bool {
	return s.fields(loginNames, 3, func(k int) bool {
		switch k {
		case 0:
			return s.reqTime(&l.At)
		case 1:
			return s.reqString(&l.Portal)
		case 2:
			return s.reqString(&l.Result)
		case 3:
			if s.null() {
				l.MFAMethod = nil
				return true
			}
			m := new(string)
			l.MFAMethod = m
			return s.reqString(m)
		case 4:
			return s.optString(&l.Browser)
		default:
			return s.optString(&l.Device)
		}
	})
}

var resetNames = []string{"id", "requested_at", "status", "portal", "sent_at", "delivered_at", "clicked_at", "used_at", "requested_by"}

func (s *scanner) reset(r *Reset) bool {
	return s.fields(resetNames, 3, func(k int) bool {
		switch k {
		case 0:
			return s.reqString(&r.ID)
		case 1:
			return s.reqTime(&r.RequestedAt)
		case 2:
			return s.reqString(&r.Status)
		case 3:
			return s.optString(&r.Portal)
		case 4:
			return s.optTime(&r.SentAt)
		case 5:
			return s.optTime(&r.DeliveredAt)
		case 6:
			return s.optTime(&r.ClickedAt)
		case 7:
			return s.optTime(&r.UsedAt)
		default:
			return s.optString(&r.RequestedBy)
		}
	})
}

var appointmentNames = []string{"id", "starts_at", "kind", "with"}

func (s *scanner) appointment(a *Appointment) bool {
	return s.fields(appointmentNames, 3, func(k int) bool {
		switch k {
		case 0:
			return s.reqString(&a.ID)
		case 1:
			return s.reqTime(&a.StartsAt)
		case 2:
			return s.reqString(&a.Kind)
		default:
			return s.optString(&a.With)
		}
	})
}

var noteNames = []string{"at", "text", "by"}

func (s *scanner) note(n *Note) bool {
	return s.fields(noteNames, 2, func(k int) bool {
		switch k {
		case 0:
			return s.reqTime(&n.At)
		case 1:
			return s.reqString(&n.Text)
		default:
			return s.optString(&n.By)
		}
	})
}

// DecodeAccountFast is parseFast for the store's change-stream reader:
// the account decoded and its shape checked in one pass, not validated;
// ok false when the line needs the long way (ParseAccount).
func DecodeAccountFast(b []byte) (Account, bool) { return parseFast(b) }

// DecodeAccountShared is DecodeAccountFast whose strings share b's
// memory instead of copying it (copying a line's dozens of strings was a
// tenth of a sync's parsing). b must not change while the account is in
// use: for a change-stream line kept whole anyway (a snapshot's Raw),
// never for memory that is reused or unmapped (a store's page).
func DecodeAccountShared(b []byte) (Account, bool) { return parseFastShare(b, true) }

// IndexedAccount is what applying a snapshot needs of the account it
// replaces: the fields the store's indexes are made of, and the notes
// (the console's own, kept).
type IndexedAccount struct {
	ID, Email, Name, Phone string
	PreviousEmails         []string
	Factors                []Factor // Type and Phone only
	Notes                  []Note
}

// DecodeIndexedFast reads only those fields of an account, skipping the
// rest (sign-ins, resets …) without decoding them: the read of the old
// record was a fifth of applying an update. It takes what parseFast
// takes, less its checks on the members it skips, and gives what
// encoding/json gives for those fields; anything else (an unknown or
// repeated member, an escape, a number) is ok false.
func DecodeIndexedFast(b []byte) (IndexedAccount, bool) {
	s := scanner{b: b}
	var a IndexedAccount
	var seen uint32
	ok := s.object(func(key []byte) bool {
		k := string(key)
		i := slices.Index(accountNames, k)
		if i < 0 || seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		switch k {
		case "id":
			return s.optString(&a.ID)
		case "email":
			return s.optString(&a.Email)
		case "name":
			return s.optString(&a.Name)
		case "phone":
			return s.optString(&a.Phone)
		case "previous_emails":
			return list(&s, &a.PreviousEmails, func(v *string) bool { return s.reqString(v) })
		case "factors":
			return list(&s, &a.Factors, s.indexedFactor)
		case "notes":
			return list(&s, &a.Notes, s.note)
		}
		return s.skip()
	})
	if !ok || !s.end() {
		return IndexedAccount{}, false
	}
	return a, true
}

var accountNames = []string{"id", "email", "name", "role", "status", "us_state", "phone", "date_of_birth",
	"created_at", "email_verified_at", "emails_unsubscribed_at", "previous_emails", "sign_in_methods",
	"factors", "remembered_devices", "mfa_exemption", "logins", "resets", "appointments", "notes"}

// indexedFactor reads a factor's type and phone, skipping its other
// known members.
func (s *scanner) indexedFactor(f *Factor) bool {
	var seen uint32
	return s.object(func(key []byte) bool {
		k := string(key)
		i := slices.Index(factorNames, k)
		if i < 0 || seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		switch k {
		case "type":
			return s.optString(&f.Type)
		case "phone":
			return s.optString(&f.Phone)
		}
		return s.skip()
	})
}

// skip passes over one value of the kinds an account holds (null,
// strings without escapes, lists, objects), checking its syntax.
func (s *scanner) skip() bool {
	switch s.peek() {
	case 'n':
		return s.null()
	case '"':
		_, ok := s.raw()
		return ok
	case '{':
		return s.object(func([]byte) bool { return s.skip() })
	case '[':
		return s.skipList(s.skip)
	}
	return false
}

// ScanMembers reads one JSON object and hands each member's key and raw
// value to member, in order, without decoding it: a string (never with
// escapes: ok false), a number, true, false, null, or a list or object of
// the kinds an account holds. For the store's record envelope, whose
// encoding/json pass checked and skipped the whole account before the
// account's own pass read it again (a fifth of a look-up's CPU with 100
// agents typing). ok is false for anything else; the caller then takes
// the long way.
func ScanMembers(b []byte, member func(key, value []byte) bool) bool {
	s := scanner{b: b}
	ok := s.object(func(key []byte) bool {
		c := s.peek()
		start := s.i
		switch {
		case c == 't' || c == 'f':
			for _, lit := range []string{"true", "false"} {
				if bytes.HasPrefix(b[s.i:], []byte(lit)) {
					s.i += len(lit)
					return member(key, b[start:s.i])
				}
			}
			return false
		case c == '-' || c >= '0' && c <= '9':
			for s.i < len(b) && strings.IndexByte("+-.0123456789eE", b[s.i]) >= 0 {
				s.i++
			}
			return member(key, b[start:s.i])
		}
		if !s.skip() {
			return false
		}
		return member(key, b[start:s.i])
	})
	return ok && s.end()
}

// DecodeListed reads only what a search lists of an account (model's
// look-up table: id, email and previous emails, name, role, status, phone,
// created_at), passing over the rest, unknown members and notes included,
// without decoding it: a search matching accounts that carried hundreds
// of thousands of unknown members had decoded them all, at every
// keystroke (attack review, issue 20). The account it gives has those
// fields only. b must be valid JSON, as a stored record's account is
// (import and sync checked it): what it passes over is not checked. ok
// false (an escape in a field it reads, a repeated member, a member
// encoding/json would take for a listed one) takes the long way.
func DecodeListed(b []byte) (Account, bool) {
	s := scanner{b: b}
	var a Account
	var seen uint32
	ok := s.object(func(key []byte) bool {
		k := string(key)
		i := slices.Index(accountNames, k)
		if i < 0 {
			for _, n := range accountNames {
				if strings.EqualFold(n, k) {
					return false // encoding/json would take it for n
				}
			}
			return s.skipAny() // unknown: not listed, not decoded
		}
		if seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		switch k {
		case "id":
			return s.optString(&a.ID)
		case "email":
			return s.optString(&a.Email)
		case "name":
			return s.optString(&a.Name)
		case "role":
			return s.optString(&a.Role)
		case "status":
			return s.optString(&a.Status)
		case "phone":
			return s.optString(&a.Phone)
		case "created_at":
			return s.optTime(&a.CreatedAt)
		case "previous_emails":
			return list(&s, &a.PreviousEmails, func(v *string) bool { return s.reqString(v) })
		}
		return s.skipAny()
	})
	if !ok || !s.end() {
		return Account{}, false
	}
	return a, true
}

// ParseListed is DecodeListed, or where it declines, the long way:
// encoding/json into the listed fields alone, which passes over the
// members the struct does not name without keeping them (Account's own
// decoder keeps them all).
func ParseListed(b []byte) (Account, error) {
	if a, ok := DecodeListed(b); ok {
		return a, nil
	}
	var f listedJSON
	if err := json.Unmarshal(b, &f); err != nil {
		return Account{}, err
	}
	return Account{ID: f.ID, Email: f.Email, Name: f.Name, Role: f.Role, Status: f.Status, Phone: f.Phone,
		CreatedAt: f.CreatedAt, PreviousEmails: f.PreviousEmails}, nil
}

// listedJSON is what encoding/json reads of the fields DecodeListed reads.
type listedJSON struct {
	ID             string     `json:"id"`
	Email          string     `json:"email"`
	Name           string     `json:"name"`
	Role           string     `json:"role"`
	Status         string     `json:"status"`
	Phone          string     `json:"phone"`
	CreatedAt      *time.Time `json:"created_at"`
	PreviousEmails []string   `json:"previous_emails"`
}

// skipList passes over a list whose elements elem passes over.
func (s *scanner) skipList(elem func() bool) bool {
	s.i++ // [
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// skipAny is skip for any JSON value: also numbers, true and false (an
// unknown member may be one), and strings with escapes.
func (s *scanner) skipAny() bool {
	switch c := s.peek(); {
	case c == 't' || c == 'f':
		for _, lit := range []string{"true", "false"} {
			if bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
				s.i += len(lit)
				return true
			}
		}
		return false
	case c == '-' || c >= '0' && c <= '9':
		start := s.i
		for s.i < len(s.b) && strings.IndexByte("+-.0123456789eE", s.b[s.i]) >= 0 {
			s.i++
		}
		return s.i > start
	case c == '"':
		for j := s.i + 1; j < len(s.b); j++ {
			switch s.b[j] {
			case '\\':
				j++
			case '"':
				s.i = j + 1
				return true
			}
		}
		return false
	case c == '{':
		return s.object(func([]byte) bool { return s.skipAny() })
	case c == '[':
		return s.skipList(s.skipAny)
	}
	return s.null()
}
