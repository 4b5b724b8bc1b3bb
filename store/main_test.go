package store

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"frontdoor/internal/etcdtest"
	"frontdoor/store/etcd"
)

// TestMain runs the store's tests on bbolt, then runs them all again on
// a real three-member etcd cluster started in the process (issue 21:
// every store test against both backends), every store Open makes on
// the cluster, under a prefix of its own directory, read through a
// local index in it, as a front end reads; a test about the bbolt file
// itself says so (boltOnly) and is skipped there.
func TestMain(m *testing.M) {
	os.Exit(etcdtest.MainOnBoth(m, "store", func(endpoints []string) {
		clusterEndpoints = endpoints
		testBackend = func(dir string, o Options, existing bool) (*Store, error) {
			cfg := etcd.Config{Endpoints: endpoints, Prefix: fmt.Sprintf("/t%x/", sha256.Sum256([]byte(dir)))[:20] + "/"}
			kv, err := etcd.Dial(cfg)
			if err != nil {
				return nil, err
			}
			cached, err := etcd.OpenCached(kv, filepath.Join(dir, "etcd-index.db"), nil)
			if err != nil {
				kv.Close()
				return nil, err
			}
			if existing {
				return OpenBackendExisting(cached, o.KeyPath(dir))
			}
			return OpenBackend(cached, o.KeyPath(dir))
		}
	}))
}

// clusterEndpoints: the cluster's, on the cluster run.
var clusterEndpoints []string

// onEtcd: this run is on the cluster.
func onEtcd() bool { return testBackend != nil }

// boltOnly skips a test about the bbolt file itself on the cluster run.
func boltOnly(t testing.TB) {
	t.Helper()
	if onEtcd() {
		t.Skip("about the bbolt file")
	}
}
