package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"frontdoor/model"
	"frontdoor/store/backend"
	"frontdoor/store/bolt"

	"frontdoor/internal/smallfile"
)

// FileName is the store's file inside the data directory.
const FileName = "frontdoor.db"

// KeyFile is the audit key's file inside the data directory: kept outside
// the store file so that a copy of the store alone cannot rewrite the
// audit trail, and left out of backups unless asked for (SECURITY.md).
const KeyFile = "audit.key"

// BackupKeySuffix names a backup's key file when `backup --with-key`
// writes one beside it.
const BackupKeySuffix = ".audit-key"

// SchemaVersion is written to meta on first open; an older store is
// migrated when it is opened (migrate).
const SchemaVersion = "4"

// Store is frontdoor's data: the only way the rest of the program reads
// or changes it.
type Store struct {
	kv        KV
	path      string
	keyPath   string
	auditKey  []byte
	hub       *hub
	rec       recorderBox   // where look-ups and actions are reported (SetRecorder)
	recent    recentCommits // what sync's last commits wrote (ReadAhead)
	audits    auditBatch    // entries audited at once, one transaction (group commit)
	lookups   recentLookups // each agent's recent look-ups, as Recent last read them
	listed    listedCache   // records as searches list them, kept while unchanged
	answers   answerCache   // searches' answers at the latest commit
	deferring deferralShare // sync's deferred durability under way (DeferFsync)
}

// ErrInUse: another process holds the store's file open.
var ErrInUse = bolt.ErrInUse

// ErrNoStore: a command that reads found no store where it was pointed
// (a mistyped --data must not quietly create an empty one).
var ErrNoStore = errors.New("no store")

// Options say where the parts of a store that need not sit in its data
// directory are. The zero value is the data directory for everything.
type Options struct {
	// AuditKey is the audit key's file; "" is KeyFile in the data
	// directory. Kept on another volume, it is out of reach of someone
	// who has the data directory alone, who then cannot re-seal an
	// audit trail they edited (SECURITY.md).
	AuditKey string
}

// KeyPath is the audit key's file for the store in dir.
func (o Options) KeyPath(dir string) string {
	if o.AuditKey != "" {
		return o.AuditKey
	}
	return filepath.Join(dir, KeyFile)
}

// Open opens the store in dir, creating dir (0700), the file (0600) and
// the audit key (0600) when they do not exist. A second process gets
// ErrInUse after about a second.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenWith is Open with the parts o places outside dir. A key file that
// does not exist is made only for a store that has audited nothing
// (loadAuditKey), never for an existing trail.
func OpenWith(dir string, o Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if testBackend != nil {
		return testBackend(dir, o, false)
	}
	return OpenFile(filepath.Join(dir, FileName), o.KeyPath(dir))
}

// testBackend, when set, opens the stores Open and OpenExisting open
// on another backend: the store's tests set it to run their suite again
// on a real etcd cluster (main_test.go).
var testBackend func(dir string, o Options, existing bool) (*Store, error)

// OpenExisting opens the store in dir, which must already hold one.
func OpenExisting(dir string) (*Store, error) { return OpenExistingWith(dir, Options{}) }

// OpenExistingWith is OpenExisting with the parts o places outside dir.
func OpenExistingWith(dir string, o Options) (*Store, error) {
	if testBackend != nil {
		return testBackend(dir, o, true)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoStore, dir)
	}
	return OpenWith(dir, o)
}

// OpenFile opens the store file at path with the audit key at keyPath
// (a backup and its key, for instance). A store that has a key refuses
// to open without the same one: a store written on with another key
// would have a trail no check can verify.
func OpenFile(path, keyPath string) (*Store, error) {
	kv, err := openBolt(path)
	if err != nil {
		return nil, err
	}
	return openKV(kv, path, keyPath)
}

