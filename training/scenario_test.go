package training

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"frontdoor/model"
)

func builtin(t *testing.T) Library {
	t.Helper()
	lib, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// Every embedded scenario parses, imports into a throwaway store, leads
// with its expected finding and takes its expected actions under policy
// (issue 13: scenarios never drift from the rules).
func TestBuiltinScenariosValidate(t *testing.T) {
	lib := builtin(t)
	if len(lib) < 16 {
		t.Fatalf("%d scenarios; the library needs at least 16", len(lib))
	}
	for _, sc := range lib {
		t.Run(sc.Name, func(t *testing.T) {
			if err := Validate(sc, model.DefaultPolicy); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The library covers what issue 13 lists, by first finding.
func TestBuiltinCoverage(t *testing.T) {
	covered := builtin(t).Covered()
	for _, code := range []string{"other_service_careers", "other_service_capital", "wrong_portal", "login_email_changed",
		"email_unverified", "emails_suppressed", "reset_bounced", "reset_link_superseded", "reset_link_expired",
		"reset_filtered", "mfa_phone_abroad", "mfa_sms_filtered", "mfa_biometric_other_device", "mfa_recovery_code",
		"mfa_provider_exemption", "telehealth_too_early", "family_plus_address"} {
		if !slices.Contains(covered, code) {
			t.Errorf("no scenario leads with %s", code)
		}
	}
	// wrong portal both ways: a provider on the patient site and a client on the provider's
	var roles []string
	for _, sc := range builtin(t) {
		if sc.Expect.Finding == "wrong_portal" {
			sb, err := NewSandbox(sc, "")
			if err != nil {
				t.Fatal(err)
			}
			rec, _ := sb.CallerAccount(sc)
			roles = append(roles, rec.Account.Role)
			sb.Close()
		}
	}
	if !slices.Contains(roles, model.RoleProvider) || !slices.Contains(roles, "client") {
		t.Errorf("wrong portal scenarios cover roles %v; want both ways", roles)
	}
}

// A scenario that drifted from the rules is caught, naming file and field.
func TestValidateCatchesDrift(t *testing.T) {
	sc, ok := builtin(t).Find("expired-link")
	if !ok {
		t.Fatal("no expired-link scenario")
	}
	cases := []struct {
		name  string
		edit  func(*Scenario)
		field string
		says  string
	}{
		{"finding", func(s *Scenario) { s.Expect.Finding = "reset_filtered" }, "expect.finding", "leads with reset_link_expired"},
		{"refused action", func(s *Scenario) { s.Expect.Actions = []string{"resend-verification"} }, "expect.actions", "policy refuses"},
		{"2FA action without verification", func(s *Scenario) { s.Expect.Actions = []string{"issue-recovery-code"} }, "expect.actions", "verify the caller"},
		{"bad account line", func(s *Scenario) { s.Accounts = strings.Replace(s.Accounts, `"role":"client"`, `"role":"boss"`, 1) }, "accounts (role)", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sc
			c.edit(&s)
			err := Validate(s, model.DefaultPolicy)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "expired-link.yaml") {
				t.Fatalf("got %v; want a %s error saying %q", err, c.field, c.says)
			}
		})
	}
}

// Parse errors name the file, the line and the field.
func TestParseErrorsNameFileLineField(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("scenarios", "expired-link.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, from, to, want string }{
		{"unknown field", "difficulty: easy", "difficulty: easy\ncolour: red", "x.yaml:5: field colour not found"},
		{"bad difficulty", "difficulty: easy", "difficulty: brutal", "x.yaml:4: difficulty: \"brutal\""},
		{"bad site", `value: "patient"`, `value: "headway"`, "x.yaml:11: caller.site"},
		{"unknown action", `actions: ["send-reset"]`, `actions: ["reset-password"]`, "expect.actions: \"reset-password\" is not an action"},
		{"unknown finding", "finding: reset_link_expired", "finding: link_dead", "expect.finding: \"link_dead\""},
		{"bad yaml", "title:", "title: [", "x.yaml:"},
		{"now far ahead", "now: 2026-11-24T17:00:00Z", "now: 9999-12-31T23:59:59Z", "x.yaml:5: now: 9999-12-31T23:59:59Z: want a time in 2000–2099"},
		{"now at year 1", "now: 2026-11-24T17:00:00Z", "now: 0001-01-01T00:00:00Z", "x.yaml:5: now: 0001-01-01T00:00:00Z: want a time in 2000–2099"},
		{"now missing", "now: 2026-11-24T17:00:00Z\n", "", "now: missing"},
		{"account line", `"us_state":"GA"`, `"us_state":"GA","phone":"not a phone"`, "x.yaml:19: accounts (phone)"},
		{"now with an offset", "now: 2026-11-24T17:00:00Z", "now: 2026-11-24T17:00:00+14:00", "x.yaml:5: now: 2026-11-24T17:00:00+14:00: want UTC"},
		{"an opening too long", `opening: "The reset`, `opening: "` + strings.Repeat("a", 2001) + ` The reset`, "caller.opening: 2058 characters: at most 2000"},
		{"too many hints", "hints:", "hints:\n" + strings.Repeat("  - \"h\"\n", 9), "hints: 11 hints: at most 10"},
		{"now a date", "now: 2026-11-24T17:00:00Z", `now: "2026-11-24"`, `x.yaml:5: now: "2026-11-24": want an RFC 3339 UTC time`},
		{"not UTF-8", "difficulty: easy", "difficulty: easy\ntitle: \xff", "x.yaml:5: not UTF-8"},
		{"a control character", "difficulty: easy", "difficulty: easy # \x1b[2J", "x.yaml:4: a control character (U+001B)"},
		{"a second document", "difficulty: easy", "difficulty: easy\n---\ntitle: more", "x.yaml:5: a second document"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := strings.Replace(string(good), c.from, c.to, 1)
			sc, err := Parse("x.yaml", []byte(data))
			if err == nil {
				_, err = NewSandbox(sc, "")
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v; want it to contain %q", err, c.want)
			}
		})
	}
}

// A file that is no scenario is not quoted in the error (a link to the
// audit key showed its first bytes), and a file name with a control
// character is refused: the name is printed in tables, where a newline
// forged a row of `training report` (training review).
func TestParseQuotesNothingAndNamesAreClean(t *testing.T) {
	_, err := Parse("key.yaml", []byte("24f4b89e0c1d2e3f4a5b6c7d8e9f00112233445566778899aabbccddeeff0011\n"))
	if err == nil || strings.Contains(err.Error(), "24f4b89") || !strings.Contains(err.Error(), "key.yaml:1:") {
		t.Errorf("a key file read as a scenario: %v", err)
	}
	// a password file's line read as a key; a secret where now should be
	for _, data := range []string{"alice:$6$Qx9salt$Zk3hash:19000:0:99999:7:::\n", "now: SECRETVALUE123\n"} {
		_, err := Parse("s.yaml", []byte(data))
		if err == nil || strings.Contains(err.Error(), "Qx9salt") || strings.Contains(err.Error(), "SECRETVALUE") {
			t.Errorf("a file that is no scenario: %v", err)
		}
	}
	good, err := os.ReadFile(filepath.Join("scenarios", "expired-link.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"0\n2026-12-08 02:11  bob  expired-link  100.yaml", "t\tab.yaml", "bidi\u202e.yaml"} {
		if _, err := Parse(name, good); err == nil || !strings.Contains(err.Error(), "rename the file") {
			t.Errorf("%q: %v", name, err)
		}
	}
	if _, err := Parse("naïve-name.yaml", good); err != nil {
		t.Errorf("a name with a letter outside ASCII: %v", err)
	}
}

// Trainers add scenarios without a rebuild: a directory loads like the
// embedded library, .yaml and .yml alike. Its files are input: each bad
// one is skipped and named with what is wrong, and the good ones still
// load (issue 20, item 14: a draft stopped the live console from
// starting; a link to /dev/zero exhausted its memory).
func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile(filepath.Join("scenarios", "sms-filtered.yaml"))
	other, _ := os.ReadFile(filepath.Join("scenarios", "expired-link.yaml"))
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	link := func(name, to string) {
		t.Helper()
		if err := os.Symlink(to, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	write("my-own.yaml", good)
	write("short.yml", other)
	write("draft.yaml", []byte("title: oops\n"))
	write("big.yaml", append(append([]byte{}, good...), make([]byte, MaxScenarioBytes)...))
	write("notes.md", []byte("not a scenario"))
	write("my-own.yml", good) // the same name as my-own.yaml
	outside := filepath.Join(t.TempDir(), "linked.yaml")
	os.WriteFile(outside, other, 0o600)
	link("linked.yaml", outside) // a link to a regular file is fine
	link("zero.yaml", "/dev/zero")
	link("gone.yaml", filepath.Join(dir, "nowhere"))
	os.Mkdir(filepath.Join(dir, "folder.yaml"), 0o700)

	lib, bad, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sc := range lib {
		names = append(names, sc.Name)
	}
	if strings.Join(names, " ") != "linked my-own short" {
		t.Errorf("loaded %v, want linked, my-own, short", names)
	}
	got := errors.Join(bad...).Error()
	for _, want := range []string{
		filepath.Join(dir, "draft.yaml") + ": difficulty: \"\": want one of easy, medium, hard",
		filepath.Join(dir, "big.yaml") + ": ",
		"a scenario file is at most 1048576 (1 MiB)",
		filepath.Join(dir, "zero.yaml") + ": not a regular file (a character device)",
		filepath.Join(dir, "folder.yaml") + ": not a regular file (a directory)",
		filepath.Join(dir, "gone.yaml") + ": no such file or directory",
		filepath.Join(dir, "my-own.yml") + ": two scenarios are called my-own",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in what was skipped:\n%s", want, got)
		}
	}
	if len(bad) != 6 || strings.Contains(got, "notes.md") {
		t.Errorf("%d skipped, want 6 (notes.md is not a scenario file):\n%s", len(bad), got)
	}

	if lib, bad, err := LoadDir(t.TempDir()); err != nil || len(lib) != 0 || len(bad) != 0 {
		t.Fatalf("an empty directory: %v %v %v", lib, bad, err)
	}
	for _, d := range []string{filepath.Join(dir, "missing"), filepath.Join(dir, "notes.md")} {
		if _, _, err := LoadDir(d); err == nil {
			t.Errorf("LoadDir(%s): no error", d)
		}
	}
}

// A directory of more than MaxScenarioFiles scenario files is read up to
// the cap, by name, and says how many it skipped.
func TestLoadDirCapsFiles(t *testing.T) {
	dir := t.TempDir()
	for i := range 2*MaxScenarioFiles + 3 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("s%04d.yaml", i)), nil, 0o600)
	}
	_, bad, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := errors.Join(bad...).Error()
	// every file skipped is named, up to another 500; past those, counted
	if len(bad) != 2*MaxScenarioFiles+1 || !strings.Contains(got, "s0499.yaml: empty scenario") ||
		!strings.Contains(got, "s0500.yaml: skipped: past the first 500 scenario files by name") ||
		!strings.Contains(got, "s0999.yaml: skipped: past the first 500") || strings.Contains(got, "s1000.yaml") ||
		!strings.Contains(got, "3 more scenario files skipped") {
		t.Fatalf("%d errors:\n%.600s", len(bad), got)
	}
}

