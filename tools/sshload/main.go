// Command sshload opens many console sessions against a frontdoor server
// at once, as agents starting a shift would, and reports how long each
// step took: connect to first frame, a look-up as the agent types, and
// opening the account. It is bounded: a fixed number of sessions, each
// held for a fixed time, then it stops by itself.
//
//	go run ./tools/sshload --addr 127.0.0.1:23234 --user sam --key ~/.ssh/id_ed25519 --sessions 200
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

type result struct {
	firstFrame, lookup, open time.Duration
	err                      error
}

func main() {
	addr := flag.String("addr", "127.0.0.1:23234", "server address (loopback unless you mean it)")
	user := flag.String("user", "", "agent name")
	keyFile := flag.String("key", "", "the agent's private key (unencrypted)")
	n := flag.Int("sessions", 100, "sessions to open")
	perSecond := flag.Float64("rate", 4, "new sessions a second (the server limits per address)")
	hold := flag.Duration("hold", 10*time.Second, "how long each session stays open after opening the account")
	query := flag.String("query", "maria", "what each session types in Lookup")
	expect := flag.String("expect", "Maria Lopez", "what the look-up must show")
	flag.Parse()
	if *user == "" || *keyFile == "" || *n < 1 || *n > 5000 {
		fmt.Fprintln(os.Stderr, "sshload: --user and --key are required; --sessions from 1 to 5000")
		os.Exit(2)
	}
	pem, err := os.ReadFile(*keyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sshload:", err)
		os.Exit(1)
	}
	signer, err := gossh.ParsePrivateKey(pem)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sshload:", err)
		os.Exit(1)
	}
	cfg := &gossh.ClientConfig{User: *user, Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}

	results := make([]result, *n)
	var wg sync.WaitGroup
	start := time.Now()
	tick := time.NewTicker(time.Duration(float64(time.Second) / *perSecond))
	defer tick.Stop()
	for i := range results {
		if i > 0 {
			<-tick.C
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = session(*addr, cfg, *query, *expect, *hold)
		}()
	}
	wg.Wait()
	report(results, time.Since(start))
}

// session plays one agent; every wait has a deadline.
func session(addr string, cfg *gossh.ClientConfig, query, expect string, hold time.Duration) (r result) {
	t0 := time.Now()
	c, err := gossh.Dial("tcp", addr, cfg)
	if err != nil {
		return result{err: fmt.Errorf("dial: %w", err)}
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return result{err: err}
	}
	defer s.Close()
	if err := s.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		return result{err: err}
	}
	in, _ := s.StdinPipe()
	out, _ := s.StdoutPipe()
	if err := s.Shell(); err != nil {
		return result{err: err}
	}
	w := newWatcher(out)
	if r.firstFrame, err = w.waitFor("Find an account", t0, 15*time.Second); err != nil {
		return result{err: fmt.Errorf("first frame: %w", err)}
	}
	t1 := time.Now()
	io.WriteString(in, query)
	if r.lookup, err = w.waitFor(expect, t1, 10*time.Second); err != nil {
		return result{err: fmt.Errorf("look-up: %w", err)}
	}
	t2 := time.Now()
	io.WriteString(in, "\r")
	if r.open, err = w.waitFor("Latest sign-ins", t2, 10*time.Second); err != nil {
		return result{err: fmt.Errorf("open: %w", err)}
	}
	time.Sleep(hold)
	io.WriteString(in, "q")
	return r
}

// watcher collects a session's output and waits for text in it.
type watcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	seen int
	more chan struct{}
}

func newWatcher(r io.Reader) *watcher {
	w := &watcher{more: make(chan struct{}, 1)}
	go func() {
		b := make([]byte, 32<<10)
		for {
			n, err := r.Read(b)
			w.mu.Lock()
			w.buf.Write(b[:n])
			w.mu.Unlock()
			select {
			case w.more <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return w
}

var errTimeout = errors.New("timed out")

// waitFor returns how long after since the text appeared in new output.
func (w *watcher) waitFor(text string, since time.Time, limit time.Duration) (time.Duration, error) {
	deadline := time.After(limit)
	for {
		w.mu.Lock()
		i := bytes.Index(w.buf.Bytes()[w.seen:], []byte(text))
		if i >= 0 {
			w.seen += i + len(text)
		}
		w.mu.Unlock()
		if i >= 0 {
			return time.Since(since), nil
		}
		select {
		case <-w.more:
		case <-deadline:
			return 0, errTimeout
		}
	}
}

func report(rs []result, total time.Duration) {
	var first, look, open []time.Duration
	errs := map[string]int{}
	for _, r := range rs {
		if r.err != nil {
			errs[r.err.Error()]++
			continue
		}
		first, look, open = append(first, r.firstFrame), append(look, r.lookup), append(open, r.open)
	}
	fmt.Printf("%d sessions, %d completed, in %v\n", len(rs), len(first), total.Round(time.Millisecond))
	for _, p := range []struct {
		name string
		d    []time.Duration
	}{{"connect → first frame", first}, {"type look-up → result", look}, {"enter → account", open}} {
		fmt.Printf("  %-24s %s\n", p.name, percentiles(p.d))
	}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("  error ×%d: %s\n", errs[k], k)
	}
}

func percentiles(d []time.Duration) string {
	if len(d) == 0 {
		return "—"
	}
	slices.Sort(d)
	at := func(p float64) time.Duration { return d[int(p*float64(len(d)-1))].Round(time.Millisecond) }
	return fmt.Sprintf("p50 %v  p95 %v  max %v", at(0.5), at(0.95), at(1))
}
