package cli

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
)

// A forwarded command's output streams back to its caller as it is
// written, in frames (one byte for the stream, four for the length, then
// the bytes): stdout, stderr, and last the exit code. Nothing is
// gathered in the server's memory (an export of 200,000 accounts, held
// whole and base64'd into one reply, had taken the server that holds
// every session from 238 MB to 1.56 GB).
const (
	frameStdout = 'o'
	frameStderr = 'e'
	frameExit   = 'x'
	frameHeader = 5
	// maxFrame bounds one frame the caller reads: what a server sends
	// is never more (outputFrames writes at most frameChunk), so a
	// longer one is a broken stream, not an allocation to make.
	maxFrame   = 1 << 20
	frameChunk = 64 << 10
)

// spool holds a forwarded command's framed output between the command
// and its caller, in an unlinked file in the data directory: the
// command writes at the disk's pace whatever the caller reads, so a
// store transaction it holds (export's) never waits on a client that
// reads slowly or not at all, and the server's memory stays flat.
type spool struct {
	mu     sync.Mutex
	cond   sync.Cond
	f      *os.File
	size   int64
	closed bool
	gone   error // the caller stopped reading: writes fail with it
}

func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, ".forwarded-*")
	if err != nil {
		return nil, fmt.Errorf("spool a forwarded command's output: %w", err)
	}
	os.Remove(f.Name()) // gone from the directory; freed when closed
	s := &spool{f: f}
	s.cond.L = &s.mu
	return s, nil
}

// frame appends one frame of kind holding p.
func (s *spool) frame(kind byte, p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone != nil {
		return s.gone
	}
	var h [frameHeader]byte
	h[0] = kind
	binary.BigEndian.PutUint32(h[1:], uint32(len(p)))
	if _, err := s.f.WriteAt(h[:], s.size); err != nil {
		return err
	}
	if _, err := s.f.WriteAt(p, s.size+frameHeader); err != nil {
		return err
	}
	s.size += frameHeader + int64(len(p))
	s.cond.Broadcast()
	return nil
}

// close: nothing more will be written.
func (s *spool) close() {
	s.mu.Lock()
	s.closed = true
	s.cond.Broadcast()
	s.mu.Unlock()
}

// sendTo copies everything written, as it is written, to w until the
// spool is closed and read to its end, or w fails; then it lets the
// file go.
func (s *spool) sendTo(w io.Writer) error {
	defer s.f.Close()
	buf := make([]byte, frameChunk)
	var off int64
	for {
		s.mu.Lock()
		for off == s.size && !s.closed {
			s.cond.Wait()
		}
		n := min(s.size-off, int64(len(buf)))
		s.mu.Unlock()
		if n == 0 {
			return nil // closed, and all sent
		}
		if _, err := s.f.ReadAt(buf[:n], off); err != nil {
			return s.fail(err)
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return s.fail(err)
		}
		off += n
	}
}

func (s *spool) fail(err error) error {
	s.mu.Lock()
	s.gone = fmt.Errorf("the caller stopped reading: %w", err)
	s.mu.Unlock()
	return err
}

// outputFrames writes to a spool as one stream (stdout or stderr), in
// frames of at most frameChunk bytes.
type outputFrames struct {
	s    *spool
	kind byte
}

func (o outputFrames) Write(p []byte) (int, error) {
	for done := 0; done < len(p); {
		n := min(len(p)-done, frameChunk)
		if err := o.s.frame(o.kind, p[done:done+n]); err != nil {
			return done, err
		}
		done += n
	}
	return len(p), nil
}

// readFrames writes the frames from r to stdout and stderr until the
// exit frame, and returns its code.
func readFrames(r io.Reader, stdout, stderr io.Writer) (int, error) {
	var h [frameHeader]byte
	buf := make([]byte, frameChunk)
	for {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, fmt.Errorf("the server ended the command without its exit code: %w", err)
		}
		n := binary.BigEndian.Uint32(h[1:])
		if n > maxFrame {
			return 0, fmt.Errorf("a frame of %d bytes from the server: broken stream", n)
		}
		if int(n) > len(buf) {
			buf = make([]byte, n)
		}
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return 0, fmt.Errorf("the server's output broke off: %w", err)
		}
		switch h[0] {
		case frameStdout:
			stdout.Write(buf[:n])
		case frameStderr:
			stderr.Write(buf[:n])
		case frameExit:
			code, err := strconv.Atoi(string(buf[:n]))
			if err != nil {
				return 0, fmt.Errorf("exit frame %q from the server: %w", buf[:n], err)
			}
			return code, nil
		default:
			return 0, fmt.Errorf("a frame of kind %q from the server: broken stream", h[0])
		}
	}
}
