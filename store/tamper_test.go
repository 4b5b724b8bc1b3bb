package store

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"frontdoor/model"
	"frontdoor/store/bolt"
)

// Tests an insider with the store file would make them write: each edits
// the bbolt file directly (the raw KV, no store logic) and expects check
// to say so (issue 9: a cut tail, a gap, a re-chained trail and a raised
// role all passed check).

// trail opens a store with an audit trail of n look-ups after an import.
func trail(t *testing.T, n int) (*Store, string) {
	t.Helper()
	s, dir := openTemp(t)
	if _, err := s.Import(strings.NewReader(lines(3)), "a", root, now); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := s.Audit(AuditEntry{At: now.Add(time.Duration(i) * time.Second), Actor: "ann", Role: RoleAgent, Action: "lookup", Account: "acc_0001"}); err != nil {
			t.Fatal(err)
		}
	}
	mustCheck(t, s)
	return s, dir
}

// entries reads the raw trail.
func entries(t *testing.T, s *Store) []AuditEntry {
	t.Helper()
	var out []AuditEntry
	s.kv.View(func(tx Tx) error {
		return tx.Scan(bAudit, nil, func(_, v []byte) (bool, error) {
			var e AuditEntry
			json.Unmarshal(v, &e)
			out = append(out, e)
			return true, nil
		})
	})
	return out
}

