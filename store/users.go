package store

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"frontdoor/model"
)

// Roles, re-exported so callers of user management need not import model.
const (
	RoleAgent    = model.RoleAgent
	RoleLead     = model.RoleLead
	RoleTrainer  = model.RoleTrainer
	RoleEngineer = model.RoleEngineer
	RoleAdmin    = model.RoleAdmin
)

// Roles lists the console roles (DESIGN §3).
var Roles = model.StaffRoles

// User is a person who may connect over SSH.
type User struct {
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Keys    []string  `json:"keys"` // authorized_keys lines, options refused
	AddedAt time.Time `json:"added_at"`
	AddedBy string    `json:"added_by"`
}

// userName is what a user may be called: it is printed in audits, lists
// and headers, so nothing a terminal could act on. Compiled on first
// use: only the commands that name a user need it (issue 23).
var userName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`) })

// Errors from user management.
var (
	ErrUserExists  = errors.New("user already exists")
	ErrNoUser      = errors.New("no such user")
	ErrKeyTaken    = errors.New("key already belongs to another user")
	ErrInvalidUser = errors.New("invalid user")
	ErrWeakKey     = errors.New("key refused")
	// ErrRevoked: the session's user was removed from the registry.
	ErrRevoked = errors.New("your access has been removed")
)

// Fingerprint is the SHA256 fingerprint OpenSSH prints for a key.
func Fingerprint(k gossh.PublicKey) string { return gossh.FingerprintSHA256(k) }

// MinRSABits is the smallest RSA key accepted (NIST SP 800-131A).
const MinRSABits = 2048

// CheckKey refuses keys too weak to stand for an agent: DSA, and RSA
// under MinRSABits. It is asked when a key is added and at every login,
// so a weak key added before this rule cannot log in either.
func CheckKey(k gossh.PublicKey) error {
	switch k.Type() {
	case gossh.KeyAlgoDSA:
		return fmt.Errorf("%w: DSA keys are not accepted; use ssh-ed25519", ErrWeakKey)
	case gossh.KeyAlgoRSA:
		ck, ok := k.(gossh.CryptoPublicKey)
		if !ok {
			return fmt.Errorf("%w: unreadable RSA key", ErrWeakKey)
		}
		if pk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); !ok || pk.N.BitLen() < MinRSABits {
			return fmt.Errorf("%w: RSA keys need at least %d bits; use ssh-ed25519", ErrWeakKey, MinRSABits)
		}
	}
	return nil
}

// parseKey reads one authorized_keys line. Options (from=, command=,
// no-pty, …) are refused rather than silently ignored: frontdoor does not
// enforce them, and an admin who wrote one expects it to hold.
func parseKey(line string) (gossh.PublicKey, error) {
	pk, _, options, rest, err := gossh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, fmt.Errorf("not an OpenSSH public key: %v", err)
	}
	if len(options) > 0 {
		return nil, fmt.Errorf("%w: options %q are not enforced by frontdoor; remove them from the line", ErrWeakKey, strings.Join(options, ","))
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return nil, errors.New("one key per line")
	}
	return pk, CheckKey(pk)
}

func fingerprints(keys []string) []string {
	var out []string
	for _, k := range keys {
		if pk, _, _, _, err := gossh.ParseAuthorizedKey([]byte(k)); err == nil {
			out = append(out, Fingerprint(pk))
		}
	}
	slices.Sort(out)
	return out
}

// AddUser adds a user with one or more OpenSSH public keys.
func (s *Store) AddUser(name, role string, keys []string, by Actor, now time.Time) error {
	if !userName().MatchString(name) {
		return fmt.Errorf("%w: name %q: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, at most 32", ErrInvalidUser, model.CleanText(name))
	}
	if !slices.Contains(Roles, role) {
		return fmt.Errorf("%w: role %q (allowed: %s)", ErrInvalidUser, model.CleanText(role), strings.Join(Roles, ", "))
	}
	if len(keys) == 0 {
		return fmt.Errorf("%w: no public key", ErrInvalidUser)
	}
	type parsedKey struct{ line, fp string }
	var pks []parsedKey
	for i, k := range keys {
		pk, err := parseKey(k)
		if err != nil {
			return fmt.Errorf("%w: key %d: %w", ErrInvalidUser, i+1, err)
		}
		pks = append(pks, parsedKey{strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pk))), Fingerprint(pk)})
	}
	err := s.kv.Update(func(tx Tx) error {
		if tx.Get(bUsers, []byte(name)) != nil {
			return fmt.Errorf("%s: %w (use `user role` to change the role; remove and add to change keys)", name, ErrUserExists)
		}
		u := User{Name: name, Role: role, AddedAt: now.UTC(), AddedBy: by.Name}
		for _, k := range pks {
			if owner := tx.Get(bKeys, []byte(k.fp)); owner != nil {
				return fmt.Errorf("%s: %w %q", k.fp, ErrKeyTaken, owner)
			}
			if err := tx.Put(bKeys, []byte(k.fp), []byte(name)); err != nil {
				return err
			}
			u.Keys = append(u.Keys, k.line)
		}
		if err := putUser(tx, u); err != nil {
			return err
		}
		return s.appendAudit(tx, AuditEntry{At: now, Actor: by.Name, Role: by.Role, Action: actUserAdd,
			Details: map[string]string{"user": name, "role": role, "keys": strings.Join(fingerprints(u.Keys), ",")}})
	})
	if err == nil {
		s.hub.publishUser(name)
	}
	return err
}

// Audited changes to the registry; check replays them against it.
const (
	actUserAdd    = "user_add"
	actUserRemove = "user_remove"
	actUserRole   = "user_role"
)

func putUser(tx Tx, u User) error {
	b, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return tx.Put(bUsers, []byte(u.Name), b)
}

func getUser(tx Tx, name string) (User, error) {
	v := tx.Get(bUsers, []byte(name))
	if v == nil {
		return User{}, fmt.Errorf("%s: %w", name, ErrNoUser)
	}
	var u User
	if err := json.Unmarshal(v, &u); err != nil {
		return User{}, fmt.Errorf("user %s: corrupt record: %w", name, err)
	}
	return u, nil
}

// RemoveUser removes a user and their keys. Their open sessions end at
// once (the server watches UserChanges).
func (s *Store) RemoveUser(name string, by Actor, now time.Time) error {
	err := s.kv.Update(func(tx Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		for _, k := range u.Keys {
			if pk, _, _, _, err := gossh.ParseAuthorizedKey([]byte(k)); err == nil {
				if err := tx.Delete(bKeys, []byte(Fingerprint(pk))); err != nil {
					return err
				}
			}
		}
		if err := tx.Delete(bUsers, []byte(name)); err != nil {
			return err
		}
		return s.appendAudit(tx, AuditEntry{At: now, Actor: by.Name, Role: by.Role, Action: actUserRemove,
			Details: map[string]string{"user": name, "role": u.Role}})
	})
	if err == nil {
		s.hub.publishUser(name)
	}
	return err
}

// SetRole changes a user's role. Their open sessions end at once, so
// nobody goes on working under the role they logged in with.
func (s *Store) SetRole(name, role string, by Actor, now time.Time) error {
	if !slices.Contains(Roles, role) {
		return fmt.Errorf("%w: role %q (allowed: %s)", ErrInvalidUser, model.CleanText(role), strings.Join(Roles, ", "))
	}
	err := s.kv.Update(func(tx Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		if u.Role == role {
			return fmt.Errorf("%s is already %s", name, role)
		}
		from := u.Role
		u.Role = role
		if err := putUser(tx, u); err != nil {
			return err
		}
		return s.appendAudit(tx, AuditEntry{At: now, Actor: by.Name, Role: by.Role, Action: actUserRole,
			Details: map[string]string{"user": name, "role": role, "from": from}})
	})
	if err == nil {
		s.hub.publishUser(name)
	}
	return err
}

// Users lists users by name.
func (s *Store) Users() ([]User, error) {
	var out []User
	err := s.kv.View(func(tx Tx) error {
		return tx.Scan(bUsers, nil, func(k, v []byte) (bool, error) {
			var u User
			if err := json.Unmarshal(v, &u); err != nil {
				return false, fmt.Errorf("user %q: the record does not decode (`frontdoor check` lists what else is wrong): %w", k, err)
			}
			out = append(out, u)
			return true, nil
		})
	})
	return out, err
}

// User returns the user called name.
func (s *Store) User(name string) (User, error) {
	var u User
	err := s.kv.View(func(tx Tx) (err error) { u, err = getUser(tx, name); return err })
	return u, err
}

// UserByKey finds the user who owns key. A key too weak by today's rule
// is refused even if it was added before the rule.
func (s *Store) UserByKey(key gossh.PublicKey) (User, error) {
	if err := CheckKey(key); err != nil {
		return User{}, err
	}
	var u User
	err := s.kv.View(func(tx Tx) error {
		name := tx.Get(bKeys, []byte(Fingerprint(key)))
		if name == nil {
			return ErrNoUser
		}
		var err error
		if u, err = getUser(tx, string(name)); err != nil {
			return err
		}
		// the fingerprint index must agree with the user's own key list
		want := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key)))
		if !slices.Contains(u.Keys, want) {
			return ErrNoUser
		}
		return nil
	})
	return u, err
}

// resolveActor reads a registered actor's role from the registry, inside
// the transaction that acts on it: the role a session logged in with is
// not trusted past that moment.
func resolveActor(tx Tx, a Actor) (Actor, error) {
	if !a.Registered {
		return a, nil
	}
	u, err := getUser(tx, a.Name)
	if errors.Is(err, ErrNoUser) {
		return Actor{}, fmt.Errorf("%w (%s is no longer a user)", ErrRevoked, a.Name)
	}
	if err != nil {
		return Actor{}, err
	}
	a.Role = u.Role
	return a, nil
}

// sessionEnd is an operator's order to end a user's sessions.
type sessionEnd struct {
	At time.Time `json:"at"`
	By string    `json:"by"`
}

// EndSessions orders every front end of the store to end the sessions
// of user name begun before now (`sessions end NAME`), audited: a front
// end ends those it holds as it hears of it (its own write, or on a
// cluster the watch), and one that starts later ends nothing.
func (s *Store) EndSessions(name string, by Actor, now time.Time) error {
	b, err := json.Marshal(sessionEnd{At: now.UTC(), By: by.Name})
	if err != nil {
		return err
	}
	err = s.kv.Update(func(tx Tx) error {
		if err := tx.Put(bSessionEnds, []byte(name), b); err != nil {
			return err
		}
		return s.appendAudit(tx, AuditEntry{At: now, Actor: by.Name, Role: by.Role, Action: "sessions_end",
			Details: map[string]string{"user": name}})
	})
	if err == nil {
		s.hub.publishUser(name)
	}
	return err
}

// SessionsEnded says when user name's sessions were last ordered ended,
// and by whom.
func (s *Store) SessionsEnded(name string) (at time.Time, by string, ok bool) {
	var e sessionEnd
	_ = s.kv.View(func(tx Tx) error {
		if v := tx.Get(bSessionEnds, []byte(name)); v != nil && json.Unmarshal(v, &e) == nil {
			ok = true
		}
		return nil
	})
	return e.At, e.By, ok
}
