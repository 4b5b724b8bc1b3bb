package store

import (
	"strings"
	"sync"
	"sync/atomic"
)

// hub tells subscribers what changed, so a screen showing an account can
// reload at once (no polling) and a server can end the sessions of a user
// whose access changed. A subscriber that is not keeping up loses
// notifications rather than blocking a writer.
type hub struct {
	// accounts counts publishes of account changes (AccountsChanged)
	accounts atomic.Uint64
	mu       sync.Mutex
	subs     map[chan string]struct{}
	users    map[chan string]struct{}
	queued   map[chan string]struct{}
}

func newHub() *hub {
	return &hub{subs: map[chan string]struct{}{}, users: map[chan string]struct{}{}, queued: map[chan string]struct{}{}}
}

// OutboxQueued returns a channel that says a message was queued (or
// re-queued) for delivery, so a relay wakes at once; and a cancel func.
func (s *Store) OutboxQueued() (<-chan string, func()) { return s.hub.subscribe(s.hub.queued, 1) }

// Subscribe returns a channel of changed account ids and a cancel func.
// One value may name several accounts, one a line: a synced batch is one
// notification, so a stream of thousands of changes a second does not
// overflow a screen's channel and lose the one it shows.
func (s *Store) Subscribe() (<-chan string, func()) { return s.hub.subscribe(s.hub.subs, 64) }

// AccountsChanged counts the account changes told to subscribers so
// far, each counted before it is told. Two look-ups asked while it reads
// the same may share one answer: a change committed since is told, and
// a screen told of it asks again under the next count.
func (s *Store) AccountsChanged() uint64 { return s.hub.accounts.Load() }

// UserChanges returns a channel of user names whose role, keys or
// existence changed, and a cancel func.
func (s *Store) UserChanges() (<-chan string, func()) { return s.hub.subscribe(s.hub.users, 256) }

func (h *hub) subscribe(set map[chan string]struct{}, size int) (<-chan string, func()) {
	ch := make(chan string, size)
	h.mu.Lock()
	set[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(set, ch)
		h.mu.Unlock()
	}
}

func (h *hub) publish(ids ...string) {
	if len(ids) > 0 {
		h.accounts.Add(1) // before the subscribers hear of it
		h.send(h.subs, strings.Join(ids, "\n"))
	}
}

func (h *hub) publishUser(name string) { h.send(h.users, name) }

func (h *hub) publishQueued() { h.send(h.queued, "") }

func (h *hub) send(set map[chan string]struct{}, v string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range set {
		select {
		case ch <- v:
		default:
		}
	}
}

// Changed tells the subscribers of a change another writer made (a
// front end's watch of a cluster store): an account's screen reloads, a
// user's sessions are checked again, a relay wakes for a queued message.
// The store's own writes are told as they commit.
func (s *Store) Changed(bucket string, key []byte) {
	switch bucket {
	case bAccounts:
		s.hub.publish(string(key))
	case bUsers, bSessionEnds:
		s.hub.publishUser(string(key))
	case bOutbox:
		s.hub.publishQueued()
	}
}
