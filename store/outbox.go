package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"frontdoor/model"
)

// Outbox message kinds: a command for the platform to carry out, or a
// notification to the account holder (NIST SP 800-63B-4 §4: tell them
// when their authenticators or email settings change).
const (
	KindCommand      = "command"
	KindNotification = "notification"
)

// Delivery states of an outbox message (rule S8).
const (
	OutboxPending   = "pending"
	OutboxDelivered = "delivered"
	OutboxDead      = "dead"
)

// OutboxMessage is one thing the platform must receive. The console
// mirrors the platform; it never does the platform's work itself. It is
// delivered at least once (rule S8): Key is unique across stores and
// stable across retries, so the platform deduplicates on it.
type OutboxMessage struct {
	ID          uint64            `json:"id"`
	Key         string            `json:"key"`
	At          time.Time         `json:"at"`
	By          string            `json:"by"`
	Account     string            `json:"account"`
	Kind        string            `json:"kind"`
	Type        string            `json:"type"`
	Payload     map[string]string `json:"payload,omitempty"`
	State       string            `json:"state"`
	Attempts    int               `json:"attempts"`
	LastStatus  int               `json:"last_status,omitempty"` // HTTP status of the last attempt
	LastError   string            `json:"last_error,omitempty"`
	NextAttempt *time.Time        `json:"next_attempt,omitempty"` // a pending message is not tried before
	DeliveredAt *time.Time        `json:"delivered_at,omitempty"`
}

