// Package cli is frontdoor's command line (DESIGN §4): the local console,
// serve, import, export, diagnose, user, audit, outbox, backup and check.
// Run is the whole program, so tests drive it in-process; main only calls
// it. Exit codes: 0 success, 1 failure (message on stderr naming what and
// where), 2 usage.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"frontdoor/store"
	"frontdoor/tui"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitUsage = 2
)

// IO is where a command reads and writes.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	// Clock is the time commands use; nil is the wall clock.
	Clock func() time.Time
	// Actor overrides the OS user (tests).
	Actor *store.Actor
}

func (io IO) now() time.Time {
	if io.Clock != nil {
		return io.Clock()
	}
	return time.Now()
}

// actor is who runs the command: the OS user, as admin (the local
// console and the command line are for engineers on the host).
func (io IO) actor() store.Actor {
	if io.Actor != nil {
		return *io.Actor
	}
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	return store.Actor{Name: name, Role: store.RoleAdmin}
}

// usageError is a mistake in how the command was called: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type command struct {
	name    string
	args    string
	summary string
	run     func(c *ctx) error
}

var commands []command

func init() {
	commands = []command{
		{"serve", "[--listen ADDR] [--demo] [--conn-rate N] [--idle DUR] [--max-session DUR] [--deliver-to URL --secret-file F] [--scenarios DIR] [--metrics ADDR] [--head-to FILE|URL [--head-every 1m]] " + logFlagsHelp, "serve the console over SSH", runServe},
		{"import", "FILE.jsonl | -", "add accounts from JSONL, all or nothing", runImport},
		{"export", "", "write every account as JSONL to stdout", runExport},
		{"gen", "--accounts N [--seed S] | --updates N --accounts M [--seed S] [--after SEQ]", "write N synthetic accounts as import JSONL (the same seed, the same bytes); --updates: N change-stream events updating those M accounts, for timing sync", runGen},
		{"diagnose", "EMAIL | --email E [--site S] [--problem P] [--abroad] [--other-device] [--now T] [--json]", "diagnose a caller's report", runDiagnose},
		{"user", "add NAME --role R (--key K | --key-file F) | list [--json] | role NAME ROLE | remove NAME", "manage who may connect", runUser},
		{"audit", "[--account ID] [--since DUR] [--json] | head | seal-legacy", "show the audit log, newest first; head: its newest entry, to keep elsewhere; seal-legacy: key a trail written before audit keys", runAudit},
		{"outbox", "[--ack ID] [--all] [--json] | deliver --url U --secret-file F [--backoff 1s] [--max-attempts 10] [--timeout 10s] | retry ID|KEY | retry --dead", "list, deliver or retry the messages for the platform", runOutbox},
		{"sync", "FILE|- [--follow] [--batch N] | checkpoint [--set N --reason R]", "apply the platform's change stream; checkpoint: show or set (audited) the last seq applied", runSync},
		{"version", "", "say which frontdoor this is", runVersion},
		{"act", "ACTION (--account ID | --accounts FILE|-) --reason R [--confirm] [--dry-run] [--json] | --list", "take a console action from the command line", runAct},
		{"migrate", "--to etcd://…|bbolt:DIR", "copy the store to another backend, audit trail, outbox and checkpoint with it, and check both", runMigrate},
		{"backup", "FILE [--with-key]", "write a hot, consistent copy of the store (and its audit key, if asked)", runBackup},
		{"check", "[FILE] [--head SEQ:HASH | --head-from FILE] [--legacy-ok] [--json]", "verify indexes, records, users and the keyed audit chain", runCheck},
		{"sessions", "[--json] | end NAME", "list the running server's sessions, or end a user's", runSessions},
		{"scenarios", "list [DIR] | validate [DIR]", "list or validate training scenarios (the embedded ones, or DIR's)", runScenarios},
		{"training", "report [--trainee NAME] [--json]", "practice scores over time, per trainee and per scenario", runTraining},
	}
}

// Run runs the command line and returns the exit code.
func Run(args []string, io IO) int {
	c := newCtx(io)
	err := c.dispatch(args)
	if errors.Is(err, errForward) && forwardable(args) {
		code, ferr := forward(c.dataDir, forwardArgs(args), io)
		if ferr == nil {
			return code
		}
		err = fmt.Errorf("%w; and its control socket did not answer: %v", c.inUse, ferr)
	}
	return c.finish(err)
}

