// Package model is the domain of frontdoor: the account model the store
// mirrors (DOMAIN §6), validation, the diagnosis engine (DOMAIN §7), and
// the reset, 2FA and action rules. It is pure: no I/O, no clock of its own
// (every time rule takes "now"), and it imports nothing of ours.
//
// Rule ids from ../shared/DOMAIN.md (P, R, M, T, B, A) are cited where each
// rule is decided; there is one place per rule.
package model
