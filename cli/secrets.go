package cli

import (
	"fmt"
	"os"
)

// checkPrivateFile refuses a secret's file that its group or others may
// read or write (mode&0o077): a key others on the host can read is no
// longer the server's alone. A missing file is the stat's error.
func checkPrivateFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("%s is mode %#o, open to its group or others: chmod 600 %s", path, m, path)
	}
	return nil
}
