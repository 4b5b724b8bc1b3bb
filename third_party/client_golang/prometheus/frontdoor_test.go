package prometheus

import (
	"errors"
	"testing"
)

// frontdoor patch: the default registry is empty until its first use,
// and then holds what upstream's init put there: the Go and process
// collectors, so a second Go collector is already registered.
func TestDefaultCollectorsOnFirstUse(t *testing.T) {
	defaultRegistry.mtx.RLock()
	n := len(defaultRegistry.collectorsByID)
	defaultRegistry.mtx.RUnlock()
	if n != 0 {
		t.Fatalf("%d collectors registered before the default registry's first use", n)
	}
	families, err := DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	for _, want := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total"} {
		if !names[want] {
			t.Errorf("%s not gathered from the default registry", want)
		}
	}
	var already AlreadyRegisteredError
	if err := DefaultRegisterer.Register(NewGoCollector()); !errors.As(err, &already) {
		t.Errorf("registering a second Go collector: %v, want AlreadyRegisteredError", err)
	}
	c := NewCounter(CounterOpts{Name: "frontdoor_patch_test_total", Help: "a test"})
	MustRegister(c)
	if !Unregister(c) {
		t.Error("a counter registered through MustRegister could not be unregistered")
	}
}
