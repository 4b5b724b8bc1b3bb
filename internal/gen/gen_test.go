package gen_test

import (
	"bufio"
	"bytes"
	"context"
	"testing"
	"time"

	"frontdoor/internal/gen"
	"frontdoor/mirror"
	"frontdoor/model"
	"frontdoor/store"
)

func write(t *testing.T, seed uint64, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gen.New(seed).Write(&b, n); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSameSeedSameBytes(t *testing.T) {
	a, b := write(t, 7, 500), write(t, 7, 500)
	if !bytes.Equal(a, b) {
		t.Fatal("seed 7 wrote different bytes twice")
	}
	if bytes.Equal(a, write(t, 8, 500)) {
		t.Fatal("seeds 7 and 8 wrote the same accounts")
	}
	// account i is the same however many are written before it
	if !bytes.HasPrefix(a, write(t, 7, 10)) {
		t.Fatal("the first 10 of 500 differ from 10 alone")
	}
}

// TestAccountsAreValid: every line passes import's own parser (DOMAIN
// §6), and the mix has what a load needs: both roles, factors, resets,
// sign-ins, previous emails, one held as another's current (rule S5).
func TestAccountsAreValid(t *testing.T) {
	const n = 3000
	sc := bufio.NewScanner(bytes.NewReader(write(t, 1, n)))
	sc.Buffer(nil, 1<<20)
	current := map[string]bool{}
	var roles = map[string]int{}
	var factors, resets, logins, previous, reused int
	var prev []string
	for line := 1; sc.Scan(); line++ {
		a, err := model.ParseAccount(sc.Bytes())
		if err != nil {
			t.Fatalf("line %d: %v\n%s", line, err, sc.Bytes())
		}
		if a.ID != gen.ID(line-1) {
			t.Fatalf("line %d: id %s, want %s", line, a.ID, gen.ID(line-1))
		}
		e := model.NormalizeEmail(a.Email)
		if current[e] {
			t.Fatalf("line %d: %s is already another account's current email", line, a.Email)
		}
		current[e] = true
		roles[a.Role]++
		factors += min(len(a.Factors), 1)
		resets += min(len(a.Resets), 1)
		logins += min(len(a.Logins), 1)
		previous += min(len(a.PreviousEmails), 1)
		prev = append(prev, a.PreviousEmails...)
	}
	for _, p := range prev {
		if current[model.NormalizeEmail(p)] {
			reused++
		}
	}
	for what, got := range map[string]int{"clients": roles["client"], "providers": roles["provider"], "with factors": factors,
		"with resets": resets, "with sign-ins": logins, "with previous emails": previous, "previous emails held now by another (S5)": reused} {
		if got == 0 {
			t.Errorf("no accounts %s in %d", what, n)
		}
	}
}

// TestImportsAndChecks: gen's output imports into a store and check
// finds nothing wrong.
func TestImportsAndChecks(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.Import(bytes.NewReader(write(t, 3, 2000)), "gen.jsonl", store.Actor{Name: "test", Role: store.RoleAdmin}, time.Now())
	if err != nil || n != 2000 {
		t.Fatalf("import: %d %v", n, err)
	}
	problems, err := st.Check()
	if err != nil || len(problems) > 0 {
		t.Fatalf("check: %v %v", problems, err)
	}
}

// TestUpdateAppendsSignIns: account i spelled with extra sign-ins is the
// same account with those sign-ins after its own (a stream's update).
func TestUpdateAppendsSignIns(t *testing.T) {
	g := gen.New(5)
	for i := range 200 {
		a, err := model.ParseAccount(g.Append(nil, i, 0))
		if err != nil {
			t.Fatal(err)
		}
		b, err := model.ParseAccount(g.Append(nil, i, 2))
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Logins) != len(a.Logins)+2 || b.Email != a.Email || len(b.Resets) != len(a.Resets) {
			t.Fatalf("account %d: update is not the account with two sign-ins more", i)
		}
	}
}

// TestUpdatesApply: the updates gen writes for an imported store are a
// stream sync takes whole: seq rising from after+1 (S1), each applied
// (versions from 1 over the import's 0: S2), each account ending with
// one sign-in more per update it had; the same seed, the same bytes.
func TestUpdatesApply(t *testing.T) {
	const accounts, updates, after = 300, 2000, 41
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Import(bytes.NewReader(write(t, 4, accounts)), "gen.jsonl", store.Actor{Name: "test", Role: store.RoleAdmin}, time.Now()); err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := gen.New(4).WriteUpdates(&a, accounts, updates, after); err != nil {
		t.Fatal(err)
	}
	gen.New(4).WriteUpdates(&b, accounts, updates, after)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same seed wrote different updates")
	}
	per := map[string]int{} // updates each account had
	seq := uint64(after)
	sc := bufio.NewScanner(bytes.NewReader(a.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		ev, err := store.ParseSnapshot(bytes.Clone(sc.Bytes())) // its strings share the line
		if err != nil {
			t.Fatalf("line %d: %v", seq-after+1, err)
		}
		if ev.Seq != seq+1 {
			t.Fatalf("seq %d after %d", ev.Seq, seq)
		}
		seq = ev.Seq
		per[ev.Account.ID]++
		if ev.Version != uint64(per[ev.Account.ID]) {
			t.Fatalf("seq %d: version %d for the account's update %d", ev.Seq, ev.Version, per[ev.Account.ID])
		}
	}
	if seq != after+updates || len(per) < accounts/2 {
		t.Fatalf("%d events, %d accounts updated", seq-after, len(per))
	}
	if _, err := st.SetCheckpoint(after, store.Actor{Name: "test", Role: store.RoleAdmin}, "the stream starts after it", time.Now()); err != nil {
		t.Fatal(err)
	}
	c, err := mirror.Sync(context.Background(), st, bytes.NewReader(a.Bytes()), mirror.SyncOptions{})
	if err != nil || c.Applied != updates || c.Duplicate+c.Stale+c.Replayed+c.New != 0 {
		t.Fatalf("sync: %+v %v", c, err)
	}
	if st.Checkpoint() != after+updates {
		t.Fatalf("checkpoint %d, want %d", st.Checkpoint(), after+updates)
	}
	g := gen.New(4)
	for i := range accounts {
		base, _ := model.ParseAccount(g.Append(nil, i, 0))
		rec, err := st.Get(gen.ID(i))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(rec.Account.Logins), len(base.Logins)+per[gen.ID(i)]; got != want {
			t.Fatalf("%s: %d sign-ins, want %d", gen.ID(i), got, want)
		}
	}
	if problems, err := st.Check(); err != nil || len(problems) > 0 {
		t.Fatalf("check: %v %v", problems, err)
	}
}
