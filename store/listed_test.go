package store

import (
	"fmt"
	"strings"
	"testing"

	"frontdoor/model"
)

// A search lists a few fields of each account it finds: it decodes those,
// not the account's unknown members, sign-ins or notes (an agent's search
// matching accounts that carried 230,000 unknown members each had taken 9 s
// and 3.95 GB). What it lists is what the account holds.
func TestSearchDecodesOnlyWhatItLists(t *testing.T) {
	s, _ := openTemp(t)
	var b strings.Builder
	for i, name := range []string{"Zed Number1", `Zed \u00c9mile`} { // the second takes the long way (an escape)
		l := strings.TrimSuffix(strings.Replace(line(i+1), "User Number"+fmt.Sprint(i+1), name, 1), "}")
		l += `,"logins":[{"at":"2026-11-01T00:00:00Z","portal":"patient","result":"ok","ip":"203.0.113.9"}],"notes":[{"at":"2026-11-01T00:00:00Z","by":"sam","text":"called"}]`
		for k := range model.MaxUnknownMembers {
			l += fmt.Sprintf(`,"zed%02d":{"deep":[%d,"x"]}`, k, k)
		}
		b.WriteString(l + "}\n")
	}
	if _, err := s.Import(strings.NewReader(b.String()), "a", root, now); err != nil {
		t.Fatal(err)
	}
	hits, err := s.Search("zed", 10)
	if err != nil || len(hits) != 2 {
		t.Fatalf("%d hits, %v", len(hits), err)
	}
	for _, h := range hits {
		a := h.Account
		if a.Extra != nil || a.Notes != nil || a.Logins != nil {
			t.Errorf("%s: the search decoded %d unknown members, %d notes, %d sign-ins", a.ID, len(a.Extra), len(a.Notes), len(a.Logins))
		}
		full, err := s.Get(a.ID)
		if err != nil {
			t.Fatal(err)
		}
		f := full.Account
		if len(f.Extra) != model.MaxUnknownMembers || len(f.Notes) != 1 {
			t.Fatalf("%s: the record holds %d unknown members, %d notes", a.ID, len(f.Extra), len(f.Notes))
		}
		if a.ID != f.ID || a.Email != f.Email || a.Name != f.Name || a.Role != f.Role || a.Status != f.Status || a.Phone != f.Phone ||
			!a.CreatedAt.Equal(*f.CreatedAt) || fmt.Sprint(a.PreviousEmails) != fmt.Sprint(f.PreviousEmails) || h.Version != full.Version {
			t.Errorf("listed %+v\n  holds %+v", a, f)
		}
	}
}

