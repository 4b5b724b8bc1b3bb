package store

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"frontdoor/internal/smallfile"
)

// A head file is where `serve --head-to FILE` ships the audit chain's
// head, one line each time it moved:
//
//	SEQ:HASH AT
//
// AT in RFC 3339, UTC (a bare SEQ:HASH, as `audit head` prints it, reads
// too, so a cron job's file serves as well). Kept where the data
// directory's insider cannot write, it proves that nothing up to each
// shipped entry changed, even against someone who also holds the key.

// ShippedHead is one line of a head file.
type ShippedHead struct {
	Seq  uint64    `json:"seq"`
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// String is the head's line in a head file, without the newline (no
// time when it has none).
func (h ShippedHead) String() string {
	if h.At.IsZero() {
		return fmt.Sprintf("%d:%s", h.Seq, h.Hash)
	}
	return fmt.Sprintf("%d:%s %s", h.Seq, h.Hash, h.At.UTC().Format(time.RFC3339))
}

// Head is the chain's newest entry now; seq 0 when nothing was audited.
func (s *Store) Head() (ShippedHead, error) {
	var out ShippedHead
	err := s.kv.View(func(tx Tx) error {
		h, ok, err := readHead(tx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: the store has no audit head", ErrAuditHead)
		}
		out.Seq, out.Hash = h.Seq, h.Hash
		return nil
	})
	return out, err
}

// AppendHeadFile adds h as a line at the end of the head file at path
// (made 0600 if missing) and waits for the disk: a head shipped is one
// that survives a crash of this machine.
func AppendHeadFile(path string, h ShippedHead) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("head file: %w", err)
	}
	_, err = f.WriteString(h.String() + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("head file %s: %w", path, err)
	}
	return nil
}

// parseHeadLine reads one head file line: SEQ:HASH, then optionally AT.
func parseHeadLine(line string) (ShippedHead, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 || len(fields) > 2 {
		return ShippedHead{}, fmt.Errorf("want SEQ:HASH [TIME], got %q", line)
	}
	seq, hash, err := ParseHead(fields[0])
	if err != nil {
		return ShippedHead{}, err
	}
	h := ShippedHead{Seq: seq, Hash: hash}
	if len(fields) == 2 {
		if h.At, err = time.Parse(time.RFC3339, fields[1]); err != nil {
			return ShippedHead{}, fmt.Errorf("time %q: want RFC 3339", fields[1])
		}
	}
	return h, nil
}

// ErrHeadFile: a head file that cannot be read as one.
var ErrHeadFile = errors.New("head file")

// CheckHeadFile holds the audit trail to every head in the head file at
// path: each shipped entry must still be in the chain with the hash it
// was shipped with. Every line, not only the last: someone who rewrote
// the trail and restarted the server would have the rewritten head
// shipped after the true ones. Check proves the chain itself (each hash
// keyed, each prev the hash before), which makes an entry's hash vouch
// for every entry before it. last is the file's last head.
func (s *Store) CheckHeadFile(path string) (problems []string, last ShippedHead, err error) {
	f, _, err := smallfile.Open(path) // a regular file: a fifo hung check, /dev/zero had no lines
	if err != nil {
		return nil, last, fmt.Errorf("%w: %s: %w", ErrHeadFile, path, err)
	}
	defer f.Close()
	lines := 0
	err = s.kv.View(func(tx Tx) error {
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			h, err := parseHeadLine(sc.Text())
			if err != nil {
				return fmt.Errorf("%w %s:%d: %w", ErrHeadFile, path, n, err)
			}
			lines++
			last = h
			if len(problems) >= maxProblems {
				continue // the rest of the file is still read for errors and the last head
			}
			shipped := ""
			if !h.At.IsZero() {
				shipped = ", shipped " + h.At.Format(time.RFC3339) + ","
			}
			v := tx.Get(bAudit, seqKey(h.Seq))
			if v == nil {
				problems = append(problems, fmt.Sprintf("audit: %s:%d: entry %d%s is not in the chain: the trail was cut", path, n, h.Seq, shipped))
				continue
			}
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				problems = append(problems, fmt.Sprintf("audit: %s:%d: entry %d does not decode: %v", path, n, h.Seq, err))
				continue
			}
			if e.Hash != h.Hash {
				problems = append(problems, fmt.Sprintf("audit: %s:%d: entry %d has hash %.12s, but the head shipped%s says %.12s: the trail up to it was rewritten",
					path, n, h.Seq, e.Hash, strings.TrimSuffix(shipped, ","), h.Hash))
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("%w %s:%d: %w", ErrHeadFile, path, n+1, err)
		}
		return nil
	})
	if err == nil && lines == 0 {
		err = fmt.Errorf("%w %s: no head in it", ErrHeadFile, path)
	}
	return problems, last, err
}
