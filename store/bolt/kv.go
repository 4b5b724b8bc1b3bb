package bolt

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"frontdoor/store/backend"
)

// ErrInUse: another process holds the store open.
var ErrInUse = errors.New("in use by another process")

// KV is the store on bbolt. Rebuild may put a new file in place of
// the open one while others read and write: cur is swapped, readers that
// began on the old file finish there, and a writer that got the old
// file's lock after the swap starts again on the new one.
type KV struct {
	cur     atomic.Pointer[dbFile]
	path    string
	rebuild sync.Mutex // one rebuild at a time
	// mapped is how much of the file bbolt mapped at open, at least:
	// address space only, with room for the file to grow before bbolt
	// remaps it (it remaps under a lock its readers hold), and for a
	// Deferral much more (reserveMap).
	mapped  int64
	buckets []string // made at open; a rebuild's copy has them all
	// deferral is the bulk writer's, if one has begun (DeferFsync): a
	// commit of any other writer made while it defers is made durable
	// through it before that commit returns (update)
	deferral atomic.Pointer[Deferral]
	// reserving: ReserveMap has closed the file to map it again; a
	// transaction that found it closed begins again on the new map
	reserving atomic.Bool
	// fill: how full a rebuild packs the pages of a bucket it loads from
	// empty, for the buckets whose records grow after they are loaded
	// (LeaveRoom); every other one is packed full
	fill map[string]float64
}

// dbFile is the open file, and which one it is: Rebuild's new file is
// the next generation, so transaction ids (Tx.ID) never repeat across a
// swap.
type dbFile struct {
	*bbolt.DB
	gen uint64
}

// openBolt opens (creating, mode 0600) the bbolt file at path. When
// another process holds it, it gives up after timeout with ErrInUse
// rather than hanging.
func Open(path string, buckets []string, timeout time.Duration) (*KV, error) {
	if err := settleUnsynced(path, timeout); errors.Is(err, ErrInUse) {
		return nil, fmt.Errorf("%s: %w (is `frontdoor serve` or the console running on this data directory?)", path, ErrInUse)
	} else if err != nil {
		return nil, err
	}
	mapped := mapReserve(path)
	db, err := openFile(path, &bbolt.Options{Timeout: timeout, InitialMmapSize: int(mapped)})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w (is `frontdoor serve` or the console running on this data directory?)", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// A file created by another umask keeps its mode; the store holds PHI.
	if err := os.Chmod(path, 0o600); err != nil {
		db.Close()
		return nil, err
	}
	if err := createBuckets(db, buckets); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	k := &KV{path: path, mapped: mapped, buckets: buckets}
	k.cur.Store(&dbFile{DB: db})
	removeRebuilds(filepath.Dir(path))
	return k, nil
}

// OpenReadOnly opens a store file to read it and nothing else (check of
// a backup on read-only media, or one another user owns): bbolt's
// read-only mode, a shared lock, no bucket made, no mode changed, no
// marker settled. A write through it fails.
func OpenReadOnly(path string, timeout time.Duration) (*KV, error) {
	db, err := openFile(path, &bbolt.Options{Timeout: timeout, ReadOnly: true})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w (is a writer holding it?)", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	k := &KV{path: path}
	k.cur.Store(&dbFile{DB: db})
	return k, nil
}

