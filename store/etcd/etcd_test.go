package etcd

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"frontdoor/internal/etcdtest"
	"frontdoor/store/backend"
	"frontdoor/store/backend/backendtest"
)

var prefixes atomic.Int64

// The backend contract, against a real three-member cluster: each test
// under its own prefix, as two installations share a cluster.
func TestContract(t *testing.T) {
	c := etcdtest.Start(t, 3)
	backendtest.Run(t, func(t *testing.T) backend.KV {
		cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		kv := New(cli, fmt.Sprintf("/test%d/", prefixes.Add(1)), "etcd test", 10*time.Second)
		t.Cleanup(func() { kv.Close() })
		return kv
	})
}
