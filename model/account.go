package model

import (
	"encoding/json"
	"time"
)

// Roles and statuses (DOMAIN §6).
const (
	RoleClient   = "client"
	RoleProvider = "provider"

	StatusPending     = "pending_verification"
	StatusActive      = "active"
	StatusDeactivated = "deactivated"
	StatusTerminated  = "terminated"
)

// Factor types (M2).
const (
	FactorTOTP         = "totp"
	FactorPhone        = "phone"
	FactorBiometric    = "biometric"
	FactorSecurityKey  = "security_key"
	FactorRecoveryCode = "recovery_code"
)

// Login results and portals (DOMAIN §6).
const (
	PortalPatient  = "patient"
	PortalProvider = "provider"

	LoginOK          = "ok"
	LoginBadPassword = "bad_password"
	LoginUnverified  = "unverified"
	LoginMFAOK       = "mfa_ok"
	LoginMFAFailed   = "mfa_failed"
	LoginBlocked     = "blocked"
)

// Reset statuses as the upstream system reports them (DOMAIN §6).
const (
	ResetRequested  = "requested"
	ResetSuppressed = "suppressed"
	ResetSent       = "sent"
	ResetDelivered  = "delivered"
	ResetBounced    = "bounced"
	ResetClicked    = "clicked"
	ResetUsed       = "used"
	ResetExpired    = "expired"
	ResetSuperseded = "superseded"
)

// Account mirrors one Headway mental-health-platform account (DOMAIN §6).
// Every object keeps the JSON members it does not know in Extra, so an
// import → export round trip loses nothing.
type Account struct {
	ID                   string             `json:"id"`
	Email                string             `json:"email"`
	Name                 string             `json:"name"`
	Role                 string             `json:"role"`
	Status               string             `json:"status"`
	USState              string             `json:"us_state,omitempty"`
	Phone                string             `json:"phone,omitempty"`
	DateOfBirth          string             `json:"date_of_birth,omitempty"`
	CreatedAt            *time.Time         `json:"created_at"`
	EmailVerifiedAt      *time.Time         `json:"email_verified_at"`
	EmailsUnsubscribedAt *time.Time         `json:"emails_unsubscribed_at"`
	PreviousEmails       []string           `json:"previous_emails"`
	SignInMethods        []string           `json:"sign_in_methods"`
	Factors              []Factor           `json:"factors"`
	RememberedDevices    []RememberedDevice `json:"remembered_devices"`
	MFAExemption         *Exemption         `json:"mfa_exemption"`
	Logins               []Login            `json:"logins"`
	Resets               []Reset            `json:"resets"`
	Appointments         []Appointment      `json:"appointments"`
	Notes                []Note             `json:"notes"`
	Extra                Extra              `json:"-"`
}

// Factor is one enrolled 2FA method (M2).
type Factor struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	Label      string     `json:"label,omitempty"`
	Phone      string     `json:"phone,omitempty"`
	Device     string     `json:"device,omitempty"`
	EnrolledAt *time.Time `json:"enrolled_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	UsedAt     *time.Time `json:"used_at,omitempty"`
	Extra      Extra      `json:"-"`
}

// RememberedDevice skips 2FA for 30 days (M4).
type RememberedDevice struct {
	ID           string     `json:"id"`
	Label        string     `json:"label"`
	RememberedAt *time.Time `json:"remembered_at"`
	Extra        Extra      `json:"-"`
}

// Exemption lets a provider who lost every method log in and reset (M7).
type Exemption struct {
	GrantedAt *time.Time `json:"granted_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	GrantedBy string     `json:"granted_by"`
	Reason    string     `json:"reason"`
	Extra     Extra      `json:"-"`
}

// Login is one sign-in attempt as the platform recorded it.
type Login struct {
	At        *time.Time `json:"at"`
	Portal    string     `json:"portal"`
	Result    string     `json:"result"`
	MFAMethod *string    `json:"mfa_method,omitempty"`
	Browser   string     `json:"browser,omitempty"`
	Device    string     `json:"device,omitempty"`
	Extra     Extra      `json:"-"`
}

// Reset is one password-reset request and what became of its email.
type Reset struct {
	ID          string     `json:"id"`
	RequestedAt *time.Time `json:"requested_at"`
	Portal      string     `json:"portal,omitempty"`
	Status      string     `json:"status"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	ClickedAt   *time.Time `json:"clicked_at,omitempty"`
	UsedAt      *time.Time `json:"used_at,omitempty"`
	RequestedBy string     `json:"requested_by,omitempty"`
	Extra       Extra      `json:"-"`
}

// Appointment is a visit; telehealth ones matter to T1/T2.
type Appointment struct {
	ID       string     `json:"id"`
	StartsAt *time.Time `json:"starts_at"`
	Kind     string     `json:"kind"`
	With     string     `json:"with,omitempty"`
	Extra    Extra      `json:"-"`
}

// Note is a support note on the account.
type Note struct {
	At    *time.Time `json:"at"`
	By    string     `json:"by"`
	Text  string     `json:"text"`
	Extra Extra      `json:"-"`
}

// The JSON methods below route every type through keepUnknown, so that
// members this model does not know survive a round trip (DOMAIN §6).

type (
	accountJSON     Account
	factorJSON      Factor
	deviceJSON      RememberedDevice
	exemptionJSON   Exemption
	loginJSON       Login
	resetJSON       Reset
	appointmentJSON Appointment
	noteJSON        Note
)

func (a *Account) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*accountJSON)(a), &a.Extra)
}
func (a Account) MarshalJSON() ([]byte, error) { return encodeKeeping(accountJSON(a), a.Extra) }
func (f *Factor) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*factorJSON)(f), &f.Extra)
}
func (f Factor) MarshalJSON() ([]byte, error) { return encodeKeeping(factorJSON(f), f.Extra) }
func (d *RememberedDevice) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*deviceJSON)(d), &d.Extra)
}
func (d RememberedDevice) MarshalJSON() ([]byte, error) {
	return encodeKeeping(deviceJSON(d), d.Extra)
}
func (e *Exemption) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*exemptionJSON)(e), &e.Extra)
}
func (e Exemption) MarshalJSON() ([]byte, error) { return encodeKeeping(exemptionJSON(e), e.Extra) }
func (l *Login) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*loginJSON)(l), &l.Extra)
}
func (l Login) MarshalJSON() ([]byte, error) { return encodeKeeping(loginJSON(l), l.Extra) }
func (r *Reset) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*resetJSON)(r), &r.Extra)
}
func (r Reset) MarshalJSON() ([]byte, error) { return encodeKeeping(resetJSON(r), r.Extra) }
func (a *Appointment) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*appointmentJSON)(a), &a.Extra)
}
func (a Appointment) MarshalJSON() ([]byte, error) {
	return encodeKeeping(appointmentJSON(a), a.Extra)
}
func (n *Note) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*noteJSON)(n), &n.Extra)
}
func (n Note) MarshalJSON() ([]byte, error) { return encodeKeeping(noteJSON(n), n.Extra) }

// Clone returns a deep copy, so actions can change an account without
// touching the one a screen is showing.
func (a Account) Clone() Account {
	b, err := json.Marshal(a)
	if err != nil {
		panic("model: account does not marshal: " + err.Error())
	}
	var c Account
	if err := json.Unmarshal(b, &c); err != nil {
		panic("model: account does not unmarshal: " + err.Error())
	}
	return c
}
