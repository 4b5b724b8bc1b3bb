package tea

// Tests of the frontdoor patch (FRONTDOOR.md): frames on change.

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer the renderer's goroutine and the test
// share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits for want in out, failing after a while far shorter than
// the framerate the tests set (an hour): a renderer waiting for a tick
// would never draw it.
func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%q not drawn; output %q", want, out.String())
		}
		time.Sleep(time.Millisecond)
	}
}

func onChangeRenderer(out *syncBuffer) *standardRenderer {
	r := newRenderer(out, false, 1).(*standardRenderer)
	r.framerate = time.Hour
	r.onChange = true
	return r
}

func TestFramesOnChangeDrawsAWriteAtOnce(t *testing.T) {
	out := &syncBuffer{}
	r := onChangeRenderer(out)
	r.start()
	defer r.kill()
	if r.ticker != nil {
		t.Fatal("a ticker runs with frames on change")
	}
	r.write("first frame")
	waitFor(t, out, "first frame")
}

func TestFramesOnChangeDrawsAtMostOneAFramerate(t *testing.T) {
	out := &syncBuffer{}
	r := onChangeRenderer(out)
	r.start()
	r.write("first frame")
	waitFor(t, out, "first frame")
	r.write("second frame") // within the hour: waits for the frame due
	r.write("third frame")
	time.Sleep(50 * time.Millisecond)
	if got := out.String(); strings.Contains(got, "second") || strings.Contains(got, "third") {
		t.Fatalf("a second frame within the framerate was drawn: %q", got)
	}
	r.stop() // draws the last frame written
	if got := out.String(); !strings.Contains(got, "third frame") || strings.Contains(got, "second") {
		t.Fatalf("stop drew %q, want the third frame alone", got)
	}
}

func TestFramesOnChangeRepaintDrawsAgain(t *testing.T) {
	out := &syncBuffer{}
	r := onChangeRenderer(out)
	r.framerate = time.Nanosecond // no wait between frames
	r.start()
	defer r.kill()
	r.write("the frame")
	waitFor(t, out, "the frame")
	r.mtx.Lock()
	r.repaint() // a resize, a cleared screen: the same view is drawn again
	r.mtx.Unlock()
	r.write("the frame")
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), "the frame") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the view written after a repaint was not drawn again: %q", out.String())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWithFramesOnChange(t *testing.T) {
	for _, on := range []bool{false, true} {
		var opts []ProgramOption
		if on {
			opts = append(opts, WithFramesOnChange())
		}
		p := NewProgram(nil, append(opts, WithInput(nil), WithOutput(&syncBuffer{}))...)
		if got := p.startupOptions.has(withFramesOnChange); got != on {
			t.Errorf("option given %v: set %v", on, got)
		}
	}
}

// flushed renders frames one after another through flush, as the
// renderer's goroutine would, and returns what the last one wrote.
func flushed(r *standardRenderer, out *syncBuffer, frames ...string) string {
	var before int
	for _, f := range frames {
		before = len(out.String())
		r.write(f)
		r.flush()
	}
	return out.String()[before:]
}

// In the alternate screen, a frame whose last changed line is above the
// bottom writes no newline past it: the cursor is parked by position.
func TestFramesOnChangeStopAtTheLastChangedLine(t *testing.T) {
	out := &syncBuffer{}
	r := onChangeRenderer(out)
	r.altScreenActive = true
	r.width, r.height = 20, 6
	got := flushed(r, out, "top\nbox: m\na\nb\nc\nfooter", "top\nbox: ma\na\nb\nc\nfooter")
	want := "\x1b[H" + "\n" + "box: ma\x1b[K" + "\x1b[6;H"
	if got != want {
		t.Fatalf("second frame wrote %q, want %q", got, want)
	}
	// a change on the last line is written as upstream does
	got = flushed(r, out, "top\nbox: ma\na\nb\nc\nfooter 2")
	want = "\x1b[H" + "\n\n\n\n\n" + "footer 2\x1b[K" + "\x1b[6;H"
	if got != want {
		t.Fatalf("a change on the last line wrote %q, want %q", got, want)
	}
	// a frame shorter than the last goes upstream's way, every line
	// stepped over and the rest erased (the patch is not applied)
	got = flushed(r, out, "top\nbox: mar\na")
	want = "\x1b[H" + "\n" + "box: mar\x1b[K" + "\r\n" + "\x1b[J" + "\x1b[3;H"
	if got != want {
		t.Fatalf("a shorter frame wrote %q, want %q", got, want)
	}
}
