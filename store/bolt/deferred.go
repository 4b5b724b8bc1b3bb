package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"frontdoor/store/backend"
)

// Deferred durability for a bulk writer (sync).
//
// A bbolt commit writes every page its transaction touched and waits for
// the disk twice. For sync's random updates that is ~27,000 scattered
// 4 KiB pages per batch of 20,000 events, and the wait is two thirds of
// sync's time (BENCHMARKS.md). A Deferral commits without waiting and
// makes the work durable at points the writer chooses, safely:
//
//   - A process crash (kill -9) loses nothing: every commit is in the
//     kernel's page cache, in order, and the file holds the last one.
//   - A machine crash may leave the file with a newer meta page than its
//     pages. So at each durable point the deferral keeps a read
//     transaction open on that state (bbolt never reuses the pages an open
//     reader can see) and writes a marker beside the store with the boot
//     it was written in and that state's meta page. Opening the store
//     after another boot puts that meta page back and invalidates the
//     other one: the store is exactly as it was at the durable point, and
//     sync resumes from its checkpoint (rule S1).
//
// One bulk writer defers at a time. Another writer's commit (KV.Update:
// through serve, an agent's action, the relay's outcomes) is not left to
// the bulk writer's durable points: it is made durable, and the marker
// moved to a state that holds it, before it returns.
type Deferral struct {
	mu   sync.Mutex // the bulk writer's calls and other writers' durableUpTo
	k    *KV
	db   *bbolt.DB
	boot string
	pin  *bbolt.Tx // the state the marker names, kept readable
	// a durable point under way: the disk is being synced in the
	// background while commits go on; next is the state it will make
	// the marker's, pinned already
	next    *bbolt.Tx
	nextM   unsynced
	syncing chan error
}

// UnsyncedSuffix names the marker beside the store file.
const UnsyncedSuffix = ".unsynced"

// unsynced is the marker: while it exists, commits after TxID may not be
// on the disk.
type unsynced struct {
	Boot     string `json:"boot_id"`
	TxID     uint64 `json:"txid"`
	PageSize int    `json:"page_size"`
	Meta     []byte `json:"meta"` // the meta page of TxID as written
}

// BootID names this boot of the machine; "" where that is not known
// (then nothing is deferred). A variable so tests can stage a reboot.
var BootID = func() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(b))
}

// errNoDeferral: this store cannot defer (a meta page not where bbolt's
// format puts it); the writer commits as usual.
var errNoDeferral = errors.New("deferred durability is not available here")

// DeferFsync starts a deferral: from now until End, commits do not wait
// for the disk; Durable makes everything so far durable. Where that is
// not available it returns nil: commits wait as before. On error
// nothing changed either. One bulk writer defers at a time; other
// writers may commit meanwhile (through serve: agents' actions, the
// relay), and each of their commits is made durable before it returns
// (KV.Update), which makes the bulk writer's commits before it durable
// too.
func (k *KV) DeferFsync() (backend.Deferral, error) {
	d := &Deferral{k: k, boot: BootID()}
	if d.boot == "" {
		return nil, nil
	}
	if old := k.deferral.Load(); old != nil && old.State().Deferring {
		return nil, errors.New("a deferral is under way on this store already")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.begin(0); errors.Is(err, errNoDeferral) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	k.deferral.Store(d)
	return d, nil
}

// Update commits fn as the deferral's own: it need not wait for the
// disk, and is made durable at the next durable point (group commit:
// a sync batch with its checkpoint, rule S1).
func (d *Deferral) Update(fn func(backend.Tx) error) error {
	return d.k.update(fn, true)
}

// begin maps the file with room to grow by at least need bytes and then
// more (the reader a deferral holds keeps bbolt from remapping; see
// Room), pins its state, writes the marker and stops waiting for the
// disk. The state must be on the disk already (opened, or synced).
func (d *Deferral) begin(need int64) error {
	var size int64
	if err := d.k.View(func(t backend.Tx) error { size = t.(fileTx).tx.Size(); return nil }); err != nil {
		return err
	}
	// twice what the file may reach, and 256 MiB more: Room maps again,
	// larger, when a batch might outgrow it (a fixed 2 GiB more had made
	// a 16 MB store's sync fail under `ulimit -v 4000000`)
	if err := d.k.ReserveMap(2*(size+need) + deferralHeadroom); errors.Is(err, ErrMapTooLarge) {
		return fmt.Errorf("%w: %w", errNoDeferral, err) // commits wait for the disk, as without
	} else if err != nil {
		return err
	}
	d.db = d.k.cur.Load().DB
	// under the writer's lock, so no commit comes between the pinned
	// state the marker names and commits not waiting: one made there
	// would wait for the disk, return, and be undone after a reboot
	w, err := d.db.Begin(true)
	if err != nil {
		return err
	}
	defer w.Rollback()
	pin, m, err := d.capture()
	if err == nil {
		err = writeMarker(d.k.path, m)
	}
	if err != nil {
		pin.Rollback()
		return err
	}
	d.pin = pin
	// commits do not wait for the disk, nor grows of the file (bbolt
	// syncs the whole file on each, and while the deferral holds pages
	// every commit grows it): fdatasync at a durable point makes the
	// size durable with the data. Nor do they write bbolt's free list
	// (a tenth of a sync's commit, sorting and writing every free and
	// pending page id): bbolt keeps it in memory, End writes it, and an
	// open that finds none (after a crash) rebuilds it from the pages
	// the newest state reaches. Set under the writer's lock (w), where a
	// commit reads them.
	d.db.NoSync, d.db.NoGrowSync, d.db.NoFreelistSync = true, true, true
	return nil
}

// Room makes room for a batch of about n events and raw bytes: the
// reader a deferral holds keeps bbolt from remapping the file as it
// grows (a commit that outgrew the map would wait for that reader
// forever), so when the batch might outgrow it, everything so far is
// made durable and the file mapped again, larger.
func (d *Deferral) Room(n, raw int) error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pin == nil {
		return nil
	}
	need := int64(n)*3*int64(d.db.Info().PageSize) + 2*int64(raw) + 64<<20
	var size int64
	if err := d.db.View(func(tx *bbolt.Tx) error { size = tx.Size(); return nil }); err != nil {
		return err
	}
	if size+need < d.k.mapped {
		return nil
	}
	if err := d.end(); err != nil {
		return err
	}
	if err := d.begin(need); !errors.Is(err, errNoDeferral) {
		return err
	}
	return nil // no room to map that much: the rest waits for the disk
}

