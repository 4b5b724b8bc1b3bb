package screens

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"

	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

// opsSnapshot is a busy server's figures: three agents on, a dead letter,
// and an email provider's incident showing as emails_suppressed.
func opsSnapshot() tui.OpsSnapshot {
	var leads []model.LedWith
	add := func(code string, n int, ago time.Duration) {
		for range n {
			leads = append(leads, model.LedWith{At: now.Add(-ago), Code: code})
		}
	}
	add("emails_suppressed", 9, 20*time.Minute)
	add("emails_suppressed", 1, 3*24*time.Hour)
	add("bad_password", 4, 3*time.Hour)
	add("bad_password", 20, 2*24*time.Hour)
	add("wrong_portal", 2, 5*time.Hour)
	add("reset_filtered", 1, 6*time.Hour)
	add("escalate", 3, 4*24*time.Hour)
	return tui.OpsSnapshot{At: now, Server: true,
		Sessions: []tui.OpsSession{
			{User: "sam", Role: model.RoleAgent, Remote: "10.0.4.17", Started: now.Add(-2 * time.Hour)},
			{User: "ann", Role: model.RoleAgent, Remote: "10.0.4.22", Started: now.Add(-40 * time.Minute)},
			{User: "eve", Role: model.RoleEngineer, Remote: "10.0.9.3", Started: now.Add(-5 * time.Minute)},
			{User: "sam", Role: model.RoleAgent, Remote: "10.0.4.17", Started: now.Add(-time.Minute)},
		},
		Lookup:     tui.Latency{P50: 180 * time.Microsecond, P99: 2100 * time.Microsecond, N: 1024},
		Frame:      tui.Latency{P50: 800 * time.Microsecond, P99: 6400 * time.Microsecond, N: 4096},
		Outbox:     map[string]int{"pending": 3, "dead": 1, "delivered": 1200},
		StoreBytes: 37 << 20,
		LastSync:   now.Add(-4 * time.Second),
		Leads:      model.CountLeads(leads, now, time.UTC),
	}
}

func opsEnv(t *testing.T, role string, calls *atomic.Int64) *tui.Env {
	env := newEnv(t, newStore(t), "eve", role)
	env.Ops = func() tui.OpsSnapshot {
		if calls != nil {
			calls.Add(1)
		}
		return opsSnapshot()
	}
	env.OpenOps = OpenOps
	return env
}

// TestOpsGolden: an engineer opens Ops with o from the Lookup screen (the
// search box left with esc) and sees the server at 80×24.
func TestOpsGolden(t *testing.T) {
	h := start(t, opsEnv(t, model.RoleEngineer, nil), 80, 24)
	h.key(tea.KeyEsc)
	h.typ("o")
	h.see("Leading findings")
	golden.RequireEqual(t, []byte(h.frame()))
}

// TestOpsFitsSmallBodies: the screen's own layout at 40×12 and other
// sizes keeps the figures and the spike, and never overflows.
func TestOpsFitsSmallBodies(t *testing.T) {
	env := opsEnv(t, model.RoleEngineer, nil)
	o := NewOps(env)
	o.Update(opsSnapMsg{o: o, snap: opsSnapshot()})
	for _, sz := range [][2]int{{40, 12}, {80, 22}, {60, 14}, {20, 5}, {120, 40}} {
		v := o.View(sz[0], sz[1])
		lines := strings.Split(v, "\n")
		if lipgloss.Width(v) > sz[0] || len(lines) > sz[1] {
			t.Errorf("%d×%d: view is %d×%d:\n%s", sz[0], sz[1], lipgloss.Width(v), len(lines), v)
		}
		if sz[1] >= 12 {
			for _, want := range []string{"Sessions", "Look-up", "Frame", "Outbox", "1 dead", "Sync lag", "Store", "emails_suppressed"} {
				if !strings.Contains(v, want) {
					t.Errorf("%d×%d: no %q in\n%s", sz[0], sz[1], want, v)
				}
			}
		}
	}
	if v := o.View(40, 12); !strings.Contains(v, "▲") {
		t.Errorf("40×12: the spike is not marked:\n%s", v)
	}
	if v := o.View(80, 22); !strings.Contains(v, "4 open · sam ×2, ann, eve") {
		t.Errorf("who is on, in one line:\n%s", v)
	}
	if v := o.View(120, 40); !strings.Contains(v, "Who is on") || !strings.Contains(v, "10.0.4.22") {
		t.Errorf("120×40: who is on is missing:\n%s", v)
	}
}

