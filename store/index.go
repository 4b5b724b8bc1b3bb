package store

import (
	"bytes"
	"slices"
	"strings"

	"frontdoor/model"
)

// The indexes are derived from the account alone, so check can rebuild
// what they should hold and compare.

const (
	emailCurrent  = "current"
	emailPrevious = "previous"
)

type indexEntry struct {
	bucket string
	key    []byte
	value  []byte
}

// indexEntries lists every index entry account a should have.
func indexEntries(a model.Account) []indexEntry {
	var es []indexEntry
	// email \x00 id: an address may be one account's current email and
	// others' previous one (rule S5), so every holder has its own entry
	es = append(es, indexEntry{bEmail, join0([]byte(model.NormalizeEmail(a.Email)), a.ID), []byte(emailCurrent)})
	for _, p := range a.PreviousEmails {
		if model.NormalizeEmail(p) == model.NormalizeEmail(a.Email) {
			continue // the current entry stands for it
		}
		es = append(es, indexEntry{bEmail, join0([]byte(model.NormalizeEmail(p)), a.ID), []byte(emailPrevious)})
	}
	// the value holds all the name's words, so a search for several words
	// checks candidates from the index alone, without loading accounts
	tokens := model.NameTokens(a.Name)
	all := []byte(strings.Join(tokens, " "))
	for _, t := range tokens {
		es = append(es, indexEntry{bName, join0([]byte(t), a.ID), all})
	}
	for _, d := range phoneKeys(a) {
		es = append(es, indexEntry{bPhone, join0([]byte(d), a.ID), nil})
	}
	return es
}

func join0(a []byte, b string) []byte {
	k := make([]byte, 0, len(a)+1+len(b))
	k = append(k, a...)
	k = append(k, 0)
	return append(k, b...)
}

// phoneKeys: every phone on the account (contact and 2FA), by its full
// digits and, for +1 numbers, its 10-digit national number; plus each
// reversed, so "0123" finds numbers ending in 0123.
func phoneKeys(a model.Account) []string {
	phones := []string{a.Phone}
	for _, f := range a.Factors {
		if f.Type == model.FactorPhone {
			phones = append(phones, f.Phone)
		}
	}
	var keys []string
	add := func(k string) {
		if k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, p := range phones {
		d := model.Digits(p)
		if len(d) < 4 {
			continue
		}
		add(d)
		if len(d) == 11 && d[0] == '1' {
			add(d[1:])
		}
		add("~" + reverse(d))
	}
	return keys
}

func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

func putIndexes(tx Tx, a model.Account) error {
	for _, e := range indexEntries(a) {
		if err := tx.Put(e.bucket, e.key, e.value); err != nil {
			return err
		}
	}
	return nil
}

func deleteIndexes(tx Tx, a model.Account) error {
	for _, e := range indexEntries(a) {
		if err := tx.Delete(e.bucket, e.key); err != nil {
			return err
		}
	}
	return nil
}

// emailHolders lists every account's hold on the normalised address.
func emailHolders(tx Tx, norm string) ([]model.EmailUse, error) {
	var uses []model.EmailUse
	err := tx.Scan(bEmail, join0([]byte(norm), ""), func(k, v []byte) (bool, error) {
		_, id := splitKey(k)
		uses = append(uses, model.EmailUse{AccountID: id, Current: string(v) == emailCurrent})
		return true, nil
	})
	return uses, err
}

// checkCurrentEmail holds a's current email to rule A1/S5 against the
// other accounts in tx (a's own entries are not counted).
func checkCurrentEmail(tx Tx, a model.Account) error {
	norm := model.NormalizeEmail(a.Email)
	uses, err := emailHolders(tx, norm)
	if err != nil {
		return err
	}
	uses = slices.DeleteFunc(uses, func(u model.EmailUse) bool { return u.AccountID == a.ID })
	return model.CheckEmailUse(a.Email, append(uses, model.EmailUse{AccountID: a.ID, Current: true}))
}

// updateIndexes moves an account's index entries from before to after,
// touching only those that differ: a snapshot that only appends a sign-in
// rewrites no index at all.
func updateIndexes(tx Tx, before, after []indexEntry) error {
	same := func(a, b indexEntry) bool {
		return a.bucket == b.bucket && bytes.Equal(a.key, b.key) && bytes.Equal(a.value, b.value)
	}
	for _, e := range before {
		if !slices.ContainsFunc(after, func(x indexEntry) bool { return x.bucket == e.bucket && bytes.Equal(x.key, e.key) }) {
			if err := tx.Delete(e.bucket, e.key); err != nil {
				return err
			}
		}
	}
	for _, e := range after {
		if !slices.ContainsFunc(before, func(x indexEntry) bool { return same(x, e) }) {
			if err := tx.Put(e.bucket, e.key, e.value); err != nil {
				return err
			}
		}
	}
	return nil
}
