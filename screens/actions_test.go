package screens

import (
	"errors"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"frontdoor/model"
	"frontdoor/store"
)

func outboxTypes(t *testing.T, st *store.Store) []string {
	t.Helper()
	msgs, err := st.Outbox(false)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, m := range msgs {
		types = append(types, m.Kind+":"+m.Type)
	}
	return types
}

func TestLiftSuppressionThenSendReset(t *testing.T) {
	st := newStore(t)
	h := start(t, newEnv(t, st, "sam", model.RoleAgent), 80, 24)
	h.open("paul.green", "Paul Green")
	h.typ("p")
	h.see("lift the suppression first")
	h.typ("u")
	h.see("Lift email suppression")
	h.key(tea.KeyEnter)
	h.see("Reason is required")
	h.typ("caller asked for reset emails")
	h.key(tea.KeyEnter)
	h.see("Suppression lifted")
	h.typ("p")
	h.see("Reason (optional)")
	h.typ("caller on the phone now")
	h.key(tea.KeyEnter)
	h.see("Reset requested")
	h.frame()
	got := strings.Join(outboxTypes(t, st), " ")
	want := "command:lift_email_suppression notification:email_suppression_lifted command:send_password_reset"
	if got != want {
		t.Fatalf("outbox %q, want %q", got, want)
	}
	paul, _ := st.ByEmail("paul.green@outlook.com")
	log, _ := st.AuditLog(store.AuditFilter{Account: paul.Account.ID})
	if len(log) < 3 || log[1].Action != model.ActLiftSuppression || log[1].Reason != "caller asked for reset emails" {
		t.Fatalf("audit %+v", log[1])
	}
	if log[0].Action != model.ActSendReset || log[0].Reason != "caller on the phone now" {
		t.Fatalf("reset audited without its reason: %+v", log[0])
	}
}

func TestResetWithinTenMinutesNeedsSecondConfirmation(t *testing.T) {
	st := newStore(t)
	h := start(t, newEnv(t, st, "sam", model.RoleAgent), 80, 24)
	h.open("sofia", "Sofia Rossi")
	h.typ("r")
	h.see("DELIVERED")
	h.typ("p")
	h.see("still works") // the delivered link still works (R3): confirm past it
	h.key(tea.KeyEnter)
	h.see("Tick")
	h.typ(" ")
	h.key(tea.KeyTab)
	h.typ("caller deleted the email")
	h.key(tea.KeyEnter)
	h.see("Reset requested")
	h.typ("p")
	h.see("⚠ needs a second")
	h.typ(" ") // the caller opened the newest email
	h.key(tea.KeyTab)
	h.typ(" ") // and past the live link again
	h.key(tea.KeyTab)
	h.typ("still nothing")
	h.key(tea.KeyEnter)
	h.see("r4")
	h.frame()
	if n := len(outboxTypes(t, st)); n != 2 {
		t.Fatalf("%d commands, want 2", n)
	}
	rec, _ := st.Get("demo-010")
	if len(rec.Account.Resets) != 4 || rec.Account.Resets[3].RequestedBy != "sam" {
		t.Fatalf("resets %+v", rec.Account.Resets)
	}
	log, _ := st.AuditLog(store.AuditFilter{Account: "demo-010", Actions: []string{model.ActSendReset}})
	if len(log) != 2 || !strings.Contains(log[0].Details["override"], "live_link (R3)") || log[0].Reason != "still nothing" {
		t.Fatalf("the override is not audited with the reason: %+v", log)
	}
}

// A password reset while the diagnosis says the portal is wrong asks the
// agent to confirm past it, naming the finding and rule (issue 12).
func TestResetAgainstWrongPortalAsks(t *testing.T) {
	st := newStore(t)
	h := start(t, newEnv(t, st, "sam", model.RoleAgent), 80, 24)
	h.open("james hill", "James Hill") // a provider whose last failed sign-in was on the patient portal
	h.typ("p")
	h.see("confirm the portal before any reset [P5]")
	golden.RequireEqual(t, []byte(h.frame()))
}

func TestStaleVersionIsRefused(t *testing.T) {
	st := newStore(t)
	ann := newEnv(t, st, "ann", model.RoleAgent)
	bob := newEnv(t, st, "bob", model.RoleAgent)
	seen, _ := st.Get("demo-001") // both agents opened the account at this version
	if msg := run(ann, seen, model.ActAddNote, ann.Policy.AddNote, input(ann, "called back"), "ok")().(actionDone); msg.err != nil {
		t.Fatal(msg.err)
	}
	msg := run(bob, seen, model.ActSendReset, bob.Policy.SendReset, input(bob, ""), "ok")().(actionDone)
	var ce *store.ConflictError
	if !errors.As(msg.err, &ce) || !strings.Contains(msg.err.Error(), "changed by ann at 09:30:00 UTC — review and retry") {
		t.Fatalf("err = %v", msg.err)
	}
	if got := outboxTypes(t, st); len(got) != 0 {
		t.Fatalf("stale action wrote %v", got)
	}
}

