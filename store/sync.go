package store

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"frontdoor/model"
	"frontdoor/store/backend"
)

// Snapshot is one event of the platform's change stream (DOMAIN §8): the
// account, complete, at the platform's version, with the stream's seq.
type Snapshot struct {
	Seq     uint64
	Version uint64
	Account model.Account
	// Raw is the account as the line spelled it, valid and checked: a
	// record whose account is the snapshot's, untouched, is written from
	// it instead of encoding the account again.
	Raw json.RawMessage

	indexed []byte // indexedDigest of Account
	ahead   *ahead // the record it replaces, read ahead of the writer (ReadAhead)
}

// SyncCounts says what applying a batch of snapshots did.
type SyncCounts struct {
	Applied   int    `json:"applied"`   // snapshots written (new accounts included)
	New       int    `json:"new"`       // of them, accounts the mirror did not hold
	Duplicate int    `json:"duplicate"` // version equal to the one held (rule S2)
	Stale     int    `json:"stale"`     // version lower than the one held (rule S2)
	Replayed  int    `json:"replayed"`  // seq at or below the checkpoint (rule S1)
	LastSeq   uint64 `json:"last_seq"`  // the checkpoint after the batch
}

// Add sums counts, keeping the later checkpoint.
func (c *SyncCounts) Add(d SyncCounts) {
	c.Applied += d.Applied
	c.New += d.New
	c.Duplicate += d.Duplicate
	c.Stale += d.Stale
	c.Replayed += d.Replayed
	c.LastSeq = max(c.LastSeq, d.LastSeq)
}

const metaCheckpoint = "sync_checkpoint"

// PlatformActor is who the audit and records name for changes the
// platform's stream made.
const PlatformActor = "platform"

// Checkpoint is the seq of the last change-stream event applied (rule S1).
func (s *Store) Checkpoint() uint64 {
	v, _ := strconv.ParseUint(s.Meta(metaCheckpoint), 10, 64)
	return v
}

// ErrNoReason: a change an operator makes by hand needs a reason, which
// is audited.
var ErrNoReason = errors.New("a reason is required (it is audited)")

// SetCheckpoint sets the change stream's checkpoint by hand (rule S1): the
// way out of a checkpoint a bad line or a mistaken stream left too high,
// and the way to skip a stretch of a stream on purpose. The new value and
// the one it replaces are audited, with by and reason, in the same
// transaction. It returns the checkpoint it replaced. A seq past
// model.MaxStreamNumber is refused, as it is from the stream.
func (s *Store) SetCheckpoint(seq uint64, by Actor, reason string, now time.Time) (uint64, error) {
	if err := s.RefuseIfDemo(); err != nil {
		return 0, err
	}
	if strings.TrimSpace(reason) == "" {
		return 0, fmt.Errorf("setting the checkpoint: %w", ErrNoReason)
	}
	if err := model.CheckSeq(0, seq); err != nil {
		return 0, fmt.Errorf("setting the checkpoint: %w", err)
	}
	var old uint64
	err := s.kv.Update(func(tx Tx) error {
		old, _ = strconv.ParseUint(string(tx.Get(bMeta, []byte(metaCheckpoint))), 10, 64)
		if err := tx.Put(bMeta, []byte(metaCheckpoint), []byte(strconv.FormatUint(seq, 10))); err != nil {
			return err
		}
		return s.appendAudit(tx, AuditEntry{At: now, Actor: by.Name, Role: by.Role, Action: "sync_checkpoint_set", Reason: reason,
			Details: map[string]string{"from_seq": strconv.FormatUint(old, 10), "to_seq": strconv.FormatUint(seq, 10)}})
	})
	if err != nil {
		return 0, fmt.Errorf("setting the checkpoint: %w", err)
	}
	return old, nil
}

