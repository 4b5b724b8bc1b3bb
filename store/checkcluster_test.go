package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"

	"frontdoor/store/etcd"
)

// On a cluster read directly (check, and migrate's check, talk to it
// without a front end's index), Check reads each chunk of accounts'
// index entries ahead in a few transactions: fewer requests than
// accounts. One request an entry made a 2,000-account check take 9 s,
// and a 1M one over an hour.
func TestCheckOnAClusterReadsAhead(t *testing.T) {
	if !onEtcd() {
		t.Skip("the cluster run")
	}
	var requests atomic.Int64
	count := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		requests.Add(1)
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: clusterEndpoints, DialTimeout: 5 * time.Second,
		DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(count)}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kv := etcd.New(cli, fmt.Sprintf("/check%d/", time.Now().UnixNano()), "check test", 5*time.Second)
	s, err := OpenBackend(kv, filepath.Join(dir, "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const accounts = 600
	if _, err := s.Import(strings.NewReader(lines(accounts)), "a.jsonl", root, now); err != nil {
		t.Fatal(err)
	}
	requests.Store(0)
	problems, err := s.Check()
	if err != nil || len(problems) > 0 {
		t.Fatalf("check: %v %v", problems, err)
	}
	if n := requests.Load(); n >= accounts/4 {
		t.Errorf("check of %d accounts made %d requests to the cluster: not reading ahead", accounts, n)
	}
	t.Logf("check of %d accounts: %d requests", accounts, requests.Load())
}
