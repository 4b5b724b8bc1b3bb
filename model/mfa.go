package model

import (
	"strings"
	"time"
)

// 2FA policy (M1–M12) as pure functions over an account and a time.

// MFARequired: 2FA is required for every provider, optional for clients (M1).
func MFARequired(role string) bool { return role == RoleProvider }

// FactorName is the name callers know a method by (M2).
func FactorName(t string) string {
	switch t {
	case FactorTOTP:
		return "Authenticator app"
	case FactorPhone:
		return "Phone (SMS or call)"
	case FactorBiometric:
		return "Face ID / fingerprint"
	case FactorSecurityKey:
		return "Security key"
	case FactorRecoveryCode:
		return "Recovery code"
	}
	return t
}

// UsableAbroad: phone codes need a US number, so only the phone factor
// fails outside the US (M11).
func UsableAbroad(t string) bool { return t != FactorPhone }

// FactorDetail is the label, device or masked phone of a factor; ""
// where it only repeats the factor's name (an app labelled "Authenticator
// app" had read "Authenticator app (Authenticator app)").
func FactorDetail(f Factor) string { return factorDetail(f, MaskPhone) }

func factorDetail(f Factor, phone func(string) string) string {
	if d := strings.TrimSpace(factorDetailRaw(f, phone)); !strings.EqualFold(d, FactorName(f.Type)) {
		return d
	}
	return ""
}

func factorDetailRaw(f Factor, phone func(string) string) string {
	switch f.Type {
	case FactorPhone:
		return phone(f.Phone)
	case FactorBiometric:
		return firstNonEmpty(f.Device, f.Label)
	case FactorRecoveryCode:
		if f.UsedAt != nil {
			return "used"
		}
		return "unused"
	}
	return f.Label
}

// FactorTitle names a factor with its detail: "Phone (SMS or call)
// (+1 ***-***-0132)"; a detail that only repeats the name is left out
// ("Authenticator app (Authenticator app)").
func FactorTitle(f Factor) string { return factorTitle(f, MaskPhone) }

func factorTitle(f Factor, phone func(string) string) string {
	name := FactorName(f.Type)
	if d := factorDetail(f, phone); d != "" {
		name += " (" + d + ")"
	}
	return name
}

// factorSummary lists the enrolled methods in one line, phones as phone says them.
func factorSummary(a *Account, phone func(string) string) string {
	if len(a.Factors) == 0 {
		return "no 2FA methods"
	}
	var s []string
	for _, f := range a.Factors {
		s = append(s, factorTitle(f, phone))
	}
	return strings.Join(s, ", ")
}

// FactorSummary lists the enrolled methods in one line.
func FactorSummary(a Account) string { return factorSummary(&a, MaskPhone) }

// RecoveryCodeState is "none", "unused" or "used" (M2: one-time; using it
// issues a new one).
func RecoveryCodeState(a Account) string {
	state := "none"
	for _, f := range a.Factors {
		if f.Type != FactorRecoveryCode {
			continue
		}
		if f.UsedAt == nil {
			return "unused"
		}
		state = "used"
	}
	return state
}

// EmailCodesAvailable: after at least one successful 2FA sign-in, "Try
// another method" sends the code to the login email (rule M3). Only for
// providers: 001 states it in its provider section, 002's table of methods
// has no email code, and clients need no 2FA by 001 (revised 2026-12-07).
func EmailCodesAvailable(a Account) bool {
	if a.Role != RoleProvider {
		return false
	}
	for _, l := range a.Logins {
		if l.Result == LoginMFAOK {
			return true
		}
	}
	return false
}

// DeviceExpires is when a remembered device is asked for a code again (M4).
func (p Policy) DeviceExpires(d RememberedDevice) time.Time {
	return d.RememberedAt.Add(p.RememberedDeviceLength)
}

// DeviceActive: remembered until the second it expires (M4).
func (p Policy) DeviceActive(d RememberedDevice, now time.Time) bool {
	return now.Before(p.DeviceExpires(d))
}

// ExemptionLength is how long a provider exemption lasts: exactly 168 h
// (rule M7: "one week", a fixed duration, not a calendar week across a
// DST change). It is not a policy setting: import refuses any other
// length, so every exemption the console grants must have this one.
const ExemptionLength = 7 * 24 * time.Hour

// ExemptionActive: an exemption works until the second it expires (M7).
func ExemptionActive(x *Exemption, now time.Time) bool {
	return x != nil && now.Before(*x.ExpiresAt)
}

// Risk is a warning about how an account's 2FA could lock its owner out.
type Risk struct {
	Rule string
	Text string
}

// Risks lists the account's 2FA weak spots (M1, M9, M11, M12).
func Risks(a Account) []Risk {
	methods := map[string]int{}
	for _, f := range a.Factors {
		if f.Type != FactorRecoveryCode {
			methods[f.Type]++
		}
	}
	var r []Risk
	n := 0
	for _, c := range methods {
		n += c
	}
	switch {
	case n == 0 && MFARequired(a.Role):
		r = append(r, Risk{"M1", "provider with no 2FA method: set-up is required at next sign-in"})
	case n == 0:
		r = append(r, Risk{"M1", "no 2FA: optional for clients, but recommended"})
	case n == 1:
		r = append(r, Risk{"M12", "only one method enrolled: enroll a second so one loss does not lock them out"})
	}
	if n > 0 && RecoveryCodeState(a) != "unused" {
		r = append(r, Risk{"M12", "no unused recovery code: keep one printed or in a secure note"})
	}
	if n == methods[FactorPhone] && n > 0 {
		text := "phone is the only method: codes reach US numbers only, so it fails abroad"
		if a.Role == RoleProvider {
			text = "provider with phone only: codes reach US numbers only; set up an app or biometrics before travel"
		}
		r = append(r, Risk{"M11", text})
	}
	if n == methods[FactorBiometric] && n > 0 {
		r = append(r, Risk{"M9", "biometrics only: they work only on the enrolled device"})
	}
	return r
}

// SelfHelp is what the caller can do without support at now (M6, M7,
// M9, M10, M11).
func SelfHelp(a Account, now time.Time) []Risk {
	var s []Risk
	switch {
	case a.Role == RoleClient:
		s = append(s, Risk{"M6", "Can still sign in: Account page → Login → Reset 2FA, re-enter the current password; they are signed out and set 2FA up again."})
	case ExemptionActive(a.MFAExemption, now):
		// not "a lead can grant one": one is running (walkthrough)
		s = append(s, Risk{"M7", "An exemption is active: sign in without a code before it ends, then provider portal, Settings → Login tab → Reset."})
	default:
		s = append(s, Risk{"M7", "Signed in: provider portal, Settings → Login tab → Reset. Locked out: a lead can grant an exemption of " + Words(ExemptionLength) + "."})
	}
	has := map[string]bool{}
	for _, f := range a.Factors {
		has[f.Type] = true
	}
	if has[FactorBiometric] {
		s = append(s, Risk{"M9", "Biometrics show only on the device they were set up on: on another device use another method, then enroll it."})
	}
	if has[FactorPhone] {
		s = append(s, Risk{"M10", "Text not arriving: try the voice call; check Unknown Senders (iOS) or Archived/Spam (Android) and carrier filters."})
		s = append(s, Risk{"M11", "Travelling: phone codes need a US number; set up an authenticator app or biometrics before leaving."})
	}
	if EmailCodesAvailable(a) {
		s = append(s, Risk{"M3", "\"Try another method\" on the verification screen sends the code to the login email."})
	}
	return s
}