func TestAgentCannotAct2FA(t *testing.T) {
	st := newStore(t)
	h := start(t, newEnv(t, st, "sam", model.RoleAgent), 80, 50)
	h.open("ava patel", "Ava Patel")
	h.typ("2")
	h.see("needs a lead")
	h.typ("g")
	h.see("2FA actions need a lead (you are agent)")
	h.frame()
	rec, _ := st.Get("demo-015")
	if rec.Account.MFAExemption != nil || len(outboxTypes(t, st)) != 0 {
		t.Fatal("an agent's 2FA action went through")
	}
}

func TestLeadGrantsExemptionAfterVerification(t *testing.T) {
	st := newStore(t)
	h := start(t, newEnv(t, st, "kay", model.RoleLead), 80, 30)
	h.open("ava patel", "Ava Patel")
	h.typ("2")
	h.see("Remembered devices")
	h.typ("g")
	h.see("Verify the caller")
	h.typ(" ")          // first check
	h.key(tea.KeyEnter) // one check is not enough
	h.see("at least 2")
	h.key(tea.KeyTab)
	h.typ(" ") // second check
	h.key(tea.KeyTab)
	h.key(tea.KeyTab)
	h.key(tea.KeyTab) // to the reason field
	h.typ("lost phone abroad")
	h.key(tea.KeyEnter)
	h.see("Exemption granted")
	h.frame()
	rec, _ := st.Get("demo-015")
	x := rec.Account.MFAExemption
	if x == nil || x.ExpiresAt.Sub(*x.GrantedAt) != model.ExemptionLength || x.GrantedBy != "kay" {
		t.Fatalf("exemption %+v", x)
	}
	if got := strings.Join(outboxTypes(t, st), " "); got != "command:grant_mfa_exemption notification:mfa_exemption_granted" {
		t.Fatalf("outbox %s", got)
	}
	log, _ := st.AuditLog(store.AuditFilter{Account: "demo-015"})
	e := log[0]
	if e.Action != model.ActGrantExemption || e.Reason != "lost phone abroad" || strings.Count(e.Details["checks"], ";") != 1 ||
		e.Details["checks_ticked"] != "email_reply(space), name_dob(space)" {
		t.Fatalf("audit %+v", e)
	}
}

// TestTypingNeverTicksACheck: a lead typing a reason while a check has
// the focus ticks nothing; the text goes to the reason, and the action is
// refused for want of checks, nothing recorded as verified (issue 20,
// item 17: "lost code x" ticked "Caller gave a detail not on screen").
func TestTypingNeverTicksACheck(t *testing.T) {
	for _, tabs := range []int{0, 2, 3} { // the focus on the first, the detail, the last check
		st := newStore(t)
		h := start(t, newEnv(t, st, "kay", model.RoleLead), 80, 30)
		h.open("ava patel", "Ava Patel")
		h.typ("2")
		h.see("Remembered devices")
		h.typ("g")
		h.see("Verify the caller")
		for range tabs {
			h.key(tea.KeyTab)
		}
		h.typ("lost code x")
		h.see("lost code x")
		h.key(tea.KeyEnter)
		h.see("Tick at least 2")
		frame := h.frame()
		if strings.Contains(frame, "[x]") {
			t.Errorf("focus on check %d: typing ticked a check:\n%s", tabs, frame)
		}
		h.key(tea.KeyEsc)
		rec, _ := st.Get("demo-015")
		log, _ := st.AuditLog(store.AuditFilter{Account: "demo-015", Actions: []string{model.ActGrantExemption}})
		if rec.Account.MFAExemption != nil || len(log) != 0 {
			t.Errorf("focus on check %d: granted without a deliberate tick: %+v", tabs, log)
		}
	}
}

func TestNoteIsStoredClean(t *testing.T) {
	st := newStore(t)
	env := newEnv(t, st, "sam", model.RoleAgent)
	rec, _ := st.Get("demo-001")
	msg := run(env, rec, model.ActAddNote, env.Policy.AddNote, input(env, "called \x1b[31mback\u202e  twice\n"), "ok")().(actionDone)
	if msg.err != nil {
		t.Fatal(msg.err)
	}
	if got := msg.rec.Account.Notes[0].Text; got != "called [31mback twice" {
		t.Fatalf("note stored as %q", got)
	}
}
