package cli

import (
	"bufio"
	"bytes"
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
// socket's peer credentials, never from what the request claims.
type controlRequest struct {
	Args  []string `json:"args"`
	Stdin []byte   `json:"stdin,omitempty"`
}

type controlReply struct {
	Stdout []byte `json:"stdout"`
	Stderr []byte `json:"stderr"`
	Exit   int    `json:"exit"`
}

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
	req := controlRequest{Args: absolutePaths(args)}
	if slices.Contains(args, "-") && io_.In != nil { // import -: send standard input along
		if req.Stdin, err = io.ReadAll(io_.In); err != nil {
			return 0, err
		}
	}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return 0, err
	}
	var rep controlReply
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&rep); err != nil {
		return 0, fmt.Errorf("no answer from the server: %w", err)
	}
	io_.Out.Write(rep.Stdout)
	io_.Err.Write(rep.Stderr)
	return rep.Exit, nil
}

// absolutePaths rewrites the file arguments (import FILE, backup FILE,
// --key-file F) to absolute paths: the server resolves them, and its
// working directory is not the caller's.
func absolutePaths(args []string) []string {
	out := slices.Clone(args)
	abs := func(i int) {
		if out[i] != "-" && out[i] != "" {
			if a, err := filepath.Abs(out[i]); err == nil {
				out[i] = a
			}
		}
	}
	cmd := ""
	for i := 0; i < len(out); i++ {
		a := out[i]
		switch {
		case a == "--data" || a == "-data":
			i++ // its value is not a positional argument
		case a == "--key-file" || a == "-key-file":
			if i+1 < len(out) {
				abs(i + 1)
				i++
			}
		case strings.HasPrefix(a, "--key-file=") || strings.HasPrefix(a, "-key-file="):
			k, v, _ := strings.Cut(a, "=")
			if p, err := filepath.Abs(v); err == nil {
				out[i] = k + "=" + p
			}
		case strings.HasPrefix(a, "-"):
		case cmd == "":
			cmd = a
		case cmd == "import" || cmd == "backup":
			abs(i)
			cmd = "done" // only the first positional argument is a file
		}
	}
	return out
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
			var req controlRequest
			if err := json.NewDecoder(conn).Decode(&req); err != nil {
				return
			}
			var out, errb bytes.Buffer
			actor := store.Actor{Name: osUserName(uid), Role: store.RoleAdmin}
			c := newCtx(IO{In: bytes.NewReader(req.Stdin), Out: &out, Err: &errb, Clock: clock, Actor: &actor})
			c.st, c.shared, c.sessions = st, true, sessions
			code := c.finish(c.dispatch(req.Args))
			_ = json.NewEncoder(conn).Encode(controlReply{Stdout: out.Bytes(), Stderr: errb.Bytes(), Exit: code})
		}()
	}
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
