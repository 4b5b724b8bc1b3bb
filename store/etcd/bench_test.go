package etcd

import (
	"fmt"
	"testing"
	"time"

	"frontdoor/internal/etcdtest"
	"frontdoor/store/backend"
)

// A write through front end A, until front end B's local index holds
// it and B is told (issue 21: "an action on A appears on B"); and the
// write itself (a guarded Txn, then A's index catching up).
func BenchmarkWriteSeenOnAnotherFrontEnd(b *testing.B) {
	c := etcdtest.Start(b, 3)
	seen := make(chan string, 1024)
	fa := frontEnd(b, c, "/bench/", b.TempDir()+"/a.db", nil)
	fb := frontEnd(b, c, "/bench/", b.TempDir()+"/b.db", seen)
	defer fa.Close()
	defer fb.Close()
	i := 0
	for b.Loop() {
		i++
		key := fmt.Sprintf("acc_%d", i)
		if err := fa.Update(func(tx backend.Tx) error { return tx.Put("a", []byte(key), []byte("noted")) }); err != nil {
			b.Fatal(err)
		}
		for want := "/bench/g0/a/" + key; ; {
			select {
			case k := <-seen:
				if k != want {
					continue
				}
			case <-time.After(10 * time.Second):
				b.Fatal("B never saw A's write")
			}
			break
		}
	}
}

// A read of one key from a front end's local index, against the same
// read from the cluster.
func BenchmarkGet(b *testing.B) {
	c := etcdtest.Start(b, 3)
	fa := frontEnd(b, c, "/get/", b.TempDir()+"/a.db", nil)
	defer fa.Close()
	if err := fa.Update(func(tx backend.Tx) error { return tx.Put("a", []byte("acc_1"), []byte("record")) }); err != nil {
		b.Fatal(err)
	}
	for _, kv := range []backend.KV{fa, fa.Remote()} {
		name := "local-index"
		if kv == backend.KV(fa.Remote()) {
			name = "cluster"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				kv.View(func(tx backend.Tx) error { tx.Get("a", []byte("acc_1")); return nil })
			}
		})
	}
}
