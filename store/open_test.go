package store

import (
	"strings"
	"testing"
)

// lastCommit is the id of the file's last committed transaction (bbolt's
// txid: without the generation of Rebuild's files, which a new open starts
// again at 0).
func lastCommit(t *testing.T, s *Store) uint64 {
	t.Helper()
	var id uint64
	if err := s.kv.View(func(tx Tx) error { id = tx.ID() & (1<<48 - 1); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

// Opening a store that needs nothing commits nothing: a bbolt commit is
// two fdatasyncs even when empty, and every command opens the store
// (issue 23: diagnose at 1M made three commits, two of them the open's).
// What must be written on open still is: a migration, a key's id.
func TestOpenCommitsOnlyWhatItMust(t *testing.T) {
	boltOnly(t)
	tests := []struct {
		name   string
		before func(t *testing.T, s *Store) // on the open store, before it is closed and opened again
		writes bool
	}{
		{"a new store", func(*testing.T, *Store) {}, false},
		{"accounts and an audit trail", func(t *testing.T, s *Store) {
			if _, err := s.Import(strings.NewReader(lines(5)), "a", root, now); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"schema 3: names to index again", func(t *testing.T, s *Store) {
			if err := s.kv.Update(func(tx Tx) error { return tx.Put(bMeta, []byte("schema"), []byte("3")) }); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a key provisioned, its id not recorded", func(t *testing.T, s *Store) {
			if err := s.kv.Update(func(tx Tx) error { return tx.Delete(bMeta, []byte(metaAuditKeyID)) }); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			tt.before(t, s)
			was := lastCommit(t, s)
			s.Close()
			if s, err = OpenExisting(dir); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got := lastCommit(t, s)
			if wrote := got != was; wrote != tt.writes {
				t.Fatalf("open committed %v (tx %d → %d), want %v", wrote, was, got, tt.writes)
			}
			if tt.writes { // what the open wrote is all there
				if err := s.kv.View(func(tx Tx) error {
					if v := string(tx.Get(bMeta, []byte("schema"))); v != SchemaVersion {
						t.Errorf("schema %q after open", v)
					}
					if tx.Get(bMeta, []byte(metaAuditKeyID)) == nil {
						t.Error("no key id after open")
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			mustCheck(t, s)
		})
	}
}
