package store

import (
	"encoding/json"
	"fmt"
	"time"

	"frontdoor/model"
)

// Diagnoses reads the diagnoses audited after seq after (0: all) and no
// earlier than since, oldest first: when each was, and the finding it led
// with (the audit's "top"). It returns the newest seq it read past, to
// pass as after next time: the Ops screen's tally reads only what is new.
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
					Top string `json:"top"`
				} `json:"details"`
			}
			if err := json.Unmarshal(v, &e); err != nil {
				return false, fmt.Errorf("audit: corrupt entry: %w", err)
			}
			if e.Seq <= after || e.At.Before(since) {
				return false, nil
			}
			last = max(last, e.Seq)
			if e.Action == "diagnose" && e.Details.Top != "" {
				out = append(out, model.LedWith{At: e.At, Code: e.Details.Top})
			}
			return true, nil
		})
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, last, err
}
