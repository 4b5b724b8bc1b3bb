package store

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/gen"
	"frontdoor/model"
)

// benchStore holds n generated accounts (names drawn from a small pool,
// so name prefixes are as crowded as in real data).
func benchStore(b *testing.B, n int) *Store {
	b.Helper()
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	first := []string{"Maria", "James", "Amy", "Paul", "Sofia", "Noah", "Ava", "Liam", "Emma", "Lucas", "Olivia", "Daniel"}
	last := []string{"Lopez", "Hill", "Chen", "Green", "Rossi", "Kim", "Patel", "Scott", "Jones", "Brown", "White", "Moore"}
	var sb strings.Builder
	for i := 0; i < n; i++ {
		// a valid US number each (an exchange starts with 2-9), unique
		// up to 8M accounts
		fmt.Fprintf(&sb, `{"id":"acc_%07d","email":"user%d@example.com","name":"%s %s","role":"client","status":"active","phone":"+1212%03d%04d"}`+"\n",
			i, i, first[i%len(first)], last[(i/len(first))%len(last)], 200+(i/10_000)%800, i%10_000)
	}
	if _, err := s.Import(strings.NewReader(sb.String()), "bench", root, now); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkSearch100k(b *testing.B) {
	s := benchStore(b, 100_000)
	for _, q := range []string{"acc_0050000", "user77777@example.com", "mar", "maria lop", "2010123", "zzz"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Search(q, 50); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkImport10k(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 10_000; i++ {
		sb.WriteString(line(i) + "\n")
	}
	data := sb.String()
	for b.Loop() {
		b.StopTimer()
		s, err := Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.Import(strings.NewReader(data), "bench", root, now); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

func BenchmarkApply(b *testing.B) {
	s := benchStore(b, 1000)
	v := uint64(1)
	for b.Loop() {
		r, err := s.Apply("acc_0000001", v, root, now, noteChange("n"))
		if err != nil {
			b.Fatal(err)
		}
		v = r.Version
	}
}

// benchAccounts is FRONTDOOR_BENCH_ACCOUNTS, else def: the large sizes
// (a million) run only when asked, so `go test ./...` stays fast.
func benchAccounts(def int) int {
	if v, err := strconv.Atoi(os.Getenv("FRONTDOOR_BENCH_ACCOUNTS")); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkImportGen imports FRONTDOOR_BENCH_ACCOUNTS generated accounts
// (default 20,000; internal/gen) into a new store: accounts/s end to end,
// every index, the all-or-nothing rebuild included (BENCHMARKS.md).
func BenchmarkImportGen(b *testing.B) {
	n := benchAccounts(20_000)
	path := filepath.Join(b.TempDir(), "gen.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := gen.New(1).Write(f, n); err != nil {
		b.Fatal(err)
	}
	f.Close()
	for b.Loop() {
		b.StopTimer()
		s, err := Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		in, _ := os.Open(path)
		b.StartTimer()
		if got, err := s.Import(in, "gen.jsonl", root, now); err != nil || got != n {
			b.Fatal(got, err)
		}
		b.StopTimer()
		in.Close()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "accounts/s")
}

// genStore is a store of n accounts from internal/gen (seed 1), imported.
func genStore(b *testing.B, n int) *Store {
	b.Helper()
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(gen.New(1).Write(pw, n)) }()
	start := time.Now()
	if _, err := s.Import(pr, "gen.jsonl", root, now); err != nil {
		b.Fatal(err)
	}
	b.Logf("imported %d generated accounts in %v", n, time.Since(start).Round(time.Millisecond))
	return s
}

// reportLatency runs one query per iteration, each timed alone, and
// reports the median and the 99th percentile.
func reportLatency(b *testing.B, query func(i int) error) {
	b.Helper()
	var took []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		if err := query(i); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		i++
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds())/1e3, "p99-µs")
}

// BenchmarkLookup times the store's look-ups on FRONTDOOR_BENCH_ACCOUNTS
// generated accounts (default 20,000): exact ones (an id, an email, a
// phone number, as the Lookup screen and ByEmail take them) and the
// first 20 type-ahead results for each keystroke of a name or an email
// being typed (BENCHMARKS.md, "Store look-up at 1M").
func BenchmarkLookup(b *testing.B) {
	n := benchAccounts(20_000)
	s := genStore(b, n)
	rng := rand.New(rand.NewPCG(3, 4))
	accounts := make([]model.Account, 0, 1000)
	g := gen.New(1)
	for range 1000 {
		a, err := model.ParseAccount(g.Append(nil, rng.IntN(n), 0))
		if err != nil {
			b.Fatal(err)
		}
		accounts = append(accounts, a)
	}
	pick := func(i int) model.Account { return accounts[i%len(accounts)] }
	search := func(q string) error {
		hits, _, err := s.SearchCount(q, 20)
		if err == nil && len(hits) == 0 {
			err = fmt.Errorf("%q found nothing", q)
		}
		return err
	}
	b.Run("exact/get-id", func(b *testing.B) {
		reportLatency(b, func(i int) error { _, err := s.Get(pick(i).ID); return err })
	})
	b.Run("exact/by-email", func(b *testing.B) {
		reportLatency(b, func(i int) error { _, err := s.ByEmail(pick(i).Email); return err })
	})
	b.Run("exact/search-email", func(b *testing.B) {
		reportLatency(b, func(i int) error { return search(pick(i).Email) })
	})
	b.Run("exact/search-id", func(b *testing.B) {
		reportLatency(b, func(i int) error { return search(pick(i).ID) })
	})
	b.Run("exact/search-phone", func(b *testing.B) {
		reportLatency(b, func(i int) error {
			for j := i; ; j++ {
				if p := pick(j).Phone; p != "" {
					return search(p)
				}
			}
		})
	})
	// every prefix of "first last" from its second letter on, as typed
	var names []string
	for _, a := range accounts[:100] {
		for k := 2; k <= len(a.Name); k++ {
			if q := a.Name[:k]; !strings.HasSuffix(q, " ") {
				names = append(names, q)
			}
		}
	}
	b.Run("type-ahead/name-first-20", func(b *testing.B) {
		reportLatency(b, func(i int) error { _, _, err := s.SearchCount(names[i%len(names)], 20); return err })
	})
	// an email typed: the local part whole, then the domain letter by letter
	var emails []string
	for _, a := range accounts[:100] {
		at := strings.IndexByte(a.Email, '@')
		for k := at + 1; k <= len(a.Email); k++ {
			emails = append(emails, a.Email[:k])
		}
	}
	b.Run("type-ahead/email-first-20", func(b *testing.B) {
		reportLatency(b, func(i int) error { return search(emails[i%len(emails)]) })
	})
}

// BenchmarkParseSnapshot parses change-stream lines as sync's workers
// do (internal/gen's accounts, a few sign-ins each): the parse side of
// BenchmarkSync without the store.
func BenchmarkParseSnapshot(b *testing.B) {
	g := gen.New(1)
	lines := make([][]byte, 1000)
	for i := range lines {
		lines[i] = append(g.Append(fmt.Appendf(nil, `{"seq":%d,"version":3,"account":`, i+1), i, 3), '}')
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ParseSnapshot(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
}
