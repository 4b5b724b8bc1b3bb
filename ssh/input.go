package ssh

import (
	"bytes"
	"io"
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
// marker, which is passed on.
type pasteLimit struct {
	r       io.Reader
	inPaste bool
	n       int    // bytes of the current paste passed on
	tail    []byte // the last bytes seen, to find markers split across reads
	out     []byte
}

func (p *pasteLimit) Read(b []byte) (int, error) {
	for len(p.out) == 0 {
		buf := make([]byte, len(b))
		n, err := p.r.Read(buf)
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
	for _, c := range in {
		p.tail = append(p.tail, c)
		if len(p.tail) > len(pasteEnd) {
			p.tail = p.tail[1:]
		}
		switch {
		case !p.inPaste:
			p.out = append(p.out, c)
			if bytes.HasSuffix(p.tail, pasteStart) {
				p.inPaste, p.n = true, 0
			}
		case bytes.HasSuffix(p.tail, pasteEnd):
			if p.n > maxPaste { // the marker's first bytes were dropped with the rest
				p.out = append(p.out, pasteEnd...)
			} else {
				p.out = append(p.out, c)
			}
			p.inPaste = false
		case p.n < maxPaste:
			p.out = append(p.out, c)
			p.n++
		default:
			p.n = maxPaste + 1 // dropping until the end marker
		}
	}
}
