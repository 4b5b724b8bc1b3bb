package mirror

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"frontdoor/model"
	"frontdoor/store"
)

// MaxLine is the longest change-stream line read (one account).
const MaxLine = store.MaxLine

// LineError is a bad change-stream line (rule S7): FILE:LINE: seq N:
// field: reason. Everything before it was applied.
type LineError = store.LineError

// SyncOptions tune Sync.
type SyncOptions struct {
	Name   string // the stream's name in messages (a file name, or stdin)
	Follow bool   // at the end, wait for more (tail -f) until ctx ends
	// Batch is the most events one transaction applies (default 20000:
	// a commit rewrites and syncs every page its batch touched, so
	// fewer, larger batches write less per event; BENCHMARKS.md); the
	// checkpoint moves with each.
	Batch int
	// BatchBytes is the most line bytes one batch holds (default 32 MiB:
	// the default Batch of the usual events, about 1.5 KB each, fits, so
	// a sync writes as before): cut by lines alone, a batch of the
	// longest lines an account may have held 5 GB (attack review, issue
	// 20). Two batches are in memory at a time, one read while the other
	// is applied.
	BatchBytes int
	// Idle: while following a file, or reading a pipe or a socket, what
	// was read is applied after this long without a new line (default
	// 200 ms), so agents see it within a second.
	Idle time.Duration
	// DeferFsync: commits do not wait for the disk; the work is made
	// durable every DurableEvery events (default 50,000), whenever a
	// followed stream pauses, and at the end (store.Deferral: a crash
	// loses at most the work since the last durable point, and sync
	// resumes from its checkpoint). Only for the store's only writer.
	DeferFsync   bool
	DurableEvery int
	// Progress, when set, is told the running counts after every batch.
	Progress func(store.SyncCounts, int)
	Clock    func() time.Time
}