// ApplySnapshots applies a batch of change-stream events in one
// transaction, with the checkpoint (rule S1): an event at or below it is
// skipped, so a replay after a crash is free. Each snapshot applies only
// over a lower platform version (rule S2); it replaces what the platform
// owns and keeps what the console owns, its notes and its pending
// actions, laid over the snapshot until confirmed (rules S3, S6); the
// indexes follow it (rule S4), and an address may be held twice for the
// span of a stream (rule S5: check reports one left at the end). Events
// must come in rising seq order (the reader refuses any other), or in
// SortByAccount's order. A demo store takes none.
func (s *Store) ApplySnapshots(evs []Snapshot, now time.Time) (SyncCounts, error) {
	return s.applyVia(s.kv.Update, evs, now)
}

// applyVia is ApplySnapshots committing through update: the store's, or
// a deferral's, whose commits need not wait for the disk.
func (s *Store) applyVia(update func(func(Tx) error) error, evs []Snapshot, now time.Time) (SyncCounts, error) {
	c, err := s.applySnapshots(update, evs, now)
	if errors.Is(err, backend.ErrTxTooLarge) && len(evs) > 1 {
		// larger than the backend takes in one transaction (etcd: 128
		// writes): in halves, in stream order, each with its own
		// checkpoint, so a crash between them skips no event (rule S1)
		bySeq := slices.Clone(evs)
		slices.SortStableFunc(bySeq, func(a, b Snapshot) int { return cmp.Compare(a.Seq, b.Seq) })
		c = SyncCounts{}
		err = halves(bySeq, func(part []Snapshot) error {
			d, err := s.applySnapshots(update, part, now)
			c.Add(d)
			return err
		})
	}
	return c, err
}

// inHalves writes items in one transaction through write, or, when the
// backend refuses a transaction that large (backend.ErrTxTooLarge: etcd
// takes 128 writes), in halves, in order, each halved again as needed.
// A failed write must have written nothing, as a refused transaction
// has.
func inHalves[T any](items []T, write func([]T) error) error {
	err := write(items)
	if errors.Is(err, backend.ErrTxTooLarge) && len(items) > 1 {
		err = halves(items, write)
	}
	return err
}

// halves is inHalves once items are known too many for one transaction.
func halves[T any](items []T, write func([]T) error) error {
	half := len(items) / 2
	if err := inHalves(items[:half], write); err != nil {
		return err
	}
	return inHalves(items[half:], write)
}

// Limits are the backend's bounds on one transaction: a bulk writer
// sizes its batches by them.
func (s *Store) Limits() backend.Limits { return s.kv.Limits() }

