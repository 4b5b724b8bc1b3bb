package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"frontdoor/store"
)

// While `frontdoor serve` runs it holds the store's lock, so a second
// process cannot open it. Instead of failing, a command that finds the
// store in use forwards itself to the server over a Unix socket in the
// data directory (mode 0600, so only the same OS user can use it); the
// server runs it against its open store and returns the output.

// ControlSocket is the socket's name in the data directory.
const ControlSocket = "frontdoor.sock"

// errForward: the store is held by a server; run the command there.
var errForward = errors.New("store held by a running server")

// controlRequest carries no name: the server takes who is asking from the
// socket's peer credentials, never from what the request claims. It is
// one JSON line; with Stdin set, the caller's standard input follows it
// on the connection until the caller closes its side (a `sync -` fed by
// kcat streams through). Without, the caller closing its side (ctrl+c)
// cancels the command.
type controlRequest struct {
	Args  []string `json:"args"`
	Stdin bool     `json:"stdin,omitempty"`
}

// controlWriteTimeout: a caller that has read nothing of its command's
// output for this long is cut off (the command's output was spooled, so
// no store transaction waited on it meanwhile).
const controlWriteTimeout = 2 * time.Minute

// forwardable commands: everything but the console and serve.
func forwardable(args []string) bool {
	for _, a := range args {
		if a == "serve" {
			return false
		}
	}
	return true
}

