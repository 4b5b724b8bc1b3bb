//go:build unix

package smallfile

import (
	"os"
	"syscall"
)

// openFlags opens a file without waiting for a writer: a name
// swapped for a fifo after it was looked at must not hang the start.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
