package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// EmailUse is one account's hold on an address: as its current login
// email, or as one it had before.
type EmailUse struct {
	AccountID string
	Current   bool
}

// CheckEmailUse is rule A1 as rule S5 refines it: an address is the
// current email of at most one account; any number of other accounts
// may hold it as a previous email (the platform lets an address be
// reused once its owner moved away). uses are every account's hold on
// the address, the one being written included.
func CheckEmailUse(email string, uses []EmailUse) error {
	var current []string
	for _, u := range uses {
		if u.Current {
			current = append(current, u.AccountID)
		}
	}
	if len(current) > 1 {
		slices.Sort(current)
		return fmt.Errorf("%q is the current email of %d accounts (%s): an address logs in to one account (A1, S5)", email, len(current), strings.Join(current, ", "))
	}
	return nil
}

// PreferredHolder is the account a look-up of an address opens (rule
// S5): its current holder; else, among accounts that held it before,
// the one updated last (the most recent to move away from it, so the
// likeliest caller). updated gives each account's last update.
func PreferredHolder(uses []EmailUse, updated func(id string) time.Time) (string, bool) {
	best, found := "", false
	var bestAt time.Time
	for _, u := range uses {
		if u.Current {
			return u.AccountID, true
		}
		at := updated(u.AccountID)
		if !found || bestAt.Before(at) {
			best, bestAt, found = u.AccountID, at, true
		}
	}
	return best, found
}
