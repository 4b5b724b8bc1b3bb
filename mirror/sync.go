package mirror

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"frontdoor/model"
	"frontdoor/store"
)

// MaxLine is the longest change-stream line read (one account).
const MaxLine = store.MaxLine

// LineError is a bad change-stream line (rule S7): FILE:LINE: seq N:
// field: reason. Everything before it was applied.
type LineError struct {
	File  string
	Line  int
	Seq   uint64 // 0 when the line has none that could be read
	Field string
	Err   error
}

func (e *LineError) Error() string {
	s := fmt.Sprintf("%s:%d: ", e.File, e.Line)
	if e.Seq > 0 {
		s += fmt.Sprintf("seq %d: ", e.Seq)
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	var fe *model.FieldError
	if errors.As(e.Err, &fe) {
		return s + fe.Reason
	}
	return s + e.Err.Error()
}

func (e *LineError) Unwrap() error { return e.Err }

// SyncOptions tune Sync.
type SyncOptions struct {
	Name   string // the stream's name in messages (a file name, or stdin)
	Follow bool   // at the end, wait for more (tail -f) until ctx ends
	// Batch is the most events one transaction applies (default 5000);
	// the checkpoint moves with each.
	Batch int
	// Idle: while following, what was read is applied after this long
	// without a new line (default 200 ms), so agents see it within a second.
	Idle time.Duration
	// Progress, when set, is told the running counts after every batch.
	Progress func(store.SyncCounts, int)
	Clock    func() time.Time
}

// Sync applies the change stream r to st (DOMAIN §8) in bounded memory:
// lines are read one at a time and applied in batches, each one
// transaction with its checkpoint (rule S1). seq must rise from line to
// line; a line that is not JSON, whose account fails validation, or
// whose seq does not rise stops the stream there (rule S7): the lines
// before it are applied and the error names file, line and seq.
func Sync(ctx context.Context, st *store.Store, r io.Reader, o SyncOptions) (store.SyncCounts, error) {
	if o.Batch <= 0 {
		o.Batch = 5000
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
	if err := st.RefuseIfDemo(); err != nil {
		return store.SyncCounts{}, err
	}
	var (
		total   store.SyncCounts
		batch   []store.Snapshot
		lineNo  int
		lastSeq uint64
		lastAt  int
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		c, err := st.ApplySnapshots(batch, o.Clock())
		if err != nil {
			return fmt.Errorf("%s: applying lines up to %d: %w", o.Name, lineNo, err)
		}
		total.Add(c)
		batch = batch[:0]
		if o.Progress != nil {
			o.Progress(total, lineNo)
		}
		return nil
	}
	lines := newLineReader(r, o.Follow)
	for {
		line, err := lines.next()
		if errors.Is(err, io.EOF) {
			if err := flush(); err != nil {
				return total, err
			}
			if !o.Follow {
				return total, nil
			}
			select { // tail -f: wait for the file to grow
			case <-ctx.Done():
				return total, nil
			case <-time.After(o.Idle):
			}
			continue
		}
		lineNo++
		if err != nil {
			return total, errors.Join(flush(), &LineError{File: o.Name, Line: lineNo, Err: err})
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		ev, err := store.ParseSnapshot(line)
		if err == nil && ev.Seq <= lastSeq {
			err = fmt.Errorf("seq does not rise: line %d had %d", lastAt, lastSeq)
		}
		if err != nil {
			le := &LineError{File: o.Name, Line: lineNo, Seq: ev.Seq, Err: err}
			var fe *model.FieldError
			if errors.As(err, &fe) {
				le.Field = fe.Field
			}
			return total, errors.Join(flush(), le)
		}
		lastSeq, lastAt = ev.Seq, lineNo
		batch = append(batch, ev)
		if len(batch) >= o.Batch {
			if err := flush(); err != nil {
				return total, err
			}
		}
		if ctx.Err() != nil {
			return total, flush()
		}
	}
}

// lineReader reads lines of at most MaxLine bytes. Following a file
// that grows, a line without its newline yet (a writer half-way through
// it) is kept until the rest arrives; otherwise the input's last line
// needs no newline.
type lineReader struct {
	br      *bufio.Reader
	partial []byte
	follow  bool
}

func newLineReader(r io.Reader, follow bool) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), follow: follow}
}

func (l *lineReader) next() ([]byte, error) {
	for {
		chunk, err := l.br.ReadSlice('\n')
		l.partial = append(l.partial, chunk...)
		if len(l.partial) > MaxLine {
			for err == bufio.ErrBufferFull { // skip the rest of the line
				_, err = l.br.ReadSlice('\n')
			}
			l.partial = l.partial[:0]
			return nil, fmt.Errorf("line longer than %d bytes", MaxLine)
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
		out := append([]byte(nil), line...)
		l.partial = l.partial[:0]
		return out, nil
	}
}
