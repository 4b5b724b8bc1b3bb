package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"frontdoor/store"
	"frontdoor/store/etcd"
)

// runMigrate copies the store (--data's, or --store's) to another
// backend: `--to etcd://…` or `--to bbolt:DIR`, with its audit trail,
// outbox and checkpoint, all at once on the destination, then runs
// check on both sides and compares them.
func runMigrate(c *ctx) error {
	to := c.fs.String("to", "", "where to: etcd://H1:2379,…[/PREFIX] (TLS as in --store's URL), or bbolt:DIR")
	if err := c.parse(); err != nil {
		return err
	}
	if *to == "" || len(c.args) != 0 {
		return usagef("migrate: want --to etcd://…|bbolt:DIR")
	}
	src, err := c.existingStore()
	if err != nil {
		return err
	}
	var dst store.KV
	keyPath := c.keyPath() // a cluster's front ends share the key: the same file
	switch {
	case strings.HasPrefix(*to, "etcd://"):
		cfg, err := etcd.ParseURL(*to)
		if err != nil {
			return usagef("--to: %v", err)
		}
		if dst, err = etcd.Dial(cfg); err != nil {
			return err
		}
	case strings.HasPrefix(*to, "bbolt:"):
		dir := strings.TrimPrefix(*to, "bbolt:")
		if dir == "" {
			return usagef("--to bbolt:DIR: name the data directory")
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if c.auditKey == "" { // the key goes with a store kept in one directory
			keyPath = filepath.Join(dir, store.KeyFile)
			if err := copyKey(c.keyPath(), keyPath); err != nil {
				return err
			}
		}
		if dst, err = store.OpenBoltKV(filepath.Join(dir, store.FileName)); err != nil {
			return err
		}
	default:
		return usagef("--to %q: want etcd://… or bbolt:DIR", etcd.Redact(*to))
	}
	counts, err := src.CopyTo(dst, func(bucket string, n int) {
		fmt.Fprintf(c.io.Err, "migrate: %s: %d\n", bucket, n)
	})
	if err != nil {
		dst.Close()
		return err
	}
	out, err := store.OpenBackendExisting(dst, keyPath)
	if err != nil {
		return fmt.Errorf("the copy on %s: %w", etcd.Redact(*to), err)
	}
	defer out.Close()
	// the proof: both stores check, and hold the same head and accounts
	var problems []string
	for _, side := range []struct {
		name string
		st   *store.Store
	}{{"from", src}, {"to", out}} {
		p, err := side.st.Check()
		if err != nil {
			return fmt.Errorf("check %s: %w", side.name, err)
		}
		for _, q := range p {
			problems = append(problems, side.name+": "+q)
		}
	}
	hs, err1 := src.Head()
	ho, err2 := out.Head()
	ns, err3 := src.Count()
	no, err4 := out.Count()
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return err
	}
	if hs != ho || ns != no {
		problems = append(problems, fmt.Sprintf("the copy differs: %d accounts, head %d:%s; from %d accounts, head %d:%s", no, ho.Seq, ho.Hash, ns, hs.Seq, hs.Hash))
	}
	fmt.Fprintf(c.io.Out, "migrated to %s: %d accounts, %d index entries, %d users, %d audit entries, %d outbox messages; audit head %d:%s on both\n",
		etcd.Redact(*to), counts["accounts"], counts["email"]+counts["name"]+counts["phone"], counts["users"], counts["audit"], counts["outbox"], ho.Seq, ho.Hash)
	if len(problems) > 0 {
		return fmt.Errorf("migrate: %d problems after the copy:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	fmt.Fprintf(c.io.Out, "check: ok on both sides; the audit key is %s (keep it with the new store's front ends)\n", keyPath)
	return nil
}

// copyKey puts the audit key at to (0600), unless it is there already.
func copyKey(from, to string) error {
	if _, err := os.Stat(to); err == nil {
		return nil
	}
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
