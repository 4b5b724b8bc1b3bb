package training

import (
	"testing"
	"time"
)

// TestDrawable: a published frame keeps what draws and loses everything
// else a terminal acts on (issue 20, item 15).
func TestDrawable(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Find an account\nMarcus Bell", "Find an account\nMarcus Bell"},
		{"colour and cursor", "\x1b[1;38;5;212mfrontdoor\x1b[0m\x1b[2;1H\x1b[K│ x", "\x1b[1;38;5;212mfrontdoor\x1b[0m\x1b[2;1H\x1b[K│ x"},
		{"clipboard (BEL)", "head\x1b]52;c;c3RlcHM=\a\nbody", "head\nbody"},
		{"clipboard (ST)", "head\x1b]52;c;c3RlcHM=\x1b\\\nbody", "head\nbody"},
		{"titles", "\x1b]0;pwned\a\x1b]1;x\a\x1b]2;y\x1b\\ok", "ok"},
		{"hyperlink", "\x1b]8;;https://evil\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"dcs apc pm sos", "\x1bPq#0\x1b\\\x1b_G a=T\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\ok", "ok"},
		{"bell and controls", "a\ab\x00c\x7fd\x08e", "abcde"},
		{"queries and modes", "\x1b[6n\x1b[c\x1b[>c\x1b[?1049h\x1b[21t\x1b[?25lok", "ok"},
		{"C1 as bytes", "a\x9b6n\x9d52;c;x\x07b", "ab"},
		{"C1 as runes", "a\u009b6n\u009d52;c;x\u009cb", "a6n52;c;xb"},
		{"other escapes", "\x1bc\x1b7\x1b8\x1b(0ok", "ok"},
		{"wide and combining text", "日本 e\u0301 ✓ ›", "日本 e\u0301 ✓ ›"},
	} {
		if got := Drawable(tc.in); got != tc.want {
			t.Errorf("%s: Drawable(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// The desk publishes the drawable frame: what a watcher reads never has
// the trainee's clipboard.
func TestPublishStripsClipboard(t *testing.T) {
	room := NewRoom(nil)
	d := room.Sit("sam", "expired-link", time.Now())
	defer d.Leave()
	d.Publish("frontdoor\x1b]52;c;c3RlcHM=\a\nbody")
	if frame, _, _ := d.Frame(); frame != "frontdoor\nbody" {
		t.Fatalf("published %q", frame)
	}
}