func (s *Store) applySnapshots(update func(func(Tx) error) error, evs []Snapshot, now time.Time) (SyncCounts, error) {
	if err := s.RefuseIfDemo(); err != nil {
		return SyncCounts{}, err
	}
	var c SyncCounts
	var changed []string
	var commit uint64
	err := update(func(tx Tx) error {
		c = SyncCounts{}
		changed = changed[:0]
		if p, ok := tx.(backend.Prefetcher); ok { // a cluster: the batch's records in one round trip
			ids := make([][]byte, 0, len(evs))
			for i := range evs {
				ids = append(ids, []byte(evs[i].Account.ID))
			}
			p.Prefetch(bAccounts, ids)
		}
		commit = tx.ID()
		check := s.recent.since(commit)
		prev := "" // the account applied last: a second event of it reads what the first wrote
		cp0, _ := strconv.ParseUint(string(tx.Get(bMeta, []byte(metaCheckpoint))), 10, 64)
		cp := cp0
		c.LastSeq = cp
		// applied in account id order (each account's events in stream
		// order): the writes walk the tree once, left to right, not
		// jumping about it. Accounts do not depend on each other here
		// (rule S5 lets an address be held twice until the stream's end).
		for _, i := range byAccount(evs) {
			ev := evs[i]
			if ev.Seq <= cp0 { // seq rises through the batch
				c.Replayed++
				continue
			}
			cp = max(cp, ev.Seq)
			c.LastSeq = cp
			id := ev.Account.ID
			var (
				old    syncHead
				exists bool
				err    error
				a      *ahead // read ahead, and still what this transaction sees
			)
			if id != prev && check.holds(ev.ahead, id) {
				a = ev.ahead
				old, exists = a.head, a.exists
			} else if old, exists, err = getSyncHead(tx, id, ev.indexed); err != nil {
				return err
			}
			prev = id
			if testHookAhead != nil {
				testHookAhead(id, a != nil, a.spelled(now))
			}
			switch {
			case exists && ev.Version == old.PlatformVersion:
				c.Duplicate++
				continue
			case exists && ev.Version < old.PlatformVersion:
				c.Stale++
				continue
			}
			acc := ev.Account // the batch's own: no copy needed
			rec := Record{Version: 1, PlatformVersion: ev.Version, UpdatedBy: PlatformActor, UpdatedAt: now.UTC(), Account: acc}
			var before []indexEntry
			if exists {
				if acc.Notes, err = old.notes(); err != nil { // rule S3: the console's own
					return fmt.Errorf("account %s: %w", id, err)
				}
				rec.Pending = model.Reconcile(&acc, old.Pending)
				rec.Account, rec.Version, rec.Demo = acc, old.Version+1, old.Demo
			} else {
				c.New++
			}
			// most snapshots change nothing indexed (a sign-in appended):
			// then there is no index entry to work out, old or new
			spelled := a.spelled(now) // SpellAhead did the rest
			same := exists && (spelled && a.sameIndexed || !spelled && old.sameIndexed(rec.Account))
			if !same {
				if exists {
					before = indexEntries(old.Account.indexed())
				}
				if err := updateIndexes(tx, before, indexEntries(rec.Account)); err != nil {
					return err
				}
			}
			raw := ev.Raw
			if exists && (len(acc.Notes) > 0 || len(rec.Pending) > 0) {
				raw = nil // the console's own laid over it: encode the result
			}
			if spelled {
				err = tx.Put(bAccounts, []byte(id), a.record)
			} else {
				err = putRecordRaw(tx, rec, raw, ev.indexed)
			}
			if err != nil {
				return err
			}
			c.Applied++
			changed = append(changed, id)
		}
		if err := tx.Put(bMeta, []byte(metaCheckpoint), []byte(strconv.FormatUint(cp, 10))); err != nil {
			return err
		}
		if cp > cp0 { // when the mirror last took an event: the metrics' sync lag
			if err := tx.Put(bMeta, []byte(metaSyncedAt), []byte(now.UTC().Format(time.RFC3339Nano))); err != nil {
				return err
			}
		}
		if c.Applied == 0 {
			return nil
		}
		return s.appendAudit(tx, AuditEntry{At: now, Actor: PlatformActor, Action: "sync",
			Details: map[string]string{"to_seq": fmt.Sprint(cp), "applied": fmt.Sprint(c.Applied), "new": fmt.Sprint(c.New),
				"duplicate": fmt.Sprint(c.Duplicate), "stale": fmt.Sprint(c.Stale)}})
	})
	if err != nil {
		return SyncCounts{}, err
	}
	s.recent.add(commit, changed)
	s.hub.publish(changed...)
	return c, nil
}

// byAccount is the order to apply evs in: by account id, and by seq for
// one account's. A batch in that order already (SortByAccount) is not
// sorted again.
func byAccount(evs []Snapshot) []int {
	// the ids copied side by side, each with its place: sorted through
	// the snapshots (large, and the ids' bytes each in its own line), a
	// batch's sort was a tenth of a sync's time
	n := 0
	for i := range evs {
		n += len(evs[i].Account.ID)
	}
	arena := make([]byte, 0, n)
	for i := range evs {
		arena = append(arena, evs[i].Account.ID...)
	}
	all := string(arena)
	keys := make([]placedID, len(evs))
	off := 0
	for i := range evs {
		end := off + len(evs[i].Account.ID)
		keys[i], off = placedID{all[off:end], i}, end
	}
	inOrder := func(a, b placedID) int { // by id, then place: a stable sort
		if c := strings.Compare(a.id, b.id); c != 0 {
			return c
		}
		return a.at - b.at
	}
	if !slices.IsSortedFunc(keys, inOrder) {
		slices.SortFunc(keys, inOrder)
	}
	order := make([]int, len(evs))
	for i, k := range keys {
		order[i] = k.at
	}
	return order
}

