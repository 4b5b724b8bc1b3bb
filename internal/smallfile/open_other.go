//go:build !unix

package smallfile

import "os"

// openFlags: no non-blocking open here; the look before opening stands.
const openFlags = os.O_RDONLY
