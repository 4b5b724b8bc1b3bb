package store

import (
	"bufio"
	"bytes"
	"io"
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"frontdoor/internal/gen"
	"frontdoor/store/bolt"
)

// leafStats is bucket's leaf figures in the bbolt file at path (the
// store closed).
func leafStats(t *testing.T, path, bucket string) bbolt.BucketStats {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var st bbolt.BucketStats
	if err := db.View(func(tx *bbolt.Tx) error { st = tx.Bucket([]byte(bucket)).Stats(); return nil }); err != nil {
		t.Fatal(err)
	}
	return st
}

// An import leaves room in the accounts bucket's leaves (accountsFill)
// and packs the others full; then half as many updates as accounts,
// each a sign-in more (a sync's, as `frontdoor gen --updates` makes
// them), leave no account leaf a node of two pages, and the bucket's
// pages do not double. Packed full, as imports were before, the same
// updates turn leaves two-page: the row that shows the test can tell.
func TestImportLeavesRoomForUpdates(t *testing.T) {
	boltOnly(t)
	const n = 4000
	for _, tc := range []struct {
		name        string
		fill        float64 // the accounts bucket's, given to the bbolt file; 0: the store's own
		maxFillUsed float64 // of the accounts leaves' bytes after the import, at most
		twoPage     bool    // updates leave two-page leaves
	}{
		{name: "the store's fill", maxFillUsed: accountsFill, twoPage: false},
		{name: "packed full, as before", fill: 1, maxFillUsed: 1, twoPage: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if tc.fill != 0 {
				s.kv.(*bolt.KV).LeaveRoom(map[string]float64{bAccounts: tc.fill})
			}
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(gen.New(1).Write(pw, n)) }()
			if got, err := s.Import(pr, "gen.jsonl", root, now); err != nil || got != n {
				t.Fatal(got, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, FileName)
			imported := leafStats(t, path, bAccounts)
			if used := float64(imported.LeafInuse) / float64(imported.LeafAlloc); used > tc.maxFillUsed || !tc.twoPage && imported.LeafOverflowN != 0 {
				t.Fatalf("imported: accounts leaves %.2f used (want ≤ %.2f), %d overflow pages", used, tc.maxFillUsed, imported.LeafOverflowN)
			}
			if email := leafStats(t, path, bEmail); float64(email.LeafInuse)/float64(email.LeafAlloc) < 0.9 {
				t.Errorf("the email index's leaves are %d of %d bytes used: not packed full", email.LeafInuse, email.LeafAlloc)
			}

			s, err = Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			var stream bytes.Buffer
			if err := gen.New(1).WriteUpdates(&stream, n, n/2, 0); err != nil {
				t.Fatal(err)
			}
			var evs []Snapshot
			for sc := bufio.NewScanner(&stream); sc.Scan(); {
				ev, err := ParseSnapshot(bytes.Clone(sc.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				evs = append(evs, ev)
			}
			if c, err := s.ApplySnapshots(evs, now); err != nil || c.Applied != n/2 {
				t.Fatalf("applied %+v: %v", c, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			updated := leafStats(t, path, bAccounts)
			t.Logf("accounts leaves: imported %d pages (%d bytes used), updated %d + %d overflow", imported.LeafPageN, imported.LeafInuse, updated.LeafPageN, updated.LeafOverflowN)
			if got := updated.LeafOverflowN > imported.LeafOverflowN; got != tc.twoPage {
				t.Errorf("after the updates, %d overflow pages of %d leaves: two-page leaves %v, want %v", updated.LeafOverflowN, updated.LeafPageN, got, tc.twoPage)
			}
			if !tc.twoPage && updated.LeafPageN+updated.LeafOverflowN >= 2*imported.LeafPageN {
				t.Errorf("the accounts leaves went from %d pages to %d", imported.LeafPageN, updated.LeafPageN+updated.LeafOverflowN)
			}
		})
	}
}