type placedID struct {
	id string
	at int
}

// SortByAccount returns evs in the order ApplySnapshots applies them:
// by account id, one account's events kept in stream order. A caller
// with a core to spare sorts a batch here, so the writer need not (a
// twentieth of its time).
func SortByAccount(evs []Snapshot) []Snapshot {
	out := make([]Snapshot, len(evs))
	for i, j := range byAccount(evs) {
		out[i] = evs[j]
	}
	return out
}

// uintOrNil reads a JSON number as json.Unmarshal into *uint64 would,
// nil for anything else (null, a string, a fraction, a negative).
func uintOrNil(v []byte) *uint64 {
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

// syncHead is what applying a snapshot needs of the record it replaces:
// decoding only this (and the account's indexed fields, not the whole
// account through its keep-unknown-fields decoder) halves sync's time.
type syncHead struct {
	Version         uint64          `json:"version"`
	PlatformVersion uint64          `json:"platform_version"`
	Demo            bool            `json:"demo"`
	Pending         []model.Pending `json:"pending"`
	Account         indexedFields   `json:"account"`

	decodedNotes []model.Note // the notes, when rawSyncHead read them
	notesDecoded bool
	// indexedAsWanted: the record's digest is the one asked for
	// (getSyncHead's want), so its index entries are the snapshot's and
	// it has no notes; Account was not decoded
	indexedAsWanted bool
}

// sameIndexed: the record's account has a's index entries.
func (h syncHead) sameIndexed(a model.Account) bool {
	return h.indexedAsWanted || h.Account.sameIndexed(a)
}

// indexedDigest is a digest (SHA-256, 128 bits, hex) of what
// indexEntries reads of a (the fields sameIndexed compares). A record
// spelled from a snapshot's bytes carries it, so the next snapshot of
// the account finds its index entries unchanged without decoding the
// record's account (most of reading a record, for the usual snapshot: a
// sign-in appended). nil for an account with notes: a record with a
// digest has none, so that need not be decoded either.
func indexedDigest(a *model.Account) []byte {
	if len(a.Notes) > 0 {
		return nil
	}
	b := make([]byte, 0, 256)
	str := func(s string) { b = append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	str(a.ID)
	str(a.Email)
	str(a.Name)
	str(a.Phone)
	b = binary.AppendUvarint(b, uint64(len(a.PreviousEmails)))
	for _, e := range a.PreviousEmails {
		str(e)
	}
	b = binary.AppendUvarint(b, uint64(len(a.Factors)))
	for _, f := range a.Factors {
		str(f.Type)
		str(f.Phone)
	}
	sum := sha256.Sum256(b)
	return hex.AppendEncode(nil, sum[:16])
}

// indexedFields are the account's fields the indexes are made of, and its
// notes, left encoded until needed.
type indexedFields struct {
	ID             string          `json:"id"`
	Email          string          `json:"email"`
	PreviousEmails []string        `json:"previous_emails"`
	Name           string          `json:"name"`
	Phone          string          `json:"phone"`
	Factors        []indexedFactor `json:"factors"`
	Notes          json.RawMessage `json:"notes"`
}

type indexedFactor struct {
	Type  string `json:"type"`
	Phone string `json:"phone"`
}

// sameIndexed: a holds the same values indexEntries reads as f, so the
// two have the same index entries.
func (f indexedFields) sameIndexed(a model.Account) bool {
	if f.ID != a.ID || f.Email != a.Email || f.Name != a.Name || f.Phone != a.Phone ||
		!slices.Equal(f.PreviousEmails, a.PreviousEmails) || len(f.Factors) != len(a.Factors) {
		return false
	}
	for i, x := range f.Factors {
		if x.Type != a.Factors[i].Type || x.Phone != a.Factors[i].Phone {
			return false
		}
	}
	return true
}

// indexed is the part of the account indexEntries reads.
func (f indexedFields) indexed() model.Account {
	a := model.Account{ID: f.ID, Email: f.Email, PreviousEmails: f.PreviousEmails, Name: f.Name, Phone: f.Phone}
	for _, x := range f.Factors {
		a.Factors = append(a.Factors, model.Factor{Type: x.Type, Phone: x.Phone})
	}
	return a
}

func (h syncHead) notes() ([]model.Note, error) {
	if h.notesDecoded {
		return h.decodedNotes, nil
	}
	var n []model.Note
	if len(h.Account.Notes) == 0 || string(h.Account.Notes) == "null" {
		return nil, nil
	}
	return n, json.Unmarshal(h.Account.Notes, &n)
}

// putRecordRaw writes r with its account spelled as raw, when given (the
// snapshot's own bytes, whose indexedDigest is digest), else encoded from
// r.Account. The record around it is spelled by hand: encoding it
// through encoding/json was a tenth of sync's time. It decodes as any
// Record does (TestRawRecordDecodes).
func putRecordRaw(tx Tx, r Record, raw json.RawMessage, digest []byte) error {
	if raw == nil || r.Demo || len(r.Pending) > 0 {
		return putRecord(tx, r)
	}
	return tx.Put(bAccounts, []byte(r.Account.ID), appendRecordRaw(make([]byte, 0, len(raw)+recordFrame), r, raw, digest))
}

// recordFrame is room for what appendRecordRaw spells around the
// account (versions, who, when, the digest): a buffer that had to grow
// for it was copied whole, a fifth of spelling a record.
const recordFrame = 200

// appendRecordRaw spells r around its account's raw bytes (for a record
// that is not a demo one and has nothing pending), with the account's
// indexedDigest when given (a member Record does not read: only
// rawSyncHead does).
func appendRecordRaw(b []byte, r Record, raw json.RawMessage, digest []byte) []byte {
	return spellOf(r).append(b, r, raw, digest)
}

// spelling is what appendRecordRaw spells the same for every record of
// a batch (who, when): spelled once (SpellAhead), not once a record.
type spelling struct{ by, at []byte }

func spellOf(r Record) spelling {
	by, _ := json.Marshal(r.UpdatedBy)
	at, _ := r.UpdatedAt.MarshalJSON()
	return spelling{by, at}
}

// append is appendRecordRaw for a record whose UpdatedBy and UpdatedAt
// are the ones sp was made of.
func (sp spelling) append(b []byte, r Record, raw json.RawMessage, digest []byte) []byte {
	by, at := sp.by, sp.at
	b = append(b, `{"version":`...)
	b = strconv.AppendUint(b, r.Version, 10)
	b = append(append(append(b, `,"updated_by":`...), by...), `,"updated_at":`...)
	b = append(b, at...)
	if digest != nil {
		b = append(append(append(b, `,"indexed":"`...), digest...), '"')
	}
	b = append(append(b, `,"account":`...), raw...)
	if r.PlatformVersion > 0 {
		b = strconv.AppendUint(append(b, `,"platform_version":`...), r.PlatformVersion, 10)
	}
	return append(b, '}')
}

// getSyncHead reads what applying a snapshot needs of the record of id;
// want is the snapshot's indexedDigest (nil: none), which a record that
// has it need not be decoded further for.
func getSyncHead(tx Tx, id string, want []byte) (syncHead, bool, error) {
	v := tx.Get(bAccounts, []byte(id))
	if v == nil {
		return syncHead{}, false, nil
	}
	if h, ok := rawSyncHead(v, want); ok {
		return h, true, nil
	}
	var h syncHead
	if err := json.Unmarshal(v, &h); err != nil {
		return syncHead{}, false, fmt.Errorf("account %s: corrupt record: %w", id, err)
	}
	return h, true, nil
}

// rawSyncHead reads the head of a record as appendRecordRaw spells it
// (a snapshot's account as it came, no notes or pending laid over it: the
// record sync writes nearly always) by hand, and of its account only the
// indexed fields and the notes (model.DecodeIndexedFast): the partial
// decode through encoding/json was two fifths of applying an update.
// A record whose digest is want (not nil) is read no further than its
// versions (syncHead.indexedAsWanted). Any other spelling is ok false.
func rawSyncHead(v []byte, want []byte) (syncHead, bool) {
	b := v
	num := func(prefix string) (uint64, bool) {
		if !bytes.HasPrefix(b, []byte(prefix)) {
			return 0, false
		}
		b = b[len(prefix):]
		i := 0
		for i < len(b) && i < 19 && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		n, err := strconv.ParseUint(string(b[:i]), 10, 64)
		b = b[i:]
		return n, i > 0 && err == nil
	}
	str := func(prefix string) bool { // a JSON string, skipped
		if !bytes.HasPrefix(b, []byte(prefix+`"`)) {
			return false
		}
		for i := len(prefix) + 1; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				b = b[i+1:]
				return true
			}
		}
		return false
	}
	var h syncHead
	var ok bool
	if h.Version, ok = num(`{"version":`); !ok || !str(`,"updated_by":`) || !str(`,"updated_at":`) {
		return syncHead{}, false
	}
	var digest []byte
	if d, found := bytes.CutPrefix(b, []byte(`,"indexed":"`)); found {
		end := bytes.IndexByte(d, '"')
		if end < 0 {
			return syncHead{}, false
		}
		digest, b = d[:end], d[end+1:]
	}
	if !bytes.HasPrefix(b, []byte(`,"account":`)) || len(b) < 2 || b[len(b)-1] != '}' {
		return syncHead{}, false
	}
	acc := b[len(`,"account":`) : len(b)-1]
	// the platform's version is the record's last member, after the
	// account, when it has one: looked for in the tail only (a backward
	// search over the whole record was 3% of a sync's CPU). The bytes
	// cannot appear inside a string (its quotes would be escaped); a
	// member of that name in an object within the account is followed by
	// that object's brace at least, and fails the length check below, or
	// is further in and not looked at: the record has no version of its
	// own then, as the long way would find.
	const pv = `,"platform_version":`
	tail := max(0, len(acc)-len(pv)-20) // 20: the digits of a uint64
	if i := bytes.LastIndex(acc[tail:], []byte(pv)); i >= 0 {
		i += tail
		b = acc[i:]
		if h.PlatformVersion, ok = num(`,"platform_version":`); !ok || len(b) != 0 {
			return syncHead{}, false
		}
		acc = acc[:i]
	}
	if want != nil && bytes.Equal(digest, want) {
		h.indexedAsWanted, h.notesDecoded = true, true
		return h, true
	}
	a, ok := model.DecodeIndexedFast(acc)
	if !ok {
		return syncHead{}, false
	}
	h.Account = indexedFields{ID: a.ID, Email: a.Email, PreviousEmails: a.PreviousEmails, Name: a.Name, Phone: a.Phone}
	if a.Factors != nil {
		h.Account.Factors = make([]indexedFactor, 0, len(a.Factors))
	}
	for _, f := range a.Factors {
		h.Account.Factors = append(h.Account.Factors, indexedFactor{Type: f.Type, Phone: f.Phone})
	}
	h.decodedNotes, h.notesDecoded = a.Notes, true
	return h, true
}

