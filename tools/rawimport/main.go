// Command rawimport is the yardstick for `frontdoor import` (issue 23,
// item 3): the naive raw bbolt loop one would write to load a gen JSONL
// file, with none of frontdoor's promises. Each line is decoded with
// encoding/json for its id and email only, the line itself is put under
// its id and one index entry (email → id) beside it, 20,000 accounts to
// a transaction, bbolt's default options (each commit fsyncs, pages
// half full), one goroutine. It checks nothing (no validation, no
// duplicates, no other index, no all-or-nothing: a failure leaves the
// transactions before it), so frontdoor's import reaching its rate
// means the promises cost nothing over the plain loop.
//
//	go run ./tools/rawimport [--per-tx 20000] FILE DB
//
// DB must not exist. It prints the accounts, wall time and accounts/s.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	bbolt "go.etcd.io/bbolt"
)

func main() {
	perTx := flag.Int("per-tx", 20_000, "accounts in one transaction")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: rawimport [--per-tx N] FILE DB")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 || *perTx < 1 {
		flag.Usage()
		os.Exit(2)
	}
	start := time.Now()
	n, err := load(flag.Arg(0), flag.Arg(1), *perTx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rawimport:", err)
		os.Exit(1)
	}
	wall := time.Since(start)
	fmt.Printf("rawimport: %d accounts in %.2f s: %.0f accounts/s\n", n, wall.Seconds(), float64(n)/wall.Seconds())
}

// load puts every line of file into a new bbolt file at db, perTx
// accounts to a transaction.
func load(file, db string, perTx int) (int, error) {
	if _, err := os.Stat(db); err == nil {
		return 0, fmt.Errorf("%s exists: the loop loads a new file", db)
	}
	in, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	bdb, err := bbolt.Open(db, 0o600, nil)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", db, err)
	}
	defer bdb.Close()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for {
		done := false
		err := bdb.Update(func(tx *bbolt.Tx) error {
			accs, err := tx.CreateBucketIfNotExists([]byte("accounts"))
			if err != nil {
				return err
			}
			emails, err := tx.CreateBucketIfNotExists([]byte("email"))
			if err != nil {
				return err
			}
			for range perTx {
				if !sc.Scan() {
					done = true
					return sc.Err()
				}
				var a struct{ ID, Email string }
				if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
					return fmt.Errorf("line %d: %w", n+1, err)
				}
				if a.ID == "" {
					return fmt.Errorf("line %d: no id", n+1)
				}
				// bbolt keeps the slices until the commit: the scanner's
				// buffer is reused, so the line is copied
				if err := accs.Put([]byte(a.ID), append([]byte(nil), sc.Bytes()...)); err != nil {
					return err
				}
				if err := emails.Put([]byte(a.Email), []byte(a.ID)); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("%s: %w", file, err)
		}
		if done {
			return n, nil
		}
	}
}
