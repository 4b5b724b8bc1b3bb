package etcdtest

import (
	"fmt"
	"os"
	"testing"
)

// mainTB lets a TestMain start a cluster before any test runs.
type mainTB struct {
	testing.TB
	dirs    []string
	cleanup []func()
}

func (m *mainTB) Helper() {}
func (m *mainTB) TempDir() string {
	d, err := os.MkdirTemp("", "etcdtest-")
	if err != nil {
		panic(err)
	}
	m.dirs = append(m.dirs, d)
	return d
}
func (m *mainTB) Cleanup(f func())          { m.cleanup = append(m.cleanup, f) }
func (m *mainTB) Fatal(args ...any)         { panic(fmt.Sprint(args...)) }
func (m *mainTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

// StartMain starts an n-member cluster for a whole test binary (from
// TestMain); stop stops it and removes its data.
func StartMain(n int) (c *Cluster, stop func(), err error) {
	tb := &mainTB{}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("etcd cluster: %v", r)
		}
	}()
	c = Start(tb, n)
	return c, func() {
		for i := len(tb.cleanup) - 1; i >= 0; i-- {
			tb.cleanup[i]()
		}
		for _, d := range tb.dirs {
			os.RemoveAll(d)
		}
	}, nil
}
