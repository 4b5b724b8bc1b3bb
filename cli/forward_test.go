package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"frontdoor/internal/gen"
	"frontdoor/store"
)

// A forwarded command's output streams through the server in bounded
// memory (issue 20, item 3: an export of 200,000 accounts through a
// running server had been gathered whole, then base64'd into one reply,
// taking the server from 238 MB to 1.56 GB). The export is large beside
// the bound, so a server that holds it whole fails the test.
func TestForwardedOutputStreamsInBoundedMemory(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	gen.New(9).Write(&b, 30_000)
	if _, err := st.Import(&b, "big.jsonl", store.Actor{Name: "test", Role: store.RoleAdmin}, fixedNow); err != nil {
		t.Fatal(err)
	}
	answerControl(t, dir, st)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampled sync.WaitGroup
	sampled.Add(1)
	go func() { // the heap's high-water mark while the export runs
		defer sampled.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	// the caller counts what it gets and keeps nothing (a pipe into gzip)
	lines, size := 0, 0
	counter := funcWriter(func(p []byte) (int, error) {
		lines += bytes.Count(p, []byte("\n"))
		size += len(p)
		return len(p), nil
	})
	var errb strings.Builder
	code, err := forward(dir, []string{"export", "--data", dir}, IO{Out: counter, Err: &errb})
	close(stop)
	sampled.Wait()
	if err != nil || code != 0 || lines != 30_000 {
		t.Fatalf("forwarded export: exit %d, %v, %d lines; stderr %q", code, err, lines, errb.String())
	}
	grew := int64(peak.Load()) - int64(before.HeapInuse)
	t.Logf("export of %d MB forwarded; the heap grew by at most %d MB", size>>20, grew>>20)
	if grew > int64(size) {
		t.Fatalf("the heap grew by %d MB forwarding %d MB: output is being gathered, not streamed", grew>>20, size>>20)
	}
}

// The frames: stdout and stderr in the order written, then the exit
// code; a stream that breaks off, or a frame too long, is an error,
// never a hang or an allocation the size a broken header says.
func TestFramesRoundTripAndRefuseBrokenStreams(t *testing.T) {
	sp, err := newSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := &forwardedOutput{s: sp}
	o.w = bufio.NewWriterSize(outputFrames{sp, frameStdout}, frameChunk)
	var wire bytes.Buffer
	done := make(chan error)
	go func() { done <- sp.sendTo(&wire) }()
	big := strings.Repeat("x", 3*frameChunk+5)
	o.stdout([]byte("first\n"))
	o.stderr([]byte("warning\n"))
	o.stdout([]byte(big))
	o.exit(3)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	all := wire.Bytes()
	code, err := readFrames(bytes.NewReader(all), &out, &errb)
	if err != nil || code != 3 || out.String() != "first\n"+big || errb.String() != "warning\n" {
		t.Fatalf("exit %d %v; out %d bytes, err %q", code, err, out.Len(), errb.String())
	}
	// stderr came after "first" was sent, not before it
	if i, j := bytes.Index(all, []byte("first")), bytes.Index(all, []byte("warning")); i > j {
		t.Fatal("stderr overtook stdout written before it")
	}
	if _, err := readFrames(bytes.NewReader(all[:len(all)-3]), io.Discard, io.Discard); err == nil {
		t.Fatal("a stream cut before its exit frame read as complete")
	}
	if _, err := readFrames(bytes.NewReader([]byte{'o', 0xff, 0xff, 0xff, 0xff}), io.Discard, io.Discard); err == nil {
		t.Fatal("a 4 GB frame header was believed")
	}
}

// `kcat … | frontdoor sync -` through a running server applies each
// event as it arrives, not when the pipe closes (issue 20, item 6: five
// events 0.5 s apart had all been applied only when stdin closed).
func TestForwardedSyncAppliesAsLinesArrive(t *testing.T) {
	dir, st := serveControl(t)
	f, err := os.Open("../testdata/fixtures/accounts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	first, _ := bufio.NewReader(f).ReadBytes('\n')
	f.Close()
	var acc map[string]any
	if err := json.Unmarshal(first, &acc); err != nil {
		t.Fatal(err)
	}
	id := acc["id"].(string)
	pr, pw := io.Pipe() // kcat: it writes, and does not close
	done := make(chan int, 1)
	go func() {
		code, _ := forward(dir, []string{"sync", "-", "--data", dir}, IO{In: pr, Out: io.Discard, Err: io.Discard})
		done <- code
	}()
	for v := 2; v <= 4; v++ {
		acc["name"] = fmt.Sprintf("Renamed %d", v)
		line, _ := json.Marshal(map[string]any{"seq": v, "version": v, "account": acc})
		pw.Write(append(line, '\n'))
		// applied while the pipe is still open (a liveness bound only)
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if r, err := st.Get(id); err == nil && r.Account.Name == acc["name"] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("event %d not applied while the stream stayed open", v)
			}
		}
	}
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("sync - exited %d", code)
	}
}

