package tea

// frontdoor patch: upstream's init called lipgloss.HasDarkBackground(),
// so that Lip Gloss's default renderer had asked the terminal on
// os.Stdout its background colour before any Program took the terminal
// ("This workaround will be removed in v2"). It ran in every program
// linking Bubble Tea, whatever it was about to do: a command run at a
// shell wrote an OSC 11 query and a cursor report request to the
// terminal and waited for the answers — one round trip, or termenv's
// five-second timeout on a terminal that does not answer — before main.
// A program that renders with the default renderer on the terminal
// Bubble Tea reads asks before it starts its Program (frontdoor's local
// console does: cli/console.go).
