package metrics

import (
	"testing"
	"time"
)

// BenchmarkFrame is what timing one frame adds: a histogram observation
// and a ring sample, from many sessions at once.
func BenchmarkFrame(b *testing.B) {
	r := New(Sources{})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Frame(750 * time.Microsecond)
		}
	})
}

// BenchmarkScrape is one GET's worth of gathering, runtime and process
// collectors included.
func BenchmarkScrape(b *testing.B) {
	r := New(Sources{})
	for range 1000 {
		r.Frame(time.Millisecond)
		r.Lookup(100 * time.Microsecond)
	}
	for b.Loop() {
		if _, err := r.Gatherer().Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
