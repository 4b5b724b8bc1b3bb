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
