package mirror

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// Follower reads a change-stream file that grows, for `sync --follow`,
// as tail -F follows a log: at the end of the file it looks at the path
// again, and when the file was truncated (copytruncate: shorter than what
// was read) it reads it again from the start; when the path is another
// file (moved away and made again) it reads the new one from its start,
// the old one read to its end first. A plain open file saw neither: the
// new lines were never applied, without an error, and the process kept
// running, so a supervisor never restarted it (attack review, issue 20).
// A path that stays missing for longer than MaxMissing is an error, so
// the process ends and says why.
type Follower struct {
	path    string
	f       *os.File
	fi      os.FileInfo // f's, to tell when the path is another file
	off     int64       // how much of f was read
	tail    []byte      // f's last bytes read, up to tailBytes, ending at off
	owed    bool        // a newline ends the last file's unended last line
	ended   bool        // the last byte read was a newline (or none was read)
	missing time.Time   // since when the path is missing; zero: it is there
	atEnd   bool        // the last Read found the end: look at the path before reading on

	// MaxMissing is how long the path may be missing (rotated away, not
	// yet made again) before Read fails; default 1 minute.
	MaxMissing time.Duration
	// Clock is the time the missing path is measured by (tests).
	Clock func() time.Time
}

// OpenFollow opens path to be followed.
func OpenFollow(path string) (*Follower, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Follower{path: path, f: f, fi: fi, ended: true}, nil
}

// Close closes the file being read.
func (fl *Follower) Close() error { return fl.f.Close() }

// Read reads what the file has; at its end, io.EOF, having looked for a
// truncation or a new file at the path first. Sync in Follow mode calls
// it again after its Idle.
func (fl *Follower) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if fl.atEnd { // the file may have been cut and written past where it was read, since
		fl.atEnd = false
		if _, err := fl.rotated(); err != nil {
			return 0, err
		}
	}
	for {
		if fl.owed { // the old file's last line had no newline: it is whole
			fl.owed, fl.ended = false, true
			p[0] = '\n'
			return 1, nil
		}
		n, err := fl.f.Read(p)
		if n > 0 {
			fl.off += int64(n)
			fl.ended = p[n-1] == '\n'
			fl.tail = append(fl.tail, p[max(0, n-tailBytes):n]...)
			fl.tail = fl.tail[max(0, len(fl.tail)-tailBytes):]
			return n, nil
		}
		if err != nil && err != io.EOF {
			return 0, fmt.Errorf("%s: %w", fl.path, err)
		}
		again, err := fl.rotated()
		if err != nil {
			return 0, err
		}
		if !again {
			fl.atEnd = true
			return 0, io.EOF
		}
	}
}

// rotated looks at the path after the file's end: true when there is
// something to read again (the file truncated, or a new one at the path).
func (fl *Follower) rotated() (bool, error) {
	now := time.Now
	if fl.Clock != nil {
		now = fl.Clock
	}
	fi, err := os.Stat(fl.path)
	if errors.Is(err, fs.ErrNotExist) {
		max := fl.MaxMissing
		if max <= 0 {
			max = time.Minute
		}
		switch {
		case fl.missing.IsZero():
			fl.missing = now()
		case now().Sub(fl.missing) > max:
			return false, fmt.Errorf("%s: missing for more than %s (rotated away and not made again?); everything read before was applied", fl.path, max)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", fl.path, err)
	}
	fl.missing = time.Time{}
	switch {
	case !os.SameFile(fi, fl.fi): // moved away and made again: the old one is read to its end
		nf, err := os.Open(fl.path)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil // gone again between the two looks
		}
		if err != nil {
			return false, fmt.Errorf("%s: %w", fl.path, err)
		}
		nfi, err := nf.Stat()
		if err != nil {
			nf.Close()
			return false, fmt.Errorf("%s: %w", fl.path, err)
		}
		fl.f.Close()
		fl.f, fl.fi, fl.off = nf, nfi, 0
	case fi.Size() < fl.off || fl.rewritten(): // truncated (copytruncate): from the start
		if _, err := fl.f.Seek(0, io.SeekStart); err != nil {
			return false, fmt.Errorf("%s: %w", fl.path, err)
		}
		fl.off = 0
	default:
		return false, nil
	}
	fl.owed = !fl.ended
	fl.tail = fl.tail[:0]
	return true, nil
}

// tailBytes is how much of what was read last is kept to tell a file cut
// and written again past where it was read from the one it was.
const tailBytes = 64

// rewritten: the bytes before off are no longer the ones read there. A
// file truncated and written again beyond the length read, between two
// looks, is longer than what was read, yet not the same file: its bytes
// where the last line read ended tell (a line carries its seq).
func (fl *Follower) rewritten() bool {
	if len(fl.tail) == 0 {
		return false
	}
	b := make([]byte, len(fl.tail))
	n, err := fl.f.ReadAt(b, fl.off-int64(len(b)))
	return n < len(b) || (err != nil && err != io.EOF) || string(b) != string(fl.tail)
}
