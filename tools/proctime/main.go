// Command proctime times whole processes: each binary given is run n
// times with the same arguments, the binaries taking turns run by run
// (so a change in the machine's load falls on all of them alike), and
// the wall time, CPU time (user + system) and peak RSS of each are
// reported as median, p90, min and max. It is how BENCHMARKS.md's
// "whole process" figures are taken (issue 23: a CLI that starts at
// once); timed assertions have no place in tests on a shared machine.
//
//	go run ./tools/proctime -n 100 -bins /tmp/fd-before,/tmp/fd-after \
//	    -emails accounts.jsonl -- --data DIR diagnose --json {email}
//
// {email} in an argument is replaced, run by run, by the next address
// of -emails (a JSONL file of accounts, every -every'th line taken), so
// that the runs look up accounts all over the store, not one page.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 50, "runs per binary")
	bins := flag.String("bins", "", "the binaries to compare, comma-separated")
	emails := flag.String("emails", "", "a JSONL file of accounts (field email), for {email}")
	every := flag.Int("every", 20000, "take every Nth account of -emails")
	flag.Parse()
	if *bins == "" {
		fmt.Fprintln(os.Stderr, "proctime: -bins A[,B…] is needed")
		os.Exit(2)
	}
	list, err := readEmails(*emails, *every)
	if err != nil {
		fmt.Fprintln(os.Stderr, "proctime:", err)
		os.Exit(1)
	}
	paths := strings.Split(*bins, ",")
	runs := make([]samples, len(paths))
	for i := 0; i < *n; i++ {
		for j, bin := range paths {
			args := slices.Clone(flag.Args())
			for k := range args {
				if len(list) > 0 {
					args[k] = strings.ReplaceAll(args[k], "{email}", list[i%len(list)])
				}
			}
			if err := runs[j].run(bin, args); err != nil {
				fmt.Fprintln(os.Stderr, "proctime:", err)
				os.Exit(1)
			}
		}
	}
	for j, bin := range paths {
		fmt.Println(runs[j].summary(bin))
	}
}

// readEmails is every every'th address of the JSONL file at path.
func readEmails(path string, every int) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var list []string
	for i := 0; sc.Scan(); i++ {
		if i%max(every, 1) != 0 {
			continue
		}
		var a struct{ Email string }
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, i+1, err)
		}
		list = append(list, a.Email)
	}
	return list, sc.Err()
}

type samples struct {
	wall, cpu []time.Duration
	rss       []int64 // KiB
}

func (s *samples) run(bin string, args []string) error {
	cmd := exec.Command(bin, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, out)
	}
	s.wall = append(s.wall, time.Since(start))
	st := cmd.ProcessState
	s.cpu = append(s.cpu, st.UserTime()+st.SystemTime())
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		s.rss = append(s.rss, ru.Maxrss)
	}
	return nil
}

func (s *samples) summary(bin string) string {
	ms := func(d []time.Duration) string {
		slices.Sort(d)
		at := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000 }
		return fmt.Sprintf("median %.1f ms, p90 %.1f, min %.1f, max %.1f", at(0.5), at(0.9), at(0), at(1))
	}
	slices.Sort(s.rss)
	rss := 0.0
	if len(s.rss) > 0 {
		rss = float64(s.rss[len(s.rss)/2]) / 1024
	}
	return fmt.Sprintf("%s (n=%d)\n  wall %s\n  cpu  %s\n  RSS  median %.1f MB", bin, len(s.wall), ms(s.wall), ms(s.cpu), rss)
}
