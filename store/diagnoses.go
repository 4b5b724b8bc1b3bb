package store

import (
	"encoding/json"
	"fmt"
	"time"

	"frontdoor/model"
)

// DiagnoseViaCLI is the "via" detail of a diagnosis audited by the
// diagnose command: counted apart from the console's calls.
const DiagnoseViaCLI = "cli"

// Diagnoses reads the console's diagnoses audited after seq after (0: all)
// and no earlier than since, oldest first: when each was, the finding it
// led with (the audit's "top") and the call it belongs to ("call": one
// Diagnose screen visit for one address, which model.CountLeads counts
// once). A `frontdoor diagnose` run (via "cli") is audited like any
// diagnosis but is no caller's call, so it is left out. It returns the
// newest seq it read past, to pass as after next time: the Ops screen's
// tally reads only what is new.
func (s *Store) Diagnoses(after uint64, since time.Time) ([]model.LedWith, uint64, error) {
	var out []model.LedWith
	last := after
	err := s.kv.View(func(tx Tx) error {
		return tx.ScanReverse(bAudit, func(_, v []byte) (bool, error) {
			var e struct {
				Seq     uint64    `json:"seq"`
				At      time.Time `json:"at"`
				Action  string    `json:"action"`
				Details struct {
					Top  string `json:"top"`
					Via  string `json:"via"`
					Call string `json:"call"`
				} `json:"details"`
			}
			if err := json.Unmarshal(v, &e); err != nil {
				return false, fmt.Errorf("audit: corrupt entry: %w", err)
			}
			if e.Seq <= after || e.At.Before(since) {
				return false, nil
			}
			last = max(last, e.Seq)
			if e.Action == "diagnose" && e.Details.Top != "" && e.Details.Via != DiagnoseViaCLI {
				out = append(out, model.LedWith{At: e.At, Code: e.Details.Top, Call: e.Details.Call})
			}
			return true, nil
		})
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, last, err
}