// rewrite replaces the raw trail with es, hashing each with hash (nil:
// left as it is) and chaining them, as an insider with the file would.
func rewrite(t *testing.T, s *Store, es []AuditEntry, hash func(AuditEntry) string) {
	t.Helper()
	err := s.kv.Update(func(tx Tx) error {
		var keys [][]byte
		tx.Scan(bAudit, nil, func(k, _ []byte) (bool, error) { keys = append(keys, append([]byte(nil), k...)); return true, nil })
		for _, k := range keys {
			tx.Delete(bAudit, k)
		}
		prev := ""
		for _, e := range es {
			if hash != nil {
				e.Prev = prev
				e.Hash = hash(e)
				prev = e.Hash
			}
			b, _ := json.Marshal(e)
			if err := tx.Put(bAudit, seqKey(e.Seq), b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func problemsOf(t *testing.T, s *Store) string {
	t.Helper()
	p, err := s.Check()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(p, "\n")
}

func TestCheckCatchesACutTail(t *testing.T) {
	s, _ := trail(t, 6)
	es := entries(t, s)
	rewrite(t, s, es[:len(es)-2], nil) // the newest two gone, the rest untouched
	if got := problemsOf(t, s); !strings.Contains(got, "entries were cut") {
		t.Fatalf("a cut tail passed check: %q", got)
	}
	// the next entry is numbered after the sealed head, so the cut stays
	// visible as a gap however much is appended after it
	if err := s.Audit(AuditEntry{At: now, Actor: "x", Action: "lookup"}); err != nil {
		t.Fatal(err)
	}
	if got := problemsOf(t, s); !strings.Contains(got, "entries 6 to 7 are missing") {
		t.Fatalf("an append after a cut hid it: %q", got)
	}
}

func TestCheckCatchesAGap(t *testing.T) {
	s, _ := trail(t, 6)
	es := entries(t, s)
	// an insider who even has the key drops entry 4 and re-chains the rest:
	// every hash verifies, but the numbering does not
	rest := append(append([]AuditEntry(nil), es[:3]...), es[4:]...)
	rewrite(t, s, rest, func(e AuditEntry) string { return e.digest(s.auditKey) })
	s.kv.Update(func(tx Tx) error {
		h, _, _ := readHead(tx)
		h.Hash = rest[len(rest)-1].digest(s.auditKey)
		return s.writeHead(tx, h)
	})
	got := problemsOf(t, s)
	if !strings.Contains(got, "entries 4 to 4 are missing") {
		t.Fatalf("a gap passed check: %q", got)
	}
}

func TestCheckCatchesARechainWithoutTheKey(t *testing.T) {
	s, _ := trail(t, 4)
	es := entries(t, s)
	es[2].Actor = "mallory" // who looked the account up is changed…
	// …and the whole chain re-hashed with plain SHA-256, as the old check allowed
	rewrite(t, s, es, func(e AuditEntry) string { return e.digest(nil) })
	got := problemsOf(t, s)
	if !strings.Contains(got, "re-chained without the key") {
		t.Fatalf("a re-chained trail passed check: %q", got)
	}
}

func TestCheckHeadCatchesARewriteWithTheKey(t *testing.T) {
	s, _ := trail(t, 4)
	head, err := s.AuditHead()
	if err != nil {
		t.Fatal(err)
	}
	seq, hash, err := ParseHead(head)
	if err != nil {
		t.Fatal(err)
	}
	// an insider with the file and the key rewrites entry 2 and everything
	// after it, and seals a new head: plain check cannot tell…
	es := entries(t, s)
	es[1].Actor = "mallory"
	rewrite(t, s, es, func(e AuditEntry) string { return e.digest(s.auditKey) })
	s.kv.Update(func(tx Tx) error {
		h, _, _ := readHead(tx)
		h.Hash = entries(t, s)[len(es)-1].Hash
		return s.writeHead(tx, h)
	})
	if got := problemsOf(t, s); got != "" {
		t.Fatalf("with the key the rewrite is consistent, yet check says %q", got)
	}
	// …but the head on-call kept elsewhere can
	p, err := s.CheckHead(seq, hash)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(p, "\n"), "the head kept outside says") {
		t.Fatalf("check --head missed a rewrite: %q", p)
	}
	// and a kept head past the end of the chain means it was cut
	p, _ = s.CheckHead(seq+100, hash)
	if !strings.Contains(strings.Join(p, "\n"), "is not in the chain") {
		t.Fatalf("check --head past the end: %q", p)
	}
}

func TestCheckCatchesARaisedRole(t *testing.T) {
	s, _ := openTemp(t)
	k := edKey(t)
	if err := s.AddUser("sam", RoleAgent, []string{k}, root, now); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s)
	s.kv.Update(func(tx Tx) error {
		u, _ := getUser(tx, "sam")
		u.Role = RoleAdmin
		return putUser(tx, u)
	})
	if got := problemsOf(t, s); !strings.Contains(got, "user sam: role admin in the registry, but the audit trail gave agent") {
		t.Fatalf("a raised role passed check: %q", got)
	}
	// a user slipped into the registry without an audited add
	s.kv.Update(func(tx Tx) error { return putUser(tx, User{Name: "eve", Role: RoleAdmin, Keys: []string{edKey(t)}}) })
	if got := problemsOf(t, s); !strings.Contains(got, "user eve: in the registry but never added") {
		t.Fatalf("an unaudited user passed check: %q", got)
	}
}

func TestADeletedHeadIsNotResealed(t *testing.T) {
	s, dir := trail(t, 3)
	s.kv.Update(func(tx Tx) error { return tx.Delete(bMeta, []byte(metaAuditHead)) })
	s.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := problemsOf(t, s); !strings.Contains(got, "no head") {
		t.Fatalf("a deleted head was not reported: %q", got)
	}
	if err := s.Audit(AuditEntry{At: now, Actor: "x", Action: "lookup"}); !errors.Is(err, ErrAuditHead) {
		t.Fatalf("appended to a trail without a head: %v", err)
	}
}

func TestTheAuditKeyStaysOutsideAndMustMatch(t *testing.T) {
	s, dir := trail(t, 1)
	keyPath := filepath.Join(dir, KeyFile)
	st, err := os.Stat(keyPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("audit key: %v %v", err, st)
	}
	key, _ := os.ReadFile(keyPath)
	raw, _ := os.ReadFile(filepath.Join(dir, FileName))
	if strings.Contains(string(raw), strings.TrimSpace(string(key))) {
		t.Fatal("the audit key is inside the store file")
	}
	s.Close()
	os.Rename(keyPath, keyPath+".moved")
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), keyPath) {
		t.Fatalf("opened without its key: %v", err)
	}
	other := make([]byte, 32)
	os.WriteFile(keyPath, []byte(hex.EncodeToString(other)+"\n"), 0o600)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "not this store's key") {
		t.Fatalf("opened with another key: %v", err)
	}
	os.Rename(keyPath+".moved", keyPath)
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// The attack review's forgery: the chain re-hashed as plain SHA-256, the
// head, the key record and the key file removed, a role raised. The
// store no longer opens (a new key would seal the forgery); sealing it
// as legacy is an operator's command, and check then says, every run,
// that those entries are not keyed.
func TestForgedLegacyChainIsNotSealedOnOpen(t *testing.T) {
	boltOnly(t)
	s, dir := trail(t, 3)
	es := entries(t, s)
	rewrite(t, s, es[:len(es)-1], func(e AuditEntry) string { return e.digest(nil) })
	s.kv.Update(func(tx Tx) error {
		tx.Delete(bMeta, []byte(metaAuditHead))
		return tx.Delete(bMeta, []byte(metaAuditKeyID))
	})
	s.Close()
	os.Remove(filepath.Join(dir, KeyFile))
	if _, err := Open(dir); !errors.Is(err, ErrAuditKey) || !strings.Contains(err.Error(), "seal-legacy") {
		t.Fatalf("a store with a trail and no key opened: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); err == nil {
		t.Fatal("opening made a new key for a store with a trail")
	}
	n, err := SealLegacy(dir, Options{}, root, now)
	if err != nil || n != uint64(len(es)-1) {
		t.Fatalf("seal: %d %v", n, err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustCheck(t, s)
	if got := s.LegacyEntries(); got != n {
		t.Fatalf("LegacyEntries %d, want %d: check must say they are not keyed", got, n)
	}
	log, _ := s.AuditLog(AuditFilter{Limit: 1})
	if log[0].Action != "audit_legacy_sealed" {
		t.Fatalf("sealing not audited: %+v", log[0])
	}
	if _, err := SealLegacy(dir, Options{}, root, now); err == nil {
		t.Fatal("sealed twice")
	}
}

func edKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	sum := sha256.Sum256([]byte(t.Name() + time.Now().String()))
	copy(k, sum[:])
	pk, err := gossh.NewPublicKey(ed25519Public(k))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pk)))
}