// Sync applies the change stream r to st (DOMAIN §8) in bounded memory:
// lines are read, parsed and validated by a few workers (a line's parse
// costs more than its write) and applied in order, in batches, each one
// transaction with its checkpoint (rule S1). seq must rise from line to
// line; a line that is not JSON, whose account fails validation, or
// whose seq does not rise stops the stream there (rule S7): the lines
// before it are applied and the error names file, line and seq.
func Sync(ctx context.Context, st *store.Store, r io.Reader, o SyncOptions) (_ store.SyncCounts, err error) {
	if o.Batch <= 0 {
		o.Batch = st.Limits().BulkBatch // bbolt: 20000; etcd: a handful (its transactions are small)
	}
	if o.Batch <= 0 {
		o.Batch = 20000
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 32 << 20
	}
	if o.Idle <= 0 {
		o.Idle = 200 * time.Millisecond
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Name == "" {
		o.Name = "stream"
	}
	if o.DurableEvery <= 0 {
		// not more: until a durable point, the pages commits free are
		// held for it (store.Deferral), so the file grows by what they
		// wrote, and an agent's action waits for all of it to reach the
		// disk. At 1M, 500,000 updates: 200,000 grew the file 1.7 GB
		// and ran 10-20% slower than 50,000 (BENCHMARKS.md, 2026-12-07)
		o.DurableEvery = 50_000
	}
	if err := st.RefuseIfDemo(); err != nil {
		return store.SyncCounts{}, err
	}
	var deferral *store.Deferral
	if o.DeferFsync {
		if deferral, err = st.DeferFsync(); err != nil {
			return store.SyncCounts{}, err
		}
		// on every way out, nothing in flight by then (finish ends it
		// too; a second End does nothing)
		defer func() { err = errors.Join(err, deferral.End()) }()
	}
	sinceDurable := 0             // events applied since the last durable point
	checkpoint := st.Checkpoint() // a seq's first step is judged from it (rule S1)
	var (
		total   store.SyncCounts
		batch   []store.Snapshot
		size    int // the batch's line bytes
		lastSeq uint64
		lastAt  int
		lineNo  int
	)
	// A batch is applied while the next is read and parsed (one in
	// flight at a time, in order): parsing had waited for every commit.
	// wait returns the batch in flight's error; total is read only after
	// it.
	var inflight chan error
	wait := func() error {
		if inflight == nil {
			return nil
		}
		err := <-inflight
		inflight = nil
		return err
	}
	// flush applies the batch; paused: the stream has nothing more for
	// now, so what was applied is made durable
	flush := func(paused bool) error {
		now := o.Clock()
		if len(batch) > 0 { // sorted and spelled while the batch before is applied
			batch = store.SortByAccount(batch)
			store.SpellAhead(batch, now)
		}
		if err := wait(); err != nil {
			return err
		}
		if len(batch) == 0 {
			if paused && sinceDurable > 0 {
				sinceDurable = 0
				return deferral.Durable()
			}
			return nil
		}
		evs, upTo, done := batch, lineNo, make(chan error, 1)
		batch, size, inflight = make([]store.Snapshot, 0, len(evs)), 0, done
		sinceDurable += len(evs)
		durable := paused || sinceDurable >= o.DurableEvery
		if durable {
			sinceDurable = 0
		}
		go func() {
			if err := deferral.Room(len(evs), rawBytes(evs)); err != nil {
				done <- fmt.Errorf("%s: %w", o.Name, err)
				return
			}
			c, err := deferral.ApplySnapshots(st, evs, now)
			if err == nil && durable {
				err = deferral.Durable()
			}
			if err != nil {
				done <- fmt.Errorf("%s: applying lines up to %d: %w", o.Name, upTo, err)
				return
			}
			total.Add(c)
			if o.Progress != nil {
				o.Progress(total, upTo)
			}
			done <- nil
		}()
		return nil
	}
	// finish applies what is left, waits for it, and makes it durable
	finish := func() error {
		err := flush(false)
		return errors.Join(err, wait(), deferral.End())
	}
	done := make(chan struct{})
	chunks := parseAhead(ctx, st, r, o, done)
	defer func() {
		close(done)
		for range chunks { // let the reader and the workers end
		}
	}()
	for c := range chunks {
		if c.idle {
			if err := flush(true); err != nil {
				return total, err
			}
			continue
		}
		for i, ev := range c.evs {
			lineNo = c.first + i
			err := c.errs[i]
			if err == nil && c.blank[i] {
				continue
			}
			if err == nil && ev.Seq <= lastSeq {
				err = fmt.Errorf("seq does not rise: line %d had %d", lastAt, lastSeq)
			}
			if err == nil {
				if jump := model.CheckSeq(max(checkpoint, lastSeq), ev.Seq); jump != nil {
					err = &model.FieldError{Field: "seq", Reason: jump.Error()}
				}
			}
			if err != nil {
				le := &LineError{File: o.Name, Line: lineNo, Seq: ev.Seq, Err: err}
				var long *longLine
				if errors.As(err, &long) {
					le.Seq = long.seq
				}
				var fe *model.FieldError
				if errors.As(err, &fe) {
					le.Field = fe.Field
				}
				err := finish()
				return total, errors.Join(err, le)
			}
			lastSeq, lastAt = ev.Seq, lineNo
			batch = append(batch, ev)
			if size += len(ev.Raw); len(batch) >= o.Batch || size >= o.BatchBytes {
				if err := flush(false); err != nil {
					return total, err
				}
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	return total, finish()
}

// isStream: r is not a regular file (a pipe, a socket, a terminal), so
// a read may wait on a writer that is still writing.
func isStream(r io.Reader) bool {
	switch r.(type) {
	case *bytes.Reader, *strings.Reader, *bytes.Buffer: // all there already
		return false
	}
	f, ok := r.(*os.File)
	if !ok {
		return true
	}
	fi, err := f.Stat()
	return err != nil || !fi.Mode().IsRegular()
}

func rawBytes(evs []store.Snapshot) int {
	n := 0
	for _, ev := range evs {
		n += len(ev.Raw)
	}
	return n
}

// chunk is a run of consecutive lines, parsed.
type chunk struct {
	idx   int  // order in the stream
	first int  // line number of the first line
	idle  bool // not lines: the input is at its end for now (following)
	raw   [][]byte
	evs   []store.Snapshot
	errs  []error
	blank []bool
}

const chunkLines = 256

// parseAhead reads r in chunks of lines, parses them on GOMAXPROCS
// workers, reads from st the records they will replace, and hands them
// back in stream order. Memory stays bounded:
// the reader waits when the workers are behind, the workers when the
// caller is. Closing done stops it; the channel then closes.
func parseAhead(ctx context.Context, st *store.Store, r io.Reader, o SyncOptions, done <-chan struct{}) <-chan chunk {
	workers := max(runtime.GOMAXPROCS(0), 1)
	raw := make(chan chunk, workers)
	parsed := make(chan chunk, workers)
	out := make(chan chunk, workers)
	send := func(ch chan<- chunk, c chunk) bool {
		select {
		case ch <- c:
			return true
		case <-done:
			return false
		}
	}
	go func() { // the reader
		defer close(raw)
		lines := newLineReader(r, o.Follow)
		idx, n, size := 0, 0, 0 // size: cur's line bytes
		cur := chunk{first: 1}
		emit := func(c chunk) bool {
			c.idx, idx = idx, idx+1
			return send(raw, c)
		}
		// pause hands on what was read, then says the input paused
		pause := func() bool {
			if len(cur.raw) > 0 && !emit(cur) {
				return false
			}
			cur, size = chunk{first: n + 1}, 0
			return emit(chunk{idle: true})
		}
		// take adds one line read to the chunk; false: the reader stops
		take := func(line []byte, err error) bool {
			if errors.Is(err, io.EOF) {
				if len(cur.raw) > 0 && !emit(cur) {
					return false
				}
				cur, size = chunk{first: n + 1}, 0
				if !o.Follow || !emit(chunk{idle: true}) {
					return false
				}
				select { // tail -f: wait for the file to grow
				case <-ctx.Done():
					return false
				case <-done:
					return false
				case <-time.After(o.Idle):
				}
				return true
			}
			n++
			if err != nil {
				cur.raw, cur.errs = append(cur.raw, nil), make([]error, len(cur.raw)+1)
				cur.errs[len(cur.raw)-1] = err
				emit(cur)
				return false
			}
			cur.raw = append(cur.raw, line)
			if size += len(line); len(cur.raw) == chunkLines || size >= store.ChunkBytes {
				if !emit(cur) {
					return false
				}
				cur, size = chunk{first: n + 1}, 0
			}
			return true
		}
		if !isStream(r) || o.Follow {
			for take(lines.next()) {
			}
			return
		}
		// a pipe or a socket (kcat | frontdoor sync -, or sync - through
		// a server): a read waits for the writer, so lines are read on a
		// goroutine of their own and what came is applied once the
		// stream pauses for Idle, as --follow does, not when it ends
		type read struct {
			line []byte
			err  error
		}
		reads := make(chan read, chunkLines)
		go func() {
			defer close(reads)
			for {
				line, err := lines.next()
				select {
				case reads <- read{line, err}:
				case <-done:
					return
				}
				if err != nil {
					return
				}
			}
		}()
		idle := time.NewTimer(o.Idle)
		defer idle.Stop()
		for {
			select {
			case rd, ok := <-reads:
				if !ok || !take(rd.line, rd.err) {
					return
				}
				idle.Reset(o.Idle)
			case <-idle.C:
				if len(cur.raw) > 0 && !pause() {
					return
				}
			case <-ctx.Done():
				return
			case <-done:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range raw {
				c.evs, c.blank = make([]store.Snapshot, len(c.raw)), make([]bool, len(c.raw))
				if c.errs == nil {
					c.errs = make([]error, len(c.raw))
				}
				for i, line := range c.raw {
					switch {
					case c.errs[i] != nil:
					case len(bytes.TrimSpace(line)) == 0:
						c.blank[i] = true
					default:
						c.evs[i], c.errs[i] = store.ParseSnapshot(line)
					}
				}
				c.raw = nil
				if st != nil {
					st.ReadAhead(c.evs) // the writer's reads, done here (store.ReadAhead)
				}
				if !send(parsed, c) {
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(parsed) }()
	go func() { // back in stream order
		defer close(out)
		waiting, next := map[int]chunk{}, 0
		for c := range parsed {
			waiting[c.idx] = c
			for {
				c, ok := waiting[next]
				if !ok {
					break
				}
				delete(waiting, next)
				next++
				if !send(out, c) {
					for range parsed {
					}
					return
				}
			}
		}
	}()
	return out
}

// lineReader reads lines of at most MaxLine bytes. Following a file
// that grows, a line without its newline yet (a writer half-way through
// it) is kept until the rest arrives; otherwise the input's last line
// needs no newline.
type lineReader struct {
	br      *bufio.Reader
	partial []byte
	follow  bool
	started bool // a whole line was read
}

// longLine is a line past MaxLine, with its seq if it began with one.
type longLine struct{ seq uint64 }

func (e *longLine) Error() string {
	return fmt.Sprintf("line longer than %d bytes: an account is smaller (model.MaxRecordBytes)", MaxLine)
}

func newLineReader(r io.Reader, follow bool) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), follow: follow}
}

func (l *lineReader) next() ([]byte, error) {
	for {
		chunk, err := l.br.ReadSlice('\n')
		l.partial = append(l.partial, chunk...)
		if len(l.partial) > MaxLine {
			// not read to its end: the line stops the stream (S7), and
			// one that never ends spun here for good (CLI review)
			//
			// the seq, when the line starts with it, for the error (S7)
			seq, _, _ := bytes.Cut(bytes.TrimPrefix(bytes.TrimSpace(l.partial[:min(len(l.partial), 40)]), []byte(`{"seq":`)), []byte(","))
			n, _ := strconv.ParseUint(string(seq), 10, 64)
			l.partial = l.partial[:0]
			return nil, &longLine{seq: n}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && (len(l.partial) == 0 || l.follow):
			return nil, io.EOF
		case err != nil && err != io.EOF:
			return nil, err
		}
		line := bytes.TrimRight(l.partial, "\r\n")
		if !l.started {
			// a byte-order mark before the first line, as import allows
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
			l.started = true
		}
		out := append([]byte(nil), line...)
		l.partial = l.partial[:0]
		return out, nil
	}
}
