package ssh

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestPasteLimit(t *testing.T) {
	big := strings.Repeat("x", 3*maxPaste)
	for _, c := range []struct{ name, in, want string }{
		{"typing passes", "abc\r", "abc\r"},
		{"a small paste passes", "a\x1b[200~hello\x1b[201~b", "a\x1b[200~hello\x1b[201~b"},
		{"a big paste is cut, its end kept", "\x1b[200~" + big + "\x1b[201~z", "\x1b[200~" + big[:maxPaste] + "\x1b[201~z"},
		{"a paste of exactly the limit passes", "\x1b[200~" + big[:maxPaste] + "\x1b[201~", "\x1b[200~" + big[:maxPaste] + "\x1b[201~"},
		{"two pastes each counted", "\x1b[200~" + big + "\x1b[201~\x1b[200~ok\x1b[201~", "\x1b[200~" + big[:maxPaste] + "\x1b[201~\x1b[200~ok\x1b[201~"},
	} {
		// one byte a read: every marker split across reads
		got, err := io.ReadAll(&pasteLimit{r: iotest.OneByteReader(strings.NewReader(c.in))})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, []byte(c.want)) {
			t.Errorf("%s: got %d bytes, want %d", c.name, len(got), len(c.want))
		}
	}
}
