package main

import (
	"cmp"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
)

// initCost is one package's package-level initialisation, as the runtime
// reports it under GODEBUG=inittrace=1:
//
//	init frontdoor/model @15 ms, 0.10 ms clock, 36464 bytes, 232 allocs
type initCost struct {
	pkg    string
	clock  float64 // ms: what it took this time (noisy on a shared box)
	bytes  int64   // heap allocated: the same from run to run
	allocs int64
}

// parseInitTrace reads the runtime's init lines from a process's stderr;
// other lines are the program's own.
func parseInitTrace(stderr string) ([]initCost, error) {
	var out []initCost
	for line := range strings.Lines(stderr) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "init ") {
			continue
		}
		f := strings.Fields(strings.ReplaceAll(line, ",", ""))
		if len(f) != 11 || f[3] != "ms" || f[5] != "ms" || f[6] != "clock" || f[8] != "bytes" || f[10] != "allocs" {
			return nil, fmt.Errorf("not an inittrace line: %q", line)
		}
		pkg, err := url.PathUnescape(f[1]) // gopkg.in/yaml%2ev3
		if err != nil {
			return nil, fmt.Errorf("%q: %w", line, err)
		}
		c := initCost{pkg: pkg}
		c.clock, err = strconv.ParseFloat(f[4], 64)
		if err == nil {
			c.bytes, err = strconv.ParseInt(f[7], 10, 64)
		}
		if err == nil {
			c.allocs, err = strconv.ParseInt(f[9], 10, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("%q: %w", line, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func TestParseInitTrace(t *testing.T) {
	tests := []struct {
		name    string
		stderr  string
		want    []initCost
		wantErr bool
	}{
		{"lines and the program's own", "init runtime @0.068 ms, 0.079 ms clock, 0 bytes, 0 allocs\n" +
			"init gopkg.in/yaml%2ev3 @18 ms, 0.095 ms clock, 25736 bytes, 276 allocs\nfrontdoor (devel)\n",
			[]initCost{{"runtime", 0.079, 0, 0}, {"gopkg.in/yaml.v3", 0.095, 25736, 276}}, false},
		{"none", "frontdoor (devel)\n", nil, false},
		{"a changed format", "init frontdoor/model @15 ms, 0.10 ms clock, 36464 bytes\n", nil, true},
		{"not a number", "init frontdoor/model @15 ms, 0.10 ms clock, many bytes, 232 allocs\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseInitTrace(tt.stderr)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// initBudget bounds what packages may allocate before main. Bytes and
// allocations are the same from run to run, so they are the hard
// budget; clock time on this shared machine is not, and is only named
// in a failure. Every command pays for every linked package's init, so
// what one command alone needs is made on first use, not here (issue 23:
// `diagnose` at 1M in ≤ 10 ms, whole process).
var initBudget = struct {
	totalBytes, totalAllocs int64
	// per package: the first pattern that matches (a prefix, or the
	// whole path) gives its budget
	each []pkgBudget
}{
	// after issue 23: 0.86 MB and 5,048 allocations (1.03 MB and 6,018
	// before protobuf's patch); before it, with libphonenumber's metadata
	// parsed in init, 3.85 MB and 45,305
	totalBytes: 1024 << 10, totalAllocs: 6500,
	each: []pkgBudget{
		// our own: small tables, nothing parsed or compiled (regexps on first
		// use): 18 KB and 81 allocations at most today (model)
		{"frontdoor/", 32 << 10, 200},
		// its small regexps and tables (41 KB, 378 allocations); its
		// metadata (2.48 MB, 35,493 allocations) and large regexps (250
		// KB) on first use (third_party/phonenumbers/FRONTDOOR.md)
		{"github.com/nyaruka/phonenumbers", 64 << 10, 500},
		// descriptorpb's registration (52 KB) at most; protodesc's editions
		// defaults (164 KB, 981 allocations) and detrand's hash of the
		// binary on first use (third_party/protobuf/FRONTDOOR.md)
		{"google.golang.org/protobuf/", 64 << 10, 200},
		// anything else linked: the heaviest today are etcd's descriptors
		// (130 KB) and procfs (97 KB, 892 allocations), both linked for
		// --store etcd:// and serve's metrics; x/text's display names (198
		// KB, 3,020) went with phonenumbers' geocoding fallback
		{"", 160 << 10, 1200},
	},
}

type pkgBudget struct {
	prefix        string
	bytes, allocs int64
}

func budgetFor(pkg string) pkgBudget {
	for _, b := range initBudget.each {
		if strings.HasPrefix(pkg, b.prefix) {
			return b
		}
	}
	panic("the last budget matches every package")
}

// TestInitBudget builds frontdoor and runs it with GODEBUG=inittrace=1:
// it fails when package-level initialisation, ours or a dependency's,
// grows past its budget, naming the package and what it cost.
func TestInitBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "frontdoor")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := exec.Command(bin, "version")
	run.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr strings.Builder
	run.Stderr = &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("frontdoor version: %v\n%s", err, stderr.String())
	}
	costs, err := parseInitTrace(stderr.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(costs) < 50 { // a binary that links bbolt, Bubble Tea and etcd's client has hundreds
		t.Fatalf("only %d init lines: is GODEBUG=inittrace=1 still what reports them?\n%s", len(costs), stderr.String())
	}
	var total initCost
	for _, c := range costs {
		total.clock += c.clock
		total.bytes += c.bytes
		total.allocs += c.allocs
		if b := budgetFor(c.pkg); c.bytes > b.bytes || c.allocs > b.allocs {
			t.Errorf("%s: init allocates %d bytes in %d allocations (%.2f ms this run); its budget is %d bytes, %d allocations: "+
				"make what only some commands use on first use (sync.OnceValue), not at package level",
				c.pkg, c.bytes, c.allocs, c.clock, b.bytes, b.allocs)
		}
	}
	if total.bytes > initBudget.totalBytes || total.allocs > initBudget.totalAllocs {
		slices.SortFunc(costs, func(a, b initCost) int { return cmp.Compare(b.bytes, a.bytes) })
		var top strings.Builder
		for _, c := range costs[:5] {
			fmt.Fprintf(&top, "\n  %s: %d bytes, %d allocs, %.2f ms", c.pkg, c.bytes, c.allocs, c.clock)
		}
		t.Errorf("all packages' init: %d bytes in %d allocations (%.1f ms this run); the budget is %d bytes, %d allocations. The largest:%s",
			total.bytes, total.allocs, total.clock, initBudget.totalBytes, initBudget.totalAllocs, top.String())
	}
	t.Logf("%d packages: %d bytes, %d allocations, %.1f ms this run", len(costs), total.bytes, total.allocs, total.clock)
}

// TestNoTerminalQueryAtStart runs a command on a terminal (a pty): it
// must write its output and nothing else. Bubble Tea's init asked the
// terminal its background colour (OSC 11, then a cursor report to know
// whether it answers), so every command run by hand — `diagnose` on an
// on-call's box over ssh — waited one round trip to the terminal, or
// termenv's timeout where it did not answer, before main.
func TestNoTerminalQueryAtStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "frontdoor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	defer ptmx.Close()
	cmd := exec.Command(bin, "version")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.Env = append(os.Environ(), "TERM=xterm-256color", "COLORTERM=truecolor")
	// its own session with the pty as its controlling terminal, in the
	// foreground, as a command typed at a shell is: termenv asks only a
	// terminal it is in the foreground of
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	out := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(ptmx); out <- b }() // ends when the process's side closes
	if err := cmd.Wait(); err != nil {
		t.Fatalf("frontdoor version on a terminal: %v", err)
	}
	got := <-out
	for _, query := range []string{"\x1b]11;?", "\x1b]10;?", "\x1b[6n"} {
		if strings.Contains(string(got), query) {
			t.Fatalf("frontdoor version asked the terminal %q before answering: %q", query, got)
		}
	}
	if !strings.Contains(string(got), "frontdoor") {
		t.Fatalf("frontdoor version wrote %q", got)
	}
}
