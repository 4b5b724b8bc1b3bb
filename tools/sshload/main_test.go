package main

import (
	"strings"
	"testing"
	"time"
)

func TestPerKey(t *testing.T) {
	t0 := time.Unix(0, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	writes := []time.Time{ms(0), ms(100), ms(200)}
	chunks := []chunk{{ms(-5), 99}, {ms(4), 10}, {ms(30), 5}, {ms(108), 7}, {ms(203), 1}, {ms(250), 2}, {ms(400), 50}}
	lat, b := perKey(writes, chunks, ms(300))
	wantLat := []time.Duration{4 * time.Millisecond, 8 * time.Millisecond, 3 * time.Millisecond}
	wantB := []int{15, 7, 3}
	if len(lat) != 3 || len(b) != 3 {
		t.Fatalf("got %v %v", lat, b)
	}
	for i := range wantLat {
		if lat[i] != wantLat[i] || b[i] != wantB[i] {
			t.Errorf("key %d: %v, %d B; want %v, %d B", i, lat[i], b[i], wantLat[i], wantB[i])
		}
	}
}

func TestFindMetric(t *testing.T) {
	text := `# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes_total 1
go_memstats_heap_inuse_bytes 4.5056e+06
`
	v, err := findMetric(strings.NewReader(text), "go_memstats_heap_inuse_bytes")
	if err != nil || v != 4505600 {
		t.Errorf("got %v, %v", v, err)
	}
	if _, err := findMetric(strings.NewReader("other 1\n"), "go_memstats_heap_inuse_bytes"); err == nil {
		t.Error("a missing metric is an error")
	}
}