// A directory's files together are read up to MaxScenarioDirBytes: 500
// files of 1 MiB would hold half a GiB.
func TestLoadDirCapsBytes(t *testing.T) {
	dir := t.TempDir()
	comments := []byte(strings.Repeat("# a comment line of sixty-four bytes, padding it out to there.\n", MaxScenarioBytes/64))
	for i := range MaxScenarioDirBytes/MaxScenarioBytes + 1 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("s%02d.yaml", i)), comments, 0o600)
	}
	_, bad, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := errors.Join(bad...).Error()
	if len(bad) != 17 || !strings.Contains(got, "s16.yaml: skipped: it would take the directory's scenario files past 16777216 bytes (16 MiB)") ||
		!strings.Contains(got, "s15.yaml: empty scenario") {
		t.Fatalf("%d errors:\n%s", len(bad), got)
	}
}

// Where a scenario's account has evidence the Diagnose interview
// pre-selects from, it agrees with what the caller says: a scenario whose
// data contradicts its own caller (a link "expired" that the platform
// never saw opened) teaches trainees to overrule the interview (newcomer
// walkthrough: expired-link).
func TestScenarioEvidenceAgreesWithTheCaller(t *testing.T) {
	lib, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range lib {
		sb, err := NewSandbox(sc, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		rec, err := sb.CallerAccount(sc)
		sb.Close()
		if err != nil || rec == nil {
			continue // no account: nothing to pre-select from
		}
		s := model.DefaultPolicy.Suggest(&rec.Account, sc.Now)
		if s.ProblemWhy != "" && s.Problem != sc.Caller.Problem.Value {
			t.Errorf("%s: the evidence says %s (%s), the caller %s", sc.Name, s.Problem, s.ProblemWhy, sc.Caller.Problem.Value)
		}
		if s.SiteWhy != "" && sc.Caller.Site.Value != model.SiteUnknown && s.Site != sc.Caller.Site.Value {
			t.Errorf("%s: the evidence says site %s (%s), the caller %s", sc.Name, s.Site, s.SiteWhy, sc.Caller.Site.Value)
		}
	}
}

// Every finding of DOMAIN §7 leads at least one scenario, so a trainee
// meets each answer the console can give.
func TestEveryFindingHasAScenario(t *testing.T) {
	covered := builtin(t).Covered()
	for _, code := range model.Codes() {
		if !slices.Contains(covered, code) {
			t.Errorf("no scenario leads with %s", code)
		}
	}
}

// countWords are the ways a caller says how many times they asked.
var countWords = regexp.MustCompile(`(?i)\b(once|twice|both|(\d+|one|two|three|four|five|six|seven|eight|nine|ten) times)\b`)

func spokenCount(s string) int {
	s = strings.ToLower(s)
	switch s {
	case "once":
		return 1
	case "twice", "both":
		return 2
	}
	n := strings.TrimSuffix(s, " times")
	for i, w := range []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"} {
		if n == w || n == strconv.Itoa(i) {
			return i
		}
	}
	return -1
}

