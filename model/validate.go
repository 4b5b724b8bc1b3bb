package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// FieldError says which field of a record is wrong and why. Field is a
// path such as "factors[1].phone".
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ParseAccount decodes one JSONL record and validates it. Shape errors
// (a string where a list belongs, a time that is not RFC 3339) and rule
// errors (an unknown role, a non-US phone factor) both come back as a
// *FieldError naming the field.
func ParseAccount(line []byte) (Account, error) {
	if a, ok := parseFast(line); ok {
		if err := a.Validate(); err != nil {
			return Account{}, err
		}
		return a, nil
	}
	return parseSlow(line)
}

// parseSlow is ParseAccount the long way, for any line parseFast leaves.
func parseSlow(line []byte) (Account, error) {
	if err := notUTF8(line); err != nil {
		return Account{}, err
	}
	// the shape is checked on the bytes, without decoding them into a
	// tree of maps (a third of a line's parse); a line that is not one
	// valid value, or has a key with an escape, goes the long way, which
	// also words the error
	shapeErr, ok := error(nil), false
	if json.Valid(line) {
		shapeErr, ok = checkShapeRaw("", line, accountShape)
	}
	if !ok {
		var raw any
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil {
			return Account{}, &FieldError{Reason: "not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
		}
		if dec.More() {
			return Account{}, &FieldError{Reason: "more than one JSON value on the line"}
		}
		shapeErr = checkShape("", raw, accountShape)
	}
	if shapeErr != nil {
		return Account{}, shapeErr
	}
	var a Account
	if err := json.Unmarshal(line, &a); err != nil {
		// checkShape admits only what decodes; this is a bug if reached.
		return Account{}, &FieldError{Reason: "does not decode: " + err.Error()}
	}
	if err := a.Validate(); err != nil {
		return Account{}, err
	}
	return a, nil
}

// shape describes the JSON kind a member must have.
type shape struct {
	kind     shapeKind
	required bool
	fields   map[string]shape // for objects
	elem     *shape           // for lists
}

type shapeKind int

const (
	kString shapeKind = iota
	kTime
	kList
	kObject
)

var (
	str     = shape{kind: kString}
	reqStr  = shape{kind: kString, required: true}
	stamp   = shape{kind: kTime}
	reqTime = shape{kind: kTime, required: true}
)

func listOf(s shape) shape                    { return shape{kind: kList, elem: &s} }
func object(f map[string]shape) shape         { return shape{kind: kObject, fields: f} }
func requiredObject(f map[string]shape) shape { return shape{kind: kObject, fields: f, required: true} }

var accountShape = requiredObject(map[string]shape{
	"id": reqStr, "email": reqStr, "name": reqStr, "role": reqStr, "status": reqStr,
	"us_state": str, "phone": str, "date_of_birth": str,
	"created_at": stamp, "email_verified_at": stamp, "emails_unsubscribed_at": stamp,
	"previous_emails": listOf(reqStr),
	"sign_in_methods": listOf(reqStr),
	"factors": listOf(requiredObject(map[string]shape{
		"id": reqStr, "type": reqStr, "label": str, "phone": str, "device": str,
		"enrolled_at": stamp, "last_used_at": stamp, "used_at": stamp,
	})),
	"remembered_devices": listOf(requiredObject(map[string]shape{
		"id": reqStr, "label": str, "remembered_at": reqTime,
	})),
	"mfa_exemption": object(map[string]shape{
		"granted_at": reqTime, "expires_at": reqTime, "granted_by": str, "reason": str,
	}),
	"logins": listOf(requiredObject(map[string]shape{
		"at": reqTime, "portal": reqStr, "result": reqStr, "mfa_method": str,
		"browser": str, "device": str,
	})),
	"resets": listOf(requiredObject(map[string]shape{
		"id": reqStr, "requested_at": reqTime, "portal": str, "status": reqStr,
		"sent_at": stamp, "delivered_at": stamp, "clicked_at": stamp, "used_at": stamp,
		"requested_by": str,
	})),
	"appointments": listOf(requiredObject(map[string]shape{
		"id": reqStr, "starts_at": reqTime, "kind": reqStr, "with": str,
	})),
	"notes": listOf(requiredObject(map[string]shape{
		"at": reqTime, "by": str, "text": reqStr,
	})),
})

// checkShape walks a decoded JSON value against s. Members not in s are
// unknown fields and are kept as they are.
func checkShape(path string, v any, s shape) error {
	if v == nil {
		if s.required {
			return fieldErr(orRecord(path), "required, got null")
		}
		return nil
	}
	switch s.kind {
	case kString:
		if _, ok := v.(string); !ok {
			return fieldErr(path, "must be a string, got %s", jsonKind(v))
		}
	case kTime:
		t, ok := v.(string)
		if !ok {
			return fieldErr(path, "must be an RFC 3339 time string, got %s", jsonKind(v))
		}
		if err := checkStamp(path, t); err != nil {
			return err
		}
	case kList:
		list, ok := v.([]any)
		if !ok {
			return fieldErr(path, "must be a list, got %s", jsonKind(v))
		}
		for i, e := range list {
			if err := checkShape(fmt.Sprintf("%s[%d]", path, i), e, *s.elem); err != nil {
				return err
			}
		}
	case kObject:
		obj, ok := v.(map[string]any)
		if !ok {
			return fieldErr(orRecord(path), "must be an object, got %s", jsonKind(v))
		}
		for _, name := range slices.Sorted(maps.Keys(s.fields)) {
			fs := s.fields[name]
			member, present := obj[name]
			p := join(path, name)
			if !present {
				if fs.required {
					return fieldErr(p, "required")
				}
				continue
			}
			if err := checkShape(p, member, fs); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkShapeRaw is checkShape on the encoded value raw (valid JSON):
// the same checks in the same order, the same errors. ok is false when it
// cannot tell (a key with an escape or invalid UTF-8): use checkShape.
func checkShapeRaw(path string, raw []byte, s shape) (err error, ok bool) {
	raw = bytes.TrimSpace(raw)
	kind := rawKind(raw)
	if kind == "null" {
		if s.required {
			return fieldErr(orRecord(path), "required, got null"), true
		}
		return nil, true
	}
	switch s.kind {
	case kString:
		if kind != "a string" {
			return fieldErr(path, "must be a string, got %s", kind), true
		}
	case kTime:
		if kind != "a string" {
			return fieldErr(path, "must be an RFC 3339 time string, got %s", kind), true
		}
		var t string
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, false
		}
		if err := checkStamp(path, t); err != nil {
			return err, true
		}
	case kList:
		if kind != "a list" {
			return fieldErr(path, "must be a list, got %s", kind), true
		}
		i := 0
		var first error
		known := true
		elements(raw, func(e []byte) bool {
			first, known = checkShapeRaw(fmt.Sprintf("%s[%d]", path, i), e, *s.elem)
			i++
			return first == nil && known
		})
		if !known || first != nil {
			return first, known
		}
	case kObject:
		if kind != "an object" {
			return fieldErr(orRecord(path), "must be an object, got %s", kind), true
		}
		obj := map[string][]byte{}
		twice, ok := membersOnce(raw, func(k string, v []byte) { obj[k] = v })
		if !ok {
			return nil, false
		}
		if twice != "" {
			return fieldErr(join(path, twice), "given twice in one object: which one counts is for the platform to say, not the reader"), true
		}
		for _, name := range sortedFields(s.fields) {
			fs := s.fields[name]
			member, present := obj[name]
			if !present {
				if fs.required {
					return fieldErr(join(path, name), "required"), true
				}
				continue
			}
			if err, ok := checkShapeRaw(join(path, name), member, fs); err != nil || !ok {
				return err, ok
			}
		}
	}
	return nil, true
}

// fieldOrder caches each object shape's member names in order: sorting
// them for every object of every line was a fifth of the shape check.
var fieldOrder sync.Map // map[string]shape (by identity of the map) → []string

func sortedFields(fields map[string]shape) []string {
	key := reflect.ValueOf(fields).Pointer()
	if v, ok := fieldOrder.Load(key); ok {
		return v.([]string)
	}
	names := slices.Sorted(maps.Keys(fields))
	fieldOrder.Store(key, names)
	return names
}

// rawKind names the kind of an encoded JSON value as jsonKind does.
func rawKind(raw []byte) string {
	if len(raw) == 0 {
		return "null"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '[':
		return "a list"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// elements calls fn with each element of the JSON array raw (valid), in
// order, until fn says stop.
func elements(raw []byte, fn func([]byte) bool) {
	i := skipSpace(raw, 1)
	for i < len(raw) && raw[i] != ']' {
		end := skipValue(raw, i)
		if !fn(raw[i:end]) {
			return
		}
		i = skipSpace(raw, end)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func orRecord(path string) string {
	if path == "" {
		return "record"
	}
	return path
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// clip keeps error messages one readable line, whatever the input.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}

var (
	roles            = []string{RoleClient, RoleProvider}
	statuses         = []string{StatusPending, StatusActive, StatusDeactivated, StatusTerminated}
	factorTypes      = []string{FactorTOTP, FactorPhone, FactorBiometric, FactorSecurityKey, FactorRecoveryCode}
	portals          = []string{PortalPatient, PortalProvider}
	loginResults     = []string{LoginOK, LoginBadPassword, LoginUnverified, LoginMFAOK, LoginMFAFailed, LoginBlocked}
	resetStatuses    = []string{ResetRequested, ResetSuppressed, ResetSent, ResetDelivered, ResetBounced, ResetClicked, ResetUsed, ResetExpired, ResetSuperseded}
	signInMethods    = []string{"password", "email_link", "google"}
	appointmentKinds = []string{"telehealth", "in_person"}
)

func oneOf(field, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fieldErr(field, "unknown value %q (allowed: %s)", clip(v), strings.Join(allowed, ", "))
}

// Validate checks the rules a decoded account must meet. It reports the
// first problem found.
func (a *Account) Validate() error {
	if err := a.checkBounds(); err != nil {
		return err
	}
	if err := ValidateAccountID(a.ID); err != nil {
		return &FieldError{Field: "id", Reason: err.Error()}
	}
	if err := ValidateEmail(a.Email); err != nil {
		return fieldErr("email", "%s", err)
	}
	if strings.TrimSpace(a.Name) == "" {
		return fieldErr("name", "must not be empty")
	}
	if err := oneOf("role", a.Role, roles); err != nil {
		return err
	}
	if err := oneOf("status", a.Status, statuses); err != nil {
		return err
	}
	if a.USState != "" && !IsUSState(a.USState) {
		return fieldErr("us_state", "%q is not a U.S. state or territory code (P2)", clip(a.USState))
	}
	if a.Phone != "" { // the contact number: any country, but a phone (ParsePhone)
		if _, err := NormalizePhone(a.Phone); err != nil {
			return fieldErr("phone", "%s", err)
		}
	}
	if a.DateOfBirth != "" {
		if _, err := time.Parse(time.DateOnly, a.DateOfBirth); err != nil {
			return fieldErr("date_of_birth", "not a YYYY-MM-DD date: %q", clip(a.DateOfBirth))
		}
	}
	seenEmail := map[string]bool{NormalizeEmail(a.Email): true}
	for i, e := range a.PreviousEmails {
		it := item{"previous_emails", i}
		if err := ValidateEmail(e); err != nil {
			return fieldErr(it.at(""), "%s", err)
		}
		if seenEmail[NormalizeEmail(e)] {
			return fieldErr(it.at(""), "duplicate email %q", clip(e))
		}
		seenEmail[NormalizeEmail(e)] = true
	}
	for i, m := range a.SignInMethods {
		if err := (item{"sign_in_methods", i}).oneOf("", m, signInMethods); err != nil {
			return err
		}
	}
	ids := map[string]bool{}
	var firstPhone, firstPhoneField string
	for i, f := range a.Factors {
		it := item{"factors", i}
		if err := it.id(".id", f.ID); err != nil {
			return err
		}
		if ids[f.ID] {
			return fieldErr(it.at(".id"), "duplicate factor id %q", f.ID)
		}
		ids[f.ID] = true
		if err := it.oneOf(".type", f.Type, factorTypes); err != nil {
			return err
		}
		if f.Type == FactorPhone {
			if f.Phone == "" {
				return fieldErr(it.at(".phone"), "required for a phone factor")
			}
			e164, err := NormalizeUSPhone(f.Phone)
			if err != nil {
				return fieldErr(it.at(".phone"), "%s", err)
			}
			// rule M5: one phone number per account, among its 2FA factors.
			// The account's top-level "phone" is the contact number on file
			// (a caller-verification callback), not a 2FA method: M5 speaks
			// of factors, and a contact number may be from anywhere, so it
			// need not equal the factor phone.
			switch {
			case firstPhone == "":
				firstPhone, firstPhoneField = e164, it.at(".phone")
			case e164 != firstPhone:
				return fieldErr(it.at(".phone"), "a second phone number on the account, different from %s: one phone number per account (M5)", firstPhoneField)
			}
		}
	}
	clear(ids)
	for i, d := range a.RememberedDevices {
		it := item{"remembered_devices", i}
		if err := it.id(".id", d.ID); err != nil {
			return err
		}
		if ids[d.ID] {
			return fieldErr(it.at(".id"), "duplicate device id %q", d.ID)
		}
		ids[d.ID] = true
	}
	if x := a.MFAExemption; x != nil {
		// rule M7: an exemption lasts exactly ExemptionLength, a fixed
		// duration (not a calendar week across a DST change)
		switch d := x.ExpiresAt.Sub(*x.GrantedAt); {
		case d < 0:
			return fieldErr("mfa_exemption.expires_at", "before granted_at")
		case d != ExemptionLength:
			return fieldErr("mfa_exemption.expires_at", "%s after granted_at; an exemption lasts exactly %s (M7)", d, ExemptionLength)
		}
	}
	for i, l := range a.Logins {
		it := item{"logins", i}
		if err := it.oneOf(".portal", l.Portal, portals); err != nil {
			return err
		}
		if err := it.oneOf(".result", l.Result, loginResults); err != nil {
			return err
		}
	}
	clear(ids)
	for i, r := range a.Resets {
		it := item{"resets", i}
		if err := it.id(".id", r.ID); err != nil {
			return err
		}
		if ids[r.ID] {
			return fieldErr(it.at(".id"), "duplicate reset id %q", r.ID)
		}
		ids[r.ID] = true
		if r.Portal != "" {
			if err := it.oneOf(".portal", r.Portal, portals); err != nil {
				return err
			}
		}
		if err := it.oneOf(".status", r.Status, resetStatuses); err != nil {
			return err
		}
	}
	clear(ids)
	for i, ap := range a.Appointments {
		it := item{"appointments", i}
		if err := it.id(".id", ap.ID); err != nil {
			return err
		}
		if ids[ap.ID] {
			return fieldErr(it.at(".id"), "duplicate appointment id %q", ap.ID)
		}
		ids[ap.ID] = true
		if err := it.oneOf(".kind", ap.Kind, appointmentKinds); err != nil {
			return err
		}
	}
	return nil
}

// item names one element of a list in an error: logins[3].portal. The
// name is spelled only when there is an error (spelled for every element
// of every account, it was a tenth of a sync's parsing).
type item struct {
	list string
	i    int
}

func (it item) at(sub string) string { return it.list + "[" + strconv.Itoa(it.i) + "]" + sub }

func (it item) oneOf(sub, v string, allowed []string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return oneOf(it.at(sub), v, allowed)
}

func (it item) id(sub, id string) error {
	if validateID("", id) == nil {
		return nil
	}
	return validateID(it.at(sub), id)
}

// MaxAccountIDLen is the longest account id accepted: the platform's are
// acc_ and eight digits (internal/gen, the fixtures), so 64 bytes is room
// to spare.
const MaxAccountIDLen = 64

// ValidateAccountID accepts the shape of the platform's account ids: a
// letter, then letters, digits, _ or -, at most MaxAccountIDLen bytes. An
// id is searched and listed beside emails, phone numbers and names, and
// an exact id ranks first: one spelled as another account's email
// (valentina.kelly10@outlook.com) was listed first and preselected when an
// agent searched that email (attack review, issue 20). With this shape an
// id is never an email (no @ or dot) nor a phone number (it starts with a
// letter).
func ValidateAccountID(id string) error {
	if AccountIDShaped(id) {
		return nil
	}
	// not an id: say why
	switch {
	case id == "":
		return errors.New("must not be empty")
	case len(id) > MaxAccountIDLen:
		return fmt.Errorf("longer than %d bytes", MaxAccountIDLen)
	case !isASCIILetter(id[0]):
		return fmt.Errorf("%q: an account id starts with a letter (acc_…)", clip(id))
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isASCIILetter(c) && !('0' <= c && c <= '9') && c != '_' && c != '-' {
			return fmt.Errorf("%q: an account id has only letters, digits, _ and - (acc_…), not %q", clip(id), rune(c))
		}
	}
	return nil
}

// AccountIDShaped is ValidateAccountID's yes or no, without allocating
// an error: a search asks it of its query at every keystroke and of
// every id its prefix scan meets.
func AccountIDShaped[T string | []byte](id T) bool {
	if len(id) == 0 || len(id) > MaxAccountIDLen || !isASCIILetter(id[0]) {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isASCIILetter(c) && !('0' <= c && c <= '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// validateID accepts the short printable ids the platform uses within an
// account (factors, devices, resets, appointments).
func validateID(field, id string) error {
	switch {
	case id == "":
		return fieldErr(field, "must not be empty")
	case len(id) > 128:
		return fieldErr(field, "longer than 128 bytes")
	}
	for _, r := range id {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) || r == ' ' {
			return fieldErr(field, "%q: only printable ASCII without spaces", clip(id))
		}
	}
	return nil
}

// NormalizeEmail is the look-up form of an email (rule P7): surrounding
// spaces trimmed and the ASCII letters A–Z lower-cased, nothing else. No
// Unicode case or compatibility folding: strings.ToLower would turn the
// Kelvin sign U+212A into "k", so "\u212Aate@x.com" would find kate@x.com.
// Every look-up, index key and email comparison goes through it.
func NormalizeEmail(s string) string {
	return asciiLower(strings.TrimSpace(s))
}

// asciiLower lower-cases A–Z and leaves every other byte as it is.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// ValidateEmail accepts a plain addr-spec (local@domain.tld): no display
// name, no quoted local part, no spaces or controls.
func ValidateEmail(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	if s != strings.TrimSpace(s) {
		return errors.New("has spaces around it")
	}
	if len(s) > MaxEmailBytes {
		return fmt.Errorf("longer than %d bytes", MaxEmailBytes)
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return fmt.Errorf("%q is not an email address (want name@domain)", clip(s))
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 {
		return errors.New("the part before @ is longer than 64 bytes")
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return fmt.Errorf("%q: misplaced dot before @", clip(s))
	}
	for _, r := range local {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r)) {
			return fmt.Errorf("%q: character %q is not allowed before @", clip(s), r)
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return fmt.Errorf("%q: the domain has no dot", clip(s))
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return fmt.Errorf("%q: malformed domain", clip(s))
		}
		for _, r := range l {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-') {
				return fmt.Errorf("%q: character %q is not allowed in the domain", clip(s), r)
			}
		}
	}
	return nil
}

// phoneDigits strips the separators people type: spaces, dashes, dots, brackets.
func phoneDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '\u00a0':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

var usStates = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA
		MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY
		AS GU MP PR VI`) {
		usStates[s] = true
	}
}

// IsUSState reports whether code is a USPS state or territory code.
func IsUSState(code string) bool { return usStates[code] }

// lastKey finds the member names of a JSON line.
var lastKey = regexp.MustCompile(`"([A-Za-z_][A-Za-z0-9_]*)"\s*:`)

// notUTF8 refuses a line that is not UTF-8, naming the member and the
// byte where it stops: encoding/json puts U+FFFD in place of bad bytes,
// so the platform's text was changed without a word (attack review,
// round 3: a name's two bad bytes imported as "Li\uFFFD\uFFFDnh").
func notUTF8(line []byte) *FieldError {
	if utf8.Valid(line) {
		return nil
	}
	off := 0
	for off < len(line) {
		r, n := utf8.DecodeRune(line[off:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		off += n
	}
	field := ""
	if keys := lastKey.FindAllSubmatch(line[:off], -1); len(keys) > 0 {
		field = string(keys[len(keys)-1][1])
	}
	// what comes before the bad byte in its string, to find it by: an
	// offset would count from the line for import, the account for sync
	before := line[bytes.LastIndexByte(line[:off], '"')+1 : off]
	if n := utf8.RuneCount(before); n > 12 {
		for range n - 12 {
			_, size := utf8.DecodeRune(before)
			before = before[size:]
		}
	}
	return fieldErr(field, "not UTF-8: byte 0x%02x after %q (the platform's text would be changed)", line[off], before)
}

// checkStamp: t is an RFC 3339 time in UTC (Z, or a zero offset), as
// DOMAIN §6 has every time: one with another offset names the same
// instant, but says its producer is not the platform's (two reviews).
func checkStamp(path, t string) error {
	at, err := time.Parse(time.RFC3339, t)
	if err != nil {
		return fieldErr(path, "not an RFC 3339 time: %q", clip(t))
	}
	if !IsUTC(at) {
		return fieldErr(path, "%q: times are RFC 3339 UTC (…Z), DOMAIN §6", clip(t))
	}
	return nil
}

// IsUTC: t was written with a zero offset (Z, +00:00).
func IsUTC(t time.Time) bool { _, off := t.Zone(); return off == 0 }