// createBuckets makes the buckets a store has, in a write transaction
// only when one is missing: a bbolt commit writes the freelist and a meta
// page, two fdatasyncs, even when nothing changed, and every command's
// open would pay for it (diagnose at 1M: one of its three commits).
func createBuckets(db *bbolt.DB, buckets []string) error {
	missing := false
	if err := db.View(func(tx *bbolt.Tx) error {
		missing = slices.ContainsFunc(buckets, func(b string) bool { return tx.Bucket([]byte(b)) == nil })
		return nil
	}); err != nil || !missing {
		return err
	}
	return db.Update(func(tx *bbolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReserveMap reopens the file with at least size bytes mapped, when
// less is. Only for a process that has the store to itself (sync): a
// read or write between the close and the open fails. Where the address
// space cannot hold so large a map (`ulimit -v`), the file is opened
// again as at open and the error is ErrMapTooLarge: the caller goes on
// without the reservation.
func (k *KV) ReserveMap(size int64) error {
	if size <= k.mapped {
		return nil
	}
	k.rebuild.Lock()
	defer k.rebuild.Unlock()
	// through serve, other readers and writers run meanwhile: theirs
	// wait for the new map (View, update), not fail
	k.reserving.Store(true)
	defer k.reserving.Store(false)
	old := k.cur.Load()
	if err := old.Close(); err != nil {
		return err
	}
	size = min(size, 1<<40)
	// the free list as a map of spans, not a sorted array: on an
	// imported store (leaves packed full) sync's updates turn leaves into
	// two-page nodes, and the array found each pair by a scan and a copy
	// of the rest of the list: 5.5 s of a 500,000-update sync's writer
	// at 1M, against 1.1 s this way (BENCHMARKS.md, 2026-12-07)
	db, err := openFile(k.path, &bbolt.Options{Timeout: time.Second, InitialMmapSize: int(size), MmapFlags: mapPopulate, FreelistType: bbolt.FreelistMapType})
	if errors.Is(err, syscall.ENOMEM) {
		fallback := mapReserve(k.path)
		db, err = openFile(k.path, &bbolt.Options{Timeout: time.Second, InitialMmapSize: int(fallback)})
		if err == nil {
			k.cur.Store(&dbFile{DB: db, gen: old.gen})
			k.mapped = fallback
			return fmt.Errorf("%w: %d MiB asked", ErrMapTooLarge, size>>20)
		}
	}
	if err != nil {
		return fmt.Errorf("reopen %s: %w", k.path, err)
	}
	k.cur.Store(&dbFile{DB: db, gen: old.gen}) // the same file: its ids go on
	k.mapped = size
	return nil
}

// ErrMapTooLarge: the address space this process may use (RLIMIT_AS)
// cannot hold the map asked for.
var ErrMapTooLarge = errors.New("the address space allowed (ulimit -v) cannot map the store that large")

// mapReserve is the map to open path with: the file and as much again,
// at least 64 MiB (on 64-bit; bbolt's own growth elsewhere), so the file
// grows a while before bbolt remaps it, and a process's address space
// follows the store's size: an idle server on a small store reserves
// megabytes, not gigabytes (`ulimit -v` sandboxes; issue 20).
func mapReserve(path string) int64 {
	if strconv.IntSize < 64 {
		return 0
	}
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	return min(size+max(size, minMapHeadroom), 1<<40)
}

// openFile opens a bbolt file as every store file is opened: writing a
// deferred commit's pages in runs (runs.go).
func openFile(path string, o *bbolt.Options) (*bbolt.DB, error) {
	if err := checkLength(path); err != nil {
		return nil, err
	}
	db, err := bbolt.Open(path, 0o600, o)
	if err == nil {
		writeInRuns(db)
	}
	return db, err
}

// minMapHeadroom is the least room to grow a map is opened with.
const minMapHeadroom = 64 << 20

// LeaveRoom has a rebuild pack the leaves of each bucket named in fill,
// loaded from empty, only that full (bbolt's FillPercent, 0.1–1), not
// full: for buckets whose records grow where they are after the load.
// A bbolt leaf of up to four records never splits; packed full, one
// that grows is a node of two pages from then on (more written a
// commit, a contiguous pair the free list must find). Set at open,
// before any Rebuild.
func (k *KV) LeaveRoom(fill map[string]float64) { k.fill = fill }

// errSwapped: the file a writer locked was replaced by Rebuild meanwhile.
var errSwapped = errors.New("store file replaced")

func (k *KV) View(fn func(backend.Tx) error) error {
	for {
		db := k.cur.Load()
		err := db.View(func(tx *bbolt.Tx) error { return fn(fileTx{tx, db.gen}) })
		if k.again(db, err) {
			continue // closed by a rebuild or a new map as this began: read the new one
		}
		return err
	}
}

// again: a transaction on db failed because db was closed for a new
// file or a new map; it begins again on the new one.
func (k *KV) again(db *dbFile, err error) bool {
	if errors.Is(err, errSwapped) {
		return true
	}
	if !errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return false
	}
	if k.cur.Load() != db {
		return true
	}
	if k.reserving.Load() { // the new map is being made
		time.Sleep(time.Millisecond)
		return true
	}
	return false
}

// Update commits fn durably: when a deferral has commits skip the disk
// (DeferFsync), this one is made durable before Update returns (an
// agent's action is on the disk before its toast).
func (k *KV) Update(fn func(backend.Tx) error) error { return k.update(fn, false) }

// update commits fn; deferred: it is the deferral's own commit (a sync
// batch), made durable at the deferral's next durable point, not now.
func (k *KV) update(fn func(backend.Tx) error, deferred bool) error {
	for {
		db := k.cur.Load()
		var unsynced bool // committed without waiting for the disk
		var txid uint64
		err := db.Update(func(tx *bbolt.Tx) error {
			if k.cur.Load() != db {
				return errSwapped // the old file: a write there would be lost
			}
			// the deferral sets NoSync under the writer's lock: read
			// here, it is what this commit does
			unsynced, txid = db.NoSync, uint64(tx.ID())
			return fn(fileTx{tx, db.gen})
		})
		if k.again(db, err) {
			continue
		}
		if err == nil && unsynced && !deferred {
			err = k.durableUpTo(db, txid)
		}
		return err
	}
}

// durableUpTo makes commit txid, made without waiting for the disk,
// durable: through the deferral (a durable point the marker names, so
// a reboot does not take the store back before it), or, the deferral
// having ended meanwhile, by syncing the file.
func (k *KV) durableUpTo(db *dbFile, txid uint64) error {
	if d := k.deferral.Load(); d != nil {
		return d.durableUpTo(txid)
	}
	return db.Sync()
}

// Close ends a deferral under way first (everything durable, its marker
// gone): bbolt's Close waits for every reader, and the deferral's pinned
// one would be waited for forever (serve stopped during a sync hung so).
// The bulk writer's next commit then fails: the store is closed.
func (k *KV) Close() error {
	var err error
	if d := k.deferral.Load(); d != nil {
		err = d.End()
	}
	return errors.Join(err, k.cur.Load().Close())
}

// Limits: a bbolt transaction is bounded by memory only; a bulk writer
// does best with large ones (a commit rewrites every page it touched).
func (k *KV) Limits() backend.Limits { return backend.Limits{BulkBatch: 20000} }

// Describe names the file.
func (k *KV) Describe() string { return "bbolt " + k.path }

// Path is the store's file.
func (k *KV) Path() string { return k.path }

// Size is the file's size in bytes.
func (k *KV) Size() (int64, error) {
	fi, err := os.Stat(k.path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// SingleWriter: every commit passes through this process (the file's
// lock), numbered one after another.
func (k *KV) SingleWriter() {}

// Backup writes a hot copy from a read transaction into a temporary file
// beside path, fsyncs it, then renames it into place: a reader never sees
// half a backup (bbolt's CopyFile does not fsync).
func (k *KV) Backup(path string) error {
	return writeAtomic(path, func(f *os.File) error {
		return k.View(func(t backend.Tx) error {
			tx := t.(fileTx).tx
			_, err := tx.WriteTo(f)
			return err
		})
	})
}

// WriteFileAtomic writes b to path (0600) through a temporary file and a
// rename.
func WriteFileAtomic(path string, b []byte) error {
	return writeAtomic(path, func(f *os.File) error { _, err := f.Write(b); return err })
}

// TempPattern names a backup being written. One left by a process killed
// mid-write holds a whole copy of the store (PHI) or its key: the next
// backup into that directory removes it.
const TempPattern = ".frontdoor-backup-*.tmp"

// removeStaleTemps removes temporaries older than a minute (a younger
// one may be another backup's, still being written).
func removeStaleTemps(dir string) { removeStale(dir, TempPattern) }

func removeStale(dir, pattern string) {
	old, _ := filepath.Glob(filepath.Join(dir, pattern))
	for _, p := range old {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > time.Minute {
			os.Remove(p)
		}
	}
}

// TestHookMidWrite runs after a backup's bytes are written and before
// the rename, so a test can kill the process there.
var TestHookMidWrite func()

// writeAtomic has write fill a temporary file beside path (0600), fsyncs
// it, renames it into place and fsyncs the directory. A crash at any
// point leaves the old file or the new one, never half of one.
func writeAtomic(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	removeStaleTemps(dir)
	tmp, err := os.CreateTemp(dir, TempPattern)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	err = write(tmp)
	if TestHookMidWrite != nil {
		TestHookMidWrite()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

type fileTx struct {
	tx  *bbolt.Tx
	gen uint64 // the file's generation (dbFile)
}

// ID is bbolt's transaction id (a read's is the last commit it sees, a
// write's the one after it) under the file's generation.
func (t fileTx) ID() uint64 { return t.gen<<48 | uint64(t.tx.ID()) }

func (t fileTx) bucket(name string) *bbolt.Bucket {
	b := t.tx.Bucket([]byte(name))
	if b == nil {
		panic("bolt: unknown bucket " + name) // a programming error: buckets are fixed
	}
	return b
}

func (t fileTx) Get(bucket string, key []byte) []byte { return t.bucket(bucket).Get(key) }
func (t fileTx) Put(bucket string, key, value []byte) error {
	return t.bucket(bucket).Put(key, value)
}
func (t fileTx) Delete(bucket string, key []byte) error { return t.bucket(bucket).Delete(key) }
func (t fileTx) NextSequence(bucket string) (uint64, error) {
	return t.bucket(bucket).NextSequence()
}

func (t fileTx) Scan(bucket string, prefix []byte, fn func(k, v []byte) (bool, error)) error {
	c := t.bucket(bucket).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if more, err := fn(k, v); err != nil || !more {
			return err
		}
	}
	return nil
}

func (t fileTx) ScanReverse(bucket string, fn func(k, v []byte) (bool, error)) error {
	c := t.bucket(bucket).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		if more, err := fn(k, v); err != nil || !more {
			return err
		}
	}
	return nil
}

// RebuildPattern names a new store file being built by Rebuild. One left
// by a process killed mid-build is removed when the store is next opened.
const RebuildPattern = ".frontdoor-rebuild-*.tmp"

// removeRebuilds removes what a rebuild killed before its rename left
// (a whole copy of the store: PHI). Only the process that holds the
// store open rebuilds it, so one that holds it finds none in progress.
func removeRebuilds(dir string) {
	old, _ := filepath.Glob(filepath.Join(dir, RebuildPattern))
	for _, p := range old {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			os.Remove(p)
		}
	}
}

// TestHookBeforeSwap runs with the new file built and synced, before it
// is renamed into place, so a test can kill the process there.
var TestHookBeforeSwap func()

// Rebuild copies the store into a new file beside it and has load write
// into the copy: in transactions of its own size (bulkTx.Spill), without
// an fsync each, with full pages for buckets that were empty. Then it
// syncs the copy and renames it over the store. Writers wait for the
// whole rebuild (it holds the store's write lock), readers see the old
// store until the rename. A crash at any point leaves the old store or
// the whole new one; load's error leaves the old one.
//
// A process that opens the store file in the second before the rename
// (bbolt's lock wait) would open the old file; frontdoor's commands give
// up after a second and are forwarded to a running server instead.
func (k *KV) Rebuild(grow int64, load func(tx backend.BulkTx) error) error {
	k.rebuild.Lock()
	defer k.rebuild.Unlock()
	old := k.cur.Load()
	live, err := old.Begin(true) // holds every writer off until the swap
	if err != nil {
		return err
	}
	defer func() {
		if live != nil {
			live.Rollback()
		}
	}()
	dir := filepath.Dir(k.path)
	removeRebuilds(dir)
	tmp, err := os.CreateTemp(dir, RebuildPattern)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	name := tmp.Name()
	swapped := false
	defer func() {
		if !swapped {
			os.Remove(name)
		}
	}()
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = live.WriteTo(tmp)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("rebuild: copy the store: %w", err)
	}
	// mapped large enough from the start: each time bbolt grows its map
	// it copies every node of the transaction out of the old one
	size := live.Size() + 2*grow + 64<<20
	db, err := openFile(name, &bbolt.Options{Timeout: time.Second, NoSync: true, InitialMmapSize: int(min(size, 1<<40))})
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	gen := old.gen + 1
	bt := &bulkTx{db: db, gen: gen, empty: map[string]bool{}, fill: k.fill, before: fileTx{live, old.gen}}
	if err = bt.begin(); err == nil {
		for _, b := range k.buckets {
			k, _ := bt.tx.Bucket([]byte(b)).Cursor().First()
			bt.empty[b] = k == nil
		}
		err = load(bt)
	}
	if err == nil {
		err = bt.commit()
	} else if bt.tx != nil {
		bt.tx.Rollback()
	}
	if err == nil {
		db.NoSync = false
		err = db.Sync()
	}
	if err != nil {
		db.Close()
		return err
	}
	if TestHookBeforeSwap != nil {
		TestHookBeforeSwap()
	}
	if err := os.Rename(name, k.path); err != nil {
		db.Close()
		return fmt.Errorf("rebuild: %w", err)
	}
	swapped = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	k.cur.Store(&dbFile{DB: db, gen: gen})
	k.mapped = min(size, 1<<40) // what the new file was opened with
	// a writer waiting on the old file now sees it swapped
	live.Rollback()
	live = nil
	// waits for the readers still on it; the new file is in place, so the
	// rebuild succeeded whatever closing the old one says
	_ = old.Close()
	return nil
}

// spillBytes is how much a bulk transaction writes before Spill commits.
const spillBytes = 8 << 20

type bulkTx struct {
	fileTx
	db      *bbolt.DB
	gen     uint64
	empty   map[string]bool    // buckets empty when the rebuild began
	fill    map[string]float64 // KV.LeaveRoom
	handles map[string]*bbolt.Bucket
	written int
	slab    []byte // copies of what was put: bbolt holds on to them until the commit
	before  fileTx // the store being rebuilt, as it was
}

func (t *bulkTx) Before() backend.Tx { return t.before }

// SetSequence sets bucket's sequence in the new file.
func (t *bulkTx) SetSequence(bucket string, n uint64) error { return t.bucket(bucket).SetSequence(n) }

func (t *bulkTx) begin() error {
	tx, err := t.db.Begin(true)
	if err != nil {
		return err
	}
	t.fileTx, t.handles, t.written, t.slab = fileTx{tx, t.gen}, map[string]*bbolt.Bucket{}, 0, nil
	return nil
}

func (t *bulkTx) commit() error {
	err := t.tx.Commit()
	t.tx = nil
	return err
}

func (t *bulkTx) Put(bucket string, key, value []byte) error {
	b := t.handles[bucket]
	if b == nil {
		b = t.tx.Bucket([]byte(bucket))
		if t.empty[bucket] {
			b.FillPercent = 1 // loaded in key order: pack each page full
			if f, ok := t.fill[bucket]; ok {
				b.FillPercent = f // unless its records will grow in place
			}
		}
		t.handles[bucket] = b
	}
	t.written += len(key) + len(value)
	if n := len(key) + len(value); cap(t.slab)-len(t.slab) < n {
		t.slab = make([]byte, 0, max(n, 1<<20))
	}
	off := len(t.slab)
	t.slab = append(append(t.slab, key...), value...)
	return b.Put(t.slab[off:off+len(key):off+len(key)], t.slab[off+len(key):])
}

func (t *bulkTx) Spill() error {
	if t.written < spillBytes {
		return nil
	}
	if err := t.commit(); err != nil {
		return err
	}
	return t.begin()
}
