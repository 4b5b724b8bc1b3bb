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
	"runtime/debug"
	"strconv"
	"testing"
	"time"
)

// streamReader writes change-stream lines on the fly, so a benchmark of
// a million events holds none of them: n events, the first `accounts` of
// them new accounts, the rest a sign-in appended to a random one.
type streamReader struct {
	n, accounts, i int
	seq            uint64
	versions       []uint32
	rng            *rand.Rand
	buf            []byte
}

func newStream(accounts, n int, seq uint64, versions []uint32) *streamReader {
	return &streamReader{n: n, accounts: accounts, seq: seq, versions: versions, rng: rand.New(rand.NewPCG(1, 2))}
}

const benchAccount = `{"id":"acc_%07d","email":"user%d@example.com","name":"Person Number%d","role":"client","status":"active","us_state":"NY","phone":"+1212555%04d","created_at":"2026-01-01T00:00:00Z","email_verified_at":"2026-01-01T00:05:00Z","previous_emails":[],"factors":[{"id":"f1","type":"totp","enrolled_at":"2026-01-02T00:00:00Z"}],"logins":[%s],"resets":[],"appointments":[],"notes":[]}`

func (s *streamReader) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.i < s.n {
		id := s.i
		logins := ""
		if s.i >= s.accounts { // an update: a sign-in appended
			id = s.rng.IntN(s.accounts)
			logins = `{"at":"2026-11-10T17:00:00Z","portal":"patient","result":"bad_password","browser":"Firefox 133","device":"desktop"}`
		}
		s.versions[id]++
		s.seq++
		acc := fmt.Sprintf(benchAccount, id, id, id, 100+id%100, logins)
		s.buf = fmt.Appendf(s.buf, `{"seq":%d,"version":%d,"account":%s}`+"\n", s.seq, s.versions[id], acc)
		s.i++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// BenchmarkSync applies b.N change-stream events to a store of
// FRONTDOOR_BENCH_ACCOUNTS accounts (default 100,000), loaded by sync
// first; events/s is the figure (BENCHMARKS.md).
func BenchmarkSync(b *testing.B) {
	accounts := 100_000
	if v, err := strconv.Atoi(os.Getenv("FRONTDOOR_BENCH_ACCOUNTS")); err == nil && v > 0 {
		accounts = v
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400)) // as `frontdoor sync` runs
	st := openStore(b, b.TempDir())
	defer st.Close()
	versions := make([]uint32, accounts)
	start := time.Now()
	c, err := Sync(context.Background(), st, newStream(accounts, accounts, 0, versions), SyncOptions{})
	if err != nil || c.New != accounts {
		b.Fatalf("load: %+v %v", c, err)
	}
	b.Logf("loaded %d new accounts by sync in %v (%.0f/s)", accounts, time.Since(start).Round(time.Millisecond), float64(accounts)/time.Since(start).Seconds())
	b.ResetTimer()
	updates := newStream(accounts, accounts+b.N, c.LastSeq, versions)
	updates.i = accounts
	c, err = Sync(context.Background(), st, updates, SyncOptions{})
	b.StopTimer()
	if err != nil || c.Applied != b.N {
		b.Fatalf("%+v %v", c, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapSys)/(1<<20), "heap-MiB") // the most heap the process ever held from the OS
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
