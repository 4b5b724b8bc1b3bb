package training

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Room is the server's practice room: the scenario library, and who is
// practising now, so a trainer can watch a trainee's screen live and the
// trainee sees they are watched. One per server; safe for concurrent use.
type Room struct {
	Library Library
	// SandboxDir is where practices make their sandboxes ("" for the
	// system's temporary directory). A server puts them in its data
	// directory, which it holds alone, and clears what a crash left there
	// when it starts (ClearSandboxes).
	SandboxDir string

	mu    sync.Mutex
	desks map[*Desk]struct{}
}

// ClearSandboxes removes the sandboxes a killed process left in dir. Only
// the process that holds dir's store may call it: no practice of another
// process can be running there.
func ClearSandboxes(dir string) error {
	names, err := filepath.Glob(filepath.Join(dir, "frontdoor-practice-*"))
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		errs = append(errs, os.RemoveAll(n))
	}
	return errors.Join(errs...)
}

// NewRoom makes a room over a library.
func NewRoom(lib Library) *Room { return &Room{Library: lib, desks: map[*Desk]struct{}{}} }

// Desk is one practice session as watchers see it: the trainee's latest
// frame and who is watching.
type Desk struct {
	Trainee  string
	Scenario string
	Since    time.Time

	room     *Room
	mu       sync.Mutex
	frame    string
	changed  chan struct{} // closed and replaced when the frame changes or the practice ends
	watchers map[string]int
	seen     chan struct{} // closed and replaced when the watchers change
	ended    bool
}

// Sit opens a desk for a trainee's practice; Leave closes it.
func (r *Room) Sit(trainee, scenario string, now time.Time) *Desk {
	d := &Desk{Trainee: trainee, Scenario: scenario, Since: now, room: r, changed: make(chan struct{}), seen: make(chan struct{}), watchers: map[string]int{}}
	r.mu.Lock()
	r.desks[d] = struct{}{}
	r.mu.Unlock()
	return d
}

// Leave ends the desk: its watchers see the practice end.
func (d *Desk) Leave() {
	d.room.mu.Lock()
	delete(d.room.desks, d)
	d.room.mu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.ended {
		d.ended = true
		close(d.changed)
		close(d.seen)
	}
}

// Publish shows a new frame of the trainee's screen to the watchers. An
// unchanged frame wakes no one. Only what draws the screen is published
// (Drawable): the trainee's clipboard copy (OSC 52) rode in the frame's
// header and wrote the watching trainer's clipboard.
func (d *Desk) Publish(frame string) {
	frame = Drawable(frame)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ended || frame == d.frame {
		return
	}
	d.frame = frame
	close(d.changed)
	d.changed = make(chan struct{})
}

// Drawable keeps of a frame only what draws a screen: text, line breaks,
// tabs, carriage returns, and CSI sequences that colour (SGR), move the
// cursor or erase. Everything else a terminal acts on is dropped: OSC
// (clipboard 52, titles 0/1/2, hyperlinks), DCS, APC, PM and SOS strings,
// other escape sequences, CSI queries whose answer the watcher's terminal
// would type into the watcher's session, bells and other controls. A
// frame is our own rendering; this is the boundary where one person's
// terminal output becomes another's.
func Drawable(frame string) string {
	if !hasControls(frame) {
		return frame
	}
	var b strings.Builder
	b.Grow(len(frame))
	var state byte
	for s := frame; len(s) > 0; {
		seq, _, n, next := ansi.DecodeSequence(s, state, nil)
		state = next
		if n <= 0 {
			break
		}
		s = s[n:]
		r, _ := utf8.DecodeRuneInString(seq)
		switch c := seq[0]; {
		case c == ansi.ESC:
			if drawingCSI(seq) {
				b.WriteString(seq)
			}
		case c < 0x20 || c == 0x7f:
			if c == '\n' || c == '\t' || c == '\r' {
				b.WriteByte(c)
			}
		case c >= 0x80 && c < 0xa0, r >= 0x80 && r < 0xa0:
			// a C1 control, as a byte or a rune: a sequence's introducer
		default:
			b.WriteString(seq)
		}
	}
	return b.String()
}

// hasControls: a frame with no ESC, C0 control but a line break, or C1
// needs no work.
func hasControls(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' || c == 0x7f {
			return true
		}
	}
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 && r < 0xa0 })
}

// drawingCSI: seq is ESC [ … with a final byte that colours (m), moves
// the cursor (A–H, f, d, `) or erases (J, K, X), and no private marker (a
// mode switch or a query such as ESC[?1049h or ESC[6n is not drawing).
func drawingCSI(seq string) bool {
	if len(seq) < 3 || seq[0] != ansi.ESC || seq[1] != '[' {
		return false
	}
	body, final := seq[2:len(seq)-1], seq[len(seq)-1]
	for i := 0; i < len(body); i++ {
		if c := body[i]; (c < '0' || c > '9') && c != ';' && c != ':' {
			return false
		}
	}
	return strings.IndexByte("mABCDEFGHfd`JKX", final) >= 0
}

// Frame is the latest frame, a channel closed when it changes, and
// whether the practice has ended.
func (d *Desk) Frame() (frame string, changed <-chan struct{}, ended bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.frame, d.changed, d.ended
}

// Watchers lists who is watching, by name, and a channel closed when
// that changes (the trainee's header says who watches).
func (d *Desk) Watchers() ([]string, <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for n := range d.watchers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, d.seen
}

// watchersChanged wakes whoever waits on the watchers; d.mu is held.
func (d *Desk) watchersChanged() {
	if !d.ended {
		close(d.seen)
		d.seen = make(chan struct{})
	}
}

// ErrNotPractising: no practice by that trainee is open.
var ErrNotPractising = errors.New("is not practising now")

// Watch starts watching the trainee's latest practice; stop ends it.
// A trainee cannot watch themselves.
func (r *Room) Watch(trainee, watcher string) (d *Desk, stop func(), err error) {
	r.mu.Lock()
	for desk := range r.desks {
		if desk.Trainee == trainee && (d == nil || desk.Since.After(d.Since)) {
			d = desk
		}
	}
	r.mu.Unlock()
	if d == nil {
		return nil, nil, ErrNotPractising
	}
	if trainee == watcher {
		return nil, nil, errors.New("you cannot watch your own practice")
	}
	d.mu.Lock()
	d.watchers[watcher]++
	d.watchersChanged()
	d.mu.Unlock()
	var once sync.Once
	return d, func() {
		once.Do(func() {
			d.mu.Lock()
			if d.watchers[watcher]--; d.watchers[watcher] <= 0 {
				delete(d.watchers, watcher)
			}
			d.watchersChanged()
			d.mu.Unlock()
		})
	}, nil
}

// Practising lists the open desks, oldest first.
func (r *Room) Practising() []*Desk {
	r.mu.Lock()
	out := make([]*Desk, 0, len(r.desks))
	for d := range r.desks {
		out = append(out, d)
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b *Desk) int { return a.Since.Compare(b.Since) })
	return out
}
