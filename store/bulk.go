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
	"sync"
)

// extSorter sorts a bulk load's entries, (kind, key, value), by kind then
// key in bounded memory: entries fill an arena; a full arena is sorted
// and written to a run file; the runs are merged at the end. Entries with
// equal kind and key come out in the order they were added (a stable sort
// in each run, runs merged in order), so a duplicate's first occurrence
// comes first.
//
// Two arenas of half the limit each: one fills while the other is sorted
// and written by a goroutine of its own, so the parse goes on meanwhile
// (sorted where it was filled, the whole import waited for each sort: a
// fifth of its time at 1M). The last arena is not written out: its two
// halves are sorted at once on two cores and merged with the runs from
// memory, and the merge runs ahead of its reader (mergeAhead), so the
// writer of the entries waits for neither.
//
// Run files hold account data (PHI): each is unlinked as soon as it is
// made, so nothing is left on disk whatever happens to the process.
type extSorter struct {
	dir   string
	limit int // bytes of one arena
	cur   *sortBuf
	spare *sortBuf       // the other arena, when not being sorted
	busy  chan spillDone // the spill in flight, if any
	runs  []*os.File
	size  int64 // keys and values added
	ahead *mergeAhead
}

// sortBuf is an arena and its entries.
type sortBuf struct {
	arena []byte
	ents  []sortEnt
}

type spillDone struct {
	f   *os.File
	buf *sortBuf
	err error
}

type sortEnt struct {
	kind      byte
	off, k, v uint32 // key at arena[off:off+k], value right after it
	pfx, pfx2 uint64 // the key's first 16 bytes, big-endian: most compares end here
}

// newExtSorter sorts in about limit bytes of entries (two arenas of half).
func newExtSorter(dir string, limit int) *extSorter {
	return &extSorter{dir: dir, limit: max(limit/2, 1)}
}

// avgEnt is the size of an entry arenas are made for: an arena holds
// limit/avgEnt entries before it is full, whatever their sizes, so the
// entries' slice is never grown (an import's entries are ~30 bytes).
const avgEnt = 32

func (s *extSorter) newBuf() *sortBuf {
	// the whole arena at once: grown by doubling it was a third of an
	// import's time
	return &sortBuf{arena: make([]byte, 0, s.limit+1<<20), ents: make([]sortEnt, 0, s.limit/avgEnt+1)}
}

func (s *extSorter) add(kind byte, key, value []byte) error {
	if s.cur == nil {
		s.cur = s.newBuf()
	}
	b := s.cur
	off := len(b.arena)
	b.arena = append(append(b.arena, key...), value...)
	var p [16]byte
	copy(p[:], key)
	b.ents = append(b.ents, sortEnt{kind: kind, off: uint32(off), k: uint32(len(key)), v: uint32(len(value)),
		pfx: binary.BigEndian.Uint64(p[:8]), pfx2: binary.BigEndian.Uint64(p[8:])})
	s.size += int64(len(key) + len(value))
	if len(b.arena) >= s.limit || len(b.ents) == cap(b.ents) {
		return s.spill()
	}
	return nil
}

func (b *sortBuf) key(e sortEnt) []byte { return b.arena[e.off : e.off+e.k] }
func (b *sortBuf) val(e sortEnt) []byte { return b.arena[e.off+e.k : e.off+e.k+e.v] }

// sort sorts ents (of b's arena); equal keys keep the order they were
// added in (their place in the arena), without a stable sort's cost.
func (b *sortBuf) sort(ents []sortEnt) {
	slices.SortFunc(ents, func(x, y sortEnt) int {
		if x.kind != y.kind {
			return int(x.kind) - int(y.kind)
		}
		// 16 bytes, not 8: the phone and name keys share their first 8
		// by the thousand (a number's area code and 555, "linh\x00acc"),
		// and a compare past them reads the arena, a cache miss: with 8,
		// bytes.Compare was two thirds of the sort
		if x.pfx != y.pfx {
			if x.pfx < y.pfx {
				return -1
			}
			return 1
		}
		if x.pfx2 != y.pfx2 {
			if x.pfx2 < y.pfx2 {
				return -1
			}
			return 1
		}
		if c := bytes.Compare(b.key(x), b.key(y)); c != 0 {
			return c
		}
		return int(x.off) - int(y.off)
	})
}

// wait waits for the spill in flight and keeps its run.
func (s *extSorter) wait() error {
	if s.busy == nil {
		return nil
	}
	d := <-s.busy
	s.busy = nil
	s.spare = d.buf
	if d.err != nil {
		return d.err
	}
	s.runs = append(s.runs, d.f)
	return nil
}

// spill hands the full arena to a goroutine that sorts it into a new run
// file, and goes on in the other. One spill is in flight at a time, so
// runs are kept in the order their entries were added.
func (s *extSorter) spill() error {
	if err := s.wait(); err != nil {
		return err
	}
	full := s.cur
	s.cur, s.spare = s.spare, nil
	if s.cur == nil {
		s.cur = s.newBuf()
	}
	s.busy = make(chan spillDone, 1)
	go func(done chan<- spillDone) {
		f, err := s.writeRun(full)
		full.arena, full.ents = full.arena[:0], full.ents[:0]
		done <- spillDone{f, full, err}
	}(s.busy)
	return nil
}

