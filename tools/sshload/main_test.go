package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// testConfig is a small load: 2 sessions typing "ab" and clearing it
// twice, 8 keys a session.
func testConfig(t *testing.T) config {
	t.Helper()
	signers, err := ephemeralSigners([]string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	return config{users: []string{"a", "b"}, signers: signers, sessions: 2, rate: 50, pace: 40 * time.Millisecond,
		rounds: 2, query: "ab", ready: "Find an account", idle: 200 * time.Millisecond, keyTimeout: 2 * time.Second}
}

// testBaseline is the baseline server on loopback, closed with the test.
func testBaseline(t *testing.T) *baselineServer {
	t.Helper()
	b, err := startBaselineServer("127.0.0.1:0", "127.0.0.1:0", "Find an account")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// TestLoadBaseline puts a real load over SSH on the baseline server: every
// key must get a frame, timed, with its bytes, and the heap must be read.
func TestLoadBaseline(t *testing.T) {
	b := testBaseline(t)
	cfg := testConfig(t)
	rep := runLoad(context.Background(), cfg, target{name: "baseline", addr: b.sshAddr,
		metricsURL: "http://" + b.metricsAddr + "/metrics", expect: "Find: ab"})

	if n := rep.errorCount(); n != 0 {
		t.Fatalf("%d errors: %v", n, rep.examples)
	}
	if rep.ready != 2 || len(rep.connect) != 2 {
		t.Errorf("ready %d, connect times %v; want 2", rep.ready, rep.connect)
	}
	const keys = 2 * 2 * 4 // sessions × rounds × (2 letters + 2 backspaces)
	if len(rep.latency) != keys || len(rep.keyBytes) != keys {
		t.Fatalf("%d latencies and %d byte counts, want %d each", len(rep.latency), len(rep.keyBytes), keys)
	}
	for i, d := range rep.latency {
		if d <= 0 || d >= cfg.keyTimeout {
			t.Errorf("key %d: latency %v", i, d)
		}
		if rep.keyBytes[i] <= 0 {
			t.Errorf("key %d: %d bytes", i, rep.keyBytes[i])
		}
	}
	if rep.heapBefore <= 0 || rep.heapIdle <= 0 {
		t.Errorf("heap before %v, idle %v: not read", rep.heapBefore, rep.heapIdle)
	}
	var out bytes.Buffer
	printReports(&out, []*report{rep})
	for _, row := range []string{"keystroke → frame p99", "bytes per key (mean)", "connect → first frame p50"} {
		line := lineOf(out.String(), row)
		if line == "" || strings.Contains(line, "—") {
			t.Errorf("row %q: %q\n%s", row, line, out.String())
		}
	}
	if !strings.Contains(lineOf(out.String(), "errors"), " 0") {
		t.Errorf("errors row: %q", lineOf(out.String(), "errors"))
	}
}

// TestLoadQueries: with queries, each session types its own (in turn),
// so the keys timed are each query's, not the first one's twice.
func TestLoadQueries(t *testing.T) {
	b := testBaseline(t)
	cfg := testConfig(t)
	cfg.queries = splitNames("", "ab, xyz,ab")
	if want := []string{"ab", "xyz"}; strings.Join(cfg.queries, "|") != strings.Join(want, "|") {
		t.Fatalf("queries %q, want %q", cfg.queries, want)
	}
	rep := runLoad(context.Background(), cfg, target{name: "baseline", addr: b.sshAddr})
	if n := rep.errorCount(); n != 0 {
		t.Fatalf("%d errors: %v", n, rep.examples)
	}
	const keys = 2*2*2 + 2*3*2 // rounds × letters × 2 (typed, then cleared), "ab" then "xyz"
	if len(rep.latency) != keys {
		t.Fatalf("%d keys timed, want %d", len(rep.latency), keys)
	}
}

// deafModel draws its first frame and never another: keys get no frame.
type deafModel struct{}

func (deafModel) Init() tea.Cmd                         { return nil }
func (m deafModel) Update(tea.Msg) (tea.Model, tea.Cmd) { return m, nil }
func (deafModel) View() string                          { return "Find an account" }

// TestLoadNoFrames: keys that get no frame are errors, not figures.
func TestLoadNoFrames(t *testing.T) {
	b, err := serveProgram("127.0.0.1:0", "", func() tea.Model { return deafModel{} })
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cfg := testConfig(t)
	cfg.keyTimeout = 300 * time.Millisecond
	rep := runLoad(context.Background(), cfg, target{name: "deaf", addr: b.sshAddr})
	if rep.errs["no frame for key"] != 2 || rep.errorCount() != 2 {
		t.Errorf("errors %v, want 2 × no frame for key", rep.errs)
	}
	if len(rep.latency) != 0 {
		t.Errorf("latencies %v for keys without frames", rep.latency)
	}
}

func lineOf(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

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

// TestStormAndFlood: the storm's sessions are counted in or refused, the
// floods run beside it, and a target that lets no one in reports every
// storm session as failed.
func TestStormAndFlood(t *testing.T) {
	b := testBaseline(t)
	closer, err := net.Listen("tcp", "127.0.0.1:0") // accepts and hangs up: nobody gets in
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	go func() {
		for {
			c, err := closer.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	for _, tc := range []struct {
		name   string
		addr   string
		in     int
		failed int
	}{
		{"baseline", b.sshAddr, 6, 0},
		{"hangs up", closer.Addr().String(), 0, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.storm, cfg.stormWithin, cfg.flood = 6, 200*time.Millisecond, 2
			rep := runLoad(context.Background(), cfg, target{name: tc.name, addr: tc.addr, expect: "Find: ab"})
			if rep.storm == nil || rep.storm.in != tc.in || rep.storm.failed() != tc.failed || len(rep.storm.connect) != tc.in {
				t.Fatalf("storm %+v; want %d in, %d failed", rep.storm, tc.in, tc.failed)
			}
			if !strings.Contains(rep.flood, "flood connections opened") || strings.HasPrefix(rep.flood, "0 ") {
				t.Errorf("floods: %q", rep.flood)
			}
		})
	}
}
