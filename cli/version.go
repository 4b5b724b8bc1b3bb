package cli

import (
	"fmt"
	"runtime/debug"
)

// runVersion says which frontdoor this is: the module version and, for a
// build from a checkout, the commit and whether it had local changes.
func runVersion(c *ctx) error {
	if err := c.parse(); err != nil {
		return err
	}
	fmt.Fprintln(c.io.Out, "frontdoor "+version())
	return nil
}

func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown build)"
	}
	v := info.Main.Version
	var rev, at, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = " with local changes"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (commit %.12s, %s%s)", rev, at, dirty)
	}
	return v + " " + info.GoVersion
}
