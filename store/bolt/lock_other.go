//go:build !unix

package bolt

import (
	"os"
	"time"
)

// lockFile: no marker is ever written where there is no boot id to
// compare (see Deferral), so nothing to settle under a lock.
func lockFile(*os.File, time.Duration) error { return nil }
