package store

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"frontdoor/internal/etcdtest"
	"frontdoor/store/etcd"
)

// backendEnv names the backend a run of the store's tests is on;
// endpointsEnv, the cluster's members, for a crash test's child.
const (
	backendEnv   = "FRONTDOOR_TEST_BACKEND"
	endpointsEnv = "FRONTDOOR_TEST_ETCD_ENDPOINTS"
)

// TestMain runs the store's tests on bbolt, then runs them all again on
// a real three-member etcd cluster started in the process (issue 21:
// every store test against both backends); a test about the bbolt file
// itself says so (boltOnly) and is skipped there.
func TestMain(m *testing.M) {
	if os.Getenv(backendEnv) == "etcd" {
		os.Exit(onCluster(m))
	}
	code := m.Run()
	if code != 0 || os.Getenv(addressSpaceEnv) != "" || os.Getenv(crashEnv) != "" {
		os.Exit(code)
	}
	if benchmarking() && os.Getenv("FRONTDOOR_BENCH_ETCD") == "" {
		os.Exit(code) // the etcd figures are asked for: FRONTDOOR_BENCH_ETCD=1
	}
	fmt.Println("store: the same tests on a three-member etcd cluster")
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), backendEnv+"=etcd")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// onCluster runs the tests with every store Open makes on the cluster:
// under a prefix of its own directory, read through a local index in
// it, as a front end reads.
func onCluster(m *testing.M) int {
	// a crash test's child (this binary again) joins its parent's cluster
	endpoints := strings.Split(os.Getenv(endpointsEnv), ",")
	if endpoints[0] == "" {
		c, stop, err := etcdtest.StartMain(3)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer stop()
		endpoints = c.Endpoints()
		os.Setenv(endpointsEnv, strings.Join(endpoints, ","))
	}
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
	return m.Run()
}

// benchmarking: the run was asked for benchmarks.
func benchmarking() bool {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.bench=") && a != "-test.bench=" {
			return true
		}
	}
	return false
}

// onEtcd: this run is on the cluster.
func onEtcd() bool { return testBackend != nil }

// boltOnly skips a test about the bbolt file itself on the cluster run.
func boltOnly(t testing.TB) {
	t.Helper()
	if onEtcd() {
		t.Skip("about the bbolt file")
	}
}