// newCtx wraps the run's output so that everything it prints for a
// terminal passes the one sanitiser (tui.Sanitize): account text, audit
// reasons, the arguments a caller typed. JSON goes out through jsonOut.
func newCtx(io IO) *ctx {
	c := &ctx{raw: io.Out, rawErr: io.Err}
	c.out, c.errOut = tui.TextWriter(io.Out), tui.TextWriter(io.Err)
	io.Out, io.Err = c.out, c.errOut
	c.io = io
	return c
}

// jsonOut is where JSON goes: C1, DEL and bidi characters escaped as \u.
func (c *ctx) jsonOut() io.Writer { return tui.JSONWriter(c.raw) }

// printJSON writes v as indented JSON to jsonOut.
func (c *ctx) printJSON(v any) error {
	enc := json.NewEncoder(c.jsonOut())
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printJSONList writes a list as printJSON does, [] for none.
func printJSONList[T any](c *ctx, list []T) error {
	if list == nil {
		list = []T{}
	}
	return c.printJSON(list)
}

// finish closes what the run opened and turns its error into an exit code.
func (c *ctx) finish(err error) int {
	defer c.out.Flush()
	defer c.errOut.Flush()
	io := c.io
	if c.st != nil && !c.shared {
		c.st.Close()
	}
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintln(io.Err, "frontdoor:", err)
		fmt.Fprintln(io.Err, "Run 'frontdoor help' for usage.")
		return ExitUsage
	default:
		fmt.Fprintln(io.Err, "frontdoor:", err)
		return ExitFail
	}
}

// ctx is one run's state: flags, the store once opened.
type ctx struct {
	io          IO
	raw         io.Writer       // the caller's stdout, for JSON
	out, errOut *tui.SafeWriter // io.Out and io.Err
	dataDir     string
	auditKey    string // --audit-key: "" is the data directory's
	storeURL    string // --store: "" is the bbolt file in the data directory
	storeTLS    [3]string
	// frontEnd: open an etcd store as a front end does (serve): reads
	// from a local index in the data directory, kept current by a watch
	frontEnd bool
	st       *store.Store
	fs       *flag.FlagSet
	args     []string // positional arguments
	shared   bool     // st belongs to a server: do not close it
	inUse    error    // why the store could not be opened here
	sessions Sessions // the server's sessions, for a forwarded command
	ctx      context.Context
	rawErr   io.Writer // the caller's stderr, for a progress line
}

// context is the run's: cancelled by SIGINT or SIGTERM on the command
// line, or by the caller hanging up on a forwarded command.
func (c *ctx) context() context.Context {
	if c.ctx == nil {
		c.ctx, _ = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	}
	return c.ctx
}

func (c *ctx) dispatch(args []string) error {
	name := ""
	// the command is the first argument that is not a flag (or a store
	// flag's value: they may come before it)
	rest := []string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if name == "" && !strings.HasPrefix(a, "-") {
			name = a
			continue
		}
		rest = append(rest, a)
		if slices.Contains(storeFlagNames, strings.TrimLeft(a, "-")) && i+1 < len(args) {
			i++
			rest = append(rest, args[i])
		}
	}
	switch name {
	case "":
		if c.shared {
			return usagef("the console cannot run through the server's control socket")
		}
		return runConsole(c, rest)
	case "help":
		// help COMMAND: that command's usage and flags, as COMMAND --help
		for i := 0; i < len(rest); i++ {
			if a := rest[i]; slices.Contains(storeFlagNames, strings.TrimLeft(a, "-")) {
				i++ // its value
			} else if !strings.HasPrefix(a, "-") {
				if !slices.ContainsFunc(commands, func(cmd command) bool { return cmd.name == a }) {
					return usagef("help: unknown command %q", a)
				}
				return c.dispatch([]string{a, "--help"})
			}
		}
		c.usage(c.io.Out)
		return nil
	}
	for _, cmd := range commands {
		if cmd.name == name {
			c.fs = flag.NewFlagSet(name, flag.ContinueOnError)
			c.fs.SetOutput(io.Discard)
			c.storeFlags(c.fs)
			c.args = rest
			return cmd.run(c)
		}
	}
	return usagef("unknown command %q", name)
}

