package cli

import (
	"fmt"
	"os"

	"frontdoor/internal/smallfile"
)

// checkPrivateFile refuses a secret's file that its group or others may
// read or write (mode&0o077): a key others on the host can read is no
// longer the server's alone. A missing file is the stat's error.
func checkPrivateFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() { // /dev/zero was told to chmod 600 (review)
		return fmt.Errorf("%s: not a regular file (%s): a secret is kept in a file", path, smallfile.Kind(fi.Mode()))
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("%s is mode %#o, open to its group or others: chmod 600 %s", path, m, path)
	}
	return nil
}