// deferralHeadroom is the room a deferral maps beyond twice the file.
const deferralHeadroom = 256 << 20

// Durable starts a durable point for every commit so far: the disk is
// synced in the background while commits go on, and then the marker
// names the newest of them. One point is under way at a time: Durable
// first waits for the last. Call it between commits.
func (d *Deferral) Durable() error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.durable()
}

func (d *Deferral) durable() error {
	if d.pin == nil {
		return nil
	}
	if err := d.settle(); err != nil {
		return fmt.Errorf("sync the store: %w", err)
	}
	next, m, err := d.captureLocked()
	if err != nil {
		return err
	}
	d.next, d.nextM, d.syncing = next, m, make(chan error, 1)
	go func(db *bbolt.DB, done chan<- error) {
		err := db.Sync()
		if err == nil {
			err = writeMarker(d.k.path, m)
		}
		done <- err
	}(d.db, d.syncing)
	return nil
}

// Sync makes every commit so far durable before it returns, and goes on
// deferring (a second bulk writer's end: store.Deferral).
func (d *Deferral) Sync() error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pin == nil {
		return d.k.cur.Load().Sync()
	}
	if err := d.durable(); err != nil {
		return err
	}
	return d.settle()
}

// durableUpTo returns once commit txid, made by another writer while
// commits skip the disk, is durable and named by the marker: an agent's
// action (KV.Update) is on the disk before its toast, and a reboot does
// not take the store back before it. The sync's commits before it
// become durable with it.
func (d *Deferral) durableUpTo(txid uint64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pin == nil { // ended: End synced what was before it; this may be after
		return d.k.cur.Load().Sync()
	}
	if uint64(d.pin.ID()) >= txid {
		return nil // a durable point since covered it
	}
	if d.syncing != nil && uint64(d.next.ID()) >= txid {
		return d.settle() // the point under way covers it
	}
	if err := d.durable(); err != nil {
		return err
	}
	return d.settle()
}

// Settle waits for the durable point under way, if any; then the marker
// names its state, which stays pinned, and the older pin goes.
func (d *Deferral) Settle() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.settle()
}

func (d *Deferral) settle() error {
	if d.syncing == nil {
		return nil
	}
	err := <-d.syncing
	d.syncing = nil
	if err != nil { // the marker names the older state, still pinned
		d.next.Rollback()
		d.next = nil
		return err
	}
	old := d.pin
	d.pin, d.next = d.next, nil
	return old.Rollback()
}

// DeferralState is what a deferral is doing, for tests and diagnostics.
type DeferralState struct {
	Deferring              bool // commits do not wait for the disk
	Mapped                 int64
	NoSync, NoFreelistSync bool
	PageSize               int
}

