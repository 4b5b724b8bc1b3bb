package ssh

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"frontdoor/internal/etcdtest"
	"frontdoor/store"
	"frontdoor/store/etcd"
)

// endpoints are the members of the cluster of the run on etcd; nil on
// bbolt.
var endpoints []string

// TestMain runs the SSH suite on a bbolt store, then again with every
// server's store on a real three-member etcd cluster, read through a
// front end's local index (issue 21: the SSH suite against etcd).
func TestMain(m *testing.M) {
	os.Exit(etcdtest.MainOnBoth(m, "ssh", func(e []string) { endpoints = e }))
}

// openStore opens a test server's store in dir: a bbolt file, or on the
// etcd run a store on the cluster under a prefix of dir's own.
func openStore(dir string) (*store.Store, error) {
	if endpoints == nil {
		return store.Open(dir)
	}
	return openOnCluster(etcd.Config{Endpoints: endpoints, Prefix: fmt.Sprintf("/s%x/", sha256.Sum256([]byte(dir)))[:20] + "/"}, dir)
}

// openOnCluster opens a front end's store on the cluster cfg names,
// its local index in dir.
func openOnCluster(cfg etcd.Config, dir string) (*store.Store, error) {
	kv, err := etcd.Dial(cfg)
	if err != nil {
		return nil, err
	}
	cached, err := etcd.OpenCached(kv, filepath.Join(dir, "etcd-index.db"), nil)
	if err != nil {
		kv.Close()
		return nil, err
	}
	return store.OpenBackend(cached, filepath.Join(dir, store.KeyFile))
}
