package tui

import "github.com/charmbracelet/lipgloss"

// Styles are built per session from its renderer. Colours are adaptive
// (light and dark backgrounds); the renderer drops them for NO_COLOR and
// ASCII terminals and downsamples for 16- and 256-colour ones, so every
// meaning also has a word or a symbol, never colour alone.
type Styles struct {
	Header, HeaderDim lipgloss.Style
	BadgeLive         lipgloss.Style
	BadgeDemo         lipgloss.Style
	BadgeTraining     lipgloss.Style
	Title             lipgloss.Style
	Label             lipgloss.Style
	Muted             lipgloss.Style
	Rule              lipgloss.Style
	Good, Warn, Bad   lipgloss.Style
	Selected          lipgloss.Style
	Key, KeyDesc      lipgloss.Style
	Box, Lead         lipgloss.Style
	Input             lipgloss.Style
	Toast, ToastBad   lipgloss.Style
}

// NewStyles builds the styles for one renderer.
func NewStyles(r *lipgloss.Renderer) Styles {
	c := func(light, dark string) lipgloss.AdaptiveColor {
		return lipgloss.AdaptiveColor{Light: light, Dark: dark}
	}
	accent := c("#5A3FD6", "#A393FF")
	muted := c("#6B6B6B", "#8A8A8A")
	return Styles{
		Header:        r.NewStyle().Bold(true).Foreground(accent),
		HeaderDim:     r.NewStyle().Foreground(muted),
		BadgeLive:     r.NewStyle().Bold(true).Foreground(c("#FFFFFF", "#FFFFFF")).Background(c("#B42318", "#B42318")).Padding(0, 1),
		BadgeDemo:     r.NewStyle().Bold(true).Foreground(c("#000000", "#000000")).Background(c("#F5C518", "#F5C518")).Padding(0, 1),
		BadgeTraining: r.NewStyle().Bold(true).Foreground(c("#FFFFFF", "#FFFFFF")).Background(c("#1D5FD6", "#1D5FD6")).Padding(0, 1),
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
		Toast:         r.NewStyle().Bold(true).Foreground(c("#1A7F37", "#57D27A")),
		ToastBad:      r.NewStyle().Bold(true).Foreground(c("#B42318", "#FF7B72")),
	}
}