// UnmarshalJSON reads messages written before delivery states (acked_at).
func (m *OutboxMessage) UnmarshalJSON(b []byte) error {
	type plain OutboxMessage
	var v struct {
		plain
		AckedAt *time.Time `json:"acked_at"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = OutboxMessage(v.plain)
	if m.State == "" {
		m.State, m.DeliveredAt = OutboxPending, v.AckedAt
		if v.AckedAt != nil {
			m.State = OutboxDelivered
		}
	}
	return nil
}

const metaStoreID = "store_id"

// storeID names this store in delivery keys, so keys stay unique across
// stores (a restored backup, a second site). Made once, kept in meta.
func storeID(tx Tx) (string, error) {
	if v := tx.Get(bMeta, []byte(metaStoreID)); v != nil {
		return string(v), nil
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b)
	return id, tx.Put(bMeta, []byte(metaStoreID), []byte(id))
}

func (s *Store) appendOutbox(tx Tx, m OutboxMessage) (uint64, error) {
	seq, err := tx.NextSequence(bOutbox)
	if err != nil {
		return 0, err
	}
	sid, err := storeID(tx)
	if err != nil {
		return 0, err
	}
	m.ID, m.Key, m.State = seq, fmt.Sprintf("fd-%s-%d", sid, seq), OutboxPending
	m.At = m.At.UTC()
	return seq, putMessage(tx, m)
}

func putMessage(tx Tx, m OutboxMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := tx.Put(bOutbox, seqKey(m.ID), b); err != nil {
		return err
	}
	return indexMessage(tx, m.ID, m.State)
}

// indexMessage keeps the open index: a message in it while pending or
// dead, out of it once delivered.
func indexMessage(tx Tx, id uint64, state string) error {
	if state == OutboxDelivered {
		return tx.Delete(bOutboxOpen, seqKey(id))
	}
	return tx.Put(bOutboxOpen, seqKey(id), []byte(state))
}

// scanOpen calls fn for each message not delivered, oldest first, with
// its state.
func scanOpen(tx Tx, fn func(id uint64, state string) (bool, error)) error {
	return tx.Scan(bOutboxOpen, nil, func(k, v []byte) (bool, error) {
		if len(k) != 8 {
			return false, fmt.Errorf("outbox index: key %x is not a message id", k)
		}
		return fn(binary.BigEndian.Uint64(k), string(v))
	})
}

func getMessage(tx Tx, id uint64) (OutboxMessage, error) {
	v := tx.Get(bOutbox, seqKey(id))
	if v == nil {
		return OutboxMessage{}, fmt.Errorf("%d: %w", id, ErrNoMessage)
	}
	var m OutboxMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return OutboxMessage{}, fmt.Errorf("outbox %d: corrupt message: %w", id, err)
	}
	return m, nil
}

// Outbox lists messages, oldest first: pending and dead ones, or all.
func (s *Store) Outbox(all bool) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := s.kv.View(func(tx Tx) error {
		if !all { // the open ones: from the index
			return scanOpen(tx, func(id uint64, _ string) (bool, error) {
				m, err := getMessage(tx, id)
				out = append(out, m)
				return err == nil, err
			})
		}
		return tx.Scan(bOutbox, nil, func(_, v []byte) (bool, error) {
			var m OutboxMessage
			if err := json.Unmarshal(v, &m); err != nil {
				return false, fmt.Errorf("outbox: corrupt message: %w", err)
			}
			if all || m.State != OutboxDelivered {
				out = append(out, m)
			}
			return true, nil
		})
	})
	return out, err
}

// Due lists the pending messages that may be tried at now, at most
// limit: for each account only its oldest open message, so one
// account's messages reach the platform in the order they were queued
// (rule S8). A dead message holds the ones after it until an operator
// queues it again (retry) or lets it go (ack): sent past it, a "your
// suppression was lifted" notice went out for a lift the platform had
// refused, and a reset to the still-suppressed address after it (CLI
// review).
func (s *Store) Due(now time.Time, limit int) (due []OutboxMessage, next time.Time, err error) {
	waiting := map[string]bool{}
	err = s.kv.View(func(tx Tx) error {
		return scanOpen(tx, func(id uint64, state string) (bool, error) {
			m, err := getMessage(tx, id)
			if err != nil {
				return false, err
			}
			if waiting[m.Account] {
				return true, nil
			}
			waiting[m.Account] = true // its oldest open message: the one that may go
			if m.State != OutboxPending {
				return true, nil // dead: the account waits for it
			}
			if m.NextAttempt != nil && m.NextAttempt.After(now) {
				if next.IsZero() || m.NextAttempt.Before(next) {
					next = *m.NextAttempt
				}
				return true, nil
			}
			due = append(due, m)
			return len(due) < limit, nil
		})
	})
	return due, next, err
}

// Outcome is what one delivery attempt came to.
type Outcome struct {
	ID     uint64
	Status int    // HTTP status, 0 when none came back
	Err    string // why it failed, "" when delivered
	// Retry: when a failed attempt may be tried again; zero makes the
	// message dead (a refusal, or too many attempts).
	Retry time.Time
}

// RecordDeliveries writes a batch of delivery outcomes in one transaction: each
// message delivered, rescheduled or dead, and the account's pending
// action with it (rule S6: a dead command shows as failed). A batch
// larger than the backend takes in one (etcd: 128 writes, and a command
// delivered is three) is written in halves: the relay had delivered
// them all, and a batch never recorded was sent again every few seconds.
func (s *Store) RecordDeliveries(outcomes []Outcome, now time.Time) error {
	return inHalves(outcomes, func(part []Outcome) error { return s.recordDeliveries(part, now) })
}

func (s *Store) recordDeliveries(outcomes []Outcome, now time.Time) error {
	var touched []string
	err := s.kv.Update(func(tx Tx) error {
		touched = touched[:0]
		for _, o := range outcomes {
			m, err := getMessage(tx, o.ID)
			if err != nil {
				return err
			}
			if m.State != OutboxPending {
				continue // settled meanwhile (by hand, or another relay)
			}
			m.Attempts++
			m.LastStatus, m.LastError, m.NextAttempt = o.Status, o.Err, nil
			t := now.UTC()
			switch {
			case o.Err == "":
				m.State, m.DeliveredAt = OutboxDelivered, &t
			case o.Retry.IsZero():
				m.State = OutboxDead
			default:
				r := o.Retry.UTC()
				m.NextAttempt = &r
			}
			if err := putMessage(tx, m); err != nil {
				return err
			}
			if m.State != OutboxPending {
				if ok, err := setPendingState(tx, m); err != nil {
					return err
				} else if ok {
					touched = append(touched, m.Account)
				}
			}
		}
		return nil
	})
	s.hub.publish(touched...)
	return err
}

// setPendingState mirrors a message's state on the account's pending
// action that queued it. It does not bump the record's version: nothing
// the agent decides on changed.
func setPendingState(tx Tx, m OutboxMessage) (bool, error) {
	if m.Kind != KindCommand {
		return false, nil
	}
	r, err := getRecord(tx, m.Account)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	state := map[string]string{OutboxPending: model.PendingQueued, OutboxDelivered: model.PendingDelivered, OutboxDead: model.PendingFailed}[m.State]
	for i := range r.Pending {
		if r.Pending[i].Message == m.ID && r.Pending[i].State != state {
			r.Pending[i].State = state
			return true, putRecord(tx, r)
		}
	}
	return false, nil
}

// ErrNoMessage: no outbox message has that id.
var ErrNoMessage = errors.New("no such outbox message")

// Ack marks message id delivered by hand. Acking twice is not an error:
// the integration may retry.
func (s *Store) Ack(id uint64, by Actor, now time.Time) error {
	return s.settle(id, by, now, "outbox_ack", func(m *OutboxMessage) error {
		if m.State == OutboxDelivered {
			return errSettled
		}
		t := now.UTC()
		m.State, m.DeliveredAt = OutboxDelivered, &t
		return nil
	})
}

// Retry puts a dead message back in the queue, its attempts counted from
// zero (rule S8: dead until an operator retries it).
func (s *Store) Retry(id uint64, by Actor, now time.Time) error {
	return s.settle(id, by, now, "outbox_retry", func(m *OutboxMessage) error {
		if m.State != OutboxDead {
			return fmt.Errorf("message %d is %s, not dead", id, m.State)
		}
		m.State, m.Attempts, m.NextAttempt = OutboxPending, 0, nil
		return nil
	})
}

var errSettled = errors.New("already settled")

func (s *Store) settle(id uint64, by Actor, now time.Time, action string, change func(*OutboxMessage) error) error {
	var account string
	err := s.kv.Update(func(tx Tx) error {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		if err := change(&m); err != nil {
			return err
		}
		if err := putMessage(tx, m); err != nil {
			return err
		}
		if ok, err := setPendingState(tx, m); err != nil {
			return err
		} else if ok {
			account = m.Account
		}
		return s.appendAudit(tx, AuditEntry{At: now, Actor: by.Name, Role: by.Role, Action: action,
			Account: m.Account, Details: map[string]string{"message": fmt.Sprint(id), "type": m.Type}})
	})
	if errors.Is(err, errSettled) {
		return nil
	}
	if err == nil && account != "" {
		s.hub.publish(account)
	}
	if err == nil {
		s.hub.publishQueued()
	}
	return err
}