// OpenFileReadOnly opens a store file only to read it (check of a
// backup): nothing is written, so read-only media and a file another
// user owns will do (CLI review: check needed write access to a
// backup). A store that would need a write to open (an older schema,
// its key's id not yet recorded) is refused, saying so.
func OpenFileReadOnly(path, keyPath string) (*Store, error) {
	kv, err := bolt.OpenReadOnly(path, time.Second)
	if err != nil {
		return nil, err
	}
	s := &Store{kv: kv, path: path, keyPath: keyPath, hub: newHub()}
	known, err := s.readOpen(keyPath)
	if err == nil && !known {
		err = fmt.Errorf("%s: written by an older frontdoor (or never opened with its key): opening it writes to it; check a writable copy", path)
	}
	if err == nil {
		err = kv.View(func(tx Tx) error {
			if tx.Get(bMeta, []byte(metaReindexNames)) != nil {
				return fmt.Errorf("%s: its name index is being rebuilt: check a writable copy", path)
			}
			return nil
		})
	}
	if err != nil {
		kv.Close()
		return nil, err
	}
	return s, nil
}

// OpenBackend opens the store kept by kv (a cluster's, for instance),
// with the audit key at keyPath: every front end of one store is given
// the same key, and it is never kept in the backend. The store takes kv
// over: Close closes it.
func OpenBackend(kv KV, keyPath string) (*Store, error) { return openKV(kv, "", keyPath) }

// OpenBackendExisting is OpenBackend for a store that must be there
// already (a read command: a mistyped prefix must not answer from a new,
// empty store). Without one it closes kv and returns ErrNoStore.
func OpenBackendExisting(kv KV, keyPath string) (*Store, error) {
	var there bool
	err := kv.View(func(tx Tx) error { there = tx.Get(bMeta, []byte("schema")) != nil; return nil })
	if err == nil && !there {
		err = ErrNoStore
	}
	if err != nil {
		kv.Close()
		return nil, err
	}
	return openKV(kv, "", keyPath)
}

// openKV opens the store on kv; path is its file, if it has one.
func openKV(kv KV, path, keyPath string) (*Store, error) {
	s := &Store{kv: kv, path: path, keyPath: keyPath, hub: newHub()}
	// The usual open changes nothing (the schema current, the key's id
	// recorded and its file there): it reads in a read transaction, as a
	// commit would cost two fdatasyncs on bbolt, a Txn on a cluster, for
	// nothing (one of diagnose's three commits at 1M).
	known, err := s.readOpen(keyPath)
	if err == nil && !known {
		err = s.openWrite(kv, keyPath)
	}
	if err == nil {
		err = s.reindexNames()
	}
	if err != nil {
		kv.Close()
		return nil, err
	}
	return s, nil
}

// readOpen is the open that only reads: known, the schema is current and
// the audit key's id recorded (the key is then loaded); else the open
// must write (openWrite).
func (s *Store) readOpen(keyPath string) (known bool, err error) {
	err = s.kv.View(func(tx Tx) error {
		if string(tx.Get(bMeta, []byte("schema"))) != SchemaVersion || tx.Get(bMeta, []byte(metaAuditKeyID)) == nil {
			return nil // a migration or a key to record: the write below
		}
		key, _, err := loadAuditKey(tx, keyPath) // the id is recorded: it only reads
		s.auditKey, known = key, err == nil
		return err
	})
	return known, err
}

// openWrite is the open that writes: a migration, a new key's id, the
// keyed chain's first head.
func (s *Store) openWrite(kv KV, keyPath string) error {
	return kv.Update(func(tx Tx) error { // may run again: loadAuditKey finds the key it made
		if err := migrate(tx); err != nil {
			return err
		}
		var err error
		fresh := false
		if s.auditKey, fresh, err = loadAuditKey(tx, keyPath); err != nil {
			return err
		}
		if fresh { // nothing audited yet: the chain starts keyed
			return s.writeHead(tx, auditHead{KeyedFrom: 1})
		}
		return nil
	})
}