// ParseSnapshot reads one change-stream line: {"seq", "version",
// "account"}, the account validated as an import line is (DOMAIN §6).
// The snapshot keeps line (Raw, and the account's strings share its
// memory): line must not change afterwards.
func ParseSnapshot(line []byte) (Snapshot, error) {
	// the usual line, {"seq":N,"version":N,"account":{…}}, is read by
	// hand and its account decoded in one pass: what that cannot take
	// goes the long way below, which words every error
	if seq, version, acc, ok := snapshotEnvelope(line); ok {
		if err := plausible(seq, version); err != nil {
			return Snapshot{Seq: seq}, err
		}
		// the account's strings share the line's memory, which the
		// snapshot keeps as Raw
		if a, ok := model.DecodeAccountShared(acc); ok {
			if err := a.Validate(); err != nil {
				return Snapshot{Seq: seq}, accountField(err)
			}
			return Snapshot{Seq: seq, Version: version, Account: a, Raw: acc, indexed: indexedDigest(&a)}, nil
		}
	}
	var raw struct {
		Seq     *uint64         `json:"seq"`
		Version *uint64         `json:"version"`
		Account json.RawMessage `json:"account"`
	}
	// the envelope's three members are found by one walk, not a decode
	// of the whole line (the account is decoded once, by ParseAccount);
	// anything unusual goes through encoding/json, which words the error
	walk := func(k string, v []byte) {
		switch k {
		case "seq":
			raw.Seq = uintOrNil(v)
		case "version":
			raw.Version = uintOrNil(v)
		case "account":
			raw.Account = v
		}
	}
	twice, walked := "", false
	if json.Valid(line) {
		twice, walked = model.JSONMembers(line, walk)
	}
	if !walked {
		if err := json.Unmarshal(line, &raw); err != nil {
			return Snapshot{}, &model.FieldError{Reason: "not valid JSON: " + err.Error()}
		}
	}
	switch {
	case twice != "": // a second seq took the checkpoint past events never applied
		return Snapshot{}, &model.FieldError{Field: twice, Reason: "given twice in one event: which one counts is for the platform to say"}
	case raw.Seq == nil || *raw.Seq == 0:
		return Snapshot{}, &model.FieldError{Field: "seq", Reason: "missing or not a positive integer"}
	case raw.Version == nil || *raw.Version == 0:
		return Snapshot{Seq: *raw.Seq}, &model.FieldError{Field: "version", Reason: "missing or not a positive integer"}
	case len(raw.Account) == 0 || string(raw.Account) == "null":
		return Snapshot{Seq: *raw.Seq}, &model.FieldError{Field: "account", Reason: "missing"}
	}
	if err := plausible(*raw.Seq, *raw.Version); err != nil {
		return Snapshot{Seq: *raw.Seq}, err
	}
	acc, err := model.ParseAccount(raw.Account)
	if err != nil {
		return Snapshot{Seq: *raw.Seq}, accountField(err)
	}
	return Snapshot{Seq: *raw.Seq, Version: *raw.Version, Account: acc, Raw: raw.Account, indexed: indexedDigest(&acc)}, nil
}