// A command reading standard input by any of its names takes the
// caller's through a running server (issue 22, item 21: act --accounts -
// said "no account ids": act had read stdin before finding the store
// held, and /dev/stdin named the server's own input).
func TestForwardedActReadsCallersStdin(t *testing.T) {
	dir, _ := serveControl(t)
	for _, name := range []string{"-", "/dev/stdin", "--accounts=-"} {
		args := []string{"act", "send-reset", "--accounts", name, "--reason", "provider incident", "--dry-run", "--data", dir}
		if strings.HasPrefix(name, "--") {
			args = []string{"act", "send-reset", name, "--reason", "provider incident", "--dry-run", "--data", dir}
		}
		r := run(t, "p001\np002\n", args...)
		if r.code != 0 || !strings.Contains(r.out, "p001\twould") || !strings.Contains(r.out, "p002\twould") {
			t.Errorf("forwarded act --accounts %s: %+v", name, r)
		}
	}
}

func TestForwardPathsStdin(t *testing.T) {
	wd, _ := os.Getwd()
	for _, tc := range []struct {
		args  []string
		want  []string
		stdin bool
	}{
		{[]string{"import", "-"}, []string{"import", "-"}, true},
		{[]string{"sync", "/dev/stdin", "--batch", "5"}, []string{"sync", "-", "--batch", "5"}, true},
		{[]string{"act", "x", "--accounts", "/dev/fd/0"}, []string{"act", "x", "--accounts", "-"}, true},
		{[]string{"act", "x", "--accounts=/proc/self/fd/0"}, []string{"act", "x", "--accounts=-"}, true},
		{[]string{"act", "x", "--accounts", "ids"}, []string{"act", "x", "--accounts", wd + "/ids"}, false},
		// a dash that is not a file read: no stream
		{[]string{"act", "x", "--account", "p1", "--reason", "-"}, []string{"act", "x", "--account", "p1", "--reason", "-"}, false},
		// backup writes its file: /dev/stdin is not the caller's input
		{[]string{"backup", "/dev/stdin"}, []string{"backup", "/dev/stdin"}, false},
		// sync's subcommand is no file
		{[]string{"sync", "checkpoint", "--set", "4", "--reason", "r"}, []string{"sync", "checkpoint", "--set", "4", "--reason", "r"}, false},
	} {
		got, stdin := forwardPaths(tc.args)
		if !slices.Equal(got, tc.want) || stdin != tc.stdin {
			t.Errorf("forwardPaths(%q) = %q, %v; want %q, %v", tc.args, got, stdin, tc.want, tc.stdin)
		}
	}
}

// A forwarded command's message names the server's data directory: the
// caller's --data is not read there (issue 22, item 22: "--data  is a
// DEMO store").
func TestForwardedErrorNamesTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	seedIfEmpty(st, fixedNow)
	t.Cleanup(func() { st.Close() })
	ln, err := ListenControl(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go ServeControl(ln, st, func() time.Time { return fixedNow }, nil)
	r := run(t, "", "import", "../testdata/fixtures/accounts.jsonl", "--data", dir)
	if r.code != ExitFail || !strings.Contains(r.err, "--data "+dir+" is a DEMO store") {
		t.Fatalf("forwarded import into a demo store: %+v", r)
	}
	r = run(t, streamLine(t, 1, 1, "p001", func(map[string]any) {})+"\n", "sync", "-", "--data", dir)
	if r.code != ExitFail || !strings.Contains(r.err, "--data "+dir+" is a DEMO store") {
		t.Fatalf("forwarded sync into a demo store: %+v", r)
	}
}