// TestOpsIsForEngineersAndAdmins: the key and the palette entry are there
// for engineer and admin only (model.MaySeeOps).
func TestOpsIsForEngineersAndAdmins(t *testing.T) {
	for _, tc := range []struct {
		role string
		may  bool
	}{{model.RoleAgent, false}, {model.RoleLead, false}, {model.RoleEngineer, true}, {model.RoleAdmin, true}} {
		t.Run(tc.role, func(t *testing.T) {
			env := opsEnv(t, tc.role, nil)
			app := tui.NewApp(env, NewLookup(env))
			app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			app.Update(tea.KeyMsg{Type: tea.KeyEsc})
			app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(":")})
			palette := app.View()
			if got := strings.Contains(palette, "ops: sessions"); got != tc.may {
				t.Errorf("palette offers ops: %v, want %v\n%s", got, tc.may, palette)
			}
			app.Update(tea.KeyMsg{Type: tea.KeyEsc})
			app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("o")})
			if got := strings.Contains(app.View(), "Leading findings") || strings.Contains(app.View(), "Reading the server"); got != tc.may {
				t.Errorf("o opened Ops: %v, want %v\n%s", got, tc.may, app.View())
			}
		})
	}
}

// TestOpsKeyGivesWayOnDiagnose: on Diagnose, o picks the problem "no 2FA
// code", for an admin too; Ops is not offered there.
func TestOpsKeyGivesWayOnDiagnose(t *testing.T) {
	env := opsEnv(t, model.RoleAdmin, nil)
	h := start(t, env, 80, 24)
	h.open("maria", "Maria Lopez")
	h.typ("d")
	h.see("Ask the caller")
	h.typ("o")
	h.see("no 2FA code")
	if f := h.frame(); strings.Contains(f, "Leading findings") || strings.Contains(f, "Reading the server") {
		t.Fatalf("o opened Ops on Diagnose:\n%s", f)
	}
}

// TestOpsRefreshStopsWhenClosed: the refresh chain belongs to the open
// screen; once it is closed (or resumed, starting a new chain) a tick of
// the old chain reads nothing.
func TestOpsRefreshStopsWhenClosed(t *testing.T) {
	var calls atomic.Int64
	env := opsEnv(t, model.RoleEngineer, &calls)
	o := NewOps(env)
	read := func(cmd tea.Cmd) {
		if cmd != nil {
			if msg := cmd(); msg != nil {
				o.Update(msg)
			}
		}
	}
	read(o.Init())
	if calls.Load() != 1 {
		t.Fatalf("Init read %d times", calls.Load())
	}
	_, cmd := o.Update(opsTickMsg{o: o, gen: 0})
	read(cmd)
	if calls.Load() != 2 {
		t.Fatalf("a tick of the chain read %d times in all, want 2", calls.Load())
	}
	read(o.Resume()) // the palette over it closed: a new chain
	_, cmd = o.Update(opsTickMsg{o: o, gen: 0})
	if cmd != nil || calls.Load() != 3 {
		t.Fatalf("an old chain's tick still reads (%d reads)", calls.Load())
	}
	// closed: the shell hands the tick to the screen below, which ignores it
	env.OpenOps = func(e *tui.Env) tui.Screen { o = NewOps(e); return o }
	app := tui.NewApp(env, NewLookup(env))
	app.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	app.Update(tea.KeyMsg{Type: tea.KeyEsc})
	app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("o")})
	if !strings.Contains(app.View(), "Reading the server") {
		t.Fatalf("o did not open Ops:\n%s", app.View())
	}
	before := calls.Load()
	app.Update(tea.KeyMsg{Type: tea.KeyEsc}) // close Ops
	_, cmd = app.Update(opsTickMsg{o: o, gen: o.gen})
	if cmd != nil {
		if msg := cmd(); msg != nil {
			if _, ok := msg.(opsSnapMsg); ok {
				t.Fatal("a closed Ops screen still reads")
			}
		}
	}
	if calls.Load() != before {
		t.Fatalf("reads after close: %d → %d", before, calls.Load())
	}
}

// An Ops figure opens: the chosen finding's diagnoses of the week, when,
// by whom and on which account, the CLI's left out (issue 22, item 10).
func TestOpsFindingDrillsIn(t *testing.T) {
	env := opsEnv(t, model.RoleEngineer, nil)
	for i, e := range []store.AuditEntry{
		{Actor: "sam", Account: "demo-004", Details: map[string]string{"top": "bad_password"}},
		{Actor: "ann", Account: "demo-009", Details: map[string]string{"top": "bad_password"}},
		{Actor: "sam", Account: "demo-007", Details: map[string]string{"top": "emails_suppressed"}},
		{Actor: "cli", Account: "demo-005", Details: map[string]string{"top": "bad_password", "via": store.DiagnoseViaCLI}},
	} {
		e.At, e.Action = now.Add(-time.Duration(i+1)*time.Hour), "diagnose"
		if err := env.Store.Audit(e); err != nil {
			t.Fatal(err)
		}
	}
	h := start(t, env, 80, 24)
	h.key(tea.KeyEsc)
	h.typ("o")
	h.see("Leading findings")
	h.key(tea.KeyDown) // emails_suppressed, then bad_password
	h.key(tea.KeyEnter)
	h.see("diagnoses led with bad_password")
	f := stripSGR(h.frame())
	if !strings.Contains(f, "2 diagnoses led with bad_password") || !strings.Contains(f, "demo-004") || !strings.Contains(f, "demo-009") ||
		strings.Contains(f, "demo-007") || strings.Contains(f, "demo-005") {
		t.Fatalf("drill-in:\n%s", f)
	}
}
