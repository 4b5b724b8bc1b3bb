package ssh

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"frontdoor/internal/etcdtest"
	"frontdoor/store"
	"frontdoor/store/etcd"
)

// backendEnv names the backend a run of these tests is on.
const backendEnv = "FRONTDOOR_TEST_BACKEND"

// cluster is the etcd cluster of the run on etcd; nil on bbolt.
var cluster *etcdtest.Cluster

// TestMain runs the SSH suite on a bbolt store, then again with every
// server's store on a real three-member etcd cluster, read through a
// front end's local index (issue 21: the SSH suite against etcd).
func TestMain(m *testing.M) {
	if os.Getenv(backendEnv) == "etcd" {
		c, stop, err := etcdtest.StartMain(3)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		cluster = c
		code := m.Run()
		stop()
		os.Exit(code)
	}
	code := m.Run()
	if code != 0 || benchmarking() {
		os.Exit(code)
	}
	fmt.Println("ssh: the same tests with the store on a three-member etcd cluster")
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), backendEnv+"=etcd")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

func benchmarking() bool {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.bench=") && a != "-test.bench=" {
			return true
		}
	}
	return false
}

// openStore opens a test server's store in dir: a bbolt file, or on the
// etcd run a store on the cluster under a prefix of dir's own.
func openStore(dir string) (*store.Store, error) {
	if cluster == nil {
		return store.Open(dir)
	}
	kv, err := etcd.Dial(etcd.Config{Endpoints: cluster.Endpoints(), Prefix: fmt.Sprintf("/s%x/", sha256.Sum256([]byte(dir)))[:20] + "/"})
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
