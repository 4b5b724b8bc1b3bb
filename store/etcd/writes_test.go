package etcd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	clientv3 "go.etcd.io/etcd/client/v3"

	"frontdoor/internal/etcdtest"
	"frontdoor/store/backend"
)

// A key longer than a front end's index can hold (bbolt's MaxKeySize)
// is refused as too large, nothing written: etcd took it, and every
// front end's watch stopped at it for good, every later write waiting
// out its timeout.
func TestAKeyTheIndexCannotHoldIsRefused(t *testing.T) {
	c := etcdtest.Start(t, 3)
	fe := frontEnd(t, c, fmt.Sprintf("/long%d/", prefixes.Add(1)), t.TempDir()+"/index.db", nil)
	defer fe.Close()
	long := []byte(strings.Repeat("x", bolt.MaxKeySize+1))
	err := fe.Update(func(tx backend.Tx) error { return tx.Put("a", long, []byte("v")) })
	if !errors.Is(err, backend.ErrTxTooLarge) {
		t.Fatalf("a %d-byte key: %v, want ErrTxTooLarge", len(long), err)
	}
	if err := fe.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("short"), []byte("v")) }); err != nil {
		t.Fatalf("an ordinary write after it: %v", err)
	}
}

// A write the cluster committed is never reported as "unavailable"
// (which says nothing was written, and invites running it again) when
// the front end's index does not catch up with it.
func TestACommittedWriteIsNotReportedUnavailable(t *testing.T) {
	c := etcdtest.Start(t, 3)
	prefix := fmt.Sprintf("/stuck%d/", prefixes.Add(1))
	fe, err := OpenCached(New(connect(t, c), prefix, "etcd test", time.Second), t.TempDir()+"/index.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fe.kv.Close()
	defer fe.db.Close()
	fe.cancel() // the index stops following (a member cut off, a watch broken)
	<-fe.done
	err = fe.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("k"), []byte("written")) })
	resp, gerr := fe.kv.cli.Get(context.Background(), prefix+"g0/a/k")
	if gerr != nil {
		t.Fatal(gerr)
	}
	if len(resp.Kvs) != 1 {
		t.Fatalf("the write is not in the cluster (Update: %v)", err)
	}
	if err == nil || errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "was written") {
		t.Fatalf("the write is in the cluster; the writer was told %v", err)
	}
}

// An import whose lock's lease was lost while it ran is not put in
// place: writers went on once the lock was gone, and the switch's range
// guard does not see a key they deleted (it came back with the import).
func TestAnImportThatLostItsLockIsNotPutInPlace(t *testing.T) {
	c := etcdtest.Start(t, 3)
	prefix := fmt.Sprintf("/lock%d/", prefixes.Add(1))
	kv := New(connect(t, c), prefix, "etcd test", 5*time.Second)
	defer kv.Close()
	other := New(connect(t, c), prefix, "etcd test", 5*time.Second)
	defer other.Close()
	if err := kv.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("gone"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	err := kv.Rebuild(0, func(bt backend.BulkTx) error {
		ctx := context.Background()
		locks, err := other.cli.Get(ctx, kv.rebuildLock(), clientv3.WithPrefix())
		if err != nil || len(locks.Kvs) != 1 {
			t.Fatalf("the import's lock: %v %v", locks, err)
		}
		// the lease lost (revoked here, as an expiry does)
		if _, err := other.cli.Revoke(ctx, clientv3.LeaseID(locks.Kvs[0].Lease)); err != nil {
			t.Fatal(err)
		}
		if err := other.Update(func(tx backend.Tx) error { return tx.Delete("a", []byte("gone")) }); err != nil {
			t.Fatalf("a writer once the lock is gone: %v", err)
		}
		return bt.Put("a", []byte("imported"), []byte("v"))
	})
	if !errors.Is(err, backend.ErrConflict) {
		t.Errorf("the import: %v, want ErrConflict", err)
	}
	var got []byte
	kv.View(func(tx backend.Tx) error { got = tx.Get("a", []byte("gone")); return nil })
	if got != nil {
		t.Fatal("a record deleted while the import ran is back")
	}
}
