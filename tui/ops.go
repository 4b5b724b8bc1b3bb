package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"frontdoor/model"
)

// OpsSnapshot is what the Ops screen shows, read when it asks (about
// once a second): filled by whoever runs the session — the SSH server
// from its sessions, metrics and store, the local console from its own —
// through Env.Ops, never from a global.
type OpsSnapshot struct {
	At time.Time
	// Server: the snapshot is an SSH server's; false for the local
	// console, which has no sessions but its own.
	Server   bool
	Sessions []OpsSession
	// Lookup and Frame are the latency of recent store searches and of
	// recent frames (one message's Update and View), all sessions.
	Lookup, Frame Latency
	Outbox        map[string]int // messages by delivery state: pending, delivered, dead (S8)
	StoreBytes    int64
	// LastSync is when a change-stream event was last applied; zero if
	// never (DOMAIN §8).
	LastSync time.Time
	// Leads: how many diagnoses led with each finding in the last hour,
	// today and this week, from the audit trail (model.CountLeads).
	Leads []model.LeadCount
	// Problems are what could not be read, in words.
	Problems []string
}

// OpsSession is one console open on the server.
type OpsSession struct {
	User, Role, Remote string
	Started            time.Time
}

// Latency is the median and 99th percentile of N recent samples.
type Latency struct {
	P50, P99 time.Duration
	N        int
}

// Resumer is a screen told when it is on top again, after a screen
// opened over it (the palette) closed: a live screen restarts its refresh.
type Resumer interface {
	Resume() tea.Cmd
}
