package model

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"frontdoor/internal/corpus"
	"frontdoor/internal/fixtures"
	"frontdoor/internal/gen"
)

// decodeSlow is what the long way makes of a line: its account and error.
func decodeSlow(line []byte) (Account, error) { return parseSlow(line) }

// agree: where parseFast takes a line, it decodes it to what the long
// way does, and ParseAccount returns the same account and error.
func agree(t *testing.T, line []byte) (fast bool) {
	t.Helper()
	a, ok := parseFast(line)
	want, wantErr := decodeSlow(line)
	if !ok {
		return false
	}
	if wantErr != nil {
		// the long way refused the shape, or Validate did: then so must
		// ParseAccount, with the same words
		if _, err := ParseAccount(line); err == nil || err.Error() != wantErr.Error() {
			t.Fatalf("fast path: %v, long way: %v\n%s", err, wantErr, line)
		}
		return true
	}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("fast and long ways differ:\nfast %#v\nlong %#v\n%s", a, want, line)
	}
	return true
}

func TestParseFastAgrees(t *testing.T) {
	var lines [][]byte
	g := gen.New(11)
	for i := range 3000 {
		lines = append(lines, g.Append(nil, i, i%3))
	}
	b, err := os.ReadFile(fixtures.Accounts())
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	fast := 0
	for _, l := range lines {
		if agree(t, l) {
			fast++
		}
	}
	if fast < len(lines)-len(lines)/10 {
		t.Fatalf("the fast path took only %d of %d ordinary lines", fast, len(lines))
	}
	// changed lines: each must be refused by the fast path or agree
	base := string(lines[0])
	edits := []struct{ from, to string }{
		{`"id":"`, `"id":null,"x":"`}, {`"id":"`, `"ID":"`}, {`"email":"`, `"email":"\u0041`},
		{`"role":"client"`, `"role":"clinet"`}, {`"created_at":"`, `"created_at":"x`},
		{`"created_at":"2`, `"created_at":"+2`}, {`"status":"`, `"status":1,"s":"`},
		{`"logins":[`, `"logins":[null,`}, {`"logins":[`, `"logins":{`}, {`"factors":[`, `"factors":null,"f":[`},
		{`"previous_emails":[`, `"previous_emails":[null`}, {`"name":"`, `"name":"\x01`}, {`"name":"`, `"name":"\xff`},
		{`"name":"`, `"name":"Zoë `}, {`}`, `},"extra":true}`}, {`"id":`, `"id":"dup","id":`}, {`"notes":[]`, `"notes":[{"at":"2026-01-01T00:00:00Z","text":"hi"}]`},
		{`"notes":[]`, `"notes":[{"at":"2026-01-01T00:00:00Z"}]`}, {`"mfa_exemption":null`, `"mfa_exemption":{"granted_at":"2026-01-01T00:00:00Z","expires_at":"2026-01-08T00:00:00Z"}`},
		{`"mfa_exemption":null`, `"mfa_exemption":{"granted_at":"2026-01-01T00:00:00Z"}`}, {`"phone":"`, `"phone":null,"p":"`},
		{`"email_verified_at":`, `"email_verified_at":"2026-13-01T00:00:00Z","x":`}, {`"us_state":"`, `"us_state":"ZZ","y":"`},
	}
	for _, e := range edits {
		agree(t, []byte(strings.Replace(base, e.from, e.to, 1)))
	}
	for _, s := range corpus.Naughty(t) {
		esc := strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`)
		agree(t, []byte(strings.Replace(base, `"name":"`, `"name":"`+esc, 1)))
		agree(t, []byte(s))
	}
	agree(t, []byte(base+" {}"))
	agree(t, []byte(" "+base+"\t"))
}

func FuzzParseFast(f *testing.F) {
	f.Add(gen.New(1).Append(nil, 1, 1))
	f.Add([]byte(`{"id":"a","email":"a@b.co","name":"n","role":"client","status":"active"}`))
	f.Fuzz(func(t *testing.T, line []byte) { agree(t, line) })
}

// indexedJSON is what the store's sync read of an old record's account
// before DecodeIndexedFast.
type indexedJSON struct {
	ID             string   `json:"id"`
	Email          string   `json:"email"`
	PreviousEmails []string `json:"previous_emails"`
	Name           string   `json:"name"`
	Phone          string   `json:"phone"`
	Factors        []struct {
		Type  string `json:"type"`
		Phone string `json:"phone"`
	} `json:"factors"`
	Notes []Note `json:"notes"`
}

// agreeIndexed: where DecodeIndexedFast takes a line, encoding/json
// takes it too and reads the same fields.
func agreeIndexed(t *testing.T, line []byte) bool {
	t.Helper()
	a, ok := DecodeIndexedFast(line)
	if !ok {
		return false
	}
	var want indexedJSON
	if err := json.Unmarshal(line, &want); err != nil {
		t.Fatalf("taken by hand, refused by encoding/json (%v):\n%s", err, line)
	}
	got := indexedJSON{ID: a.ID, Email: a.Email, PreviousEmails: a.PreviousEmails, Name: a.Name, Phone: a.Phone, Notes: a.Notes}
	if a.Factors != nil {
		got.Factors = want.Factors[:0:0]
	}
	for _, f := range a.Factors {
		got.Factors = append(got.Factors, struct {
			Type  string `json:"type"`
			Phone string `json:"phone"`
		}{f.Type, f.Phone})
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("by hand %+v\njson    %+v\n%s", got, want, line)
	}
	return true
}

func TestDecodeIndexedFastAgrees(t *testing.T) {
	g := gen.New(12)
	base := string(g.Append(nil, 5, 0))
	taken := 0
	for i := range 2000 {
		if agreeIndexed(t, g.Append(nil, i, i%3)) {
			taken++
		}
	}
	if taken != 2000 {
		t.Fatalf("took %d of 2000 generated accounts", taken)
	}
	for _, e := range []struct{ from, to string }{
		{`"notes":[]`, `"notes":[{"at":"2026-01-01T00:00:00Z","by":"ann","text":"hi"}]`}, {`"notes":[]`, `"notes":null`},
		{`"notes":[]`, `"notes":[{"at":"2026-01-01T00:00:00Z"}]`}, {`"id":"`, `"ID":"`}, {`"phone":"`, `"phone":null,"p":"`},
		{`"logins":[`, `"logins":[1,`}, {`"logins":[`, `"logins":[{"at":"\u0041"},`}, {`"factors":[`, `"factors":[{"type":"phone","phone":"+1","x":1},`},
		{`"factors":[`, `"factors":[{"type":"phone","Phone":"+1"},`}, {`"name":"`, `"name":"\xff`}, {`"email":"`, `"email":"a","email":"`},
	} {
		agreeIndexed(t, []byte(strings.Replace(base, e.from, e.to, 1)))
	}
	for _, s := range corpus.Naughty(t) {
		agreeIndexed(t, []byte(s))
	}
}

func FuzzDecodeIndexedFast(f *testing.F) {
	f.Add(gen.New(1).Append(nil, 1, 1))
	f.Add([]byte(`{"id":"a","logins":[{"at":"x"}],"notes":[{"at":"2026-01-01T00:00:00Z","text":"t"}]}`))
	f.Fuzz(func(t *testing.T, line []byte) { agreeIndexed(t, line) })
}

// agreeListed: where DecodeListed takes a line of valid JSON (a stored
// record's account), encoding/json reads the same fields.
func agreeListed(t *testing.T, line []byte) bool {
	t.Helper()
	if !json.Valid(line) {
		return false
	}
	a, ok := DecodeListed(line)
	if !ok {
		return false
	}
	var want listedJSON
	if err := json.Unmarshal(line, &want); err != nil {
		t.Fatalf("taken by hand, refused by encoding/json (%v):\n%s", err, line)
	}
	got := listedJSON{a.ID, a.Email, a.Name, a.Role, a.Status, a.Phone, a.CreatedAt, a.PreviousEmails}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("by hand %+v\njson    %+v\n%s", got, want, line)
	}
	return true
}

func TestDecodeListedAgrees(t *testing.T) {
	g := gen.New(13)
	base := string(g.Append(nil, 5, 0))
	for i := range 2000 {
		if !agreeListed(t, g.Append(nil, i, i%3)) {
			t.Fatalf("refused generated account %d", i)
		}
	}
	for _, e := range []struct{ from, to string }{
		{`"notes":[]`, `"notes":[{"at":"2026-01-01T00:00:00Z","by":"ann","text":"h\"i"}]`}, {`"id":"`, `"zed":[1,-2.5e3,true,false,null,{"a":"\\u0041"}],"id":"`},
		{`"id":"`, `"ID":"`}, {`"phone":"`, `"phone":null,"p":"`}, {`"name":"`, `"name":"\u0041`}, {`"name":"`, `"name":"\xff`},
		{`"email":"`, `"email":"a","email":"`}, {`"zed":`, `"zed":tru`}, {`"created_at":"`, `"created_at":"x`}, {`"id":"`, `"z":01,"id":"`},
	} {
		agreeListed(t, []byte(strings.Replace(base, e.from, e.to, 1)))
	}
	for _, s := range corpus.Naughty(t) {
		agreeListed(t, []byte(s))
	}
}

func FuzzDecodeListed(f *testing.F) {
	f.Add(gen.New(1).Append(nil, 1, 1))
	f.Add([]byte(`{"id":"a","zed":[1,{"b":true}],"notes":[{"at":"2026-01-01T00:00:00Z","text":"t"}]}`))
	f.Fuzz(func(t *testing.T, line []byte) { agreeListed(t, line) })
}
