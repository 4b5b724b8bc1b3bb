package training

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"frontdoor/model"
	"frontdoor/store"
)

// PracticeRole is the role a trainee acts with in the sandbox: a lead, so
// every action of the catalogue can be practised, the right ones and the
// wrong ones. It never reaches the live store: the sandbox's actor is not
// in any registry (rule: trainer limits).
const PracticeRole = model.RoleLead

// scenarioActor loads a scenario's accounts into its sandbox.
var scenarioActor = store.Actor{Name: "scenario", Role: model.RoleAdmin}

// Sandbox is one practice's store: its own bbolt file in a temporary
// directory, holding only the scenario's accounts. Close deletes it.
type Sandbox struct {
	Store *store.Store
	dir   string
}

// NewSandbox makes the scenario's world in a new directory under parent
// ("" for the system's temporary directory). Errors in its accounts name
// the scenario file and the line inside it.
func NewSandbox(sc Scenario, parent string) (*Sandbox, error) {
	if parent != "" {
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
	}
	dir, err := os.MkdirTemp(parent, "frontdoor-practice-")
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	st, err := store.Open(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	sb := &Sandbox{Store: st, dir: dir}
	if _, err := st.Import(strings.NewReader(sc.Accounts), sc.File, scenarioActor, sc.Now); err != nil {
		sb.Close()
		var le *store.LineError
		if errors.As(err, &le) {
			field := "accounts"
			if le.Field != "" {
				field += " (" + le.Field + ")"
			}
			return nil, &FieldError{File: sc.File, Line: sc.accountsLine + le.Line - 1, Field: field, Err: le.Err}
		}
		return nil, &FieldError{File: sc.File, Field: "accounts", Err: err}
	}
	return sb, nil
}

// Close closes the sandbox's store and deletes its directory.
func (s *Sandbox) Close() error {
	err := s.Store.Close()
	return errors.Join(err, os.RemoveAll(s.dir))
}

// Dir is where the sandbox lives (tests check it is gone).
func (s *Sandbox) Dir() string { return s.dir }

// CallerAccount is the account the caller's email finds, as an agent's
// look-up would (current holder first, rule S5); nil when none does.
func (s *Sandbox) CallerAccount(sc Scenario) (*store.Record, error) {
	rec, err := s.Store.ByEmail(sc.Caller.Email.Value)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &rec, nil
}
