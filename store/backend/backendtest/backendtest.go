// Package backendtest holds the contract every store backend keeps
// (package backend), as tests a backend's own test file runs against a
// real instance: the bbolt file and a real etcd cluster pass the same
// ones.
package backendtest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"frontdoor/store/backend"
)

// Buckets the suite writes in; a backend's open must create them.
var Buckets = []string{"a", "b"}

// Run runs the contract against backends made by open, one a test.
func Run(t *testing.T, open func(t *testing.T) backend.KV) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, backend.KV)
	}{
		{"GetPutDelete", getPutDelete},
		{"ScanInKeyOrder", scanInKeyOrder},
		{"ScanSeesItsOwnWrites", scanSeesItsOwnWrites},
		{"AllOrNothing", allOrNothing},
		{"WritesToOneKeyCollapse", writesToOneKeyCollapse},
		{"NoLostUpdates", noLostUpdates},
		{"SequencesRise", sequencesRise},
		{"ViewIsReadOnly", viewIsReadOnly},
		{"LimitsAreKept", limitsAreKept},
		{"IDsRise", idsRise},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, kv backend.KV, bucket, key string) string {
	t.Helper()
	var v string
	must(t, kv.View(func(tx backend.Tx) error {
		v = string(tx.Get(bucket, []byte(key)))
		return nil
	}))
	return v
}

func getPutDelete(t *testing.T, kv backend.KV) {
	must(t, kv.Update(func(tx backend.Tx) error {
		if err := tx.Put("a", []byte("k1"), []byte("one")); err != nil {
			return err
		}
		if got := string(tx.Get("a", []byte("k1"))); got != "one" {
			return fmt.Errorf("a write read back in its transaction: %q", got)
		}
		return tx.Put("b", []byte("k1"), []byte("other bucket"))
	}))
	if got := get(t, kv, "a", "k1"); got != "one" {
		t.Fatalf("after commit: %q", got)
	}
	if got := get(t, kv, "b", "k1"); got != "other bucket" {
		t.Fatalf("buckets are apart: %q", got)
	}
	must(t, kv.Update(func(tx backend.Tx) error { return tx.Delete("a", []byte("k1")) }))
	if v := get(t, kv, "a", "k1"); v != "" {
		t.Fatalf("deleted key reads %q", v)
	}
	var absent []byte
	must(t, kv.View(func(tx backend.Tx) error { absent = tx.Get("a", []byte("never")); return nil }))
	if absent != nil {
		t.Fatalf("an absent key reads %q, want nil", absent)
	}
	// an empty value is there (an index entry holds nothing but its key)
	must(t, kv.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("empty"), nil) }))
	var empty []byte
	var scanned int
	must(t, kv.View(func(tx backend.Tx) error {
		empty = tx.Get("a", []byte("empty"))
		return tx.Scan("a", []byte("empty"), func(k, v []byte) (bool, error) {
			if v == nil {
				return false, fmt.Errorf("scan gives %q an absent value", k)
			}
			scanned++
			return true, nil
		})
	}))
	if empty == nil || len(empty) != 0 || scanned != 1 {
		t.Fatalf("an empty value reads %v (nil: absent), scanned %d", empty, scanned)
	}
}

// binary keys (sequence numbers) and prefixes that are each other's
// prefixes come back in byte order
var scanKeys = []string{"p\x00\x01", "p\x00\x02", "p\xff", "pa", "pb/1", "pb/2", "q", "\x00low"}

func put(t *testing.T, kv backend.KV, bucket string, keys ...string) {
	t.Helper()
	must(t, kv.Update(func(tx backend.Tx) error {
		for _, k := range keys {
			if err := tx.Put(bucket, []byte(k), []byte("v:"+k)); err != nil {
				return err
			}
		}
		return nil
	}))
}

func scan(t *testing.T, tx backend.Tx, bucket, prefix string, reverse bool, stopAfter int) []string {
	t.Helper()
	var got []string
	fn := func(k, v []byte) (bool, error) {
		if string(v) != "v:"+string(k) {
			return false, fmt.Errorf("key %q holds %q", k, v)
		}
		got = append(got, string(k))
		return stopAfter == 0 || len(got) < stopAfter, nil
	}
	var err error
	if reverse {
		err = tx.ScanReverse(bucket, fn)
	} else {
		err = tx.Scan(bucket, []byte(prefix), fn)
	}
	must(t, err)
	return got
}