// A search lists a record as it is now: one listed before and changed
// since (its status, a listed field no index holds) is not shown as it
// was, and what a caller does to a hit's lists reaches no other caller.
func TestSearchListsTheRecordAsItIsNow(t *testing.T) {
	s, _ := openTemp(t)
	if _, err := s.Import(strings.NewReader(lines(3)), "a", root, now); err != nil {
		t.Fatal(err)
	}
	first, _, err := s.SearchCount("acc_0002", 5)
	if err != nil || len(first) != 1 || first[0].Account.Status != "active" {
		t.Fatalf("before: %+v %v", first, err)
	}
	first[0].Account.PreviousEmails = append(first[0].Account.PreviousEmails, "mine@example.com")
	_, err = s.Apply("acc_0002", first[0].Version, root, now, func(a model.Account, _ Actor) (Change, error) {
		a.Status = "deactivated"
		return Change{Account: a, Audit: AuditEntry{Action: "test"}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := s.SearchCount("acc_0002", 5)
	if err != nil || len(again) != 1 {
		t.Fatalf("after: %+v %v", again, err)
	}
	if again[0].Account.Status != "deactivated" || again[0].Version == first[0].Version {
		t.Fatalf("listed as it was: status %q version %d", again[0].Account.Status, again[0].Version)
	}
	if len(again[0].Account.PreviousEmails) != 0 {
		t.Fatalf("another caller's change to a hit reached this one: %v", again[0].Account.PreviousEmails)
	}
	// unchanged, listed again: the same as a fresh decode
	third, _, _ := s.SearchCount("acc_0002", 5)
	fresh, err := s.Get("acc_0002")
	if err != nil || third[0].Account.Status != fresh.Account.Status || third[0].Version != fresh.Version || third[0].Account.Email != fresh.Account.Email {
		t.Fatalf("listed %+v, stored %+v", third[0].Record, fresh)
	}
}

// A search asked again at the same commit is answered from the answers
// kept (typing, then backspacing; a floor of agents asking the same
// prefix), and at any other commit it is searched afresh: an import,
// which tells no screen, is seen at once, and so is a commit that moved
// nothing a search lists (an audit entry). What a caller does to an
// answer reaches no other caller.
func TestSearchAnswersKeptOnlyForTheirCommit(t *testing.T) {
	s, _ := openTemp(t)
	if _, err := s.Import(strings.NewReader(lines(3)), "a", root, now); err != nil {
		t.Fatal(err)
	}
	first, more, err := s.SearchCount("user", 2)
	if err != nil || len(first) != 2 || more != 1 {
		t.Fatalf("first: %d hits, %d more, %v", len(first), more, err)
	}
	first[0].Account.PreviousEmails = append(first[0].Account.PreviousEmails, "mine@example.com")
	first[1].Account.Name = "Changed By A Caller"
	kept, more, err := s.SearchCount("user", 2)
	if err != nil || len(kept) != 2 || more != 1 {
		t.Fatalf("again: %d hits, %d more, %v", len(kept), more, err)
	}
	if len(kept[0].Account.PreviousEmails) != 0 || kept[1].Account.Name == "Changed By A Caller" {
		t.Fatalf("a caller's change to its answer reached the next: %v, %q", kept[0].Account.PreviousEmails, kept[1].Account.Name)
	}
	var at uint64
	_ = s.kv.View(func(tx Tx) error { at = tx.ID(); return nil })
	if _, _, ok := s.answers.get(at, "user", 2); !ok {
		t.Fatal("the answer at the latest commit was not kept")
	}

	// an import tells no screen (AccountsChanged stays), yet is a commit
	if _, err := s.Import(strings.NewReader(line(4)), "b", root, now); err != nil {
		t.Fatal(err)
	}
	after, more, err := s.SearchCount("user", 2)
	if err != nil || len(after) != 2 || more != 2 {
		t.Fatalf("after an import: %d hits, %d more (3 accounts before it, 4 after), %v", len(after), more, err)
	}
	if _, _, ok := s.answers.get(at, "user", 2); ok {
		t.Fatal("an answer from before the import is still served")
	}
	// a commit that changes no listed field is a new commit all the same
	if _, err := s.Apply("acc_0001", after[0].Version, root, now, func(a model.Account, _ Actor) (Change, error) {
		a.Status = "deactivated"
		return Change{Account: a, Audit: AuditEntry{Action: "test"}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	now1, _, err := s.SearchCount("acc_0001", 1)
	if err != nil || len(now1) != 1 || now1[0].Account.Status != "deactivated" {
		t.Fatalf("after an action: %+v %v", now1, err)
	}
}

// The kept answers are the newest commit's alone, bounded, and an answer
// read before a newer commit's arrives late is not kept.
func TestAnswerCacheKeepsTheNewestCommit(t *testing.T) {
	var c answerCache
	hit := func(id string) []Hit { return []Hit{{Record: Record{Account: model.Account{ID: id}}}} }
	c.put(7, "a", 10, hit("x"), 0)
	if h, _, ok := c.get(7, "a", 10); !ok || h[0].Account.ID != "x" {
		t.Fatalf("kept: %v %v", h, ok)
	}
	if _, _, ok := c.get(7, "a", 11); ok {
		t.Fatal("another page size answered")
	}
	if _, _, ok := c.get(8, "a", 10); ok {
		t.Fatal("a later commit answered from an earlier one")
	}
	c.put(9, "b", 10, hit("y"), 0)
	c.put(8, "a", 10, hit("late"), 0) // read before commit 9, finished after
	if _, _, ok := c.get(8, "a", 10); ok {
		t.Fatal("an answer older than the kept ones was kept")
	}
	if _, _, ok := c.get(7, "a", 10); ok {
		t.Fatal("commit 7's answers outlived commit 9's")
	}
	c.put(0, "z", 10, hit("z"), 0)
	if _, _, ok := c.get(0, "z", 10); ok {
		t.Fatal("a read that did not learn its commit was kept")
	}
	for i := range answerHitsKept + 10 {
		c.put(9, fmt.Sprint(i), 1, hit("n"), 0)
	}
	if c.held > answerHitsKept {
		t.Fatalf("%d hits held, bound %d", c.held, answerHitsKept)
	}
}
