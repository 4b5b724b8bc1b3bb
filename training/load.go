package training

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"frontdoor/internal/smallfile"
)

// Limits on a scenario directory (serve --scenarios DIR). Its files are a
// trainer's input, read when the live console starts: a draft, a huge
// file or a link to a device must cost a warning, never the console.
const (
	MaxScenarioBytes = 1 << 20 // one scenario file; the largest embedded one is under 4 KiB
	MaxScenarioFiles = 500     // scenario files read from one directory
	// MaxScenarioDirBytes bounds what one directory's files hold in
	// memory together: 500 files of 1 MiB each would be half a GiB.
	MaxScenarioDirBytes = 16 << 20
)

// ScenarioExts are the file name endings read as scenarios.
var ScenarioExts = []string{".yaml", ".yml"}

// LoadDir reads the scenarios in dir (*.yaml and *.yml): trainers add
// scenarios without a rebuild. It returns those that parse, sorted, and
// each file it skipped with why (bad): not a regular file (a link to a
// device, a fifo, a directory), larger than MaxScenarioBytes, not a valid
// scenario, a second scenario of the same name, or past the first
// MaxScenarioFiles by name. err is for dir itself: missing, not a
// directory, unreadable. A directory with no scenario files has no
// scenarios and no error; the caller says what that means to it.
func LoadDir(dir string) (lib Library, bad []error, err error) {
	names, skipped, more, err := scenarioFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range skipped { // each named, as every other file skipped is
		bad = append(bad, &FieldError{File: filepath.Join(dir, n), Err: fmt.Errorf("skipped: past the first %d scenario files by name", MaxScenarioFiles)})
	}
	if more > 0 {
		bad = append(bad, fmt.Errorf("%s: %d more scenario files skipped, past those (the last by name)", dir, more))
	}
	seen := map[string]string{}
	budget := int64(MaxScenarioDirBytes)
	for _, n := range names {
		file := filepath.Join(dir, n)
		data, err := readScenarioFile(file, budget)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		budget -= int64(len(data))
		sc, err := Parse(file, data)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		if first, dup := seen[sc.Name]; dup {
			bad = append(bad, &FieldError{File: file, Err: fmt.Errorf("two scenarios are called %s (also %s)", sc.Name, first)})
			continue
		}
		seen[sc.Name] = file
		lib = append(lib, sc)
	}
	lib.sort()
	return lib, bad, nil
}

// isScenarioFile: name ends in one of ScenarioExts.
func isScenarioFile(name string) bool {
	return slices.Contains(ScenarioExts, strings.ToLower(filepath.Ext(name)))
}

// scenarioFiles lists dir's scenario file names, the first
// MaxScenarioFiles by name, and the names after them (the next
// MaxScenarioFiles by name: skipped, to be named) and how many more
// there are past those. It lists the directory in batches and never
// holds more than four times the cap of names, so a directory of
// millions of files costs time, not memory.
func scenarioFiles(dir string) (names, skipped []string, more int, err error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("scenarios: %w", err)
	}
	defer d.Close()
	if fi, err := d.Stat(); err != nil {
		return nil, nil, 0, fmt.Errorf("scenarios: %w", err)
	} else if !fi.IsDir() {
		return nil, nil, 0, fmt.Errorf("scenarios: %s is not a directory", dir)
	}
	total := 0
	for {
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			if !isScenarioFile(e.Name()) {
				continue
			}
			total++
			names = append(names, e.Name())
			if len(names) >= 4*MaxScenarioFiles {
				slices.Sort(names)
				names = names[:2*MaxScenarioFiles]
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(entries) == 0) {
			break
		}
		if err != nil {
			return nil, nil, 0, fmt.Errorf("scenarios: reading %s: %w", dir, err)
		}
	}
	slices.Sort(names)
	if len(names) > MaxScenarioFiles {
		names, skipped = names[:MaxScenarioFiles], names[MaxScenarioFiles:min(len(names), 2*MaxScenarioFiles)]
	}
	return names, skipped, total - len(names) - len(skipped), nil
}

// readScenarioFile reads one scenario file: a regular file (or a link to
// one, smallfile.Open: a fifo cannot hang the start) of at most
// MaxScenarioBytes, within what is left of the directory's budget, read
// through a limit in case the file grows.
func readScenarioFile(file string, budget int64) ([]byte, error) {
	bad := func(err error) error { return &FieldError{File: file, Err: err} }
	f, before, err := smallfile.Open(file)
	if err != nil {
		return nil, bad(err)
	}
	defer f.Close()
	if before.Size() > MaxScenarioBytes {
		return nil, bad(fmt.Errorf("%d bytes: a scenario file is at most %d (1 MiB)", before.Size(), MaxScenarioBytes))
	}
	if before.Size() > budget {
		return nil, bad(fmt.Errorf("skipped: it would take the directory's scenario files past %d bytes (16 MiB) together", MaxScenarioDirBytes))
	}
	data, err := io.ReadAll(io.LimitReader(f, min(MaxScenarioBytes, budget)+1))
	if err != nil {
		return nil, bad(err)
	}
	if len(data) > MaxScenarioBytes {
		return nil, bad(fmt.Errorf("over %d bytes: a scenario file is at most %d (1 MiB)", MaxScenarioBytes, MaxScenarioBytes))
	}
	if int64(len(data)) > budget {
		return nil, bad(fmt.Errorf("grew while being read, past the directory's %d bytes (16 MiB)", MaxScenarioDirBytes))
	}
	return data, nil
}
