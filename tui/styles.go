package tui

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles are built per session from its renderer. Colours are adaptive
// (light and dark backgrounds), chosen for the renderer's and dropped for
// NO_COLOR and ASCII terminals and downsampled for 16- and 256-colour
// ones as the styles are made, so every meaning also has a word or a
// symbol, never colour alone.
type Styles struct {
	Header, HeaderDim lipgloss.Style
	BadgeLive         lipgloss.Style
	BadgeDemo         lipgloss.Style
	BadgeTraining     lipgloss.Style
	BadgeDown         lipgloss.Style // the store does not answer
	Title             lipgloss.Style
	Label             lipgloss.Style
	Muted             lipgloss.Style
	Rule              lipgloss.Style
	Good, Warn, Bad   lipgloss.Style
	Selected          lipgloss.Style
	Key, KeyDesc      lipgloss.Style
	Box, Lead         lipgloss.Style
	Input             lipgloss.Style
	InputEdge         lipgloss.Style // Input's border, for InputFrame
	Toast, ToastBad   lipgloss.Style
}

// NewStyles builds the styles for one renderer.
func NewStyles(r *lipgloss.Renderer) Styles {
	// Each colour is chosen for r's background and converted to r's
	// profile here, once: an adaptive hex colour is chosen and converted
	// at every Render, and the conversion to 256 colours is a search for
	// the nearest of them, a sixth of a keystroke's drawing with a floor
	// typing (issue 23). The renderer's background and profile are set
	// before its styles are made (ssh.Server, the local console).
	c := func(light, dark string) lipgloss.TerminalColor {
		hex := light
		if r.HasDarkBackground() {
			hex = dark
		}
		switch col := r.ColorProfile().Color(hex).(type) {
		case termenv.ANSIColor:
			return lipgloss.ANSIColor(col)
		case termenv.ANSI256Color:
			return lipgloss.ANSIColor(col)
		case termenv.RGBColor:
			return lipgloss.Color(col)
		default: // no colour: NO_COLOR, an ASCII terminal
			return lipgloss.NoColor{}
		}
	}
	accent := c("#5A3FD6", "#A393FF")
	muted := c("#6B6B6B", "#8A8A8A")
	return Styles{
		Header:        r.NewStyle().Bold(true).Foreground(accent),
		HeaderDim:     r.NewStyle().Foreground(muted),
		BadgeLive:     r.NewStyle().Bold(true).Foreground(c("#FFFFFF", "#FFFFFF")).Background(c("#B42318", "#B42318")).Padding(0, 1),
		BadgeDemo:     r.NewStyle().Bold(true).Foreground(c("#000000", "#000000")).Background(c("#F5C518", "#F5C518")).Padding(0, 1),
		BadgeTraining: r.NewStyle().Bold(true).Foreground(c("#FFFFFF", "#FFFFFF")).Background(c("#1D5FD6", "#1D5FD6")).Padding(0, 1),
		BadgeDown:     r.NewStyle().Bold(true).Reverse(true).Padding(0, 1),
		Title:         r.NewStyle().Bold(true),
		Label:         r.NewStyle().Foreground(muted),
		Muted:         r.NewStyle().Foreground(muted),
		Rule:          r.NewStyle().Foreground(c("#0E7C86", "#5FD7E0")),
		Good:          r.NewStyle().Foreground(c("#1A7F37", "#57D27A")),
		Warn:          r.NewStyle().Foreground(c("#9A6700", "#E3B341")),
		Bad:           r.NewStyle().Bold(true).Foreground(c("#B42318", "#FF7B72")),
		Selected:      r.NewStyle().Reverse(true),
		Key:           r.NewStyle().Bold(true).Foreground(accent),
		KeyDesc:       r.NewStyle().Foreground(muted),
		Box:           r.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(muted).Padding(0, 1),
		Lead:          r.NewStyle().Border(lipgloss.ThickBorder()).BorderForeground(accent).Padding(0, 1),
		Input:         r.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(accent).Padding(0, 1),
		InputEdge:     r.NewStyle().Foreground(accent),
		Toast:         r.NewStyle().Bold(true).Foreground(c("#1A7F37", "#57D27A")),
		ToastBad:      r.NewStyle().Bold(true).Foreground(c("#B42318", "#FF7B72")),
	}
}
