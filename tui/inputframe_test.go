package tui

import (
	"io"
	"testing"

	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// InputFrame draws what lipgloss draws for Styles.Input, byte for byte,
// on every colour profile, whatever the box holds.
func TestInputFrameIsTheInputStyle(t *testing.T) {
	for _, profile := range []termenv.Profile{termenv.Ascii, termenv.ANSI, termenv.ANSI256, termenv.TrueColor} {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(profile)
		st := NewStyles(r)
		in := textinput.New()
		in.Prompt = "Find: "
		in.PromptStyle = st.Key
		in.Placeholder = "name, id, whole email"
		in.Focus()
		var f InputFrame
		for _, width := range []int{80, 40, 12, 5, 200} {
			in.Width = max(width-10, 10)
			for _, v := range []string{"", "maria", "zoë o'brien-núñez", "李小龍", "a very long query that is wider than a small box can hold"} {
				in.SetValue(v)
				content := in.View()
				want := st.Input.Width(width - 2).Render(content)
				if got := f.Render(st, width, content); got != want {
					t.Errorf("profile %v, width %d, %q:\n got %q\nwant %q", profile, width, v, got, want)
				}
			}
		}
	}
}

// Colours resolved once, as the styles are made, draw what lipgloss's
// adaptive colours drew at each Render, on every profile and background.
func TestStylesDrawAsAdaptiveColoursDid(t *testing.T) {
	for _, profile := range []termenv.Profile{termenv.Ascii, termenv.ANSI, termenv.ANSI256, termenv.TrueColor} {
		for _, dark := range []bool{true, false} {
			r := lipgloss.NewRenderer(io.Discard)
			r.SetColorProfile(profile)
			r.SetHasDarkBackground(dark)
			st := NewStyles(r)
			for name, c := range map[string]struct {
				got  lipgloss.Style
				want lipgloss.Style
			}{
				"header": {st.Header, r.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#5A3FD6", Dark: "#A393FF"})},
				"muted":  {st.Muted, r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#8A8A8A"})},
				"live": {st.BadgeLive, r.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#FFFFFF"}).
					Background(lipgloss.AdaptiveColor{Light: "#B42318", Dark: "#B42318"}).Padding(0, 1)},
				"input": {st.Input, r.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(lipgloss.AdaptiveColor{Light: "#5A3FD6", Dark: "#A393FF"}).Padding(0, 1)},
			} {
				if got, want := c.got.Render("Maria Lopez"), c.want.Render("Maria Lopez"); got != want {
					t.Errorf("%s, profile %v, dark %v:\n got %q\nwant %q", name, profile, dark, got, want)
				}
			}
		}
	}
}

// Width's quick way counts what ansi.StringWidth counts.
func TestWidthIsStringWidth(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	st := NewStyles(r)
	for _, s := range []string{
		"", "maria", st.Key.Render("enter") + " open", st.Selected.Render("› Pat Number00010") + "  u***0@example.com",
		"zoë o'brien", "李小龍", "\x1b[38;5;141m│\x1b[0m Find: maria", "tab\there", "\x1b]8;;http://x\x07link\x1b]8;;\x07",
		"\x1b[", "\x1b[31", "\x1b[31m", "a\x1bb", "\x7f", "e\u0301", "👩‍⚕️ nurse",
	} {
		if got, want := Width(s), ansi.StringWidth(s); got != want {
			t.Errorf("Width(%q) = %d, ansi.StringWidth %d", s, got, want)
		}
	}
}

func FuzzWidth(f *testing.F) {
	f.Add("\x1b[1;38;5;141mFind\x1b[0m: ma")
	f.Add("› Zoë — “x” …│e\u0301↑")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Width(s), ansi.StringWidth(s); got != want {
			t.Fatalf("Width(%q) = %d, ansi.StringWidth %d", s, got, want)
		}
	})
}

// Each rune the quick Width counts as one cell is one cell to
// ansi.StringWidth, alone, between letters, and after a colour.
func TestWidthOfOneCellRunes(t *testing.T) {
	for r := rune(0x80); r < 0x3000; r++ {
		if !oneCell(r) {
			continue
		}
		for _, s := range []string{string(r), "a" + string(r) + "b", "\x1b[1m" + string(r) + "\x1b[0m" + string(r)} {
			if got, want := Width(s), ansi.StringWidth(s); got != want {
				t.Errorf("Width(%q) = %d, ansi.StringWidth %d", s, got, want)
			}
		}
	}
}
