package demo

import (
	"testing"
	"time"

	"frontdoor/model"
)

func TestDemoAccountsAreValid(t *testing.T) {
	accs, _ := Data(time.Now())
	if len(accs) < 35 {
		t.Fatalf("only %d demo accounts", len(accs))
	}
	emails := map[string]string{}
	for _, a := range accs {
		if err := a.Validate(); err != nil {
			t.Errorf("%s: %v", a.ID, err)
		}
		for _, e := range append([]string{a.Email}, a.PreviousEmails...) {
			if other, dup := emails[model.NormalizeEmail(e)]; dup {
				t.Errorf("%s: email %s also on %s", a.ID, e, other)
			}
			emails[model.NormalizeEmail(e)] = a.ID
		}
	}
}

// TestEveryCodeReachable: for each of the 35 codes there is a demo account
// and report where it is the first finding (issue: diagnosis, item 4).
func TestEveryCodeReachable(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	accs, cases := Data(now)
	byEmail := map[string]*model.Account{}
	for i := range accs {
		byEmail[model.NormalizeEmail(accs[i].Email)] = &accs[i]
		for _, p := range accs[i].PreviousEmails {
			byEmail[model.NormalizeEmail(p)] = &accs[i]
		}
	}
	first := map[string]bool{}
	for _, c := range cases {
		fs := model.Diagnose(byEmail[model.NormalizeEmail(c.Report.Email)], c.Report, now)
		if fs[0].Code != c.Expect {
			t.Errorf("%s %s/%s: first %s, want %s", c.Report.Email, c.Report.Site, c.Report.Problem, fs[0].Code, c.Expect)
		}
		first[fs[0].Code] = true
	}
	for _, code := range model.Codes() {
		if !first[code] {
			t.Errorf("no demo case leads with %s", code)
		}
	}
}

func TestDemoCoversStatusesAndFactors(t *testing.T) {
	accs, _ := Data(time.Now())
	seen := map[string]bool{}
	for _, a := range accs {
		seen[a.Status] = true
		seen[a.Role] = true
		for _, f := range a.Factors {
			seen[f.Type] = true
		}
	}
	for _, want := range []string{model.StatusActive, model.StatusPending, model.StatusDeactivated, model.StatusTerminated,
		model.RoleClient, model.RoleProvider, model.FactorTOTP, model.FactorPhone, model.FactorBiometric,
		model.FactorSecurityKey, model.FactorRecoveryCode} {
		if !seen[want] {
			t.Errorf("demo data has no %s", want)
		}
	}
}
