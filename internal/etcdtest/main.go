package etcdtest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
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

// Env names a package test run's backend (BackendEnv=etcd: the run on a
// cluster) and the cluster it joins (EndpointsEnv: a child process of a
// test, such as a crash test's, joins its parent's).
const (
	BackendEnv   = "FRONTDOOR_TEST_BACKEND"
	EndpointsEnv = "FRONTDOOR_TEST_ETCD_ENDPOINTS"
)

// MainOnBoth is a package's TestMain that runs its tests on bbolt, then
// runs the test binary again with BackendEnv=etcd; in that run it
// starts a three-member cluster (or joins EndpointsEnv's), hands use its
// members, and runs the tests again. Benchmarks run once, on bbolt,
// unless FRONTDOOR_BENCH_ETCD is set.
func MainOnBoth(m *testing.M, what string, use func(endpoints []string)) int {
	if os.Getenv(BackendEnv) == "etcd" {
		endpoints := strings.Split(os.Getenv(EndpointsEnv), ",")
		if endpoints[0] == "" {
			c, stop, err := StartMain(3)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer stop()
			endpoints = c.Endpoints()
			os.Setenv(EndpointsEnv, strings.Join(endpoints, ","))
		}
		use(endpoints)
		return m.Run()
	}
	if code := m.Run(); code != 0 || (benchmarking() && os.Getenv("FRONTDOOR_BENCH_ETCD") == "") {
		return code
	}
	fmt.Printf("%s: the same tests on a three-member etcd cluster\n", what)
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), BackendEnv+"=etcd")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return 1
	}
	return 0
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
