package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/gen"
	"frontdoor/model"
)

// smallSort makes the import's sort spill every few KB, so a test of a
// few thousand lines merges dozens of runs.
func smallSort(t *testing.T) {
	old := sortArena
	sortArena = 8 << 10
	t.Cleanup(func() { sortArena = old })
}

// importVia imports text as a stream (sorted before the rebuild) or as a
// regular file (read inside it, rising records straight in).
func importVia(t *testing.T, s *Store, viaFile bool, text, name string) (int, error) {
	t.Helper()
	if !viaFile {
		return s.Import(strings.NewReader(text), name, root, now)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return s.Import(f, name, root, now)
}

// reversed is lines 1 … n in reverse order: no record goes straight
// into the new file, all go through the sort.
func reversed(n int) string {
	var b strings.Builder
	for i := n; i >= 1; i-- {
		b.WriteString(line(i) + "\n")
	}
	return b.String()
}

// TestImportMergesRuns: an import sorted in many runs writes every
// account and index entry, and finds the first bad line across runs.
func TestImportMergesRuns(t *testing.T) {
	smallSort(t)
	s, _ := openTemp(t)
	if n, err := s.Import(strings.NewReader(reversed(3000)), "rev.jsonl", root, now); err != nil || n != 3000 {
		t.Fatalf("import: %d %v", n, err)
	}
	mustCheck(t, s)
	if r, err := s.ByEmail("user1234@example.com"); err != nil || r.Account.ID != "acc_1234" {
		t.Fatalf("by email: %v %v", r.Account.ID, err)
	}
	cases := []struct {
		name, file, want string
	}{
		{"duplicate id far apart", lines(2500) + strings.Replace(line(4000), "acc_4000", "acc_0007", 1) + "\n",
			`in.jsonl:2501: id: duplicate id "acc_0007" (first on line 7)`},
		{"duplicate id, the earlier of two", strings.Replace(strings.Replace(lines(2500), line(2400), strings.Replace(line(2400), "acc_2400", "acc_0003", 1), 1),
			line(1800), strings.Replace(line(1800), "acc_1800", "acc_0005", 1), 1), `in.jsonl:1800: id: duplicate id "acc_0005" (first on line 5)`},
		{"duplicate email across runs", lines(2500) + strings.Replace(line(4000), "user4000@", "User12@", 1) + "\n",
			`in.jsonl:2501: email: "User12@example.com" is already the current email on line 12`},
		{"a duplicate before a broken line wins", lines(2000) + strings.Replace(line(4000), "acc_4000", "acc_0009", 1) + "\n" + lines(100) + "{\n",
			`in.jsonl:2001: id: duplicate id "acc_0009"`},
		{"a broken line before a duplicate wins", lines(2000) + "{\n" + strings.Replace(line(4000), "acc_4000", "acc_0009", 1) + "\n",
			`in.jsonl:2001: not valid JSON`},
	}
	for _, c := range cases {
		for _, viaFile := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/file=%v", c.name, viaFile), func(t *testing.T) {
				s, dir := openTemp(t)
				_, err := importVia(t, s, viaFile, c.file, "in.jsonl")
				var le *LineError
				if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), c.want) {
					t.Fatalf("err = %v, want prefix %q", err, c.want)
				}
				if n := mustCount(t, s); n != 0 {
					t.Fatalf("%d accounts written, want none", n)
				}
				mustCheck(t, s)
				left, _ := filepath.Glob(filepath.Join(dir, ".frontdoor-*"))
				if len(left) > 0 {
					t.Fatalf("a failed import left %v", left)
				}
			})
		}
	}
}