// plausible refuses a seq or a version no counter reaches (rules S1,
// S2): held, it would freeze the mirror (or an account). A seq's jump
// over the one held is judged where that is known (mirror.Sync).
func plausible(seq, version uint64) error {
	if err := model.CheckSeq(0, seq); err != nil {
		return &model.FieldError{Field: "seq", Reason: err.Error()}
	}
	if err := model.CheckVersion(version); err != nil {
		return &model.FieldError{Field: "version", Reason: err.Error()}
	}
	return nil
}

// accountField names a field error of a snapshot's account as
// account.FIELD.
func accountField(err error) error {
	var fe *model.FieldError
	if errors.As(err, &fe) {
		f := *fe
		f.Field = strings.TrimSuffix("account."+f.Field, ".")
		return &f
	}
	return err
}

// snapshotEnvelope reads {"seq":N,"version":N,"account":X} spelled
// exactly so (N positive, without leading zeros; spaces only at the
// ends), returning X, which the caller must still find to be one whole
// account. Any other spelling is ok false.
func snapshotEnvelope(line []byte) (seq, version uint64, acc []byte, ok bool) {
	b := bytes.TrimSpace(line)
	num := func(prefix string) (uint64, bool) {
		if !bytes.HasPrefix(b, []byte(prefix)) {
			return 0, false
		}
		b = b[len(prefix):]
		i := 0
		for i < len(b) && i < 19 && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == 0 || b[0] == '0' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(b[:i]), 10, 64)
		b = b[i:]
		return n, err == nil
	}
	if seq, ok = num(`{"seq":`); !ok {
		return 0, 0, nil, false
	}
	if version, ok = num(`,"version":`); !ok {
		return 0, 0, nil, false
	}
	if !bytes.HasPrefix(b, []byte(`,"account":`)) || b[len(b)-1] != '}' {
		return 0, 0, nil, false
	}
	return seq, version, b[len(`,"account":`) : len(b)-1], true
}
