package bolt

import (
	"reflect"
	"unsafe"

	bbolt "go.etcd.io/bbolt"
)

// runWriter writes a commit's pages in runs: bbolt writes each page (or
// node of pages) of a commit with its own pwrite, in page order, then
// the meta page. A commit of a sync batch at 1M accounts is ~22,000
// pages, scattered only where the free list had room: most follow one
// another, and a pwrite of 4 KiB into a new part of the file costs ~5
// µs here against ~1.2 µs a page written 64 at a time (BENCHMARKS.md,
// 2026-12-07). So while commits do not wait for the disk (NoSync: a
// deferral's, a rebuild's), a page that follows the run before it is
// copied onto it, and the run is written when the next page does not
// follow, when it is runMax long, and always before the meta page: the
// meta page, which makes the commit, is written after every page it
// names, as bbolt does. When commits wait for the disk, bbolt fsyncs
// the pages before it writes the meta page, outside this writer: every
// write is then passed straight on.
type runWriter struct {
	db       *bbolt.DB
	write    writeAt // bbolt's own: the file's WriteAt
	pageSize int64
	run      []byte
	off      int64 // where run goes in the file
}

// runMax is the longest run written in one pwrite.
const runMax = 4 << 20

func (w *runWriter) writeAt(b []byte, off int64) (int, error) {
	if !w.db.NoSync || off < 2*w.pageSize { // commits wait for the disk, or the meta page
		if err := w.flush(); err != nil {
			return 0, err
		}
		return w.write(b, off)
	}
	if len(w.run) > 0 && off == w.off+int64(len(w.run)) && len(w.run)+len(b) <= runMax {
		w.run = append(w.run, b...)
		return len(b), nil
	}
	if err := w.flush(); err != nil {
		return 0, err
	}
	if len(b) >= runMax {
		return w.write(b, off)
	}
	if w.run == nil {
		w.run = make([]byte, 0, runMax)
	}
	w.run, w.off = append(w.run, b...), off
	return len(b), nil
}

// flush writes the run. On an error the run is dropped: bbolt fails the
// commit, whose pages are free again.
func (w *runWriter) flush() error {
	if len(w.run) == 0 {
		return nil
	}
	_, err := w.write(w.run, w.off)
	w.run = w.run[:0]
	return err
}

// writeInRuns has db write its commits' pages through a runWriter. If
// this bbolt has no write function to wrap, db is left writing page by
// page and writeInRuns says false (TestWritesInRuns fails then, not the
// store).
func writeInRuns(db *bbolt.DB) bool {
	return wrapWriteAt(db, func(write writeAt) writeAt {
		w := &runWriter{db: db, write: write, pageSize: int64(db.Info().PageSize)}
		return w.writeAt
	})
}

type writeAt = func(b []byte, off int64) (int, error)

// wrapWriteAt puts wrap's function in place of the one db writes its
// pages and meta pages with. bbolt (v1.5.0) has no option for it: the
// function is an unexported field (DB.ops.writeAt), set here by
// reflection, before db's first transaction.
func wrapWriteAt(db *bbolt.DB, wrap func(writeAt) writeAt) bool {
	ops := reflect.ValueOf(db).Elem().FieldByName("ops")
	if !ops.IsValid() || ops.Kind() != reflect.Struct {
		return false
	}
	f := ops.FieldByName("writeAt")
	if !f.IsValid() || f.Type() != reflect.TypeFor[writeAt]() {
		return false
	}
	p := (*writeAt)(unsafe.Pointer(f.UnsafeAddr()))
	if *p == nil {
		return false
	}
	*p = wrap(*p)
	return true
}
