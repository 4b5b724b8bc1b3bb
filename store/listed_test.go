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
