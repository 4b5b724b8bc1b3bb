package bolt

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
)

// bbolt's meta page (format 2), offsets in its page: a 16-byte page
// header, then magic, version, page size, flags (uint32 each), the root
// bucket (16 bytes), the free list's page, the high-water page id, the
// txid (uint64 each) and an FNV-64a checksum of the meta before it. Two
// copies, on pages 0 and 1 (txid N is written to page N % 2); the valid
// one with the higher txid is the store's.
const (
	metaMagic     = 0xED0CDAED
	metaMagicAt   = 16
	metaPageSzAt  = 24
	metaPgidAt    = 56
	metaTxIDAt    = 64
	metaSumAt     = 72
	metaPageSlots = 2
)

// checkLength refuses a file shorter than the pages its meta page says
// it holds: bbolt maps the file and reads those pages, and a page past
// the file's end is a SIGBUS that kills the process (attack review,
// round 3: a backup copy cut short crashed `check`, which is meant to
// say what is wrong with it). A file with no valid meta page is left
// to bbolt, which says so.
func checkLength(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // not there yet, or unreadable: bbolt's open says
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil
	}
	if info.Size() == 0 {
		// bbolt would make a new store in it, and check say "ok: 0
		// accounts" of a copy that failed (CLI review); every store
		// file this program makes holds its first pages before anyone
		// can open it
		return fmt.Errorf("%s is empty (0 bytes): not a store, but a copy that failed or a disk that filled; restore it from a backup, or remove it to start a new store", path)
	}
	meta := func(off int64) (pageSize, pages, txid uint64, ok bool) {
		var b [metaSumAt + 8]byte
		if _, err := f.ReadAt(b[:], off); err != nil {
			return 0, 0, 0, false
		}
		le := binary.LittleEndian
		if le.Uint32(b[metaMagicAt:]) != metaMagic {
			return 0, 0, 0, false
		}
		h := fnv.New64a()
		h.Write(b[metaMagicAt:metaSumAt])
		if h.Sum64() != le.Uint64(b[metaSumAt:]) {
			return 0, 0, 0, false
		}
		return uint64(le.Uint32(b[metaPageSzAt:])), le.Uint64(b[metaPgidAt:]), le.Uint64(b[metaTxIDAt:]), true
	}
	ps, pages, txid, ok := meta(0)
	if !ok {
		ps = uint64(os.Getpagesize()) // as bbolt reads the second copy when the first is bad
	}
	if ps2, pages2, txid2, ok2 := meta(int64(ps)); ok2 && (!ok || txid2 > txid) {
		ps, pages, ok = ps2, pages2, true
	}
	if !ok || ps == 0 {
		return nil
	}
	if pages > uint64(info.Size())/ps { // pages × ps > size, without overflowing
		return fmt.Errorf("cut short: %d bytes, but it holds %d pages of %d bytes (a copy interrupted?): restore it from a whole backup", info.Size(), pages, ps)
	}
	return nil
}
