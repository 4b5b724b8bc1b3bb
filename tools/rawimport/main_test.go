package main

import (
	"os"
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"frontdoor/internal/gen"
)

// TestLoad: every line is put under its id with its email indexed,
// whatever the transaction size, and a bad line or an existing file is
// an error.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gen.jsonl")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := gen.New(1).Write(f, 45); err != nil {
		t.Fatal(err)
	}
	f.Close()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"id":"a","email":"a@x.test"}`+"\nnot json\n"), 0o600)
	for _, tc := range []struct {
		name, file  string
		perTx, want int
		fails       bool
	}{
		{"one a transaction", file, 1, 45, false},
		{"partial last transaction", file, 20, 45, false},
		{"all in one", file, 20_000, 45, false},
		{"bad line", bad, 20_000, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "raw.db")
			n, err := load(tc.file, db, tc.perTx)
			if tc.fails {
				if err == nil {
					t.Fatalf("loaded %d accounts from a bad file", n)
				}
				return
			}
			if err != nil || n != tc.want {
				t.Fatalf("load = %d, %v; want %d", n, err, tc.want)
			}
			if _, err := load(tc.file, db, tc.perTx); err == nil {
				t.Fatal("loaded into an existing file")
			}
			b, err := bbolt.Open(db, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			b.View(func(tx *bbolt.Tx) error {
				if got := tx.Bucket([]byte("accounts")).Stats().KeyN; got != tc.want {
					t.Errorf("%d accounts stored, want %d", got, tc.want)
				}
				if got := tx.Bucket([]byte("email")).Stats().KeyN; got != tc.want {
					t.Errorf("%d emails indexed, want %d", got, tc.want)
				}
				id := tx.Bucket([]byte("email")).Get([]byte("linh.flores0@gmail.com"))
				if string(id) != "acc_00000000" {
					t.Errorf("email index: %q, want acc_00000000", id)
				}
				if rec := tx.Bucket([]byte("accounts")).Get(id); len(rec) < 500 {
					t.Errorf("record %q: %d bytes", id, len(rec))
				}
				return nil
			})
		})
	}
}