// TestImportFromAFile: a regular file is read inside the rebuild, its
// records in rising id order put straight in, the others sorted; every
// mix gives a store that checks clean, with every account findable.
func TestImportFromAFile(t *testing.T) {
	smallSort(t)
	mixed := lines(1000) // rising ids, then falling ones, then rising again below the last
	for i := 3000; i > 2000; i-- {
		mixed += line(i) + "\n"
	}
	mixed += lines(1500)[len(lines(1000)):] // rising again, below the last direct id
	for name, text := range map[string]string{"rising": lines(3000), "falling": reversed(3000), "mixed": mixed} {
		t.Run(name, func(t *testing.T) {
			s, _ := openTemp(t)
			want := strings.Count(text, "\n")
			if n, err := importVia(t, s, true, text, name+".jsonl"); err != nil || n != want {
				t.Fatalf("import: %d %v", n, err)
			}
			mustCheck(t, s)
			if got := mustCount(t, s); got != want {
				t.Fatalf("%d accounts, want %d", got, want)
			}
			for _, id := range []string{"acc_0001", "acc_1000", "acc_1001", "acc_1499", "acc_2500", "acc_3000"} {
				if !strings.Contains(text, `"`+id+`"`) {
					continue
				}
				r, err := s.Get(id)
				if err != nil || r.Account.ID != id {
					t.Fatalf("get %s: %v", id, err)
				}
			}
		})
	}
}

// TestImportAgainstTheStoreAcrossRuns: the first line whose id is
// already in the store is named, however the sort split the file.
func TestImportAgainstTheStoreAcrossRuns(t *testing.T) {
	smallSort(t)
	s, _ := openTemp(t)
	if _, err := s.Import(strings.NewReader(lines(2500)), "a.jsonl", root, now); err != nil {
		t.Fatal(err)
	}
	// 2600 … 1: lines 1–100 are new, line 101 is acc_2500
	for _, viaFile := range []bool{false, true} {
		_, err := importVia(t, s, viaFile, reversed(2600), "b.jsonl")
		if err == nil || !strings.HasPrefix(err.Error(), `b.jsonl:101: id: account "acc_2500" already exists in the store`) {
			t.Fatalf("file %v: err = %v", viaFile, err)
		}
	}
	// rising: the 100 new ones go straight into the copy, then acc_2501…
	// are already there — named, and nothing written
	_, err := importVia(t, s, true, lines(2600)[len(lines(2500)):]+line(7)+"\n", "c.jsonl")
	if err == nil || !strings.HasPrefix(err.Error(), `c.jsonl:101: id: account "acc_0007" already exists in the store`) {
		t.Fatalf("err = %v", err)
	}
	if n := mustCount(t, s); n != 2500 {
		t.Fatalf("%d accounts, want 2500", n)
	}
	mustCheck(t, s)
}

