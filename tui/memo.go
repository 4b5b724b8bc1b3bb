package tui

// Memo is a rendering kept with the inputs it came from: a part of a
// frame that most frames do not change is styled once.
type Memo struct {
	key, out string
	ok       bool
}

// Get returns the kept rendering if key is what it came from, else
// renders anew and keeps that.
func (m *Memo) Get(key string, render func() string) string {
	if !m.ok || m.key != key {
		m.key, m.out, m.ok = key, render(), true
	}
	return m.out
}
