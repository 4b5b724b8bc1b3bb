package ssh

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Bracketed paste markers (xterm): a paste arrives between them.
var (
	pasteStart = []byte("\x1b[200~")
	pasteEnd   = []byte("\x1b[201~")
)

// maxPaste bounds one bracketed paste, in bytes. Bubble Tea gathers a
// paste by re-reading everything since its start on every 256-byte read,
// so a megabyte pasted costs seconds of CPU in that loop (found by
// TestHugePaste); nobody pastes more than this into a search box or a
// reason, and the shell keeps only tui.MaxKeyRunes of it anyway.
const maxPaste = 16 << 10

// pasteLimit passes a session's input through, cutting every bracketed
// paste at maxPaste bytes: the rest is dropped up to the paste's end
// marker, which is passed on; and dropping what comes faster than the
// user's input budget.
type pasteLimit struct {
	r       io.Reader
	budget  *inputBudget // the user's, shared by their sessions; nil: no bound
	over    func()       // called at the session's first byte over the budget
	warned  bool
	allow   int  // bytes taken from the budget and not yet passed
	asked   bool // the budget was asked once this read
	left    int  // bytes of this read not yet filtered
	inPaste bool
	seen    bool   // the program saw the current paste's start marker
	run     int    // bytes passed on in a row outside a paste
	n       int    // bytes of the current paste passed on
	tail    []byte // the last bytes seen, to find markers split across reads
	buf     []byte // read into, again and again
	out     []byte
}

func (p *pasteLimit) Read(b []byte) (int, error) {
	for len(p.out) == 0 {
		if p.buf == nil {
			p.buf = make([]byte, 4<<10)
		}
		buf := p.buf[:min(len(b), len(p.buf))]
		n, err := p.r.Read(buf)
		p.asked = false
		p.filter(buf[:n])
		if err != nil && len(p.out) == 0 {
			return 0, err
		}
		if err != nil {
			break
		}
	}
	n := copy(b, p.out)
	p.out = p.out[n:]
	return n, nil
}

func (p *pasteLimit) filter(in []byte) {
	for i, c := range in {
		p.left = len(in) - i
		p.tail = append(p.tail, c)
		if len(p.tail) > len(pasteEnd) {
			p.tail = p.tail[1:]
		}
		switch {
		case !p.inPaste:
			if p.spend() {
				p.out = append(p.out, c)
				p.run++
			} else {
				p.run = 0
			}
			if bytes.HasSuffix(p.tail, pasteStart) {
				// the program saw this paste begin only if the whole
				// marker went on
				p.inPaste, p.n, p.seen = true, 0, p.run >= len(pasteStart)
			}
		case bytes.HasSuffix(p.tail, pasteEnd):
			switch {
			case !p.seen: // its start was dropped: so is its end
			case p.n > maxPaste: // the marker's first bytes were dropped with the rest
				p.out = append(p.out, pasteEnd...)
			default:
				p.out = append(p.out, c)
			}
			p.inPaste, p.run = false, 0
		case p.n < maxPaste && p.spend():
			p.out = append(p.out, c)
			p.n++
		default:
			p.n = maxPaste + 1 // dropping until the end marker
		}
	}
}

// spend passes one byte under the budget, or counts it dropped. Every
// byte is charged but a capped paste's end marker, which goes on only
// for a paste whose start went on (charged): so what passes free is
// bounded by what was charged.
func (p *pasteLimit) spend() bool {
	if p.budget == nil {
		return true
	}
	if p.allow == 0 && !p.asked { // once a read: what it may pass, taken when first needed
		p.allow, p.asked = p.budget.take(p.left), true
	}
	if p.allow > 0 {
		p.allow--
		return true
	}
	p.budget.dropped.Add(1)
	if !p.warned && p.over != nil {
		p.warned = true
		p.over()
	}
	return false
}

// Input budget: every byte a session reads costs its program CPU
// (Bubble Tea turns it into key messages, the shell and the screen
// handle each), so one user pasting a megabyte without bracketed paste
// into each of their eight sessions had slowed every other agent's
// keystrokes tenfold. A user's sessions share one budget: a burst of
// inputBurst bytes (a whole bracketed paste fits), then inputRate bytes
// a second, far above any typing or key repeat; what comes faster is
// dropped, so the flooding session stays answerable (its ctrl+c is not
// queued behind a megabyte) and the others are not slowed.
const (
	inputRate  = 4 << 10
	inputBurst = 2*maxPaste + 1024
)

// inputBudget is one user's allowance of input bytes.
type inputBudget struct {
	lim     *rate.Limiter
	now     func() time.Time
	dropped atomic.Int64 // bytes dropped over the budget, for the log and tests
}

func newInputBudget(now func() time.Time) *inputBudget {
	if now == nil {
		now = time.Now
	}
	return &inputBudget{lim: rate.NewLimiter(inputRate, inputBurst), now: now}
}

// take reserves up to n bytes now and says how many it got.
func (b *inputBudget) take(n int) int {
	if b == nil || n <= 0 {
		return n
	}
	now := b.now()
	k := min(n, int(b.lim.TokensAt(now)))
	if k <= 0 || !b.lim.AllowN(now, k) {
		return 0
	}
	return k
}

// inputBudgets hands each user one budget, kept while any of their
// sessions holds it.
type inputBudgets struct {
	mu    sync.Mutex
	now   func() time.Time
	users map[string]*heldBudget
}

type heldBudget struct {
	*inputBudget
	holders int
}

// hold is user's budget, and the function that lets it go.
func (bs *inputBudgets) hold(user string) (*inputBudget, func()) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.users == nil {
		bs.users = map[string]*heldBudget{}
	}
	h := bs.users[user]
	if h == nil {
		h = &heldBudget{inputBudget: newInputBudget(bs.now)}
		bs.users[user] = h
	}
	h.holders++
	var once sync.Once
	return h.inputBudget, func() {
		once.Do(func() {
			bs.mu.Lock()
			defer bs.mu.Unlock()
			if h.holders--; h.holders == 0 && bs.users[user] == h {
				delete(bs.users, user)
			}
		})
	}
}