func defaultData() string {
	if d := os.Getenv("FRONTDOOR_DATA"); d != "" {
		return d
	}
	return "./data"
}

// storeFlagNames are the flags storeFlags registers, each with a value.
var storeFlagNames = []string{"data", "audit-key", "store", "store-cacert", "store-cert", "store-key"}

// storeFlags registers the flags that say where a store's parts are, the
// same for every command and the console: this is the one place to add
// one. A command forwarded to a running server takes them and ignores
// them: it runs on the server's store, with the server's key.
func (c *ctx) storeFlags(fs *flag.FlagSet) {
	if c.shared {
		for _, name := range storeFlagNames {
			fs.String(name, "", "the server's")
		}
		return
	}
	fs.StringVar(&c.dataDir, "data", defaultData(), "data directory")
	fs.StringVar(&c.auditKey, "audit-key", os.Getenv("FRONTDOOR_AUDIT_KEY"),
		"the audit key's file (default DATA/"+store.KeyFile+", or $FRONTDOOR_AUDIT_KEY): kept off the data directory, someone with the data alone cannot re-seal the audit trail")
	fs.StringVar(&c.storeURL, "store", os.Getenv("FRONTDOOR_STORE"),
		"where the store is: etcd://H1:2379,H2:2379,H3:2379[/PREFIX] (or $FRONTDOOR_STORE); default the bbolt file in --data")
	fs.StringVar(&c.storeTLS[0], "store-cacert", "", "the etcd cluster's CA certificate (PEM)")
	fs.StringVar(&c.storeTLS[1], "store-cert", "", "this client's certificate for the etcd cluster (PEM)")
	fs.StringVar(&c.storeTLS[2], "store-key", "", "that certificate's key (PEM)")
}

// storeOptions is where the store's parts are, from the store flags.
func (c *ctx) storeOptions() store.Options { return store.Options{AuditKey: c.auditKey} }

// keyPath is the audit key's file in use: the server's for a forwarded
// command, else --audit-key or the data directory's.
func (c *ctx) keyPath() string {
	if c.shared && c.st != nil {
		return c.st.KeyPath()
	}
	return c.storeOptions().KeyPath(c.dataDir)
}

// checkKey refuses an audit key file others may read (a missing one is
// for the store to judge: made for a new store, refused for a trail).
func (c *ctx) checkKey() error {
	if err := checkPrivateFile(c.keyPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("audit key: %w", err)
	}
	return nil
}

// forwardArgs are the arguments a command forwarded to the server takes
// over the socket: without --audit-key, which names a secret of this
// side that the server, holding its own key, has no use for.
func forwardArgs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		name, _, inline := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if strings.HasPrefix(args[i], "-") && name == "audit-key" {
			if !inline {
				i++ // its value
			}
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// parse parses flags wherever they stand among the positional arguments.
func (c *ctx) parse() error {
	args := c.args
	var pos []string
	c.fs.VisitAll(func(f *flag.Flag) {
		_, many := f.Value.(repeatable)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); many || (ok && b.IsBoolFlag()) {
			return // given twice means the same (a switch), or more of it
		}
		f.Value = &once{Value: f.Value}
	})
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.commandUsage(c.io.Out)
				return err
			}
			return usagef("%s: %v", c.fs.Name(), err)
		}
		args = c.fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	c.args = pos
	return nil
}

// repeatable is a flag that may be given more than once, each adding
// (--key, --key-file).
type repeatable interface{ Repeatable() }

// once is a flag of one value: a second one is a usage error, not the
// first one silently dropped (CLI review: `act --account p001 --account
// p002` acted on p002 alone, `user add --role admin --role agent` made
// an agent).
type once struct {
	flag.Value
	set bool
}

func (o *once) Set(v string) error {
	if o.set {
		return errors.New("given twice; give it once")
	}
	o.set = true
	return o.Value.Set(v)
}

// store opens the store once, creating it if there is none (the
// commands that write: import, user add, serve).
func (c *ctx) store() (*store.Store, error) { return c.open(false) }

