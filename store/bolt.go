package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrInUse: another process holds the store open.
var ErrInUse = errors.New("in use by another process")

type boltKV struct{ db *bolt.DB }

// openBolt opens (creating, mode 0600) the bbolt file at path. When
// another process holds it, it gives up after timeout with ErrInUse
// rather than hanging.
func openBolt(path string, timeout time.Duration) (*boltKV, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w (is `frontdoor serve` running on this data directory?)", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// A file created by another umask keeps its mode; the store holds PHI.
	if err := os.Chmod(path, 0o600); err != nil {
		db.Close()
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &boltKV{db: db}, nil
}

func (k *boltKV) View(fn func(Tx) error) error {
	return k.db.View(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

func (k *boltKV) Update(fn func(Tx) error) error {
	return k.db.Update(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

func (k *boltKV) Close() error { return k.db.Close() }

// Backup writes a hot copy from a read transaction into a temporary file
// beside path, fsyncs it, then renames it into place: a reader never sees
// half a backup (bbolt's CopyFile does not fsync).
func (k *boltKV) Backup(path string) error {
	return writeAtomic(path, func(f *os.File) error {
		return k.db.View(func(tx *bolt.Tx) error {
			_, err := tx.WriteTo(f)
			return err
		})
	})
}

// writeFileAtomic writes b to path (0600) through a temporary file and a
// rename.
func writeFileAtomic(path string, b []byte) error {
	return writeAtomic(path, func(f *os.File) error { _, err := f.Write(b); return err })
}

// tempPattern names a backup being written. One left by a process killed
// mid-write holds a whole copy of the store (PHI) or its key: the next
// backup into that directory removes it.
const tempPattern = ".frontdoor-backup-*.tmp"

// removeStaleTemps removes temporaries older than a minute (a younger
// one may be another backup's, still being written).
func removeStaleTemps(dir string) {
	old, _ := filepath.Glob(filepath.Join(dir, tempPattern))
	for _, p := range old {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > time.Minute {
			os.Remove(p)
		}
	}
}

// testHookMidWrite runs after a backup's bytes are written and before
// the rename, so a test can kill the process there.
var testHookMidWrite func()

// writeAtomic has write fill a temporary file beside path (0600), fsyncs
// it, renames it into place and fsyncs the directory. A crash at any
// point leaves the old file or the new one, never half of one.
func writeAtomic(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	removeStaleTemps(dir)
	tmp, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	err = write(tmp)
	if testHookMidWrite != nil {
		testHookMidWrite()
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

type boltTx struct{ tx *bolt.Tx }

func (t boltTx) bucket(name string) *bolt.Bucket {
	b := t.tx.Bucket([]byte(name))
	if b == nil {
		panic("store: unknown bucket " + name) // a programming error: buckets are fixed
	}
	return b
}

func (t boltTx) Get(bucket string, key []byte) []byte { return t.bucket(bucket).Get(key) }
func (t boltTx) Put(bucket string, key, value []byte) error {
	return t.bucket(bucket).Put(key, value)
}
func (t boltTx) Delete(bucket string, key []byte) error { return t.bucket(bucket).Delete(key) }
func (t boltTx) NextSequence(bucket string) (uint64, error) {
	return t.bucket(bucket).NextSequence()
}

func (t boltTx) Scan(bucket string, prefix []byte, fn func(k, v []byte) (bool, error)) error {
	c := t.bucket(bucket).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if more, err := fn(k, v); err != nil || !more {
			return err
		}
	}
	return nil
}

func (t boltTx) ScanReverse(bucket string, fn func(k, v []byte) (bool, error)) error {
	c := t.bucket(bucket).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		if more, err := fn(k, v); err != nil || !more {
			return err
		}
	}
	return nil
}
