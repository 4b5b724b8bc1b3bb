package store

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"frontdoor/model"
)

// Change is what one console action does to one account. Apply writes all
// of it in one transaction: the account, its audit entry and its outbox
// messages commit together or not at all (DESIGN §2).
type Change struct {
	Account model.Account
	Audit   AuditEntry
	Outbox  []OutboxMessage
	// Pending, when set, is what the platform must confirm (rule S6); it
	// is kept on the record, tied to the first command in Outbox.
	Pending *model.Pending
}

// ConflictError: the account changed after the agent saw it. Nothing was
// written; the agent reviews the new state and decides again.
type ConflictError struct {
	By      string
	At      time.Time
	Version uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("changed by %s at %s — review and retry", e.By, e.At.UTC().Format("15:04:05 MST"))
}

// testHookMidApply runs between the account write and the audit write, so
// a test can kill the process there and prove the transaction is atomic.
var testHookMidApply func()

// Apply runs decide on the account as stored, provided it is still at
// version (optimistic concurrency), and writes the change it returns.
// decide gets a copy it may change freely, and the actor as the registry
// has them now (their role read again, inside this transaction); an error
// from it writes nothing.
func (s *Store) Apply(id string, version uint64, by Actor, now time.Time, decide func(model.Account, Actor) (Change, error)) (Record, error) {
	var out Record
	err := s.kv.Update(func(tx Tx) error {
		by, err := resolveActor(tx, by)
		if err != nil {
			return err
		}
		old, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		if old.Version != version {
			return &ConflictError{By: old.UpdatedBy, At: old.UpdatedAt, Version: old.Version}
		}
		ch, err := decide(old.Account.Clone(), by)
		if err != nil {
			return err
		}
		if ch.Account.ID != id {
			return fmt.Errorf("action changed the account id from %s to %s", id, ch.Account.ID)
		}
		if err := ch.Account.Validate(); err != nil {
			return fmt.Errorf("action would make account %s invalid: %w", id, err)
		}
		if err := deleteIndexes(tx, old.Account); err != nil {
			return err
		}
		if err := checkCurrentEmail(tx, ch.Account); err != nil {
			return err
		}
		if err := putIndexes(tx, ch.Account); err != nil {
			return err
		}
		out = old
		out.Version, out.UpdatedBy, out.UpdatedAt, out.Account = old.Version+1, by.Name, now.UTC(), ch.Account
		a := ch.Audit
		a.At, a.Actor, a.Role, a.Account = now, by.Name, by.Role, id
		if err := s.appendAudit(tx, a); err != nil {
			return err
		}
		for _, m := range ch.Outbox {
			m.At, m.By, m.Account = now, by.Name, id
			mid, err := s.appendOutbox(tx, m)
			if err != nil {
				return err
			}
			if ch.Pending != nil && m.Kind == KindCommand && ch.Pending.Message == 0 {
				ch.Pending.Message = mid
			}
		}
		if ch.Pending != nil && ch.Pending.Message != 0 {
			out.Pending = append(slices.Clone(old.Pending), *ch.Pending)
		}
		if testHookMidApply != nil {
			testHookMidApply()
		}
		return putRecord(tx, out)
	})
	if err != nil {
		return Record{}, err
	}
	s.hub.publish(id)
	if len(out.Pending) > 0 {
		s.hub.publishQueued()
	}
	return out, nil
}

// ActionRefused is the audit action of a policy refusal: who tried what
// on which account, and the reason they were given.
const ActionRefused = "action_refused"

// Act runs a model decision for action as one transaction: the effect's
// account, an audit entry with its reason and details, and its commands
// and notifications in the outbox. The decision gets the actor's role as
// the registry has it now. A refusal by policy is audited too (who tried
// what, and why not); a version conflict, a request for a second
// confirmation or a removed actor is not a refusal of the action.
func (s *Store) Act(id string, version uint64, by Actor, now time.Time, action string, decide func(model.Account, Actor) (model.Effect, error)) (Record, error) {
	var refused error
	rec, err := s.Apply(id, version, by, now, func(a model.Account, by Actor) (Change, error) {
		e, err := decide(a, by)
		if err != nil {
			refused = err
			return Change{}, err
		}
		ch := Change{Account: e.Account, Audit: AuditEntry{Action: e.Action, Reason: e.Reason, Details: e.Details}}
		if len(e.Commands) > 0 {
			p := model.PendingFor(e.Action, a, e.Account, now, by.Name)
			ch.Pending = &p
		}
		for _, m := range e.Commands {
			ch.Outbox = append(ch.Outbox, OutboxMessage{Kind: KindCommand, Type: m.Type, Payload: m.Payload})
		}
		for _, m := range e.Notify {
			ch.Outbox = append(ch.Outbox, OutboxMessage{Kind: KindNotification, Type: m.Type, Payload: m.Payload})
		}
		return ch, nil
	})
	if refused != nil && !errors.Is(refused, model.ErrNeedsConfirm) {
		entry := AuditEntry{At: now, Action: ActionRefused, Account: id,
			Details: map[string]string{"action": action, "refusal": model.CleanText(refused.Error())}}
		if r := (*model.Refusal)(nil); errors.As(refused, &r) { // what the action was for
			entry.Reason = model.CleanText(r.Reason)
			if r.Target != "" {
				entry.Details["target"] = model.CleanText(r.Target)
			}
		}
		aerr := s.AuditAs(by, entry)
		if aerr != nil {
			return Record{}, &UnauditedRefusal{Refusal: err, Audit: aerr}
		}
	}
	if err == nil {
		s.recorder().Action(action)
	}
	return rec, err
}

// UnauditedRefusal is a refusal whose audit entry could not be written
// (the store did not answer): the refusal is still the answer, and the
// agent is told both.
type UnauditedRefusal struct{ Refusal, Audit error }

func (e *UnauditedRefusal) Error() string {
	return e.Refusal.Error() + "; refusal not audited: " + e.Audit.Error()
}

func (e *UnauditedRefusal) Unwrap() []error { return []error{e.Refusal, e.Audit} }