func TestKeysAreRefusedWhenWeakOrWithOptions(t *testing.T) {
	s, _ := openTemp(t)
	good := edKey(t)
	for _, c := range []struct{ name, key, want string }{
		{"from", `from="10.0.0.0/8" ` + good, "not enforced"},
		{"command", `command="/bin/sh" ` + good, "not enforced"},
		{"no-pty", "no-pty " + good, "not enforced"},
		{"dsa", dsaKey, "DSA"},
		{"rsa1024", rsa1024Key, "at least 2048"},
	} {
		err := s.AddUser("u"+c.name, RoleAgent, []string{c.key}, root, now)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if err := s.AddUser("ok", RoleAgent, []string{good}, root, now); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"Sam", "-sam", "sam\x1b[31m", strings.Repeat("a", 33), "sa m"} {
		if err := s.AddUser(bad, RoleAgent, []string{edKey(t)}, root, now); !errors.Is(err, ErrInvalidUser) {
			t.Errorf("name %q: %v", bad, err)
		}
	}
}

// A session's actor is resolved from the registry at every action: a
// demoted lead acts as an agent, a removed one not at all.
func TestActionsReadTheRoleFromTheRegistry(t *testing.T) {
	s, _ := openTemp(t)
	s.Import(strings.NewReader(lines(1)), "a", root, now)
	s.AddUser("kay", RoleLead, []string{edKey(t)}, root, now)
	kay := Actor{Name: "kay", Role: RoleLead, Registered: true} // as the session logged in
	if err := s.SetRole("kay", RoleAgent, root, now); err != nil {
		t.Fatal(err)
	}
	var seen string
	_, err := s.Act("acc_0001", 1, kay, now, model.ActAddNote, func(a model.Account, by Actor) (model.Effect, error) {
		seen = by.Role
		return model.DefaultPolicy.AddNote(a, model.ActionInput{By: by.Name, Role: by.Role, Now: now, Reason: "x"})
	})
	if err != nil || seen != RoleAgent {
		t.Fatalf("acted as %q (err %v), want agent", seen, err)
	}
	log, _ := s.AuditLog(AuditFilter{Account: "acc_0001", Limit: 1})
	if log[0].Role != RoleAgent {
		t.Fatalf("audited as %q", log[0].Role)
	}
	// a lead-only action is refused, and the refusal audited
	_, err = s.Act("acc_0001", 2, kay, now, model.ActIssueRecoveryCode, func(a model.Account, by Actor) (model.Effect, error) {
		return model.DefaultPolicy.IssueRecoveryCode(a, model.ActionInput{By: by.Name, Role: by.Role, Now: now, Reason: "x", Checks: model.VerificationChecks})
	})
	if !errors.Is(err, model.ErrNotAllowed) {
		t.Fatalf("demoted lead took a lead action: %v", err)
	}
	log, _ = s.AuditLog(AuditFilter{Account: "acc_0001", Limit: 1})
	if log[0].Action != ActionRefused || log[0].Details["action"] != model.ActIssueRecoveryCode || log[0].Actor != "kay" {
		t.Fatalf("refusal not audited: %+v", log[0])
	}
	s.RemoveUser("kay", root, now)
	if _, err := s.Act("acc_0001", 2, kay, now, model.ActAddNote, func(a model.Account, by Actor) (model.Effect, error) {
		t.Fatal("a removed user's decision ran")
		return model.Effect{}, nil
	}); !errors.Is(err, ErrRevoked) {
		t.Fatalf("removed user acted: %v", err)
	}
	if err := s.AuditAs(kay, AuditEntry{At: now, Action: "lookup"}); !errors.Is(err, ErrRevoked) {
		t.Fatalf("removed user looked up: %v", err)
	}
	mustCheck(t, s)
}

