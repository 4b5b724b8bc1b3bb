package store

import "sync"

// hub tells subscribers which account changed, so a screen showing it can
// reload at once (no polling). A subscriber that is not keeping up loses
// notifications rather than blocking a writer.
type hub struct {
	mu   sync.Mutex
	subs map[chan string]struct{}
}

func newHub() *hub { return &hub{subs: map[chan string]struct{}{}} }

// Subscribe returns a channel of changed account ids and a cancel func.
func (s *Store) Subscribe() (<-chan string, func()) {
	ch := make(chan string, 64)
	s.hub.mu.Lock()
	s.hub.subs[ch] = struct{}{}
	s.hub.mu.Unlock()
	return ch, func() {
		s.hub.mu.Lock()
		delete(s.hub.subs, ch)
		s.hub.mu.Unlock()
	}
}

func (h *hub) publish(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- id:
		default:
		}
	}
}
