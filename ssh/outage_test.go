package ssh

import (
	"strings"
	"testing"
	"time"

	"frontdoor/demo"
	"frontdoor/internal/etcdtest"
	"frontdoor/store"
	"frontdoor/store/etcd"
)

// A cluster's outage over SSH, with nothing typed: the agent's header
// says STORE DOWN and a toast says what still works; the Ops figures
// name the cause; when the quorum is back, both clear and the agent is
// told.
func TestAnOutageIsShownOverSSH(t *testing.T) {
	if endpoints != nil {
		t.Skip("runs once, on a cluster of its own, in the bbolt pass")
	}
	c := etcdtest.Start(t, 3)
	f := serveOn(t, Config{}, func(dir string) (*store.Store, error) {
		return openOnCluster(etcd.Config{Endpoints: c.Endpoints(), Prefix: "/outage/", Timeout: 2 * time.Second}, dir)
	}, func(st *store.Store) error {
		accs, _ := demo.Data(time.Now())
		return st.SeedDemo(accs, time.Now())
	})
	sam := f.connect("sam", 80, 24)
	sam.see("Find an account")
	if strings.Contains(sam.text(), "STORE DOWN") {
		t.Fatalf("a healthy store shown down:\n%s", sam.text())
	}

	c.Stop(1)
	c.Stop(2)
	sam.seeWithin("STORE DOWN", 60*time.Second)
	sam.see("search works")
	ops := NewOpsSource(f.st, nil, nil, nil).Snapshot()
	if !strings.Contains(strings.Join(ops.Problems, "\n"), "store not answering since") {
		t.Fatalf("Ops problems during the outage: %q", ops.Problems)
	}

	c.Restart(1, 2)
	sam.seeWithin("store answers again", 60*time.Second)
	if head := strings.SplitN(sam.text(), "\n", 2)[0]; strings.Contains(head, "STORE DOWN") {
		t.Fatalf("header after the store came back: %q", head)
	}
}