func TestDemoStoreTakesNoRealDataAndRetimesOnlyDemo(t *testing.T) {
	s, _ := openTemp(t)
	seeded := now.Add(-72 * time.Hour)
	if err := s.SeedDemo(nil, seeded); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(strings.NewReader(lines(1)), "real.jsonl", root, now); !errors.Is(err, ErrDemoStore) {
		t.Fatalf("a demo store took an import: %v", err)
	}
	// a record that is not from the demo set (as an older version let in)
	a, _ := model.ParseAccount([]byte(line(7)))
	s.kv.Update(func(tx Tx) error {
		if err := putRecord(tx, Record{Version: 3, UpdatedBy: "importer", UpdatedAt: seeded, Account: a}); err != nil {
			return err
		}
		return putIndexes(tx, a)
	})
	before, _ := s.Get("acc_0007")
	if err := s.ReanchorDemo(now); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Get("acc_0007")
	if !after.Account.CreatedAt.Equal(*before.Account.CreatedAt) || after.Version != before.Version {
		t.Fatalf("a real record was re-timed: %v → %v", before.Account.CreatedAt, after.Account.CreatedAt)
	}
	log, _ := s.AuditLog(AuditFilter{Actions: []string{"demo_retimed"}})
	if len(log) != 1 {
		t.Fatalf("re-timing not audited: %+v", log)
	}
}

