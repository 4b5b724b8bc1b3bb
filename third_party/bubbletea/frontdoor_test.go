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