func equal(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func scanInKeyOrder(t *testing.T, kv backend.KV) {
	put(t, kv, "a", scanKeys...)
	put(t, kv, "b", "p-other-bucket")
	must(t, kv.View(func(tx backend.Tx) error {
		for _, c := range []struct {
			prefix  string
			reverse bool
			stop    int
			want    []string
		}{
			{"", false, 0, []string{"\x00low", "p\x00\x01", "p\x00\x02", "pa", "pb/1", "pb/2", "p\xff", "q"}},
			{"p", false, 0, []string{"p\x00\x01", "p\x00\x02", "pa", "pb/1", "pb/2", "p\xff"}},
			{"p\x00", false, 0, []string{"p\x00\x01", "p\x00\x02"}},
			{"pb/", false, 0, []string{"pb/1", "pb/2"}},
			{"p\xff", false, 0, []string{"p\xff"}},
			{"zz", false, 0, nil},
			{"p", false, 2, []string{"p\x00\x01", "p\x00\x02"}},
			{"", true, 0, []string{"q", "p\xff", "pb/2", "pb/1", "pa", "p\x00\x02", "p\x00\x01", "\x00low"}},
			{"", true, 3, []string{"q", "p\xff", "pb/2"}},
		} {
			if got := scan(t, tx, "a", c.prefix, c.reverse, c.stop); !equal(got, c.want) {
				t.Errorf("scan %q reverse=%v stop=%d: %q, want %q", c.prefix, c.reverse, c.stop, got, c.want)
			}
		}
		return nil
	}))
}

func scanSeesItsOwnWrites(t *testing.T, kv backend.KV) {
	put(t, kv, "a", "k2", "k4")
	must(t, kv.Update(func(tx backend.Tx) error {
		for _, k := range []string{"k3", "k1", "k5"} {
			if err := tx.Put("a", []byte(k), []byte("v:"+k)); err != nil {
				return err
			}
		}
		if err := tx.Delete("a", []byte("k4")); err != nil {
			return err
		}
		if got, want := scan(t, tx, "a", "k", false, 0), []string{"k1", "k2", "k3", "k5"}; !equal(got, want) {
			return fmt.Errorf("scan in the transaction: %q, want %q", got, want)
		}
		if got, want := scan(t, tx, "a", "", true, 0), []string{"k5", "k3", "k2", "k1"}; !equal(got, want) {
			return fmt.Errorf("reverse scan in the transaction: %q, want %q", got, want)
		}
		return nil
	}))
}

func allOrNothing(t *testing.T, kv backend.KV) {
	put(t, kv, "a", "kept")
	failed := errors.New("the action was refused")
	err := kv.Update(func(tx backend.Tx) error {
		tx.Put("a", []byte("half"), []byte("written"))
		tx.Delete("a", []byte("kept"))
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	if get(t, kv, "a", "half") != "" || get(t, kv, "a", "kept") != "v:kept" {
		t.Fatal("a transaction that failed left some of its writes")
	}
}

func writesToOneKeyCollapse(t *testing.T, kv backend.KV) {
	must(t, kv.Update(func(tx backend.Tx) error {
		for i := range 5 {
			if err := tx.Put("a", []byte("k"), []byte(fmt.Sprint(i))); err != nil {
				return err
			}
		}
		tx.Put("a", []byte("gone"), []byte("x"))
		return tx.Delete("a", []byte("gone"))
	}))
	if got := get(t, kv, "a", "k"); got != "4" {
		t.Fatalf("five writes to one key read %q, want the last", got)
	}
	if get(t, kv, "a", "gone") != "" {
		t.Fatal("a put then a delete left the key")
	}
}

// Writers that read a counter and write it back lose none of their
// increments: a backend that runs transactions at once retries the one
// that conflicted.
func noLostUpdates(t *testing.T, kv backend.KV) {
	const writers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := kv.Update(func(tx backend.Tx) error {
					n := 0
					fmt.Sscan(string(tx.Get("a", []byte("counter"))), &n)
					return tx.Put("a", []byte("counter"), []byte(fmt.Sprint(n+1)))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := get(t, kv, "a", "counter"); got != fmt.Sprint(writers*each) {
		t.Fatalf("counter %s after %d increments: updates were lost", got, writers*each)
	}
}

func sequencesRise(t *testing.T, kv backend.KV) {
	var last uint64
	for range 3 {
		must(t, kv.Update(func(tx backend.Tx) error {
			a, err := tx.NextSequence("a")
			if err != nil {
				return err
			}
			b, err := tx.NextSequence("a")
			if err != nil {
				return err
			}
			if a <= last || b <= a {
				return fmt.Errorf("sequence %d then %d after %d", a, b, last)
			}
			last = b
			return nil
		}))
	}
	// a failed transaction's numbers may be skipped, never given twice
	kv.Update(func(tx backend.Tx) error { tx.NextSequence("a"); return errors.New("refused") })
	must(t, kv.Update(func(tx backend.Tx) error {
		n, err := tx.NextSequence("a")
		if err == nil && n <= last {
			err = fmt.Errorf("sequence %d after %d", n, last)
		}
		return err
	}))
}

func viewIsReadOnly(t *testing.T, kv backend.KV) {
	err := kv.View(func(tx backend.Tx) error { return tx.Put("a", []byte("k"), []byte("v")) })
	if err == nil {
		t.Fatal("a write in a View succeeded")
	}
	if get(t, kv, "a", "k") != "" {
		t.Fatal("a View wrote")
	}
}

// A transaction over the backend's limits fails whole, saying so.
func limitsAreKept(t *testing.T, kv backend.KV) {
	l := kv.Limits()
	if l.MaxOps == 0 && l.MaxBytes == 0 {
		t.Skip("no limits to keep")
	}
	n := l.MaxOps + 1
	size := 16
	if l.MaxOps == 0 {
		n, size = 2, l.MaxBytes/2+1
	}
	value := bytes.Repeat([]byte("x"), size)
	err := kv.Update(func(tx backend.Tx) error {
		for i := range n {
			if err := tx.Put("a", []byte(fmt.Sprintf("big%04d", i)), value); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, backend.ErrTxTooLarge) {
		t.Fatalf("a transaction over the limits: %v, want ErrTxTooLarge", err)
	}
	if get(t, kv, "a", "big0000") != "" {
		t.Fatal("a transaction over the limits wrote some of itself")
	}
}

func idsRise(t *testing.T, kv backend.KV) {
	var before, write, after uint64
	must(t, kv.View(func(tx backend.Tx) error { before = tx.ID(); return nil }))
	must(t, kv.Update(func(tx backend.Tx) error { write = tx.ID(); return tx.Put("a", []byte("k"), []byte("v")) }))
	must(t, kv.View(func(tx backend.Tx) error { after = tx.ID(); return nil }))
	if write <= before || after < write {
		t.Fatalf("ids: read %d, write %d, read after %d", before, write, after)
	}
}
