package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"frontdoor/store/backend"
	"io"
	"os"
	"path/filepath"
	"runtime"
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

// MaxLine is the longest import or change-stream line accepted (one
// account): model.MaxRecordBytes.
const MaxLine = model.MaxRecordBytes

// ChunkBytes is about the most line bytes import and sync hand a parse
// worker at once (besides a count of lines): with lines up to MaxLine, a
// chunk cut by lines alone held up to a thousand times the usual (attack
// review, issue 20), and a few are in flight.
const ChunkBytes = 1 << 20

// testHookMidImport runs when an import has written its records into the
// new file and is about to write its index entries, so a test can kill
// the process there.
var testHookMidImport func()

// Import reads JSONL accounts from r and adds them, all or nothing: the
// first bad line (invalid, or an id or email already used in the file or
// the store) is returned as a *LineError and nothing is written. name is
// the file name for messages. It returns how many accounts were added.
func (s *Store) Import(r io.Reader, name string, by Actor, now time.Time) (int, error) {
	return s.ImportProgress(r, name, by, now, nil)
}

// ImportProgress is Import, telling progress now and then how many
// accounts it has read ("read"), then how many sorted entries (index
// entries, and records that came out of id order) it has written
// ("write").
//
// It streams, in bounded memory whatever the file's size, into a copy of
// the store that replaces it at once (KV.Rebuild), so a kill at any
// point leaves the store as it was or with every account added. Every
// line is parsed and validated (on every core); the index entries, the
// keys the duplicate checks need and the records go to an external sort
// (extSorter). The sorted checks (an id or current email used twice, or
// already in the store as it was) run before the sorted entries are
// written, in key order.
//
// The rebuild holds the store's write lock (every other write waits), so
// a stream of unknown pace (standard input, a pipe, a forwarded
// caller's upload) is read before it begins. A regular file is read
// inside it instead, and its records whose ids rise (an export's,
// gen's) go straight into the copy in order rather than through the
// sort: a million accounts then hold writers off for about 15 s, as
// long as the old one-transaction import held them for a fifth of that.
func (s *Store) ImportProgress(r io.Reader, name string, by Actor, now time.Time, progress func(phase string, n int)) (int, error) {
	if err := s.RefuseIfDemo(); err != nil {
		return 0, err
	}
	if progress == nil {
		progress = func(string, int) {}
	}
	var grow int64
	regular := false
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			grow, regular = fi.Size()*3/2, true // records and index entries
		}
	}
	sorter := newExtSorter(filepath.Dir(s.path), sortArena)
	defer sorter.close()
	var (
		n       int
		lineErr *LineError
	)
	if !regular {
		var err error
		sorted := func(_, _ []byte) (bool, error) { return false, nil }
		if n, lineErr, err = readImport(r, name, by, now, sorter, sorted, progress); err != nil {
			return 0, err
		}
		grow = sorter.size
		if lineErr != nil { // no rebuild: the checks alone, to name the first bad line
			it, err := sorter.iter()
			if err != nil {
				return 0, err
			}
			return 0, s.kv.View(func(tx Tx) error {
				_, _, _, _, err := checkImport(tx, it, name, lineErr)
				return err
			})
		}
	}
	rb, ok := s.kv.(backend.Rebuilder)
	if !ok {
		return 0, fmt.Errorf("import into %s: %w", s.kv.Describe(), ErrNoBulkImport)
	}
	err := rb.Rebuild(grow, func(tx BulkTx) error {
		if regular {
			var lastDirect []byte
			direct := func(id, rec []byte) (bool, error) {
				if lastDirect != nil && bytes.Compare(id, lastDirect) <= 0 {
					return false, nil // out of order: sorted with the rest
				}
				lastDirect = append(lastDirect[:0], id...)
				if err := tx.Spill(); err != nil {
					return false, err
				}
				return true, tx.Put(bAccounts, id, rec)
			}
			var err error
			if n, lineErr, err = readImport(r, name, by, now, sorter, direct, progress); err != nil {
				return err
			}
		}
		it, err := sorter.iter()
		if err != nil {
			return err
		}
		// an earlier line may still be a duplicate: the first bad line wins
		kind, key, val, ok, err := checkImport(tx.Before(), it, name, lineErr)
		if err != nil {
			return err
		}
		if testHookMidImport != nil {
			testHookMidImport()
		}
		written := 0
		for ; ok; kind, key, val, ok, err = it.next() {
			if err != nil {
				return err
			}
			if written++; written%100_000 == 0 {
				progress("write", written)
			}
			if err := tx.Spill(); err != nil { // the entries come from the sort, not the tx
				return err
			}
			if err := tx.Put(kindBuckets[kind], key, val); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
		return s.appendAudit(tx, AuditEntry{At: now, Actor: by.Name, Role: by.Role, Action: "import",
			Details: map[string]string{"file": name, "accounts": fmt.Sprint(n)}})
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// sortArena is how much of an import's entries are sorted in memory
// before they go to a run file, in two arenas, each with as much again
// for its entries' places (a variable: tests make it small). 48 MB, not
// 64: with the second arena, 64 took a 1M import to 394 MB.
var sortArena = 48 << 20

// The kinds of an import's sorted entries: the duplicate checks' keys
// first, so every check is done before anything is written; then the
// buckets, each in key order.
const (
	kindIDCheck    byte = iota // id → line
	kindEmailCheck             // normalised email → line, id \x00 email
	kindAccount
	kindEmail
	kindName
	kindPhone
)

var kindBuckets = []string{kindAccount: bAccounts, kindEmail: bEmail, kindName: bName, kindPhone: bPhone}

var bucketKinds = map[string]byte{bAccounts: kindAccount, bEmail: kindEmail, bName: kindName, bPhone: kindPhone}

// importLine is one line read, and what parsing it gave.
type importLine struct {
	n    int
	line []byte
	err  error // reading it
}

// importBatch is a run of lines parsed together; out holds their entries
// (kind, key, value, as extSorter takes them) and bad the first bad one.
type importBatch struct {
	lines []importLine
	ents  []batchEnt
	buf   []byte
	bad   *LineError
	done  chan struct{}
}

type batchEnt struct {
	kind      byte
	off, k, v int
}

const importBatchLines = 512

// readImport reads and parses every line, on every core, and hands the
// entries to sorter in line order. It stops at the first bad line and
// returns it as lineErr (the lines before it are in sorter). n is how
// many accounts were read.
func readImport(r io.Reader, name string, by Actor, now time.Time, sorter *extSorter, direct func(id, rec []byte) (bool, error), progress func(string, int)) (n int, lineErr *LineError, err error) {
	workers := max(runtime.GOMAXPROCS(0), 1)
	todo := make(chan *importBatch, workers*2)
	ordered := make(chan *importBatch, workers*2)
	stop := make(chan struct{})
	defer close(stop)
	// reader: lines into batches, in order
	go func() {
		defer close(ordered)
		defer close(todo)
		br := bufio.NewReaderSize(r, 256<<10)
		b := &importBatch{done: make(chan struct{})}
		send := func() bool {
			select {
			case todo <- b:
			case <-stop:
				return false
			}
			select {
			case ordered <- b:
			case <-stop:
				return false
			}
			b = &importBatch{done: make(chan struct{})}
			return true
		}
		size := 0 // the batch's line bytes
		for ln := 1; ; ln++ {
			line, err := readLine(br)
			if err == io.EOF && line == nil {
				break
			}
			if err != nil && err != io.EOF {
				b.lines = append(b.lines, importLine{n: ln, err: err})
				break
			}
			if ln == 1 {
				line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
			}
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			b.lines = append(b.lines, importLine{n: ln, line: line})
			if size += len(line); len(b.lines) == importBatchLines || size >= ChunkBytes {
				if !send() {
					return
				}
				size = 0
			}
		}
		if len(b.lines) > 0 {
			send()
		}
	}()
	for range workers {
		go func() {
			for b := range todo {
				parseBatch(b, name, by, now)
				close(b.done)
			}
		}()
	}
	for b := range ordered {
		<-b.done
		for _, e := range b.ents {
			if e.kind == kindAccount {
				done, err := direct(b.buf[e.off:e.off+e.k], b.buf[e.off+e.k:e.off+e.k+e.v])
				if err != nil {
					return 0, nil, err
				}
				if done {
					continue
				}
			}
			if err := sorter.add(e.kind, b.buf[e.off:e.off+e.k], b.buf[e.off+e.k:e.off+e.k+e.v]); err != nil {
				return 0, nil, err
			}
		}
		n += b.accounts()
		if b.bad != nil {
			return n, b.bad, nil
		}
		progress("read", n)
	}
	return n, nil, nil
}

// accounts is how many of the batch's lines parsed (all, or up to bad).
func (b *importBatch) accounts() int {
	c := 0
	for _, e := range b.ents {
		if e.kind == kindAccount {
			c++
		}
	}
	return c
}

func (b *importBatch) add(kind byte, key, val []byte) {
	off := len(b.buf)
	b.buf = append(append(b.buf, key...), val...)
	b.ents = append(b.ents, batchEnt{kind: kind, off: off, k: len(key), v: len(val)})
}

// parseBatch parses a batch's lines up to the first bad one, and spells
// each account's entries: the duplicate checks' keys, its record (the
// line's own bytes, valid and checked, inside a record spelled by hand,
// as sync writes them) and its index entries.
func parseBatch(b *importBatch, name string, by Actor, now time.Time) {
	rec := Record{Version: 1, UpdatedBy: by.Name, UpdatedAt: now}
	sp := spellOf(rec) // who and when, spelled once a batch
	var scratch []byte
	// room for every line's entries at once: grown as they came, the
	// buffer's copies were a tenth of the parse (a record is its line and
	// ~150 bytes, the other entries ~250 bytes a line)
	size := 0
	for _, l := range b.lines {
		size += len(l.line)
	}
	b.buf = make([]byte, 0, size+len(b.lines)*512)
	b.ents = make([]batchEnt, 0, len(b.lines)*10)
	for _, l := range b.lines {
		if l.err != nil {
			b.bad = &LineError{File: name, Line: l.n, Err: l.err}
			return
		}
		acc, perr := parseImportLine(l.line)
		if perr != nil {
			le := &LineError{File: name, Line: l.n, Err: perr}
			var fe *model.FieldError
			if errors.As(perr, &fe) {
				le.Field = fe.Field
			}
			b.bad = le
			return
		}
		ln := binary.AppendUvarint(nil, uint64(l.n))
		b.add(kindIDCheck, []byte(acc.ID), ln)
		scratch = append(append(append(ln, acc.ID...), 0), acc.Email...)
		b.add(kindEmailCheck, []byte(model.NormalizeEmail(acc.Email)), scratch)
		rec.Account.ID = acc.ID
		off := len(b.buf) // the record spelled in place, not copied in
		b.buf = append(b.buf, acc.ID...)
		b.buf = sp.append(b.buf, rec, bytes.TrimSpace(l.line), indexedDigest(&acc))
		b.ents = append(b.ents, batchEnt{kind: kindAccount, off: off, k: len(acc.ID), v: len(b.buf) - off - len(acc.ID)})
		for _, e := range indexEntries(acc) {
			b.add(bucketKinds[e.bucket], e.key, e.value)
		}
	}
}

// parseImportLine is model.ParseAccount, the account's strings sharing
// the line's memory rather than copied (a line is read into memory of its
// own, kept while the batch is): copying them was a twentieth of the
// import's time.
func parseImportLine(line []byte) (model.Account, error) {
	if a, ok := model.DecodeAccountShared(line); ok {
		if err := a.Validate(); err != nil {
			return model.Account{}, err
		}
		return a, nil
	}
	return model.ParseAccount(line)
}

// checkImport walks the duplicate checks' entries at the head of it: an
// id or a current email used twice in the file, or already in the store
// (rules A1, S5). It returns the error of the earliest bad line (or
// first, a read error at a line before all of them), else the first
// entry past the checks.
func checkImport(tx Tx, it sortedIter, name string, first *LineError) (kind byte, key, val []byte, ok bool, err error) {
	worse := func(e *LineError) {
		if first == nil || e.Line < first.Line {
			first = e
		}
	}
	var prev []byte
	var prevLine uint64
	prevKind := byte(255)
	for {
		kind, key, val, ok, err = it.next()
		if err != nil || !ok || kind > kindEmailCheck {
			break
		}
		line, w := binary.Uvarint(val)
		dup := kind == prevKind && bytes.Equal(key, prev)
		switch {
		case kind == kindIDCheck && dup:
			worse(&LineError{File: name, Line: int(line), Field: "id", Err: fmt.Errorf("duplicate id %q (first on line %d)", key, prevLine)})
		case kind == kindIDCheck && tx.Get(bAccounts, key) != nil:
			worse(&LineError{File: name, Line: int(line), Field: "id", Err: fmt.Errorf("account %q already exists in the store", key)})
		case kind == kindEmailCheck:
			id, email, _ := bytes.Cut(val[w:], []byte{0})
			if dup {
				worse(&LineError{File: name, Line: int(line), Field: "email", Err: fmt.Errorf("%q is already the current email on line %d (A1, S5)", email, prevLine)})
			} else if err := checkCurrentEmail(tx, model.Account{ID: string(id), Email: string(email)}); err != nil {
				// an address may be another account's previous email, never
				// its current one (rules A1, S5)
				worse(&LineError{File: name, Line: int(line), Field: "email", Err: fmt.Errorf("already in the store: %w", err)})
			}
		}
		if !dup {
			prev, prevLine, prevKind = append(prev[:0], key...), line, kind
		}
	}
	if err != nil {
		return 0, nil, nil, false, err
	}
	if first != nil {
		return 0, nil, nil, false, first
	}
	return kind, key, val, ok, nil
}

// readLine reads one line without its newline (and \r), up to MaxLine.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxLine {
			// not read to its end: the line stops the import, and one
			// that never ends (/dev/zero) spun here for good (CLI review)
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
func (s *Store) Export(w io.Writer) (int, error) { return s.ExportProgress(w, nil) }

// ExportProgress is Export, telling progress how many accounts it has
// written, now and then.
func (s *Store) ExportProgress(w io.Writer, progress func(n int)) (int, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	n := 0
	err := s.kv.View(func(tx Tx) error {
		return tx.Scan(bAccounts, nil, func(k, v []byte) (bool, error) {
			r, err := decodeRecord(v)
			if err != nil {
				return false, fmt.Errorf("account %s: corrupt record: %w", k, err)
			}
			b, err := json.Marshal(r.Account)
			if err != nil {
				return false, err
			}
			bw.Write(b)
			bw.WriteByte('\n')
			if n++; n%10_000 == 0 && progress != nil {
				progress(n)
			}
			return true, nil
		})
	})
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// ErrNoBulkImport: the backend cannot put an import in place all at once.
var ErrNoBulkImport = errors.New("this store cannot take an import all at once")

// SeedDemo fills an empty store with the demo accounts and marks it as a
// demo store (the header shows DEMO).
func (s *Store) SeedDemo(accs []model.Account, now time.Time) error {
	seed := func(tx Tx, empty Tx, spill func() error) error {
		if !bucketEmpty(empty, bAccounts) {
			return nil
		}
		for _, a := range accs {
			if err := spill(); err != nil {
				return err
			}
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
	}
	if s.kv.Limits().MaxOps == 0 { // one transaction holds it all
		return s.kv.Update(func(tx Tx) error { return seed(tx, tx, func() error { return nil }) })
	}
	// a store whose transactions are small (etcd): all at once, as an
	// import is put in place
	rb, ok := s.kv.(backend.Rebuilder)
	if !ok {
		return fmt.Errorf("seed the demo into %s: %w", s.kv.Describe(), ErrNoBulkImport)
	}
	return rb.Rebuild(0, func(tx BulkTx) error { return seed(tx, tx.Before(), tx.Spill) })
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
