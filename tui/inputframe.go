package tui

import "strings"

// InputFrame draws a one-line input as Styles.Input does (a box, one
// space of padding), with the box's edges drawn once for a width: a key
// typed changes only the line between them, where lipgloss laid out the
// whole box again — borders, padding, the width of every line — at each
// key, a quarter of a keystroke's server CPU with a floor typing (issue
// 23). Content wider than the box is drawn by lipgloss, as before.
type InputFrame struct {
	width             int
	top, bottom, side string
}

// Render is st.Input.Width(width-2).Render(content) for a line of
// content.
func (f *InputFrame) Render(st Styles, width int, content string) string {
	inner := width - 4 // the borders and the padding
	w := Width(content)
	if w > inner {
		// a text input pads its view with spaces to its width (and one
		// for the cursor): lipgloss's wrapping drops them at the edge
		trimmed := strings.TrimRight(content, " ")
		w -= len(content) - len(trimmed)
		content = trimmed
	}
	if inner < 1 || w > inner || strings.Contains(content, "\n") {
		return st.Input.Width(width - 2).Render(content)
	}
	if f.width != width || f.side == "" {
		edge := st.InputEdge
		f.width = width
		f.top = edge.Render("┌" + strings.Repeat("─", width-2) + "┐")
		f.bottom = edge.Render("└" + strings.Repeat("─", width-2) + "┘")
		f.side = edge.Render("│")
	}
	return f.top + "\n" + f.side + " " + content + strings.Repeat(" ", inner-w) + " " + f.side + "\n" + f.bottom
}
