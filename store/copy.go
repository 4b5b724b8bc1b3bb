package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"frontdoor/store/backend"
	"frontdoor/store/bolt"
)

// ErrNotEmpty: a copy's destination holds a store already.
var ErrNotEmpty = errors.New("holds a store already")

// CopyTo writes everything in the store into dst — accounts and their
// indexes, users and their keys, the audit trail and its sealed head,
// the outbox and its counter, the checkpoint — all at once (dst's
// Rebuild): a copy cut short leaves dst as it was, and running it again
// starts over. dst must hold no store. The audit trail goes byte for
// byte, so the same key verifies it on both sides; `check` on each
// proves it. It reads one consistent state of this store; writers here
// wait for nothing, but what they write after that state is not in the
// copy (stop the front ends, or copy again).
func (s *Store) CopyTo(dst KV, progress func(bucket string, n int)) (map[string]int, error) {
	rb, ok := dst.(backend.Rebuilder)
	if !ok {
		return nil, fmt.Errorf("copy to %s: %w", dst.Describe(), ErrNoBulkImport)
	}
	counts := map[string]int{}
	err := rb.Rebuild(0, func(to BulkTx) error {
		clear(counts)
		if !bucketEmpty(to.Before(), bMeta) {
			return fmt.Errorf("copy to %s: %w (copy into an empty one)", dst.Describe(), ErrNotEmpty)
		}
		return s.kv.View(func(from Tx) error {
			for _, b := range buckets {
				var last []byte
				err := from.Scan(b, nil, func(k, v []byte) (bool, error) {
					if err := to.Spill(); err != nil {
						return false, err
					}
					if err := to.Put(b, k, v); err != nil {
						return false, err
					}
					if counts[b]++; progress != nil && counts[b]%10_000 == 0 {
						progress(b, counts[b])
					}
					last = append(last[:0], k...)
					return true, nil
				})
				if err != nil {
					return fmt.Errorf("copy %s: %w", b, err)
				}
				// the outbox's ids come from its sequence: the copy goes on
				// from the last one, so no key is ever given twice (rule S8)
				if b == bOutbox && len(last) == 8 {
					if err := to.SetSequence(b, binary.BigEndian.Uint64(last)); err != nil {
						return err
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// backupByCopy writes a store kept elsewhere (a cluster's) to a bbolt
// file at path: a copy of one consistent state, through a temporary
// file beside it, fsynced and renamed into place.
func (s *Store) backupByCopy(path string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, bolt.TempPattern)
	if err != nil {
		return err
	}
	name := tmp.Name()
	tmp.Close()
	os.Remove(name) // bbolt makes it anew, 0600
	defer os.Remove(name)
	kv, err := openBolt(name)
	if err != nil {
		return err
	}
	if _, err := s.CopyTo(kv, nil); err != nil {
		kv.Close()
		return err
	}
	if err := kv.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// OpenBoltKV opens (creating, 0600) a bbolt file with the store's
// buckets, as a destination for CopyTo.
func OpenBoltKV(path string) (KV, error) { return openBolt(path) }
