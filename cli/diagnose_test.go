package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// fixtureAccounts counts the accounts in the shared fixture file.
func fixtureAccounts(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("../testdata/fixtures/accounts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(bytes.TrimSpace(b), []byte("\n")) + 1
}

// checkOK is what `check` says of a store holding the fixtures.
func checkOK(t *testing.T) string { return fmt.Sprintf("ok: %d accounts", fixtureAccounts(t)) }

// TestDiagnoseKelvinSignIsAnotherAddress: rule P7 folds A–Z only, so the
// Kelvin sign (U+212A) does not find noah.kim@icloud.com.
func TestDiagnoseKelvinSignIsAnotherAddress(t *testing.T) {
	dir := importFixtures(t)
	for email, want := range map[string]string{
		"noah.\u212Aim@icloud.com": "no_account",
		"  NOAH.KIM@icloud.COM ":   "reset_filtered",
	} {
		r := run(t, "", "diagnose", "--email", email, "--site", "patient", "--problem", "no_reset_email",
			"--now", "2026-11-10T18:00:00Z", "--json", "--data", dir)
		var out DiagnoseOutput
		if err := json.Unmarshal([]byte(r.out), &out); err != nil {
			t.Fatalf("%q: %v\n%s", email, err, r.err)
		}
		if out.Findings[0].Code != want {
			t.Errorf("%q: first finding %s, want %s", email, out.Findings[0].Code, want)
		}
	}
}

// TestDiagnoseSpellsOutForTheCommandLine: the command line runs as an
// admin; its findings are not masked, in text and in JSON alike.
func TestDiagnoseSpellsOutForTheCommandLine(t *testing.T) {
	dir := importFixtures(t)
	args := []string{"diagnose", "--email", "dmoore@cityclinic.org", "--site", "provider", "--now", "2026-11-10T18:00:00Z", "--data", dir}
	text := run(t, "", args...)
	js := run(t, "", append(args, "--json")...)
	for _, out := range []string{text.out, js.out} {
		if !strings.Contains(out, "dmoore@cityclinic.org is a previous email") || !strings.Contains(out, "dr.moore@mooremind.com") {
			t.Errorf("findings masked or missing:\n%s", out)
		}
	}
	if strings.Contains(js.out, "\u2022") || !strings.Contains(js.out, `"account_id": "p012"`) {
		t.Errorf("--json changed shape:\n%s", js.out)
	}
}
