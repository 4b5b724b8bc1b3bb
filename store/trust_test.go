package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"frontdoor/model"
)

// trust_test: what the store takes from the platform's records (issue 20).

// An account id that is another account's email was listed first and
// preselected when an agent searched that email: ids have a shape
// (model.ValidateAccountID), import and sync refuse any other with the
// line named, and check flags one an older store holds.
func TestAnIDThatIsNotAnIDIsRefused(t *testing.T) {
	victim := line(1)
	for _, c := range []struct{ name, id string }{
		{"an email", "user1@example.com"},
		{"a phone", "+12125550001"},
		{"digits", "2125550001"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := openTemp(t)
			bad := strings.Replace(line(2), `"id":"acc_0002"`, fmt.Sprintf(`"id":%q`, c.id), 1)
			_, err := s.Import(strings.NewReader(victim+"\n"+bad+"\n"), "accounts.jsonl", root, now)
			var le *LineError
			if !errors.As(err, &le) || le.Line != 2 || le.Field != "id" || !strings.HasPrefix(err.Error(), "accounts.jsonl:2: id: ") {
				t.Fatalf("import: %v, want accounts.jsonl:2: id: …", err)
			}
			if n := mustCount(t, s); n != 0 {
				t.Fatalf("a refused import wrote %d accounts", n)
			}
			_, err = ParseSnapshot([]byte(`{"seq":7,"version":1,"account":` + bad + `}`))
			var fe *model.FieldError
			if !errors.As(err, &fe) || fe.Field != "account.id" {
				t.Fatalf("sync: %v, want account.id", err)
			}
		})
	}
}

func TestCheckFlagsAnIDWithoutTheShape(t *testing.T) {
	s, _ := openTemp(t)
	if _, err := s.Import(strings.NewReader(lines(2)), "a", root, now); err != nil {
		t.Fatal(err)
	}
	// an older store, which took any printable id
	a, err := model.ParseAccount([]byte(line(3)))
	if err != nil {
		t.Fatal(err)
	}
	a.ID = "user1@example.com"
	err = s.kv.Update(func(tx Tx) error {
		if err := putRecord(tx, Record{Version: 1, UpdatedAt: now, Account: a}); err != nil {
			return err
		}
		return updateIndexes(tx, nil, indexEntries(a))
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := problemsOf(t, s); !strings.Contains(got, "account user1@example.com: invalid: id:") {
		t.Fatalf("check did not flag the id:\n%s", got)
	}
}
