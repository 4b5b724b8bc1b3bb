package metrics

import (
	"slices"
	"sync"
	"time"
)

// Ring keeps the last samples of a latency, for percentiles over what
// just happened (a histogram's buckets say only since the start).
type Ring struct {
	mu   sync.Mutex
	buf  []time.Duration
	next int
	full bool
}

// NewRing keeps the last n samples.
func NewRing(n int) *Ring { return &Ring{buf: make([]time.Duration, max(n, 1))} }

// Add records one sample.
func (r *Ring) Add(d time.Duration) {
	r.mu.Lock()
	r.buf[r.next] = d
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
	r.mu.Unlock()
}

// Latency is the median and 99th percentile of some samples.
type Latency struct {
	P50, P99 time.Duration
	N        int // samples they are of
}

// Latency reads the samples kept (nearest-rank percentiles).
func (r *Ring) Latency() Latency {
	r.mu.Lock()
	n := r.next
	if r.full {
		n = len(r.buf)
	}
	s := slices.Clone(r.buf[:n])
	r.mu.Unlock()
	if n == 0 {
		return Latency{}
	}
	slices.Sort(s)
	return Latency{P50: s[rank(n, 50)], P99: s[rank(n, 99)], N: n}
}

// rank is the nearest-rank index of percentile p among n sorted samples.
func rank(n, p int) int { return max((n*p+99)/100-1, 0) }
