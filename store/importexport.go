package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"frontdoor/model"
)

// LineError is a bad line of an import or a change stream: FILE:LINE:
// field: reason, or FILE:LINE: seq N: field: reason (rule S7).
type LineError struct {
	File  string
	Line  int
	Field string
	Err   error
	Seq   uint64 // a change-stream line's seq; 0 when none (or unread)
}

func (e *LineError) Error() string {
	loc := fmt.Sprintf("%s:%d: ", e.File, e.Line)
	if e.Seq > 0 {
		loc += fmt.Sprintf("seq %d: ", e.Seq)
	}
	if e.Field != "" {
		loc += e.Field + ": "
	}
	var fe *model.FieldError
	if errors.As(e.Err, &fe) {
		return loc + fe.Reason
	}
	return loc + e.Err.Error()
}

func (e *LineError) Unwrap() error { return e.Err }

// MaxLine is the longest import line accepted (one account).
const MaxLine = 4 << 20

type parsed struct {
	line int
	acc  model.Account
}

// testHookMidImport runs halfway through the write transaction, so a test
// can kill the process there.
var testHookMidImport func()

// Import reads JSONL accounts from r and adds them, all or nothing: the
// first bad line (invalid, or an id or email already used in the file or
// the store) is returned as a *LineError and nothing is written. name is
// the file name for messages. It returns how many accounts were added.
func (s *Store) Import(r io.Reader, name string, by Actor, now time.Time) (int, error) {
	if err := s.RefuseIfDemo(); err != nil {
		return 0, err
	}
	accs, err := readJSONL(r, name)
	if err != nil {
		return 0, err
	}
	err = s.kv.Update(func(tx Tx) error {
		var w sortedWrites
		for i, p := range accs {
			if testHookMidImport != nil && i == len(accs)/2 {
				testHookMidImport()
			}
			if tx.Get(bAccounts, []byte(p.acc.ID)) != nil {
				return &LineError{File: name, Line: p.line, Field: "id", Err: fmt.Errorf("account %q already exists in the store", p.acc.ID)}
			}
			// an address may be another account's previous email, never
			// its current one (rules A1, S5)
			if err := checkCurrentEmail(tx, p.acc); err != nil {
				return &LineError{File: name, Line: p.line, Field: "email", Err: fmt.Errorf("already in the store: %w", err)}
			}
			rec, err := json.Marshal(Record{Version: 1, UpdatedBy: by.Name, UpdatedAt: now, Account: p.acc})
			if err != nil {
				return err
			}
			w.add(bAccounts, []byte(p.acc.ID), rec)
			for _, e := range indexEntries(p.acc) {
				w.add(e.bucket, e.key, e.value)
			}
		}
		if err := w.put(tx); err != nil {
			return err
		}
		return s.appendAudit(tx, AuditEntry{At: now, Actor: by.Name, Role: by.Role, Action: "import",
			Details: map[string]string{"file": name, "accounts": fmt.Sprint(len(accs))}})
	})
	if err != nil {
		return 0, err
	}
	return len(accs), nil
}

// readJSONL parses and validates every line before anything is written,
// and finds ids and emails used twice within the file.
func readJSONL(r io.Reader, name string) ([]parsed, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []parsed
	ids := map[string]int{}
	emails := map[string]int{}
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF && line == nil {
			break
		}
		if err != nil && err != io.EOF {
			return nil, &LineError{File: name, Line: n, Err: err}
		}
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		acc, perr := model.ParseAccount(line)
		if perr != nil {
			le := &LineError{File: name, Line: n, Err: perr}
			var fe *model.FieldError
			if errors.As(perr, &fe) {
				le.Field = fe.Field
			}
			return nil, le
		}
		if first, dup := ids[acc.ID]; dup {
			return nil, &LineError{File: name, Line: n, Field: "id", Err: fmt.Errorf("duplicate id %q (first on line %d)", acc.ID, first)}
		}
		ids[acc.ID] = n
		k := model.NormalizeEmail(acc.Email) // rule A1, S5: one current holder
		if first, dup := emails[k]; dup {
			return nil, &LineError{File: name, Line: n, Field: "email", Err: fmt.Errorf("%q is already the current email on line %d (A1, S5)", acc.Email, first)}
		}
		emails[k] = n
		out = append(out, parsed{line: n, acc: acc})
	}
	return out, nil
}

// readLine reads one line without its newline (and \r), up to MaxLine.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxLine {
			// drain the rest of the line so the count stays right
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			return nil, fmt.Errorf("line longer than %d bytes", MaxLine)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(line) == 0 {
			return nil, io.EOF
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if err == io.EOF {
			return line, nil
		}
		return line, err
	}
}