// existingStore opens the store once; there must be one at --data (the
// commands that only read: a mistyped --data must not answer "no account"
// from a new, empty store).
func (c *ctx) existingStore() (*store.Store, error) { return c.open(true) }

func (c *ctx) open(existing bool) (*store.Store, error) {
	if c.st != nil {
		return c.st, nil
	}
	if c.dataDir == "" && c.storeURL == "" {
		return nil, usagef(`--data "": want a data directory`)
	}
	if c.storeURL != "" && !c.shared {
		return c.openCluster(existing)
	}
	open := store.OpenWith
	if existing {
		open = store.OpenExistingWith
	}
	// a server holding the store answers on its socket: forward at once
	// rather than wait out the store's lock timeout first (a forwarded
	// command took 0.95 s against 0.03 s run directly)
	if !c.shared && serverAnswers(c.dataDir) {
		c.inUse = fmt.Errorf("%s: %w", filepath.Join(c.dataDir, store.FileName), store.ErrInUse)
		return nil, errForward
	}
	if err := c.checkKey(); err != nil {
		return nil, err
	}
	st, err := open(c.dataDir, c.storeOptions())
	if errors.Is(err, store.ErrAuditKey) && c.auditKey != "" && !fileExists(c.auditKey) {
		if fileExists(filepath.Join(c.dataDir, store.KeyFile)) {
			// moving the key: the flag was given before the file was moved
			err = fmt.Errorf("%w; %s is still in the data directory: move it there (mv %s %s)",
				err, store.KeyFile, filepath.Join(c.dataDir, store.KeyFile), c.auditKey)
		}
	}
	if errors.Is(err, store.ErrInUse) {
		c.inUse = err
		return nil, errForward
	}
	if err != nil {
		return nil, err
	}
	c.st = st
	return st, nil
}

func (c *ctx) usage(w io.Writer) {
	fmt.Fprintln(w, "frontdoor: the Headway account-access support console")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  frontdoor [--data DIR]            the console in this terminal (demo data on first run)")
	for _, cmd := range commands {
		fmt.Fprintf(w, "  frontdoor %-8s %s\n", cmd.name, cmd.args)
		fmt.Fprintf(w, "  %18s %s\n", "", cmd.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command takes --data DIR (default ./data, or $FRONTDOOR_DATA),")
	fmt.Fprintln(w, "--audit-key FILE (default DIR/audit.key, or $FRONTDOOR_AUDIT_KEY) and")
	fmt.Fprintln(w, "--store URL (etcd://H1,H2,H3[/PREFIX], or $FRONTDOOR_STORE; default the bbolt file in DIR).")
	fmt.Fprintln(w, "frontdoor help COMMAND (or COMMAND --help) lists a command's flags.")
	fmt.Fprintln(w, "Exit status: 0 success, 1 failure, 2 usage error.")
}

// commandUsage is one command's help: its synopsis, then its own flags
// (the store flags every command takes are named once, at the end).
func (c *ctx) commandUsage(w io.Writer) {
	for _, cmd := range commands {
		if cmd.name == c.fs.Name() {
			fmt.Fprintln(w, strings.TrimSpace("Usage: frontdoor "+cmd.name+" "+cmd.args))
			fmt.Fprintf(w, "  %s\n", cmd.summary)
		}
	}
	var own []*flag.Flag
	c.fs.VisitAll(func(f *flag.Flag) {
		if o, ok := f.Value.(*once); ok {
			f.Value = o.Value // its own type names the value (STRING, INT)
		}
		if !slices.Contains(storeFlagNames, f.Name) {
			own = append(own, f)
		}
	})
	if len(own) > 0 {
		fmt.Fprintln(w, "\nFlags:")
	}
	for _, f := range own {
		kind, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if kind != "" {
			line += " " + strings.ToUpper(kind)
		}
		fmt.Fprintln(w, line)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			usage += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "      %s\n", usage)
	}
	fmt.Fprintln(w, "\nEvery command also takes --data DIR, --audit-key FILE, --store URL and")
	fmt.Fprintln(w, "--store-cacert/--store-cert/--store-key FILE (see frontdoor help).")
}
