package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"frontdoor/store"
	"frontdoor/store/backend"
	"frontdoor/store/etcd"
)

// IndexFile is a front end's local read index of an etcd store, in its
// data directory.
const IndexFile = "etcd-index.db"

// openCluster opens the store on the etcd cluster --store names: a
// front end (serve) through a local index in --data kept current by a
// watch, any other command straight on the cluster (one look-up or
// action needs no index). Commands run here, not through a server's
// socket: every process reaches the cluster itself.
func (c *ctx) openCluster(existing bool) (*store.Store, error) {
	cfg, err := etcd.ParseURL(c.storeURL)
	if err != nil {
		return nil, usagef("--store: %v", err)
	}
	for i, f := range []*string{&cfg.CACert, &cfg.Cert, &cfg.Key} {
		if c.storeTLS[i] != "" {
			*f = c.storeTLS[i]
		}
	}
	if cfg.Key != "" {
		if err := checkPrivateFile(cfg.Key); err != nil {
			return nil, fmt.Errorf("--store-key: %w", err)
		}
	}
	if err := c.checkKey(); err != nil {
		return nil, err
	}
	remote, err := etcd.Dial(cfg)
	if err != nil {
		return nil, err
	}
	var kv store.KV = remote
	var st *store.Store
	if c.frontEnd {
		if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
			remote.Close()
			return nil, fmt.Errorf("data directory: %w", err)
		}
		cached, err := etcd.OpenCached(remote, filepath.Join(c.dataDir, IndexFile), func(keys []string) {
			if st != nil {
				for _, k := range keys {
					if bucket, key, ok := etcd.SplitKey(remote.Prefix(), k); ok {
						st.Changed(bucket, key)
					}
				}
			}
		})
		if err != nil {
			remote.Close()
			return nil, err
		}
		kv = cached
	}
	// a read command wants a store there, not a new empty one under a
	// mistyped prefix
	if existing {
		st, err = store.OpenBackendExisting(kv, c.keyPath())
	} else {
		st, err = store.OpenBackend(kv, c.keyPath())
	}
	if errors.Is(err, store.ErrNoStore) {
		err = fmt.Errorf("%w under %s (is the prefix right? `frontdoor import --store %s FILE` or `frontdoor migrate --to %s` makes one)",
			store.ErrNoStore, cfg, etcd.Redact(c.storeURL), etcd.Redact(c.storeURL))
	}
	if err != nil {
		return nil, err
	}
	c.st = st
	return st, nil
}

var _ backend.KV = (*etcd.Cached)(nil)