// serverAnswers: a server is listening on dataDir's control socket.
func serverAnswers(dataDir string) bool {
	conn, err := net.DialTimeout("unix", filepath.Join(dataDir, ControlSocket), 200*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// forward sends the command to the server that holds dataDir's store.
func forward(dataDir string, args []string, io_ IO) (int, error) {
	conn, err := net.DialTimeout("unix", filepath.Join(dataDir, ControlSocket), 2*time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	args, stdin := forwardPaths(args)
	req := controlRequest{Args: args, Stdin: stdin && io_.In != nil}
	if err := json.NewEncoder(conn).Encode(req); err != nil { // one line
		return 0, err
	}
	if req.Stdin { // import -, sync -: standard input follows, streamed
		go func() {
			io.Copy(conn, io_.In)
			conn.(*net.UnixConn).CloseWrite()
		}()
	}
	return readFrames(bufio.NewReaderSize(conn, frameChunk), io_.Out, io_.Err)
}

// Flags whose value is a file, and flags that take any other value: the
// server resolves paths in its own working directory, not the caller's.
var (
	pathFlags  = []string{"key-file", "accounts", "secret-file", "head-from"}
	valueFlags = []string{"data", "head", "email", "site", "problem", "now", "role", "key", "since", "account", "ack", "url",
		"reason", "target", "set", "trainee", "checks", "batch", "backoff", "max-attempts", "timeout", "listen", "idle", "max-session", "conn-rate", "deliver-to"}
	// the commands whose first positional argument is a file
	fileArgCommands = []string{"import", "backup", "sync", "check"}
)

// stdinNames are this process's standard input by name: the server
// opening them would read its own, so they become "-", the caller's
// input streamed over the socket.
var stdinNames = []string{"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"}

// absolutePaths rewrites the file arguments (import FILE, --key-file F,
// …) to absolute paths, for the server to open.
func absolutePaths(args []string) []string {
	out, _ := forwardPaths(args)
	return out
}

// forwardPaths is absolutePaths, and says whether a file argument is
// standard input (import -, sync -, act --accounts -): the request then
// streams the caller's input after it.
func forwardPaths(args []string) ([]string, bool) {
	out := slices.Clone(args)
	stdin := false
	// abs makes p absolute; a name of standard input, where the command
	// reads the file (not backup's, which it writes), becomes "-"
	abs := func(p string, reads bool) string {
		if reads && slices.Contains(stdinNames, p) {
			stdin = true
			return "-"
		}
		if p == "" || p == "-" {
			return p
		}
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	cmd, fileDone := "", false
	for i := 0; i < len(out); i++ {
		a := out[i]
		if name, ok := strings.CutPrefix(strings.TrimPrefix(a, "-"), "-"); a != "-" && (ok || strings.HasPrefix(a, "-")) {
			if !ok {
				name = strings.TrimPrefix(a, "-")
			}
			name, value, inline := strings.Cut(name, "=")
			isPath := slices.Contains(pathFlags, name)
			reads := name == "accounts"
			switch {
			case inline && isPath:
				out[i] = a[:len(a)-len(value)] + abs(value, reads)
			case !inline && (isPath || slices.Contains(valueFlags, name)) && i+1 < len(out):
				if isPath {
					out[i+1] = abs(out[i+1], reads)
				}
				i++ // the value is not a positional argument
			}
			continue
		}
		switch {
		case cmd == "":
			cmd = a
		case !fileDone && cmd == "sync" && a == "checkpoint":
			fileDone = true // sync's subcommand, not a file
		case !fileDone && slices.Contains(fileArgCommands, cmd):
			// only the first positional argument is a file
			out[i], fileDone = abs(a, cmd == "import" || cmd == "sync"), true
		}
	}
	return out, stdin
}

// ServeControl answers forwarded commands on ln against st, and the
// server's sessions, until ln closes. The actor is the OS user of the
// peer's credentials (only the server's own user is let in at all).
func ServeControl(ln net.Listener, st *store.Store, clock func() time.Time, sessions Sessions) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			uid, ok := peerUID(conn)
			if !ok || uid != os.Getuid() {
				return
			}
			br := bufio.NewReader(conn)
			head, err := br.ReadBytes('\n')
			var req controlRequest
			if err != nil || json.Unmarshal(head, &req) != nil {
				return
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var in io.Reader = bytes.NewReader(nil)
			if req.Stdin {
				in = br
			} else {
				go func() { // the caller hung up: stop (a sync --follow)
					io.Copy(io.Discard, br)
					cancel()
				}()
			}
			sp, err := newSpool(filepath.Dir(ln.Addr().String()))
			if err != nil {
				sp, err = newSpool(os.TempDir())
			}
			if err != nil {
				return
			}
			sent := make(chan struct{})
			go func() {
				defer close(sent)
				if sp.sendTo(deadlineWriter{conn, controlWriteTimeout}) != nil {
					cancel() // the caller is gone: stop the command
				}
			}()
			out := &forwardedOutput{s: sp}
			out.w = bufio.NewWriterSize(outputFrames{sp, frameStdout}, frameChunk)
			actor := store.Actor{Name: osUserName(uid), Role: store.RoleAdmin}
			c := newCtx(IO{In: in, Out: funcWriter(out.stdout), Err: funcWriter(out.stderr), Clock: clock, Actor: &actor})
			c.st, c.shared, c.sessions, c.ctx = st, true, sessions, ctx
			// the server's data directory, for messages naming --data
			// (the caller's --data is ignored here)
			c.dataDir = filepath.Dir(ln.Addr().String())
			code := c.finish(c.dispatch(req.Args))
			out.exit(code)
			<-sent
		}()
	}
}

// forwardedOutput is a forwarded command's stdout (buffered into frames
// of up to frameChunk) and stderr (unbuffered, after what stdout has
// written so far, so the caller sees them in the order written).
type forwardedOutput struct {
	mu sync.Mutex
	s  *spool
	w  *bufio.Writer
}

func (o *forwardedOutput) stdout(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Write(p)
}

func (o *forwardedOutput) stderr(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.w.Flush(); err != nil {
		return 0, err
	}
	return outputFrames{o.s, frameStderr}.Write(p)
}

// exit sends what is left and the exit code, the last frame.
func (o *forwardedOutput) exit(code int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.w.Flush() == nil {
		o.s.frame(frameExit, []byte(strconv.Itoa(code)))
	}
	o.s.close()
}

type funcWriter func([]byte) (int, error)

func (f funcWriter) Write(p []byte) (int, error) { return f(p) }

// deadlineWriter writes to conn, each write within timeout.
type deadlineWriter struct {
	conn    net.Conn
	timeout time.Duration
}

func (d deadlineWriter) Write(p []byte) (int, error) {
	d.conn.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.conn.Write(p)
}

// osUserName names uid as the system does, or "uid:N".
func osUserName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid:" + strconv.Itoa(uid)
}

// ListenControl opens the control socket in dataDir, replacing a stale one.
func ListenControl(dataDir string) (net.Listener, error) {
	path := filepath.Join(dataDir, ControlSocket)
	_ = os.Remove(path) // we hold the store's lock: any socket here is stale
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// peerUID is the uid of the process at the other end of a Unix socket.
func peerUID(conn net.Conn) (int, bool) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return 0, false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var cred *syscall.Ucred
	_ = raw.Control(func(fd uintptr) {
		cred, err = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	if err != nil || cred == nil {
		return 0, false
	}
	return int(cred.Uid), true
}
