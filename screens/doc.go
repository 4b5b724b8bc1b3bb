// Package screens holds the console's pages, each a small Bubble Tea
// model on the tui shell: Lookup, Account, Diagnose, Resets and TwoFA.
// Screens show what model decides and hand actions to the store; they
// decide nothing themselves. Every account string they draw goes through
// tui.Sanitize (Fit, Clip, Wrap).
package screens
