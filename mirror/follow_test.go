package mirror

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"frontdoor/store"
)

// following runs Sync --follow on path (a Follower, as `frontdoor sync
// --follow` opens it) until stop is called, which returns Sync's error.
func following(t *testing.T, st *store.Store, path string, maxMissing time.Duration) (stop func() error, done <-chan error) {
	t.Helper()
	f, err := OpenFollow(path)
	if err != nil {
		t.Fatal(err)
	}
	f.MaxMissing = maxMissing
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := Sync(ctx, st, f, SyncOptions{Name: path, Follow: true, Idle: 10 * time.Millisecond})
		f.Close()
		errc <- err
	}()
	return func() error { cancel(); return <-errc }, errc
}

// applied waits until the checkpoint is line's seq (or the sync ends).
func applied(t *testing.T, st *store.Store, line string, done <-chan error) {
	t.Helper()
	var ev struct{ Seq uint64 }
	json.Unmarshal([]byte(line), &ev)
	for range 500 {
		if st.Checkpoint() == ev.Seq {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the sync ended before seq %d: %v", ev.Seq, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("seq %d never applied: checkpoint %d", ev.Seq, st.Checkpoint())
}

func appendLines(t *testing.T, path string, lines []string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}
}

// --follow through log rotation, as tail -F: after copytruncate (the file
// cut to nothing, written again from its start) and after move-and-make-
// again (the old file read to its end, then the new one from its start),
// the new lines are applied. A plain open file saw neither, and went on
// running without an error.
func TestFollowThroughRotation(t *testing.T) {
	s := generate(t, 30, 300, 8)
	for _, rotate := range []struct {
		name string
		do   func(t *testing.T, path string)
	}{
		{"copytruncate", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}},
		{"moved and made again", func(t *testing.T, path string) {
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(rotate.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "stream.jsonl")
			appendLines(t, path, s.lines[:100])
			st := openStore(t, t.TempDir())
			defer st.Close()
			stop, done := following(t, st, path, time.Minute)
			applied(t, st, s.lines[99], done)
			rotate.do(t, path)
			appendLines(t, path, s.lines[100:200])
			applied(t, st, s.lines[199], done)
			rotate.do(t, path) // and again
			appendLines(t, path, s.lines[200:])
			applied(t, st, s.lines[len(s.lines)-1], done)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			matches(t, st, s)
		})
	}
}

// Moved away with its last line not ended, and made again: that line is
// the old file's last, not the start of the new one's first.
func TestFollowFinishesTheOldFile(t *testing.T) {
	s := generate(t, 10, 40, 9)
	path := filepath.Join(t.TempDir(), "stream.jsonl")
	appendLines(t, path, s.lines[:19])
	st := openStore(t, t.TempDir())
	defer st.Close()
	stop, done := following(t, st, path, time.Minute)
	applied(t, st, s.lines[18], done)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(s.lines[19]) // no newline
	f.Close()
	os.Rename(path, path+".1")
	appendLines(t, path, s.lines[20:])
	applied(t, st, s.lines[len(s.lines)-1], done)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	matches(t, st, s)
}

// A path missing for longer than MaxMissing ends the sync with an error
// naming it (a supervisor then restarts it), everything before applied.
func TestFollowEndsWhenTheFileStaysMissing(t *testing.T) {
	s := generate(t, 10, 40, 10)
	path := filepath.Join(t.TempDir(), "stream.jsonl")
	appendLines(t, path, s.lines)
	st := openStore(t, t.TempDir())
	defer st.Close()
	_, done := following(t, st, path, 50*time.Millisecond)
	applied(t, st, s.lines[len(s.lines)-1], done)
	os.Remove(path)
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the sync went on following a path that is gone")
	}
	if err == nil || !strings.Contains(err.Error(), path+": missing for more than 50ms") {
		t.Fatalf("err = %v", err)
	}
	matches(t, st, s)
}
