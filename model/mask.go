package model

import "strings"

// PII is masked on screen until an agent reveals it with a reason
// (DESIGN §3). Masks keep what is needed to talk to the caller: the first
// and last letter of the mailbox and its domain, the last four digits.

// MaskEmail turns "maria.lopez@gmail.com" into "m***z@gmail.com".
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok {
		return "***"
	}
	return MaskLocal(local) + "@" + domain
}

// MaskLocal masks the part of an address before the @: "maria.lopez"
// becomes "m***z". A plus-address suggestion builds on it (A2).
func MaskLocal(local string) string {
	r := []rune(local)
	switch len(r) {
	case 0:
		return "***"
	case 1, 2:
		return string(r[0]) + "***"
	}
	return string(r[0]) + "***" + string(r[len(r)-1])
}

// MaskPhone turns "+1 212-555-0123" into "+1 ***-***-0123".
func MaskPhone(phone string) string {
	d := phoneDigits(phone)
	d = strings.TrimPrefix(d, "+")
	if len(d) < 4 {
		return "***"
	}
	last := d[len(d)-4:]
	if len(d) == 11 && d[0] == '1' {
		return "+1 ***-***-" + last
	}
	return "+" + strings.Repeat("*", len(d)-4) + last
}

// MaskDate hides a date of birth but its year's decade: "19**-**-**".
func MaskDate(s string) string {
	if len(s) < 3 {
		return "****-**-**"
	}
	return s[:3] + "*-**-**"
}

// MaskDetail masks an audit detail that holds PII (the email or phone a
// caller gave, a date of birth), by its key, as the rest of the screen
// masks it: History shows other agents' diagnoses and look-ups without
// spelling out what only a reveal may show (DESIGN §3).
func MaskDetail(key, value string) string {
	switch key {
	case "email", "previous_email", "caller_email":
		return MaskEmail(value)
	case "phone":
		return MaskPhone(value)
	case "date_of_birth", "dob":
		return MaskDate(value)
	}
	return value
}

// Digits keeps only a text's ASCII digits: a phone as the indexes and
// the look-up compare it.
func Digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// PhoneLast4 is the last four digits of a phone, what an agent may read
// without a reveal ("" for none).
func PhoneLast4(phone string) string {
	d := strings.TrimPrefix(phoneDigits(phone), "+")
	if len(d) < 4 {
		return ""
	}
	return d[len(d)-4:]
}

// StatusShort is an account status in at most seven letters, for a list.
func StatusShort(status string) string {
	switch status {
	case StatusPending:
		return "pending"
	case StatusDeactivated:
		return "deact."
	case StatusTerminated:
		return "term."
	}
	return status
}
