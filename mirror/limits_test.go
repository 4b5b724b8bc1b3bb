package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"frontdoor/internal/corpus"
	"frontdoor/model"
	"frontdoor/store"
)

// bigLine is a valid change-stream line for account i of about size
// bytes: sign-ins with long browser strings (each within its bound).
func bigLine(t testing.TB, seq, i, size int) string {
	t.Helper()
	d := account(i, fmt.Sprintf("user%d@example.com", i), 1)
	var logins []any
	for n := 0; n < size/250 && n < model.MaxLogins; n++ {
		logins = append(logins, map[string]any{"at": now.Format("2006-01-02T15:04:05Z"), "portal": "patient", "result": "ok", "browser": strings.Repeat("b", 200)})
	}
	d["logins"] = logins
	raw, _ := json.Marshal(d)
	return fmt.Sprintf(`{"seq":%d,"version":1,"account":%s}`, seq, raw)
}

// A line past model.MaxRecordBytes (a name of 3.5 MB) or an account past
// a bound stops the stream at its line, named with its seq (rule S7);
// the lines before it stay applied.
func TestSyncRefusesWhatAnAccountDoesNotCarry(t *testing.T) {
	s := generate(t, 30, 100, 4)
	var at struct{ Seq uint64 }
	json.Unmarshal([]byte(s.lines[49]), &at)
	var seq struct{ Seq uint64 }
	json.Unmarshal([]byte(s.lines[50]), &seq)
	// line 51, its account changed
	with := func(change func(a map[string]any)) string {
		var ev struct {
			Seq, Version uint64
			Account      map[string]any
		}
		json.Unmarshal([]byte(s.lines[50]), &ev)
		change(ev.Account)
		raw, _ := json.Marshal(ev.Account)
		return fmt.Sprintf(`{"seq":%d,"version":%d,"account":%s}`, ev.Seq, ev.Version, raw)
	}
	for _, c := range []struct{ name, bad, want string }{
		{"a name of 3.5 MB", with(func(a map[string]any) { a["name"] = strings.Repeat("zed ", 900_000) }), fmt.Sprintf("stream.jsonl:51: seq %d: line longer than 262144 bytes", seq.Seq)},
		{"a name of 201 characters", with(func(a map[string]any) { a["name"] = strings.Repeat("z", 201) }), fmt.Sprintf("stream.jsonl:51: seq %d: account.name: 201 characters", seq.Seq)},
		{"65 unknown members", with(func(a map[string]any) {
			for i := range 65 {
				a[fmt.Sprintf("zed%03d", i)] = 0
			}
		}), fmt.Sprintf("stream.jsonl:51: seq %d: account.zed000: one of 65 unknown members", seq.Seq)},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t, t.TempDir())
			defer st.Close()
			lines := append(append(append([]string(nil), s.lines[:50]...), c.bad), s.lines[51:]...)
			_, err := syncString(t, st, strings.Join(lines, "\n"), SyncOptions{Batch: 16})
			var le *LineError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if cp := st.Checkpoint(); cp != at.Seq {
				t.Fatalf("checkpoint %d, want line 50's seq %d", cp, at.Seq)
			}
		})
	}
}

// Memory is bounded by bytes, not lines: 300 lines near the largest an
// account may be went in one 256-line chunk and one batch (75 MB and
// more, whatever --batch said). Chunks are cut at store.ChunkBytes and
// batches at BatchBytes, while the usual lines still go 256 to a chunk.
func TestSyncHoldsBytesNotLines(t *testing.T) {
	const n = 300
	var text strings.Builder
	for i := range n {
		text.WriteString(bigLine(t, i+1, i, 200<<10) + "\n")
	}
	if l := len(bigLine(t, 1, 1, 200<<10)); l < 150<<10 || l > model.MaxRecordBytes {
		t.Fatalf("a line of %d bytes", l)
	}
	done := make(chan struct{})
	defer close(done)
	most, lines := 0, 0
	for c := range parseAhead(context.Background(), nil, strings.NewReader(text.String()), SyncOptions{}, done) {
		size := 0
		for i, ev := range c.evs {
			if c.errs[i] != nil {
				t.Fatal(c.errs[i])
			}
			size += len(ev.Raw)
		}
		most, lines = max(most, size), lines+len(c.evs)
	}
	if lines != n || most > 2<<20 {
		t.Fatalf("%d lines, a chunk of %d bytes: more than 2 MiB", lines, most)
	}
	// batches: each at most BatchBytes and a line
	st := openStore(t, t.TempDir())
	defer st.Close()
	const batchBytes = 4 << 20
	prev, batches := 0, 0
	c, err := syncString(t, st, text.String(), SyncOptions{BatchBytes: batchBytes, Progress: func(c store.SyncCounts, _ int) {
		if got := (c.Applied - prev) * (200 << 10); got > batchBytes+model.MaxRecordBytes+(200<<10) {
			t.Errorf("a batch of %d events, about %d bytes", c.Applied-prev, got)
		}
		prev, batches = c.Applied, batches+1
	}})
	if err != nil || c.Applied != n || batches < 10 {
		t.Fatalf("%+v in %d batches: %v", c, batches, err)
	}
	// the usual lines still go 256 to a chunk
	small := generate(t, 100, 600, 2)
	chunks := 0
	for range parseAhead(context.Background(), nil, strings.NewReader(small.text()), SyncOptions{}, make(chan struct{})) {
		chunks++
	}
	if chunks != 3 {
		t.Fatalf("600 usual lines in %d chunks, want 3", chunks)
	}
}

// A line that never ends stops the stream at MaxLine with S7's error;
// it had been read on, to its end, for good (CLI review: `sync -` from
// /dev/zero spun a core forever, a server's too).
func TestALineThatNeverEndsStopsTheStream(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	err := corpus.Returns(t, "sync of an endless line", func() error {
		_, err := Sync(context.Background(), st, io.MultiReader(strings.NewReader(" "), corpus.EndlessLine{}), SyncOptions{Name: "zero"})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "zero:1: line longer than") {
		t.Fatalf("an endless line: %v", err)
	}
}

// A byte-order mark before the first line is skipped, as import skips
// it (CLI review: sync refused with "invalid character 'ï'").
func TestSyncSkipsAByteOrderMark(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	s := generate(t, 3, 3, 1)
	if c, err := syncString(t, st, "\xef\xbb\xbf"+s.text(), SyncOptions{}); err != nil || c.Applied+c.New == 0 {
		t.Fatalf("%+v %v", c, err)
	}
}