// TestImportIntoAStoreWithData: a second import adds to the first,
// keeps the first's accounts, users, outbox and audit chain, and the
// store checks clean; its audit trail holds both imports.
func TestImportIntoAStoreWithData(t *testing.T) {
	smallSort(t)
	s, _ := openTemp(t)
	if _, err := s.Import(strings.NewReader(lines(500)), "a.jsonl", root, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply("acc_0001", 1, root, now, noteChange("kept")); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	gen.New(9).Write(&b, 2000)
	if n, err := s.Import(&b, "gen.jsonl", root, now); err != nil || n != 2000 {
		t.Fatalf("second import: %d %v", n, err)
	}
	mustCheck(t, s)
	if n := mustCount(t, s); n != 2500 {
		t.Fatalf("%d accounts, want 2500", n)
	}
	if r, _ := s.Get("acc_0001"); len(r.Account.Notes) != 1 {
		t.Fatal("the first import's account lost its note")
	}
	log, err := s.AuditLog(AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	imports := 0
	for _, e := range log {
		if e.Action == "import" {
			imports++
		}
	}
	if imports != 2 {
		t.Fatalf("%d imports audited, want 2", imports)
	}
}

// TestImportWhileOthersWrite: writes made while an import rebuilds the
// store wait for it and then land in the new file; none is lost to the
// swap, and readers keep reading throughout.
func TestImportWhileOthersWrite(t *testing.T) {
	s, _ := openTemp(t)
	if _, err := s.Import(strings.NewReader(lines(3)), "a.jsonl", root, now); err != nil {
		t.Fatal(err)
	}
	// a regular file: read inside the rebuild, which holds writers off
	p := filepath.Join(t.TempDir(), "gen.jsonl")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	n := 20_000
	if onEtcd() {
		n = 2_000 // an import on a cluster runs at hundreds a second (BENCHMARKS.md)
	}
	gen.New(4).Write(f, n)
	f.Close()
	in, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var notes, readErrs int
	wg.Add(2)
	go func() {
		defer wg.Done()
		for v := uint64(1); ; {
			select {
			case <-stop:
				return
			default:
			}
			r, err := s.Apply("acc_0002", v, root, now, noteChange(fmt.Sprint(v)))
			if err != nil {
				t.Errorf("apply: %v", err)
				return
			}
			v = r.Version
			notes++
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Get("acc_0003"); err != nil {
				readErrs++
			}
			time.Sleep(time.Millisecond)
		}
	}()
	imported, err := s.Import(in, "gen.jsonl", root, now)
	time.Sleep(50 * time.Millisecond) // a few writes on the new file too
	close(stop)
	wg.Wait()
	if err != nil || imported != n {
		t.Fatalf("import: %d %v", imported, err)
	}
	if readErrs > 0 {
		t.Fatalf("%d reads failed during the import", readErrs)
	}
	r, _ := s.Get("acc_0002")
	if len(r.Account.Notes) != notes {
		t.Fatalf("%d notes written, %d kept", notes, len(r.Account.Notes))
	}
	mustCheck(t, s)
}

// TestRebuildLeavesNoTemporaries: the run files are unlinked at once,
// and the new store file is renamed into place.
func TestRebuildLeavesNoTemporaries(t *testing.T) {
	boltOnly(t)
	smallSort(t)
	s, dir := openTemp(t)
	if _, err := s.Import(strings.NewReader(reversed(2000)), "a.jsonl", root, now); err != nil {
		t.Fatal(err)
	}
	names, _ := os.ReadDir(dir)
	var got []string
	for _, n := range names {
		got = append(got, n.Name())
	}
	if !slices.Equal(got, []string{KeyFile, FileName}) {
		t.Fatalf("data directory holds %v", got)
	}
}

// TestDecodeRecordAgrees: the one-pass record decode gives what
// json.Unmarshal gives, for records as import, sync and Apply write
// them and for ones it leaves to json.Unmarshal.
func TestDecodeRecordAgrees(t *testing.T) {
	g := gen.New(2)
	var recs [][]byte
	for i := range 300 {
		a := g.Append(nil, i, i%2)
		r := Record{Version: 3, UpdatedBy: "ann", UpdatedAt: now, PlatformVersion: uint64(i)}
		acc, err := model.ParseAccount(a)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, appendRecordRaw(nil, r, a, nil), appendRecordRaw(nil, r, a, indexedDigest(&acc)))
		r.Account, r.Demo = acc, i%3 == 0
		r.Pending = []model.Pending{{Action: "send-reset", At: now}}
		b, _ := json.Marshal(r)
		recs = append(recs, b)
	}
	recs = append(recs, []byte(`{"version":1,"account":null}`), []byte(`{"version":1}`), []byte(`{"version":1,"account":{"id":"x","zz":1}}`),
		[]byte(`{"version":"x"}`), []byte(`[]`), []byte(`{"account":{"id":"a","email":"a@b.co","name":"n","role":"client","status":"active"},"account":{"id":"b"}}`))
	for _, b := range recs {
		got, gotErr := decodeRecord(b)
		var want Record
		wantErr := json.Unmarshal(b, &want)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\nfast %+v %v\nlong %+v %v", b, got, gotErr, want, wantErr)
		}
	}
}

