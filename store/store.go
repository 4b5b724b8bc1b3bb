package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"frontdoor/model"
)

// FileName is the store's file inside the data directory.
const FileName = "frontdoor.db"

// SchemaVersion is written to meta on first open.
const SchemaVersion = "1"

// Store is frontdoor's data: the only way the rest of the program reads
// or changes it.
type Store struct {
	kv   KV
	path string
	hub  *hub
}

// Open opens the store in dir, creating dir (0700) and the file (0600).
// A second process gets ErrInUse after about a second.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	kv, err := openBolt(path, time.Second)
	if err != nil {
		return nil, err
	}
	s := &Store{kv: kv, path: path, hub: newHub()}
	err = kv.Update(func(tx Tx) error {
		if tx.Get(bMeta, []byte("schema")) == nil {
			return tx.Put(bMeta, []byte("schema"), []byte(SchemaVersion))
		}
		return nil
	})
	if err != nil {
		kv.Close()
		return nil, err
	}
	return s, nil
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Close closes the store.
func (s *Store) Close() error { return s.kv.Close() }

// Backup writes a hot, fsynced copy of the store to path (0600).
func (s *Store) Backup(path string) error {
	if err := s.kv.Backup(path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// Record is an account as stored: the mirror plus who changed it last.
type Record struct {
	Version   uint64        `json:"version"`
	UpdatedBy string        `json:"updated_by,omitempty"`
	UpdatedAt time.Time     `json:"updated_at"`
	Account   model.Account `json:"account"`
}

// ErrNotFound: no account has that id or email.
var ErrNotFound = errors.New("no such account")

func getRecord(tx Tx, id string) (Record, error) {
	v := tx.Get(bAccounts, []byte(id))
	if v == nil {
		return Record{}, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return Record{}, fmt.Errorf("account %s: corrupt record: %w", id, err)
	}
	return r, nil
}

func putRecord(tx Tx, r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Put(bAccounts, []byte(r.Account.ID), b)
}

// Get returns the account with id.
func (s *Store) Get(id string) (Record, error) {
	var r Record
	err := s.kv.View(func(tx Tx) error {
		var err error
		r, err = getRecord(tx, id)
		return err
	})
	return r, err
}

// ByEmail finds the account whose current or a previous email is email
// (normalised: case and surrounding spaces do not matter, P7).
func (s *Store) ByEmail(email string) (Record, error) {
	var r Record
	err := s.kv.View(func(tx Tx) error {
		v := tx.Get(bEmail, []byte(model.NormalizeEmail(email)))
		if v == nil {
			return fmt.Errorf("%q: %w", email, ErrNotFound)
		}
		id, _ := splitEntry(v)
		var err error
		r, err = getRecord(tx, id)
		return err
	})
	return r, err
}

// Count returns how many accounts there are.
func (s *Store) Count() (int, error) {
	n := 0
	err := s.kv.View(func(tx Tx) error {
		return tx.Scan(bAccounts, nil, func(_, _ []byte) (bool, error) { n++; return true, nil })
	})
	return n, err
}

// Meta reads a meta value ("dataset", "demo_anchor").
func (s *Store) Meta(key string) string {
	var v string
	_ = s.kv.View(func(tx Tx) error { v = string(tx.Get(bMeta, []byte(key))); return nil })
	return v
}

func seqKey(n uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, n)
	return k
}