// Export writes every account as JSONL, in id order. Import reads it back
// to the same accounts; unknown fields are kept.
func (s *Store) Export(w io.Writer) (int, error) {
	bw := bufio.NewWriter(w)
	n := 0
	err := s.kv.View(func(tx Tx) error {
		return tx.Scan(bAccounts, nil, func(k, v []byte) (bool, error) {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return false, fmt.Errorf("account %s: corrupt record: %w", k, err)
			}
			b, err := json.Marshal(r.Account)
			if err != nil {
				return false, err
			}
			bw.Write(b)
			bw.WriteByte('\n')
			n++
			return true, nil
		})
	})
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// SeedDemo fills an empty store with the demo accounts and marks it as a
// demo store (the header shows DEMO).
func (s *Store) SeedDemo(accs []model.Account, now time.Time) error {
	return s.kv.Update(func(tx Tx) error {
		empty := true
		_ = tx.Scan(bAccounts, nil, func(_, _ []byte) (bool, error) { empty = false; return false, nil })
		if !empty {
			return nil
		}
		for _, a := range accs {
			if err := putRecord(tx, Record{Version: 1, UpdatedBy: "demo", UpdatedAt: now, Account: a, Demo: true}); err != nil {
				return err
			}
			if err := putIndexes(tx, a); err != nil {
				return err
			}
		}
		if err := tx.Put(bMeta, []byte("dataset"), []byte("demo")); err != nil {
			return err
		}
		if err := s.appendAudit(tx, AuditEntry{At: now, Actor: "frontdoor", Action: "demo_seeded",
			Details: map[string]string{"accounts": fmt.Sprint(len(accs))}}); err != nil {
			return err
		}
		return tx.Put(bMeta, []byte("demo_anchor"), []byte(now.UTC().Format(time.RFC3339)))
	})
}

// ErrDemoStore: a store that began as the demo never takes real data.
// Its times are moved to stay current and its header says DEMO: real
// accounts there would be shown under the wrong badge and re-timed.
var ErrDemoStore = errors.New("is a DEMO store: it never takes real data")

// RefuseIfDemo returns ErrDemoStore for a demo store.
func (s *Store) RefuseIfDemo() error {
	if s.Meta("dataset") == "demo" {
		return fmt.Errorf("%s %w; point --data at a new directory for real accounts", filepath.Dir(s.path), ErrDemoStore)
	}
	return nil
}

// ReanchorDemo moves the times of the demo records in a demo store
// forward to now, so the demo's open visits and live reset links stay
// open however long ago it was seeded. It touches demo records only (see
// Record.Demo; a store seeded before the flag counts records no one has
// changed since, UpdatedBy "demo"), audits the move, and does nothing to
// a store that is not a demo.
func (s *Store) ReanchorDemo(now time.Time) error {
	if s.Meta("dataset") != "demo" {
		return nil
	}
	return s.kv.Update(func(tx Tx) error {
		anchor, err := time.Parse(time.RFC3339, string(tx.Get(bMeta, []byte("demo_anchor"))))
		if err != nil {
			return fmt.Errorf("demo anchor: %w", err)
		}
		d := now.Sub(anchor).Truncate(time.Second)
		if d < time.Minute {
			return nil
		}
		var recs []Record
		err = tx.Scan(bAccounts, nil, func(_, v []byte) (bool, error) {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return false, err
			}
			if r.Demo || r.UpdatedBy == "demo" {
				recs = append(recs, r)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, r := range recs { // written after the scan: a cursor must not see its bucket change
			r.Account.Shift(d)
			r.UpdatedAt = r.UpdatedAt.Add(d)
			r.Demo = true
			if err := putRecord(tx, r); err != nil {
				return err
			}
		}
		if err := s.appendAudit(tx, AuditEntry{At: now, Actor: "frontdoor", Action: "demo_retimed",
			Details: map[string]string{"shift": d.String(), "accounts": fmt.Sprint(len(recs))}}); err != nil {
			return err
		}
		return tx.Put(bMeta, []byte("demo_anchor"), []byte(anchor.Add(d).UTC().Format(time.RFC3339)))
	})
}

// sortedWrites collects a large transaction's writes and puts them in key
// order, bucket by bucket. bbolt splits nodes only at commit, so keys put
// in random order shift one ever larger in-memory leaf on every insert:
// quadratic (200,000 accounts took over ten minutes). In order, each put
// appends.
type sortedWrites map[string][]indexEntry

func (w *sortedWrites) add(bucket string, key, value []byte) {
	if *w == nil {
		*w = sortedWrites{}
	}
	(*w)[bucket] = append((*w)[bucket], indexEntry{bucket: bucket, key: key, value: value})
}

func (w sortedWrites) put(tx Tx) error {
	for _, b := range buckets {
		es := w[b]
		slices.SortFunc(es, func(x, y indexEntry) int { return bytes.Compare(x.key, y.key) })
		for _, e := range es {
			if err := tx.Put(b, e.key, e.value); err != nil {
				return err
			}
		}
	}
	return nil
}
