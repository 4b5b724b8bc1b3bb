package store

import (
	"fmt"
	"strings"
	"testing"
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