// writeRun sorts b into a new, unlinked run file.
func (s *extSorter) writeRun(b *sortBuf) (*os.File, error) {
	b.sort(b.ents)
	f, err := os.CreateTemp(s.dir, ".frontdoor-sort-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("sort: %w", err)
	}
	os.Remove(f.Name()) // unlinked: the open file is all that holds it
	w := bufio.NewWriterSize(f, 1<<20)
	var hdr [1 + 2*binary.MaxVarintLen32]byte
	for _, e := range b.ents {
		hdr[0] = e.kind
		n := 1 + binary.PutUvarint(hdr[1:], uint64(e.k))
		n += binary.PutUvarint(hdr[n:], uint64(e.v))
		w.Write(hdr[:n])
		w.Write(b.arena[e.off : e.off+e.k+e.v])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return nil, fmt.Errorf("sort: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("sort: %w", err)
	}
	return f, nil
}

// close releases the run files, and stops a merge running ahead.
func (s *extSorter) close() {
	if s.ahead != nil {
		s.ahead.stop()
		s.ahead = nil
	}
	s.wait()
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

// iter sorts what is left and walks everything: the runs and the last
// arena's two halves, each sorted on a core of its own, merged. Only one
// iter per sorter.
func (s *extSorter) iter() (sortedIter, error) {
	if err := s.wait(); err != nil {
		return nil, err
	}
	s.spare = nil // not needed again: let it go
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
	if b := s.cur; b != nil && len(b.ents) > 0 {
		half := len(b.ents) / 2
		var wg sync.WaitGroup
		wg.Go(func() { b.sort(b.ents[:half]) })
		b.sort(b.ents[half:])
		wg.Wait()
		for i, ents := range [][]sortEnt{b.ents[:half], b.ents[half:]} {
			r := &runReader{mem: b, ents: ents, order: len(s.runs) + i}
			if err := r.read(); err != nil {
				return nil, err
			}
			if r.ok {
				m.h = append(m.h, r)
			}
		}
	}
	heap.Init(&m.h)
	if len(m.h) <= 1 && len(s.runs) == 0 {
		return m, nil // nothing to merge: read from memory in place
	}
	s.ahead = newMergeAhead(m)
	return s.ahead, nil
}

// runReader is one sorted run: a run file's reader, or entries of an
// arena in memory (mem).
type runReader struct {
	br         *bufio.Reader
	mem        *sortBuf
	ents       []sortEnt
	order      int
	kind       byte
	key, value []byte
	ok         bool
}

func (r *runReader) read() error {
	if r.mem != nil {
		if len(r.ents) == 0 {
			r.ok = false
			return nil
		}
		e := r.ents[0]
		r.ents = r.ents[1:]
		r.kind, r.key, r.value, r.ok = e.kind, r.mem.key(e), r.mem.val(e), true
		return nil
	}
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

// mergeAhead runs a merge on a goroutine of its own, a block of entries
// ahead of its reader: the merge's compares and reads of the run files
// are then done beside the writer's puts, not between them.
type mergeAhead struct {
	blocks chan *mergeBlock
	free   chan *mergeBlock
	quit   chan struct{}
	done   sync.WaitGroup
	cur    *mergeBlock
	i      int
}

// mergeBlock is a run of merged entries, copied into buf.
type mergeBlock struct {
	ents []batchEnt
	buf  []byte
	err  error // the merge's, after the entries
	end  bool  // the merge ended after these
}

const mergeBlockBytes = 1 << 20

func newMergeAhead(m *mergeIter) *mergeAhead {
	a := &mergeAhead{blocks: make(chan *mergeBlock, 2), free: make(chan *mergeBlock, 4), quit: make(chan struct{})}
	for range 4 {
		a.free <- &mergeBlock{buf: make([]byte, 0, mergeBlockBytes+64<<10)}
	}
	a.done.Go(func() {
		for {
			var b *mergeBlock
			select {
			case b = <-a.free:
			case <-a.quit:
				return
			}
			b.ents, b.buf = b.ents[:0], b.buf[:0]
			for len(b.buf) < mergeBlockBytes {
				kind, k, v, ok, err := m.next()
				if err != nil || !ok {
					b.err, b.end = err, true
					break
				}
				off := len(b.buf)
				b.buf = append(append(b.buf, k...), v...)
				b.ents = append(b.ents, batchEnt{kind: kind, off: off, k: len(k), v: len(v)})
			}
			select {
			case a.blocks <- b:
			case <-a.quit:
				return
			}
			if b.end {
				return
			}
		}
	})
	return a
}

func (a *mergeAhead) next() (byte, []byte, []byte, bool, error) {
	for a.cur == nil || a.i == len(a.cur.ents) {
		if a.cur != nil {
			if a.cur.end {
				return 0, nil, nil, false, a.cur.err
			}
			a.free <- a.cur // what it handed out is no longer valid
		}
		a.cur, a.i = <-a.blocks, 0
	}
	e := a.cur.ents[a.i]
	a.i++
	b := a.cur.buf
	return e.kind, b[e.off : e.off+e.k], b[e.off+e.k : e.off+e.k+e.v], true, nil
}

// stop ends the merge's goroutine, wherever the reader stopped.
func (a *mergeAhead) stop() {
	close(a.quit)
	a.done.Wait()
}