// A caller's words agree with the scenario's data where a test can hold
// them to it: a count of resets they say they asked for is the count
// requested in the 24 h before now (R3: "five times today" with two on
// file teaches trainees to distrust the account); and the data follows
// the seeds: a used recovery code was replaced by a new one (002: "If you
// use it, we will provide a new one").
func TestScenarioWordsAgreeWithTheData(t *testing.T) {
	sentence := regexp.MustCompile(`[^.!?]+`)
	for _, sc := range builtin(t) {
		sb, err := NewSandbox(sc, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		rec, err := sb.CallerAccount(sc)
		var accounts []model.Account
		for _, line := range strings.Split(strings.TrimSpace(sc.Accounts), "\n") {
			a, err := model.ParseAccount([]byte(line))
			if err != nil {
				t.Fatalf("%s: %v", sc.Name, err)
			}
			accounts = append(accounts, a)
		}
		sb.Close()
		if err != nil {
			t.Fatal(err)
		}
		c := sc.Caller
		words := []string{c.Opening, c.Email.Says, c.Site.Says, c.Problem.Says, c.Abroad.Says, c.OtherDevice.Says}
		for _, w := range words {
			for _, s := range sentence.FindAllString(w, -1) {
				if !strings.Contains(strings.ToLower(s), "reset") {
					continue
				}
				m := countWords.FindString(s)
				if m == "" {
					continue
				}
				if rec == nil {
					t.Errorf("%s: the caller counts resets (%q) but has no account", sc.Name, s)
					continue
				}
				if got, said := model.ResetsRequestedWithin(rec.Account.Resets, sc.Now, model.DefaultPolicy.RecentResetWindow), spokenCount(m); got != said {
					t.Errorf("%s: the caller says %q (%d), the account has %d resets requested in the last 24 h", sc.Name, strings.TrimSpace(s), said, got)
				}
			}
		}
		for _, a := range accounts {
			for _, used := range a.Factors {
				if used.Type != model.FactorRecoveryCode || used.UsedAt == nil {
					continue
				}
				replaced := slices.ContainsFunc(a.Factors, func(f model.Factor) bool {
					return f.Type == model.FactorRecoveryCode && f.UsedAt == nil && f.EnrolledAt != nil && !f.EnrolledAt.Before(*used.UsedAt)
				})
				if !replaced {
					t.Errorf("%s: %s's recovery code %s was used with no new one issued after it (M2; seed 002)", sc.Name, a.ID, used.ID)
				}
			}
		}
	}
}
