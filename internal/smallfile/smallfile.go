// Package smallfile reads the small files an operator names on the
// command line or a trainer puts in a directory (keys, secrets,
// scenarios) without trusting what the name is: a fifo must not hang
// the command, /dev/zero must not take its memory, and a file that
// grows while read is cut at the limit.
package smallfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Open opens path for reading if it is a regular file (or a link to
// one): looked at first, opened without waiting for a writer where the
// system can (openFlags), and refused if the name was swapped for
// another file in between. The error does not repeat the path.
func Open(path string) (*os.File, fs.FileInfo, error) {
	before, err := os.Stat(path)
	if err != nil {
		return nil, nil, PathErr(err)
	}
	if !before.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("not a regular file (%s): only a file, or a link to one, is read", Kind(before.Mode()))
	}
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, nil, PathErr(err)
	}
	if now, err := f.Stat(); err != nil || !os.SameFile(before, now) {
		f.Close()
		return nil, nil, errors.New("changed while being read")
	}
	return f, before, nil
}

// Read reads path whole if it is a regular file of at most max bytes
// (Open), naming the path and what is wrong otherwise.
func Read(path string, max int64) ([]byte, error) {
	f, info, err := Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	if info.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d such a file holds", path, info.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: grew past %d bytes while being read", path, max)
	}
	return data, nil
}

// PathErr is an os error without its path, for a caller that names it.
func PathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Kind names a file mode that is not a regular file's.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a fifo"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}
