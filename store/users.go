package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"frontdoor/model"
	gossh "golang.org/x/crypto/ssh"
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
	Keys    []string  `json:"keys"` // authorized_keys lines
	AddedAt time.Time `json:"added_at"`
	AddedBy string    `json:"added_by"`
}

var userName = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,31}$`)

// Errors from user management.
var (
	ErrUserExists  = errors.New("user already exists")
	ErrNoUser      = errors.New("no such user")
	ErrKeyTaken    = errors.New("key already belongs to another user")
	ErrInvalidUser = errors.New("invalid user")
)

// Fingerprint is the SHA256 fingerprint OpenSSH prints for a key.
func Fingerprint(k gossh.PublicKey) string { return gossh.FingerprintSHA256(k) }

// AddUser adds a user with one or more OpenSSH public keys.
func (s *Store) AddUser(name, role string, keys []string, by Actor, now time.Time) error {
	if !userName.MatchString(name) {
		return fmt.Errorf("%w: name %q: lower-case letters, digits, '.', '_' or '-', starting with a letter, at most 32", ErrInvalidUser, name)
	}
	if !slices.Contains(Roles, role) {
		return fmt.Errorf("%w: role %q (allowed: %s)", ErrInvalidUser, role, strings.Join(Roles, ", "))
	}
	if len(keys) == 0 {
		return fmt.Errorf("%w: no public key", ErrInvalidUser)
	}
	type parsedKey struct{ line, fp string }
	var pks []parsedKey
	for i, k := range keys {
		pk, _, _, _, err := gossh.ParseAuthorizedKey([]byte(k))
		if err != nil {
			return fmt.Errorf("%w: key %d: not an OpenSSH public key: %v", ErrInvalidUser, i+1, err)
		}
		pks = append(pks, parsedKey{strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pk))), Fingerprint(pk)})
	}
	return s.kv.Update(func(tx Tx) error {
		if tx.Get(bUsers, []byte(name)) != nil {
			return fmt.Errorf("%s: %w (remove it first to change role or keys)", name, ErrUserExists)
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
		b, _ := json.Marshal(u)
		if err := tx.Put(bUsers, []byte(name), b); err != nil {
			return err
		}
		return appendAudit(tx, AuditEntry{At: now, Actor: by.Name, Role: by.Role, Action: "user_add",
			Details: map[string]string{"user": name, "role": role}})
	})
}

// RemoveUser removes a user and their keys.
func (s *Store) RemoveUser(name string, by Actor, now time.Time) error {
	return s.kv.Update(func(tx Tx) error {
		v := tx.Get(bUsers, []byte(name))
		if v == nil {
			return fmt.Errorf("%s: %w", name, ErrNoUser)
		}
		var u User
		if err := json.Unmarshal(v, &u); err != nil {
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
		return appendAudit(tx, AuditEntry{At: now, Actor: by.Name, Role: by.Role, Action: "user_remove",
			Details: map[string]string{"user": name}})
	})
}

// Users lists users by name.
func (s *Store) Users() ([]User, error) {
	var out []User
	err := s.kv.View(func(tx Tx) error {
		return tx.Scan(bUsers, nil, func(_, v []byte) (bool, error) {
			var u User
			if err := json.Unmarshal(v, &u); err != nil {
				return false, err
			}
			out = append(out, u)
			return true, nil
		})
	})
	return out, err
}

// UserByKey finds the user who owns key.
func (s *Store) UserByKey(key gossh.PublicKey) (User, error) {
	var u User
	err := s.kv.View(func(tx Tx) error {
		name := tx.Get(bKeys, []byte(Fingerprint(key)))
		if name == nil {
			return ErrNoUser
		}
		v := tx.Get(bUsers, name)
		if v == nil {
			return ErrNoUser
		}
		if err := json.Unmarshal(v, &u); err != nil {
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