// TestRawSyncHeadAgrees: the hand-read head of a record is what
// encoding/json reads of it, notes included.
func TestRawSyncHeadAgrees(t *testing.T) {
	g := gen.New(6)
	for i := range 200 {
		raw := g.Append(nil, i, i%3)
		if i%4 == 0 { // an account with notes and a platform version of 0
			raw = bytes.Replace(raw, []byte(`"notes":[]`), []byte(`"notes":[{"at":"2026-01-01T00:00:00Z","by":"ann","text":"a note"}]`), 1)
		}
		r := Record{Version: uint64(i + 1), UpdatedBy: `pl"at\form`, UpdatedAt: now, PlatformVersion: uint64(i % 2 * i)}
		acc, err := model.ParseAccount(raw)
		if err != nil {
			t.Fatal(err)
		}
		digest := indexedDigest(&acc)
		if (digest == nil) != (i%4 == 0) {
			t.Fatalf("digest %q for an account with %d notes", digest, len(acc.Notes))
		}
		// with and without the digest; asked for it, for another, for none
		for _, v := range [][]byte{appendRecordRaw(nil, r, raw, nil), appendRecordRaw(nil, r, raw, digest)} {
			for _, want := range [][]byte{nil, []byte("0123456789abcdef0123456789abcdef"), digest} {
				got, ok := rawSyncHead(v, want)
				if !ok {
					t.Fatalf("not read by hand: %s", v)
				}
				var fromJSON syncHead
				if err := json.Unmarshal(v, &fromJSON); err != nil {
					t.Fatal(err)
				}
				if got.indexedAsWanted != (want != nil && bytes.Contains(v, want)) {
					t.Fatalf("asked for %q: read no further %v: %s", want, got.indexedAsWanted, v)
				}
				if got.indexedAsWanted { // the versions, and what the digest vouches for
					if got.Version != fromJSON.Version || got.PlatformVersion != fromJSON.PlatformVersion || !fromJSON.Account.sameIndexed(acc) {
						t.Fatalf("%s\nhand %+v\njson %+v", v, got, fromJSON)
					}
					if notes, _ := fromJSON.notes(); len(notes) > 0 {
						t.Fatalf("a record with a digest has notes: %s", v)
					}
					continue
				}
				gotNotes, _ := got.notes()
				wantNotes, _ := fromJSON.notes()
				got.decodedNotes, got.notesDecoded, fromJSON.Account.Notes, got.Account.Notes = nil, false, nil, nil
				if !reflect.DeepEqual(got, fromJSON) || !reflect.DeepEqual(gotNotes, wantNotes) {
					t.Fatalf("%s\nhand %+v %v\njson %+v %v", v, got, gotNotes, fromJSON, wantNotes)
				}
			}
		}
	}
	for _, v := range []string{`{"version":1,"updated_by":"x","updated_at":"t","account":{"id":"a"},"demo":true}`, `{"version":1}`, `{}`,
		`{"version":1,"updated_by":"x","updated_at":"t","account":{"id":"a","x":1},"platform_version":3}`} {
		if _, ok := rawSyncHead([]byte(v), nil); ok {
			t.Fatalf("read by hand: %s", v)
		}
	}
}

// TestExtSorterOrder: whatever the arena's size (all in memory, one
// spill, a spill every few entries), entries come out by kind then key,
// equal ones in the order they were added, every one once.
func TestExtSorterOrder(t *testing.T) {
	type ent struct {
		kind     byte
		key, val string
	}
	var in []ent
	for i := range 5000 {
		// few distinct keys, so equal keys meet across runs and halves;
		// long shared prefixes, so compares go past the first 8 bytes
		k := fmt.Sprintf("key-prefix-%03d", (i*7919)%211)
		in = append(in, ent{byte(i % 3), k, fmt.Sprint(i)})
	}
	want := slices.Clone(in)
	slices.SortStableFunc(want, func(a, b ent) int {
		if a.kind != b.kind {
			return int(a.kind) - int(b.kind)
		}
		return strings.Compare(a.key, b.key)
	})
	for _, limit := range []int{64 << 20, 100 << 10, 4 << 10, 64} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			s := newExtSorter(t.TempDir(), limit)
			defer s.close()
			for _, e := range in {
				if err := s.add(e.kind, []byte(e.key), []byte(e.val)); err != nil {
					t.Fatal(err)
				}
			}
			it, err := s.iter()
			if err != nil {
				t.Fatal(err)
			}
			var got []ent
			for {
				kind, k, v, ok, err := it.next()
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				got = append(got, ent{kind, string(k), string(v)})
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%d entries out of order or lost (%d runs); first: %v, want %v", len(got), len(s.runs), got[:min(3, len(got))], want[:3])
			}
		})
	}
}

// TestExtSorterStopsEarly: a reader that stops part way (a bad line
// found in the checks) leaves no goroutine or run file behind.
func TestExtSorterStopsEarly(t *testing.T) {
	dir := t.TempDir()
	s := newExtSorter(dir, 4<<10)
	for i := range 20000 {
		if err := s.add(0, fmt.Appendf(nil, "k%06d", 19999-i), nil); err != nil {
			t.Fatal(err)
		}
	}
	it, err := s.iter()
	if err != nil {
		t.Fatal(err)
	}
	if _, k, _, ok, err := it.next(); !ok || err != nil || string(k) != "k000000" {
		t.Fatalf("first = %q %v %v", k, ok, err)
	}
	s.close() // must return: the merge ahead is stopped
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Fatalf("left %v", left)
	}
}
