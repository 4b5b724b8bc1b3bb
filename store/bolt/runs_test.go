package bolt

import (
	"fmt"
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"
)

// A commit that does not wait for the disk writes its pages in runs,
// fewer pwrites than pages, every one before the meta page; one that
// waits writes each page as bbolt does. Either way the file reopened
// holds every key.
func TestWritesInRuns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		noSync bool
		runs   bool // fewer writes than pages
	}{
		{name: "commits that do not wait for the disk", noSync: true, runs: true},
		{name: "commits that wait for the disk", noSync: false, runs: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "runs.db")
			db, err := bbolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			pageSize := int64(db.Info().PageSize)
			type write struct{ off, n int64 }
			var writes []write
			if !wrapWriteAt(db, func(next writeAt) writeAt {
				return func(b []byte, off int64) (int, error) {
					writes = append(writes, write{off, int64(len(b))})
					return next(b, off)
				}
			}) {
				t.Fatal("bbolt has no write function to wrap: pages are written one by one")
			}
			if !writeInRuns(db) {
				t.Fatal("writeInRuns did not take")
			}
			db.NoSync = tc.noSync
			const n = 2000
			var stats bbolt.TxStats
			if err := db.Update(func(tx *bbolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists([]byte("a"))
				if err != nil {
					return err
				}
				for i := range n {
					if err := b.Put(fmt.Appendf(nil, "k%06d", i), make([]byte, 500+i%300)); err != nil {
						return err
					}
				}
				tx.OnCommit(func() { stats = tx.Stats() })
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			pages := stats.GetWrite() // bbolt's count: the pages (nodes) and the meta page
			last := writes[len(writes)-1]
			if last.off >= 2*pageSize {
				t.Fatalf("the last write is at %d, not a meta page: %v", last.off, writes[len(writes)-3:])
			}
			for _, w := range writes[:len(writes)-1] {
				if w.off < 2*pageSize {
					t.Fatalf("a meta page written before the commit's pages: %v", writes)
				}
			}
			if got := int64(len(writes)) < pages; got != tc.runs {
				t.Errorf("%d writes for %d pages and the meta: in runs %v, want %v", len(writes), pages, got, tc.runs)
			}
			t.Logf("%d pwrites for %d page writes", len(writes), pages)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db, err = bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.View(func(tx *bbolt.Tx) error {
				b := tx.Bucket([]byte("a"))
				for i := range n {
					if v := b.Get(fmt.Appendf(nil, "k%06d", i)); len(v) != 500+i%300 {
						return fmt.Errorf("k%06d: %d bytes", i, len(v))
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