// State says what the deferral is doing.
func (d *Deferral) State() DeferralState {
	if d == nil {
		return DeferralState{}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.db == nil {
		return DeferralState{}
	}
	// the flags are set under the writer's lock
	w, err := d.db.Begin(true)
	if err != nil {
		return DeferralState{Deferring: d.pin != nil, Mapped: d.k.mapped}
	}
	defer w.Rollback()
	return DeferralState{Deferring: d.pin != nil, Mapped: d.k.mapped, NoSync: d.db.NoSync,
		NoFreelistSync: d.db.NoFreelistSync, PageSize: d.db.Info().PageSize}
}

// End makes everything durable, removes the marker and goes back to
// commits that wait for the disk.
func (d *Deferral) End() error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.end()
}

func (d *Deferral) end() error {
	if d.pin == nil {
		return nil
	}
	err := d.settle()
	if err == nil {
		err = d.db.Sync()
	}
	if err == nil {
		err = removeSynced(d.k.path)
	}
	if err != nil { // the marker stays: the next open settles it
		return fmt.Errorf("sync the store: %w", err)
	}
	// commits wait for the disk again, set under the writer's lock; one
	// made since the sync above and before this is synced by its writer
	// (durableUpTo finds the deferral ended)
	w, err := d.db.Begin(true)
	if err != nil {
		return err
	}
	d.db.NoSync, d.db.NoGrowSync, d.db.NoFreelistSync = false, false, false
	if err := w.Rollback(); err != nil {
		return err
	}
	pin := d.pin
	d.pin = nil
	if err := pin.Rollback(); err != nil {
		return err
	}
	// a commit that writes the free list, so the next open need not
	// rebuild it
	return d.db.Update(func(*bbolt.Tx) error { return nil })
}

// captureLocked is capture under the writer's lock: through serve other
// writers commit meanwhile, and two commits between the pin and the
// read of its meta page would have overwritten that page.
func (d *Deferral) captureLocked() (*bbolt.Tx, unsynced, error) {
	w, err := d.db.Begin(true)
	if err != nil {
		return nil, unsynced{}, err
	}
	defer w.Rollback()
	return d.capture()
}

// capture pins the current state and reads its meta page for a marker;
// the caller holds the writer's lock.
func (d *Deferral) capture() (*bbolt.Tx, unsynced, error) {
	pin, err := d.db.Begin(false)
	if err != nil {
		return nil, unsynced{}, err
	}
	m := unsynced{Boot: d.boot, TxID: uint64(pin.ID()), PageSize: d.db.Info().PageSize}
	if m.Meta, err = readMeta(d.k.path, m.TxID, m.PageSize); err != nil {
		pin.Rollback()
		return nil, unsynced{}, err
	}
	return pin, m, nil
}

func writeMarker(path string, m unsynced) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path+UnsyncedSuffix, b)
}

// readMeta reads the meta page transaction txid was written to, and
// checks it is that transaction's.
func readMeta(path string, txid uint64, pageSize int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, pageSize)
	if _, err := f.ReadAt(b, int64(txid%metaPageSlots)*int64(pageSize)); err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	if le.Uint32(b[metaMagicAt:]) != metaMagic || int(le.Uint32(b[metaPageSzAt:])) != pageSize || le.Uint64(b[metaTxIDAt:]) != txid {
		return nil, fmt.Errorf("%w: meta page of transaction %d not found", errNoDeferral, txid)
	}
	return b, nil
}

// settleUnsynced runs before the store is opened: a marker beside it
// means a deferral did not end. In the same boot the page cache holds
// every commit, so syncing the file is enough; after a reboot the file is
// put back to the marker's durable state (see Deferral). It holds the
// file's lock while it works.
func settleUnsynced(path string, timeout time.Duration) error {
	marker := path + UnsyncedSuffix
	if _, err := os.Stat(marker); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("settle %s: %w", marker, err)
	}
	defer f.Close()
	if err := lockFile(f, timeout); err != nil {
		return err
	}
	b, err := os.ReadFile(marker)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // another process settled it meanwhile
	}
	var m unsynced
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err == nil && (m.PageSize <= 0 || len(m.Meta) != m.PageSize) {
		err = errors.New("meta page missing")
	}
	if err != nil {
		return fmt.Errorf("%s: %w (the store may not be whole after a machine crash during sync: import it again)", marker, err)
	}
	if m.Boot != BootID() {
		// back to the durable state: its meta page in its slot, the other
		// slot (maybe newer than its pages) invalid, so bbolt reads ours
		slot := int64(m.TxID % metaPageSlots)
		if _, err := f.WriteAt(m.Meta, slot*int64(m.PageSize)); err != nil {
			return err
		}
		if _, err := f.WriteAt(make([]byte, m.PageSize), (1-slot)*int64(m.PageSize)); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return removeSynced(path)
}

// removeSynced removes the marker, durably.
func removeSynced(path string) error {
	if err := os.Remove(path + UnsyncedSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		defer d.Close()
		return d.Sync()
	}
	return nil
}
