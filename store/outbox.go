package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Outbox message kinds: a command for the platform to carry out, or a
// notification to the account holder (NIST SP 800-63B-4 §4: tell them
// when their authenticators or email settings change).
const (
	KindCommand      = "command"
	KindNotification = "notification"
)

// OutboxMessage is one thing the platform integration must deliver. The
// console mirrors the platform; it never does the platform's work itself.
type OutboxMessage struct {
	ID      uint64            `json:"id"`
	At      time.Time         `json:"at"`
	By      string            `json:"by"`
	Account string            `json:"account"`
	Kind    string            `json:"kind"`
	Type    string            `json:"type"`
	Payload map[string]string `json:"payload,omitempty"`
	AckedAt *time.Time        `json:"acked_at,omitempty"`
}

func appendOutbox(tx Tx, m OutboxMessage) error {
	seq, err := tx.NextSequence(bOutbox)
	if err != nil {
		return err
	}
	m.ID = seq
	m.At = m.At.UTC()
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return tx.Put(bOutbox, seqKey(seq), b)
}

// Outbox lists messages, oldest first; pending only unless all.
func (s *Store) Outbox(all bool) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := s.kv.View(func(tx Tx) error {
		return tx.Scan(bOutbox, nil, func(_, v []byte) (bool, error) {
			var m OutboxMessage
			if err := json.Unmarshal(v, &m); err != nil {
				return false, fmt.Errorf("outbox: corrupt message: %w", err)
			}
			if all || m.AckedAt == nil {
				out = append(out, m)
			}
			return true, nil
		})
	})
	return out, err
}

// ErrNoMessage: no outbox message has that id.
var ErrNoMessage = errors.New("no such outbox message")

// Ack marks message id delivered. Acking twice is not an error: the
// integration may retry.
func (s *Store) Ack(id uint64, by Actor, now time.Time) error {
	return s.kv.Update(func(tx Tx) error {
		k := make([]byte, 8)
		binary.BigEndian.PutUint64(k, id)
		v := tx.Get(bOutbox, k)
		if v == nil {
			return fmt.Errorf("%d: %w", id, ErrNoMessage)
		}
		var m OutboxMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		if m.AckedAt != nil {
			return nil
		}
		t := now.UTC()
		m.AckedAt = &t
		b, _ := json.Marshal(m)
		if err := tx.Put(bOutbox, k, b); err != nil {
			return err
		}
		return s.appendAudit(tx, AuditEntry{At: now, Actor: by.Name, Role: by.Role, Action: "outbox_ack",
			Account: m.Account, Details: map[string]string{"message": fmt.Sprint(id), "type": m.Type}})
	})
}