func TestCrashMidBackup(t *testing.T) {
	boltOnly(t)
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Import(strings.NewReader(lines(3000)), "a", root, now)
	s.Close()
	runChild(t, "backup", dir, 0)
	if _, err := os.Stat(filepath.Join(dir, "bk", "backup.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a backup killed before its rename left a file in place: %v", err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := mustCount(t, s); n != 3000 {
		t.Fatalf("live store has %d accounts after a killed backup", n)
	}
	mustCheck(t, s)
	// the killed backup's temporary (a whole copy of the store) is removed
	// by the next backup there, once it is old enough not to be another's
	temps, _ := filepath.Glob(filepath.Join(dir, "bk", bolt.TempPattern))
	if len(temps) == 0 {
		t.Fatal("the killed backup left no temporary: the test did not kill it mid-write")
	}
	for _, p := range temps {
		os.Chtimes(p, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
	}
	if err := s.Backup(filepath.Join(dir, "bk", "again.db"), false); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "bk", bolt.TempPattern)); len(left) != 0 {
		t.Fatalf("stale temporaries left: %v", left)
	}
	// nothing is written into the data directory, nor over what is not a file
	for _, p := range []string{filepath.Join(dir, "copy.db"), filepath.Join(dir, "ssh_host_ed25519"), filepath.Join(dir, "bk")} {
		if err := s.Backup(p, false); err == nil {
			t.Errorf("backup to %s was let through", p)
		}
	}
}

func ed25519Public(seed []byte) ed25519.PublicKey {
	return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
}

// Weak keys, made once with crypto/dsa and crypto/rsa (DSA parameters take
// seconds to generate).
const (
	dsaKey     = "ssh-dss AAAAB3NzaC1kc3MAAACBAO47rcjWfcPPufg7Cd11BrB2raJ65+JbxWP0n44C7CEAKtYS8H4S/MVS0LxPqsFY+qYNNZ8/B2jUNOFfzFML3POG2VTfrQwveF4nO/yQjtz35u/DDW71XKyO62PuR0HbLPL/gO65DHLyF9EuIo3co0edbf1Ey9BXCOYWREJWBjvdAAAAFQCeN4alY/KuhqN1Ciagp+Uj/Cd0uQAAAIAm48iO04LhsoRN8az/4auSrbfvA8g5I+4fw2pu91XRosxIKPqn4RQI4fqLKA3N2D8yQATUA8mYmaUX9Kmzs5YoAQniSRikrCIpDOBF/6JUrlLRFpU5sIeE5UIi5JCiwVVVgNm1lx+G9t9V5m4fsFIDs/5cN0ZGwqOr8eKRNaZYXAAAAIEAyFyAI1irBGBqt/K64/FKkklL2ygDNsNJ89uLpbszNGaY41DQrFb2P4hME57rn4HMLwHn1ya6hakka0e3ACxjTCurdscO49OJM1qouSObeyDPN5yQSqHsAVsoK0msAqENz0W2IdMQ2JKtVzpXA9Q5aEskyQtj7z141pqD2HgqgmU="
	rsa1024Key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDGlJVD1JoqUMa/KLifoIfBPBNU7mnoxCHniuWAj+dZQx+RcpqMRkechEFVHX2ZYhqrUSHH1mEh5shVBp8UnlISyFY/z6Nfi9pdeanV+xnM6zV34aMxH8UVqVNwtQszG7MUl4HzapbbrUyFj6OuICbHMvNnyQGZKRtv2iIw0W0BlQ=="
)

// The second review's wipe: the trail, the users and keys, the head and
// the key record emptied, a user added again. A store with accounts and
// no trail never gets a new key, and without its head nothing appends.
func TestAWipedTrailIsNotStartedAfresh(t *testing.T) {
	for _, keepKey := range []bool{false, true} {
		s, dir := trail(t, 3)
		s.AddUser("sam", RoleAgent, []string{edKey(t)}, root, now)
		s.kv.Update(func(tx Tx) error {
			for _, b := range []string{bAudit, bUsers, bKeys} {
				var keys [][]byte
				tx.Scan(b, nil, func(k, _ []byte) (bool, error) { keys = append(keys, append([]byte(nil), k...)); return true, nil })
				for _, k := range keys {
					tx.Delete(b, k)
				}
			}
			tx.Delete(bMeta, []byte(metaAuditHead))
			return tx.Delete(bMeta, []byte(metaAuditKeyID))
		})
		s.Close()
		if !keepKey {
			os.Remove(filepath.Join(dir, KeyFile))
			if _, err := Open(dir); !errors.Is(err, ErrAuditKey) {
				t.Fatalf("a wiped store without its key opened: %v", err)
			}
			continue
		}
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddUser("mallory", RoleAdmin, []string{edKey(t)}, root, now); !errors.Is(err, ErrAuditHead) {
			t.Fatalf("a user added to a wiped store: %v", err)
		}
		if got := problemsOf(t, s); !strings.Contains(got, "no head") {
			t.Fatalf("check passed a wiped trail: %q", got)
		}
		s.Close()
	}
}

// reseal points the head at the chain's last entry and seals it with key,
// as an insider who edited the trail would.
func reseal(t *testing.T, s *Store, key []byte) {
	t.Helper()
	es := entries(t, s)
	last := es[len(es)-1]
	err := s.kv.Update(func(tx Tx) error {
		h, _, _ := readHead(tx)
		h.Seq, h.Hash = last.Seq, last.Hash
		h.MAC = h.mac(key)
		b, _ := json.Marshal(h)
		return tx.Put(bMeta, []byte(metaAuditHead), b)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dropAndRechain removes entry seq and numbers and chains the rest again
// with key (nil: plain SHA-256), leaving no gap for check to see.
func dropAndRechain(t *testing.T, s *Store, seq uint64, key []byte) {
	t.Helper()
	var rest []AuditEntry
	for _, e := range entries(t, s) {
		if e.Seq != seq {
			e.Seq = uint64(len(rest) + 1)
			rest = append(rest, e)
		}
	}
	rewrite(t, s, rest, func(e AuditEntry) string { return e.digest(key) })
}

// Issue 20: with the audit key outside the data directory, an insider
// who has the data directory (every file in it) but not the key drops an
// event, re-chains the rest and re-seals the head with what they have:
// no key, or one of their own. check fails, or the store refuses to open
// when they also put their key's record in. The last row is why the key
// moves: beside the data, the insider reads it and the rewrite is clean.
func TestAnInsiderWithoutTheKeyCannotReseal(t *testing.T) {
	theirs := make([]byte, 32)
	copy(theirs, "mallory's own key, not the store")
	for _, tc := range []struct {
		name      string
		keyApart  bool
		key       []byte // what the insider re-chains with; nil: the key they found
		record    bool   // the insider also writes their key's record
		want      string // in check's problems, or the error opening
		wantCheck bool   // check passes: the rewrite is clean
	}{
		{name: "plain SHA-256", keyApart: true, key: nil, want: "re-chained without the key"},
		{name: "their own key", keyApart: true, key: theirs, want: "is not sealed with this store's key"},
		{name: "their own key and its record", keyApart: true, key: theirs, record: true, want: "not this store's key"},
		{name: "the key beside the data", keyApart: false, wantCheck: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var o Options
			if tc.keyApart {
				o.AuditKey = filepath.Join(t.TempDir(), "audit.key")
			}
			s, err := OpenWith(dir, o)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Import(strings.NewReader(lines(3)), "a", root, now); err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				if err := s.Audit(AuditEntry{At: now.Add(time.Duration(i) * time.Second), Actor: "ann", Role: RoleAgent, Action: "lookup", Account: "acc_0001"}); err != nil {
					t.Fatal(err)
				}
			}
			mustCheck(t, s)
			// the insider's view: every file in the data directory
			key := tc.key
			if found, err := os.ReadFile(filepath.Join(dir, KeyFile)); err == nil {
				if tc.keyApart {
					t.Fatalf("the key is in the data directory though kept apart")
				}
				key, _ = hex.DecodeString(strings.TrimSpace(string(found)))
			} else if !tc.keyApart {
				t.Fatal(err)
			}
			dropAndRechain(t, s, 3, key)
			reseal(t, s, key)
			if tc.record {
				s.kv.Update(func(tx Tx) error { return tx.Put(bMeta, []byte(metaAuditKeyID), []byte(keyID(key))) })
			}
			s.Close()

			s, err = OpenWith(dir, o) // on-call, with the key from where it is kept
			if tc.record {
				if !errors.Is(err, ErrAuditKey) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("opened a store sealed with another key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got := problemsOf(t, s)
			if tc.wantCheck {
				if got != "" {
					t.Fatalf("with the key beside the data the rewrite should be clean, yet check says %q", got)
				}
				return
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("an insider without the key re-sealed the trail: check says %q, want %q", got, tc.want)
			}
		})
	}
}

// Issue 20: an insider with the data directory and the key drops an
// event and re-seals: check alone passes, but the heads shipped to a
// file elsewhere do not hold, even after the server restarts and ships
// the rewritten head after them.
func TestShippedHeadsCatchAnInsiderWithTheKey(t *testing.T) {
	s, _ := trail(t, 4)
	file := filepath.Join(t.TempDir(), "heads")
	ship := func(at time.Time) ShippedHead {
		h, err := s.Head()
		if err != nil {
			t.Fatal(err)
		}
		h.At = at
		if err := AppendHeadFile(file, h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	ship(now)
	if err := s.Audit(AuditEntry{At: now.Add(time.Minute), Actor: "ann", Role: RoleAgent, Action: "lookup", Account: "acc_0002"}); err != nil {
		t.Fatal(err)
	}
	ship(now.Add(time.Minute))
	if p, _, err := s.CheckHeadFile(file); err != nil || len(p) > 0 {
		t.Fatalf("an untouched trail against its shipped heads: %v %v", p, err)
	}

	dropAndRechain(t, s, 3, s.auditKey)
	reseal(t, s, s.auditKey)
	if got := problemsOf(t, s); got != "" {
		t.Fatalf("with the key the rewrite is consistent, yet check says %q", got)
	}
	p, _, err := s.CheckHeadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p, "\n"); !strings.Contains(got, file+":1: entry") || !strings.Contains(got, "rewritten") {
		t.Fatalf("the shipped heads missed a rewrite with the key: %q", got)
	}
	// the server restarts on the rewritten store and ships its head last
	forged := ship(now.Add(2 * time.Minute))
	p, last, err := s.CheckHeadFile(file)
	if err != nil || last != forged {
		t.Fatalf("last head %v, want %v: %v", last, forged, err)
	}
	if got := strings.Join(p, "\n"); !strings.Contains(got, file+":2: entry") {
		t.Fatalf("a rewritten head shipped last hid the true ones: %q", got)
	}
}

func TestHeadFileErrors(t *testing.T) {
	s, _ := trail(t, 2)
	h, _ := s.Head()
	good := h.String()
	for _, tc := range []struct {
		name, text, want string
	}{
		{"empty", "", "no head in it"},
		{"blank lines only", "\n  \n", "no head in it"},
		{"not a head", good + "\nhello\n", `:2: head "hello": want SEQ:HASH`},
		{"a bad time", fmt.Sprintf("%d:%s yesterday\n", h.Seq, h.Hash), ":1: time \"yesterday\""},
		{"too many fields", good + " 2026-11-10T18:00:00Z extra\n", ":1: want SEQ:HASH [TIME]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "heads")
			os.WriteFile(file, []byte(tc.text), 0o600)
			_, _, err := s.CheckHeadFile(file)
			if !errors.Is(err, ErrHeadFile) || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%q: %v, want %q naming the file", tc.text, err, tc.want)
			}
		})
	}
	if _, _, err := s.CheckHeadFile(filepath.Join(t.TempDir(), "none")); !errors.Is(err, ErrHeadFile) {
		t.Fatalf("a missing head file: %v", err)
	}
	// a bare SEQ:HASH, as `audit head` prints it, reads
	file := filepath.Join(t.TempDir(), "heads")
	h, _ = s.Head()
	os.WriteFile(file, []byte(fmt.Sprintf("%d:%s\n", h.Seq, h.Hash)), 0o600)
	if p, last, err := s.CheckHeadFile(file); err != nil || len(p) > 0 || last.Seq != h.Seq {
		t.Fatalf("a bare head: %v %v %v", p, last, err)
	}
}
