package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"frontdoor/internal/gen"
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
		fmt.Fprintf(&sb, `{"id":"acc_%07d","email":"user%d@example.com","name":"%s %s","role":"client","status":"active","phone":"+1212%07d"}`+"\n",
			i, i, first[i%len(first)], last[(i/len(first))%len(last)], i)
	}
	if _, err := s.Import(strings.NewReader(sb.String()), "bench", root, now); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkSearch100k(b *testing.B) {
	s := benchStore(b, 100_000)
	for _, q := range []string{"acc_0050000", "user77777@example.com", "mar", "maria lop", "5550123", "zzz"} {
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
