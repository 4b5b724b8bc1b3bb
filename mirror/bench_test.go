package mirror

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/gen"
	"frontdoor/store"
)

// streamReader writes change-stream lines on the fly, so a benchmark of
// a million events holds none of them: n events, the first `accounts` of
// them new accounts (internal/gen's, seed 1), the rest the same account
// again with one sign-in more for each update it has had.
type streamReader struct {
	n, accounts, i int
	seq            uint64
	versions       []uint32
	rng            *rand.Rand
	gen            *gen.Generator
	buf            []byte
}

func newStream(accounts, n int, seq uint64, versions []uint32) *streamReader {
	return &streamReader{n: n, accounts: accounts, seq: seq, versions: versions, rng: rand.New(rand.NewPCG(1, 2)), gen: gen.New(1)}
}

func (s *streamReader) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.i < s.n {
		id := s.i
		if s.i >= s.accounts { // an update: a sign-in appended
			id = s.rng.IntN(s.accounts)
		}
		s.versions[id]++
		s.seq++
		s.buf = fmt.Appendf(s.buf, `{"seq":%d,"version":%d,"account":`, s.seq, s.versions[id])
		s.buf = append(s.gen.Append(s.buf, id, int(s.versions[id])-1), "}\n"...)
		s.i++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// loaded is BenchmarkSync's store, kept for the process (TestMain
// removes it).
var loaded struct {
	dir      string
	accounts int
	st       *store.Store
	versions []uint32
}

func TestMain(m *testing.M) {
	code := m.Run()
	if loaded.st != nil {
		loaded.st.Close()
		os.RemoveAll(loaded.dir)
	}
	os.Exit(code)
}

// BenchmarkSync applies b.N change-stream events to a store of
// FRONTDOOR_BENCH_ACCOUNTS accounts (default 100,000), loaded by sync
// first; events/s is the figure (BENCHMARKS.md).
func BenchmarkSync(b *testing.B) {
	accounts := 100_000
	if v, err := strconv.Atoi(os.Getenv("FRONTDOOR_BENCH_ACCOUNTS")); err == nil && v > 0 {
		accounts = v
	}
	// loaded once per process: the framework calls this with b.N = 1
	// before the real run, and a million new accounts take a while
	if loaded.st == nil || loaded.accounts != accounts {
		if loaded.st != nil {
			loaded.st.Close()
			os.RemoveAll(loaded.dir)
		}
		dir, err := os.MkdirTemp("", "frontdoor-bench-sync-")
		if err != nil {
			b.Fatal(err)
		}
		loaded.dir, loaded.accounts, loaded.st = dir, accounts, openStore(b, dir)
		loaded.versions = make([]uint32, accounts)
		start := time.Now()
		c, err := Sync(context.Background(), loaded.st, newStream(accounts, accounts, 0, loaded.versions), SyncOptions{DeferFsync: true})
		if err != nil || c.New != accounts {
			b.Fatalf("load: %+v %v", c, err)
		}
		b.Logf("loaded %d new accounts by sync in %v (%.0f/s)", accounts, time.Since(start).Round(time.Millisecond), float64(accounts)/time.Since(start).Seconds())
	}
	st, versions := loaded.st, loaded.versions
	batch, _ := strconv.Atoi(os.Getenv("FRONTDOOR_BENCH_BATCH")) // 0: sync's default
	// as `frontdoor sync` runs; FRONTDOOR_BENCH_FSYNC=batch: every commit waits for the disk
	deferFsync := os.Getenv("FRONTDOOR_BENCH_FSYNC") != "batch"
	// the updates are written to a file first and read from it, as
	// `frontdoor sync FILE` does: generated during the run, they took
	// about a second of CPU from the two cores the sync works on
	stream := newStream(accounts, accounts+b.N, st.Checkpoint(), versions)
	stream.i = accounts
	updates := streamFile(b, stream)
	defer updates.Close()
	wrote := writeBytes()
	b.ResetTimer()
	var c store.SyncCounts
	var err error
	// labelled, so a -cpuprofile shows the updates apart from the load (-tagfocus phase=update)
	pprof.Do(context.Background(), pprof.Labels("phase", "update"), func(ctx context.Context) {
		c, err = Sync(ctx, st, updates, SyncOptions{Batch: batch, DeferFsync: deferFsync})
	})
	b.StopTimer()
	if w := writeBytes(); w > 0 {
		b.ReportMetric(float64(w-wrote)/float64(b.N)/1024, "written-KiB/event")
	}
	if err != nil || c.Applied != b.N {
		b.Fatalf("%+v %v", c, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapSys)/(1<<20), "heap-MiB") // the most heap the process ever held from the OS
}

// streamFile writes r to a temporary file (removed at the end) and
// returns it open at its start.
func streamFile(b *testing.B, r io.Reader) *os.File {
	f, err := os.CreateTemp(b.TempDir(), "stream-*.jsonl")
	if err == nil {
		_, err = io.Copy(f, r)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// writeBytes is how many bytes this process has had written to storage
// (Linux /proc/self/io), 0 where that is not known.
func writeBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkRelay delivers b.N queued messages (two commands and a notice
// per account) to a loopback HTTP endpoint that takes each: messages/s.
func BenchmarkRelay(b *testing.B) {
	st := openStore(b, b.TempDir())
	defer st.Close()
	queue(b, st, max(b.N/3, 1))
	msgs, _ := st.Outbox(false)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	b.ResetTimer()
	if err := relay(st, srv.URL).Drain(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(len(msgs))/b.Elapsed().Seconds(), "messages/s")
}
