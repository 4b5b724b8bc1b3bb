package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	bm "github.com/charmbracelet/wish/bubbletea"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The baseline is the smallest Bubble Tea program a Wish server serves: a
// title (the ready text) and an echo of what is typed, at 120 frames a
// second, no cursor, nothing else. It runs in a child process so that its
// heap, RSS and CPU are its own, measured the way frontdoor's are, and
// not mixed with the load tool's.

// baselineModel is the whole program.
type baselineModel struct {
	title string
	text  []rune
}

func (m baselineModel) Init() tea.Cmd { return nil }

func (m baselineModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	switch k.Type {
	case tea.KeyRunes, tea.KeySpace:
		m.text = append(m.text[:len(m.text):len(m.text)], k.Runes...)
	case tea.KeyBackspace:
		if len(m.text) > 0 {
			m.text = m.text[:len(m.text)-1]
		}
	case tea.KeyCtrlC:
		return m, tea.Quit
	}
	return m, nil
}

func (m baselineModel) View() string {
	return m.title + "\n\nFind: " + string(m.text)
}

// baselineServer is the baseline's SSH server and its metrics.
type baselineServer struct {
	ssh         *ssh.Server
	metrics     *http.Server // nil: none
	dir         string       // the host key's
	sshAddr     string
	metricsAddr string
}

// startBaselineServer serves the baseline on sshAddr (host:0 for any
// port) and, if metricsAddr is set, the Go runtime's metrics (the default
// Prometheus registry) on http://metricsAddr/metrics.
func startBaselineServer(sshAddr, metricsAddr, title string) (*baselineServer, error) {
	return serveProgram(sshAddr, metricsAddr, func() tea.Model { return baselineModel{title: title} })
}

// serveProgram serves a new model per session the way the baseline is
// served (tests serve others).
func serveProgram(sshAddr, metricsAddr string, model func() tea.Model) (*baselineServer, error) {
	dir, err := os.MkdirTemp("", "sshload-baseline-")
	if err != nil {
		return nil, fmt.Errorf("baseline host key directory: %w", err)
	}
	b := &baselineServer{dir: dir}
	srv, err := wish.NewServer(
		wish.WithHostKeyPath(filepath.Join(dir, "ssh_host_ed25519")),
		wish.WithPublicKeyAuth(func(ssh.Context, ssh.PublicKey) bool { return true }),
		wish.WithMiddleware(bm.Middleware(func(ssh.Session) (tea.Model, []tea.ProgramOption) {
			return model(), []tea.ProgramOption{tea.WithAltScreen(), tea.WithFPS(120)}
		})),
	)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("baseline server: %w", err)
	}
	b.ssh = srv
	ln, err := net.Listen("tcp", sshAddr)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("baseline server: %w", err)
	}
	b.sshAddr = ln.Addr().String()
	go srv.Serve(ln) // ends at Close
	if metricsAddr != "" {
		mln, err := net.Listen("tcp", metricsAddr)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("baseline metrics: %w", err)
		}
		b.metricsAddr = mln.Addr().String()
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.Handler())
		b.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go b.metrics.Serve(mln) // ends at Close
	}
	return b, nil
}

// Close stops the servers and removes the host key.
func (b *baselineServer) Close() {
	if b.ssh != nil {
		_ = b.ssh.Close()
	}
	if b.metrics != nil {
		_ = b.metrics.Close()
	}
	_ = os.RemoveAll(b.dir)
}

// runBaselineChild is the child's side: serve, say where on stdout, and
// stop when the parent closes stdin (it ended, however it ended) or on a
// signal.
func runBaselineChild(sshAddr, metricsAddr, title string) error {
	b, err := startBaselineServer(sshAddr, metricsAddr, title)
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Printf("baseline ssh=%s metrics=%s\n", b.sshAddr, b.metricsAddr)
	gone := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(gone)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case <-gone:
	case <-sig:
	}
	return nil
}

// child is the baseline server process.
type child struct {
	cmd                  *exec.Cmd
	stdin                io.Closer
	sshAddr, metricsAddr string
	once                 sync.Once
}

// startBaseline starts this program again as the baseline server, on
// loopback ports of its choosing, and learns them from its first line.
func startBaseline(title string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("baseline: finding this program: %w", err)
	}
	cmd := exec.Command(exe, "--serve-baseline", "127.0.0.1:0", "--baseline-metrics", "127.0.0.1:0", "--ready", title)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("baseline: starting %s: %w", exe, err)
	}
	c := &child{cmd: cmd, stdin: stdin}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		_, _ = io.Copy(io.Discard, stdout) // nothing more is expected
	}()
	select {
	case s := <-line:
		for _, f := range strings.Fields(s) {
			if v, ok := strings.CutPrefix(f, "ssh="); ok {
				c.sshAddr = v
			} else if v, ok := strings.CutPrefix(f, "metrics="); ok {
				c.metricsAddr = v
			}
		}
		if c.sshAddr == "" || c.metricsAddr == "" {
			c.stop()
			return nil, fmt.Errorf("baseline: it did not say where it listens (%q)", strings.TrimSpace(s))
		}
	case <-time.After(15 * time.Second):
		c.stop()
		return nil, errors.New("baseline: not listening after 15 s")
	}
	return c, nil
}

// stop ends the child: stdin closed, then killed, then reaped (bounded).
func (c *child) stop() {
	c.once.Do(func() {
		_ = c.stdin.Close()
		_ = c.cmd.Process.Kill()
		done := make(chan struct{})
		go func() {
			_ = c.cmd.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	})
}
