package store

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
)

// extSorter sorts a bulk load's entries, (kind, key, value), by kind then
// key in bounded memory: entries fill an arena; a full arena is sorted
// and written to a run file; the runs are merged at the end. Entries with
// equal kind and key come out in the order they were added (a stable sort
// in each run, runs merged in order), so a duplicate's first occurrence
// comes first.
//
// Run files hold account data (PHI): each is unlinked as soon as it is
// made, so nothing is left on disk whatever happens to the process.
type extSorter struct {
	dir   string
	limit int
	arena []byte
	ents  []sortEnt
	runs  []*os.File
	size  int64 // keys and values added
}

type sortEnt struct {
	kind      byte
	off, k, v uint32 // key at arena[off:off+k], value right after it
	pfx       uint64 // the key's first 8 bytes, big-endian: most compares end here
}

func newExtSorter(dir string, limit int) *extSorter {
	return &extSorter{dir: dir, limit: limit}
}

func (s *extSorter) add(kind byte, key, value []byte) error {
	if s.arena == nil {
		// the whole arena at once: grown by doubling it was a third of
		// an import's time
		s.arena = make([]byte, 0, s.limit+1<<20)
		s.ents = make([]sortEnt, 0, s.limit/64)
	}
	off := len(s.arena)
	s.arena = append(append(s.arena, key...), value...)
	var p [8]byte
	copy(p[:], key)
	s.ents = append(s.ents, sortEnt{kind: kind, off: uint32(off), k: uint32(len(key)), v: uint32(len(value)), pfx: binary.BigEndian.Uint64(p[:])})
	s.size += int64(len(key) + len(value))
	if len(s.arena) >= s.limit {
		return s.spill()
	}
	return nil
}

func (s *extSorter) key(e sortEnt) []byte { return s.arena[e.off : e.off+e.k] }
func (s *extSorter) val(e sortEnt) []byte { return s.arena[e.off+e.k : e.off+e.k+e.v] }

// sort sorts the arena's entries; equal keys keep the order they were
// added in (their place in the arena), without a stable sort's cost.
func (s *extSorter) sort() {
	slices.SortFunc(s.ents, func(a, b sortEnt) int {
		if a.kind != b.kind {
			return int(a.kind) - int(b.kind)
		}
		if a.pfx != b.pfx {
			if a.pfx < b.pfx {
				return -1
			}
			return 1
		}
		if c := bytes.Compare(s.key(a), s.key(b)); c != 0 {
			return c
		}
		return int(a.off) - int(b.off)
	})
}

// spill writes the arena's entries, sorted, to a new run file.
func (s *extSorter) spill() error {
	s.sort()
	f, err := os.CreateTemp(s.dir, ".frontdoor-sort-*.tmp")
	if err != nil {
		return fmt.Errorf("sort: %w", err)
	}
	os.Remove(f.Name()) // unlinked: the open file is all that holds it
	w := bufio.NewWriterSize(f, 1<<20)
	var hdr [1 + 2*binary.MaxVarintLen32]byte
	for _, e := range s.ents {
		hdr[0] = e.kind
		n := 1 + binary.PutUvarint(hdr[1:], uint64(e.k))
		n += binary.PutUvarint(hdr[n:], uint64(e.v))
		w.Write(hdr[:n])
		w.Write(s.arena[e.off : e.off+e.k+e.v])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("sort: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("sort: %w", err)
	}
	s.runs = append(s.runs, f)
	s.arena, s.ents = s.arena[:0], s.ents[:0]
	return nil
}

// close releases the run files.
func (s *extSorter) close() {
	for _, f := range s.runs {
		f.Close()
	}
	s.runs = nil
}

// sortedIter walks entries in order. Its key and value are valid until
// the next call to next.
type sortedIter interface {
	next() (kind byte, key, value []byte, ok bool, err error)
}

// iter sorts what is left and walks everything: from memory when nothing
// was spilled, else by merging the runs.
func (s *extSorter) iter() (sortedIter, error) {
	if len(s.runs) == 0 {
		s.sort()
		return &memIter{s: s}, nil
	}
	if len(s.ents) > 0 {
		if err := s.spill(); err != nil {
			return nil, err
		}
	}
	s.arena, s.ents = nil, nil
	m := &mergeIter{}
	for i, f := range s.runs {
		r := &runReader{br: bufio.NewReaderSize(f, 256<<10), order: i}
		if err := r.read(); err != nil {
			return nil, err
		}
		if r.ok {
			m.h = append(m.h, r)
		}
	}
	heap.Init(&m.h)
	return m, nil
}

type memIter struct {
	s *extSorter
	i int
}

func (m *memIter) next() (byte, []byte, []byte, bool, error) {
	if m.i >= len(m.s.ents) {
		return 0, nil, nil, false, nil
	}
	e := m.s.ents[m.i]
	m.i++
	return e.kind, m.s.key(e), m.s.val(e), true, nil
}

type runReader struct {
	br         *bufio.Reader
	order      int
	kind       byte
	key, value []byte
	ok         bool
}

func (r *runReader) read() error {
	kind, err := r.br.ReadByte()
	if err == io.EOF {
		r.ok = false
		return nil
	}
	if err != nil {
		return fmt.Errorf("sort: %w", err)
	}
	k, err := binary.ReadUvarint(r.br)
	if err != nil {
		return fmt.Errorf("sort: %w", err)
	}
	v, err := binary.ReadUvarint(r.br)
	if err != nil {
		return fmt.Errorf("sort: %w", err)
	}
	r.kind = kind
	r.key = slices.Grow(r.key[:0], int(k))[:k]
	r.value = slices.Grow(r.value[:0], int(v))[:v]
	if _, err := io.ReadFull(r.br, r.key); err != nil {
		return fmt.Errorf("sort: %w", err)
	}
	if _, err := io.ReadFull(r.br, r.value); err != nil {
		return fmt.Errorf("sort: %w", err)
	}
	r.ok = true
	return nil
}

type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	if c := bytes.Compare(a.key, b.key); c != 0 {
		return c < 0
	}
	return a.order < b.order // equal keys in the order they were added
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type mergeIter struct {
	h    runHeap
	last *runReader // handed out by the last next: advanced on this one
	kind byte
	k, v []byte
}

func (m *mergeIter) next() (byte, []byte, []byte, bool, error) {
	if m.last != nil {
		if err := m.last.read(); err != nil {
			return 0, nil, nil, false, err
		}
		if m.last.ok {
			heap.Fix(&m.h, 0)
		} else {
			heap.Pop(&m.h)
		}
		m.last = nil
	}
	if len(m.h) == 0 {
		return 0, nil, nil, false, nil
	}
	r := m.h[0]
	m.last = r
	return r.kind, r.key, r.value, true, nil
}