// migrate brings a store written by an older frontdoor to SchemaVersion.
// 1 → 2: the email index holds every holder of an address (email \x00 id),
// not one id per address (rule S5).
// 2 → 3: the open outbox index (outbox_open), from the messages.
// 3 → 4: names are indexed folded (model.NameTokens: Zoë is zoe, O'Brien
// obrien); the name index is rebuilt after the open's transaction, in
// transactions of the backend's size (reindexNames), as one would not
// fit an etcd cluster's.
func migrate(tx Tx) error {
	v := string(tx.Get(bMeta, []byte("schema")))
	if v == SchemaVersion {
		return nil
	}
	if v == "1" {
		var keys [][]byte
		if err := tx.Scan(bEmail, nil, func(k, _ []byte) (bool, error) {
			keys = append(keys, append([]byte(nil), k...))
			return true, nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(bEmail, k); err != nil {
				return err
			}
		}
		var w sortedWrites
		err := tx.Scan(bAccounts, nil, func(k, v []byte) (bool, error) {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return false, fmt.Errorf("migrate: account %s: %w", k, err)
			}
			for _, e := range indexEntries(r.Account) {
				if e.bucket == bEmail {
					w.add(e.bucket, e.key, e.value)
				}
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		if err := w.put(tx); err != nil {
			return err
		}
	} else if v != "" && v != "2" && v != "3" {
		return fmt.Errorf("store schema %q is newer than this frontdoor (%s): use a newer frontdoor", v, SchemaVersion)
	}
	if v == "1" || v == "2" { // 2 → 3: the open outbox index, from the messages
		err := tx.Scan(bOutbox, nil, func(k, raw []byte) (bool, error) {
			var m OutboxMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return false, fmt.Errorf("migrate: outbox %x: %w", k, err)
			}
			if m.State == OutboxDelivered {
				return true, nil
			}
			return true, tx.Put(bOutboxOpen, append([]byte(nil), k...), []byte(m.State))
		})
		if err != nil {
			return err
		}
	}
	if v != "" { // 3 → 4: the name index, folded (reindexNames)
		if err := tx.Put(bMeta, []byte(metaReindexNames), []byte("1")); err != nil {
			return err
		}
	}
	return tx.Put(bMeta, []byte("schema"), []byte(SchemaVersion))
}

// metaReindexNames marks a name index still to be rebuilt (schema 3):
// an open that stopped half way goes on at the next.
const metaReindexNames = "reindex_names"

// reindexNames rebuilds the name index from the accounts, when a
// migration asked for it: entries no account's NameTokens give are
// deleted, then every account's are written (both idempotent), a batch a
// transaction, and the mark removed last.
func (s *Store) reindexNames() error {
	var pending bool
	if err := s.kv.View(func(tx Tx) error { pending = tx.Get(bMeta, []byte(metaReindexNames)) != nil; return nil }); err != nil || !pending {
		return err
	}
	batch := 1000
	if l := s.kv.Limits(); l.MaxOps > 0 {
		batch = max(l.MaxOps/16, 1)
	}
	// the keys first, in one read (a transaction cannot seek, so batches
	// of a scan would each scan from the start)
	var names, ids [][]byte
	if err := s.kv.View(func(tx Tx) error {
		if err := tx.Scan(bName, nil, func(k, _ []byte) (bool, error) { names = append(names, bytes.Clone(k)); return true, nil }); err != nil {
			return err
		}
		return tx.Scan(bAccounts, nil, func(k, _ []byte) (bool, error) { ids = append(ids, bytes.Clone(k)); return true, nil })
	}); err != nil {
		return err
	}
	account := func(tx Tx, id []byte) (model.Account, bool, error) {
		v := tx.Get(bAccounts, id)
		if v == nil {
			return model.Account{}, false, nil
		}
		var r Record
		if err := json.Unmarshal(v, &r); err != nil {
			return model.Account{}, false, fmt.Errorf("reindex names: account %s: %w", id, err)
		}
		return r.Account, true, nil
	}
	for i := 0; i < len(names); i += batch {
		if err := s.kv.Update(func(tx Tx) error {
			for _, k := range names[i:min(i+batch, len(names))] {
				tok, id := splitKey(k)
				a, ok, err := account(tx, []byte(id))
				if err != nil {
					return err
				}
				if !ok || !slices.Contains(model.NameTokens(a.Name), tok) {
					if err := tx.Delete(bName, k); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	for i := 0; i < len(ids); i += batch {
		if err := s.kv.Update(func(tx Tx) error {
			for _, id := range ids[i:min(i+batch, len(ids))] {
				a, ok, err := account(tx, id)
				if err != nil || !ok {
					return err
				}
				for _, e := range indexEntries(a) {
					if e.bucket == bName {
						if err := tx.Put(e.bucket, e.key, e.value); err != nil {
							return err
						}
					}
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return s.kv.Update(func(tx Tx) error { return tx.Delete(bMeta, []byte(metaReindexNames)) })
}

const metaAuditKeyID = "audit_key_id"

// keyID names a key without giving it away.
func keyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("frontdoor audit key id\x00"), key...))
	return hex.EncodeToString(sum[:8])
}

// maxKeyFile is the most an audit key file holds: 64 hex digits and a
// newline, with room to spare.
const maxKeyFile = 4 << 10

// loadAuditKey reads the audit key, or creates it for a store that has
// audited nothing yet. A store that had one and finds it missing or
// different stops here, naming the file; so does one with an audit trail
// and no key at all (written before audit keys: `audit seal-legacy`).
// fresh: the store audited nothing and had no key before this open.
func loadAuditKey(tx Tx, keyPath string) (key []byte, fresh bool, err error) {
	want := string(tx.Get(bMeta, []byte(metaAuditKeyID)))
	b, err := smallfile.Read(keyPath, maxKeyFile) // a fifo must not hang the open, holding the store's lock
	switch {
	case errors.Is(err, fs.ErrNotExist) && want != "":
		return nil, false, fmt.Errorf("%w: %s is missing: this store's audit trail is keyed with it; restore it from where it was kept (backup --with-key)", ErrAuditKey, keyPath)
	case errors.Is(err, fs.ErrNotExist) && (!auditEmpty(tx) || !bucketEmpty(tx, bAccounts) || !bucketEmpty(tx, bUsers)):
		// a store with accounts or users always has a trail (every import,
		// stream, seed and user change is audited): one without was wiped
		// (second attack review: the trail, users and key record emptied,
		// then a new key sealed the rest)
		// the key's record may have been removed with it: a new key would
		// seal whatever chain the file now holds (found by the attack review)
		return nil, false, fmt.Errorf("%w: %s is missing and the store has an audit trail: restore the key (backup --with-key). "+
			"A store written before audit keys is keyed once with `frontdoor audit seal-legacy`; anywhere else a missing key "+
			"and key record mean they were removed (SECURITY.md)", ErrAuditKey, keyPath)
	case errors.Is(err, fs.ErrNotExist):
		key, err := newKeyFile(keyPath)
		if err != nil {
			return nil, false, err
		}
		return key, true, tx.Put(bMeta, []byte(metaAuditKeyID), []byte(keyID(key)))
	case err != nil:
		return nil, false, fmt.Errorf("audit key: %w", err)
	}
	key, err = hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 32 {
		return nil, false, fmt.Errorf("audit key %s: not a frontdoor audit key (64 hex digits)", keyPath)
	}
	if want == "" {
		// a key provisioned before the store was made: fresh only if
		// nothing was audited yet, or an entry-less head could be planted
		// over a chain whose head was deleted
		empty := auditEmpty(tx) && bucketEmpty(tx, bAccounts) && bucketEmpty(tx, bUsers)
		return key, empty, tx.Put(bMeta, []byte(metaAuditKeyID), []byte(keyID(key)))
	}
	if keyID(key) != want {
		return nil, false, fmt.Errorf("%w %s is not this store's key (id %s, want %s)", ErrAuditKey, keyPath, keyID(key), want)
	}
	return key, false, nil
}

// ErrAuditKey: the audit key is missing or not the store's.
var ErrAuditKey = errors.New("audit key")

func auditEmpty(tx Tx) bool { return bucketEmpty(tx, bAudit) }

func bucketEmpty(tx Tx, bucket string) bool {
	empty := true
	_ = tx.Scan(bucket, nil, func(_, _ []byte) (bool, error) { empty = false; return false, nil })
	return empty
}

// newKeyFile makes a new random audit key at path (0600, never over one).
func newKeyFile(path string) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	return key, nil
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Describe names what the store is kept in ("bbolt FILE", "etcd …").
func (s *Store) Describe() string { return s.kv.Describe() }

// Leftovers names what an interrupted operation left beside the store
// that nothing reads (backend.LeftoverFinder), for check to note; none
// on a store that cleans up as it opens.
func (s *Store) Leftovers() ([]string, error) {
	if f, ok := s.kv.(backend.LeftoverFinder); ok {
		return f.Leftovers()
	}
	return nil, nil
}

// Health says whether the store answers now (a cluster can be out of
// reach; a file is not), and gives a channel closed when that changes;
// nil, never closed, for a store that cannot go.
func (s *Store) Health() (backend.Health, <-chan struct{}) {
	if h, ok := s.kv.(backend.Healther); ok {
		return h.Health()
	}
	return backend.Health{}, nil
}

// KeyPath is the audit key's file the store was opened with.
func (s *Store) KeyPath() string { return s.keyPath }

// Close closes the store.
func (s *Store) Close() error { return s.kv.Close() }

// ErrLiveFile: a backup may not be written over the store it copies.
var ErrLiveFile = errors.New("is the live store")

// Backup writes a hot, fsynced copy of the store to path (0600), through
// a temporary file and a rename. withKey also writes the audit key beside
// it (path + BackupKeySuffix); without it the copy can be read but its
// audit trail verified only where the key is.
func (s *Store) Backup(path string, withKey bool) error {
	for _, live := range []string{s.path, s.keyPath} {
		if sameFile(path, live) || (withKey && sameFile(path+BackupKeySuffix, live)) {
			return fmt.Errorf("backup to %s: %w (%s): write the backup elsewhere", path, ErrLiveFile, live)
		}
	}
	// nothing in the data directory: the host key and the control socket
	// live there too (attack review: a backup over the socket left no way
	// to revoke anyone until a restart)
	if s.path != "" && sameFile(filepath.Dir(path), filepath.Dir(s.path)) {
		return fmt.Errorf("backup to %s: that is the data directory; write the backup elsewhere", path)
	}
	for _, p := range []string{path, path + BackupKeySuffix} {
		if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() {
			return fmt.Errorf("backup to %s: %s is not a regular file", path, p)
		}
	}
	if b, ok := s.kv.(backend.FileBackuper); ok {
		err := b.Backup(path)
		if err != nil {
			return fmt.Errorf("backup to %s: %w", path, err)
		}
	} else if err := s.backupByCopy(path); err != nil { // a cluster's: a bbolt file at one revision
		return fmt.Errorf("backup of %s to %s: %w", s.kv.Describe(), path, err)
	}
	if !withKey {
		return nil
	}
	if err := bolt.WriteFileAtomic(path+BackupKeySuffix, []byte(hex.EncodeToString(s.auditKey)+"\n")); err != nil {
		return fmt.Errorf("backup key: %w", err)
	}
	return nil
}

// sameFile: a and b name the same file (by inode when both exist, else by
// absolute path).
func sameFile(a, b string) bool {
	ai, aerr := os.Stat(a)
	bi, berr := os.Stat(b)
	if aerr == nil && berr == nil {
		return os.SameFile(ai, bi)
	}
	aa, err1 := filepath.Abs(a)
	ba, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ba
}

// Record is an account as stored: the mirror plus who changed it last.
type Record struct {
	Version   uint64        `json:"version"`
	UpdatedBy string        `json:"updated_by,omitempty"`
	UpdatedAt time.Time     `json:"updated_at"`
	Account   model.Account `json:"account"`
	// Demo: the record came from the built-in demo set; only such
	// records are ever re-timed (ReanchorDemo).
	Demo bool `json:"demo,omitempty"`
	// PlatformVersion is the platform's version of the account (rule S2):
	// 0 for an imported one, the version of the last snapshot applied.
	PlatformVersion uint64 `json:"platform_version,omitempty"`
	// Pending are the console's actions the platform has not confirmed
	// (rule S6); console-owned, so a snapshot keeps them (rule S3).
	Pending []model.Pending `json:"pending,omitempty"`
}

// ErrNotFound: no account has that id or email.
var ErrNotFound = errors.New("no such account")

func getRecord(tx Tx, id string) (Record, error) {
	v := tx.Get(bAccounts, []byte(id))
	if v == nil {
		return Record{}, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	r, err := decodeRecord(v)
	if err != nil {
		return Record{}, fmt.Errorf("account %s: corrupt record: %w", id, err)
	}
	return r, nil
}

// recordShell is a Record with its account left encoded.
type recordShell struct {
	Version         uint64          `json:"version"`
	UpdatedBy       string          `json:"updated_by"`
	UpdatedAt       time.Time       `json:"updated_at"`
	Account         json.RawMessage `json:"account"`
	Demo            bool            `json:"demo"`
	PlatformVersion uint64          `json:"platform_version"`
	Pending         []model.Pending `json:"pending"`
}

// decodeRecord decodes a stored record as json.Unmarshal would, its
// account in one pass where model.DecodeAccountFast can (a look-up's
// time was nearly all the account's decode through encoding/json).
func decodeRecord(v []byte) (Record, error) {
	if sh, ok := decodeShellFast(v); ok {
		if a, ok := model.DecodeAccountFast(sh.Account); ok {
			return Record{Version: sh.Version, UpdatedBy: sh.UpdatedBy, UpdatedAt: sh.UpdatedAt, Account: a,
				Demo: sh.Demo, PlatformVersion: sh.PlatformVersion, Pending: sh.Pending}, nil
		}
	}
	var sh recordShell
	if json.Unmarshal(v, &sh) == nil {
		if a, ok := model.DecodeAccountFast(sh.Account); ok {
			return Record{Version: sh.Version, UpdatedBy: sh.UpdatedBy, UpdatedAt: sh.UpdatedAt, Account: a,
				Demo: sh.Demo, PlatformVersion: sh.PlatformVersion, Pending: sh.Pending}, nil
		}
	}
	var r Record
	err := json.Unmarshal(v, &r)
	return r, err
}

// decodeShellFast reads the record's envelope in one pass, the account
// left raw for its own one-pass decode: through encoding/json the
// envelope's check and skip of the account cost more than the account's
// decode. ok false (an escape, an unknown member, a bad value) takes the
// long way, which words any error.
func decodeShellFast(v []byte) (sh recordShell, ok bool) {
	ok = model.ScanMembers(v, func(key, val []byte) bool {
		var err error
		switch string(key) {
		case "version":
			sh.Version, err = strconv.ParseUint(string(val), 10, 64)
		case "platform_version":
			sh.PlatformVersion, err = strconv.ParseUint(string(val), 10, 64)
		case "updated_by":
			if val[0] != '"' {
				return string(val) == "null"
			}
			sh.UpdatedBy = string(val[1 : len(val)-1])
		case "updated_at":
			err = sh.UpdatedAt.UnmarshalJSON(val)
		case "account":
			sh.Account = val
		case "demo":
			sh.Demo = string(val) == "true"
			return sh.Demo || string(val) == "false"
		case "pending":
			err = json.Unmarshal(val, &sh.Pending)
		case "indexed": // sync's digest of the indexed fields: not the record's
		default:
			return false
		}
		return err == nil
	})
	return sh, ok && sh.Account != nil
}

func putRecord(tx Tx, r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Put(bAccounts, []byte(r.Account.ID), b)
}

// Get returns the account with id.
func (s *Store) Get(id string) (Record, error) {
	var r Record
	err := s.kv.View(func(tx Tx) error {
		var err error
		r, err = getRecord(tx, id)
		return err
	})
	return r, err
}

// ByEmail finds the account whose current or a previous email is email
// (normalised as P7 says). When the address is only a previous one of
// several accounts, the one model.PreferredHolder picks (rule S5);
// Holders lists them all.
func (s *Store) ByEmail(email string) (Record, error) {
	var r Record
	err := s.kv.View(func(tx Tx) error {
		uses, err := emailHolders(tx, model.NormalizeEmail(email))
		if err != nil {
			return err
		}
		recs := map[string]Record{}
		for _, u := range uses {
			if recs[u.AccountID], err = getRecord(tx, u.AccountID); err != nil {
				return err
			}
		}
		id, ok := model.PreferredHolder(uses, func(id string) time.Time { return recs[id].UpdatedAt })
		if !ok {
			return fmt.Errorf("%q: %w", email, ErrNotFound)
		}
		r = recs[id]
		return nil
	})
	return r, err
}

// Holders lists every account that holds email, current or previous.
func (s *Store) Holders(email string) ([]Record, error) {
	var out []Record
	err := s.kv.View(func(tx Tx) error {
		uses, err := emailHolders(tx, model.NormalizeEmail(email))
		if err != nil {
			return err
		}
		for _, u := range uses {
			r, err := getRecord(tx, u.AccountID)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// Count returns how many accounts there are.
func (s *Store) Count() (int, error) {
	n := 0
	err := s.kv.View(func(tx Tx) error {
		return tx.Scan(bAccounts, nil, func(_, _ []byte) (bool, error) { n++; return true, nil })
	})
	return n, err
}

// Meta reads a meta value ("dataset", "demo_anchor").
func (s *Store) Meta(key string) string {
	var v string
	_ = s.kv.View(func(tx Tx) error { v = string(tx.Get(bMeta, []byte(key))); return nil })
	return v
}

func seqKey(n uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, n)
	return k
}
