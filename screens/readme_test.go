package screens

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"

	"frontdoor/demo"
	"frontdoor/model"
	"frontdoor/store"
	"frontdoor/tui"
)

var backticked = regexp.MustCompile("`([^`]+)`")

// The README's key table is true: every key it lists is a key of the
// screens it names (anywhere: the shell's), as help shows it, and the keys
// its Lookup and Diagnose rows describe are those screens' (issue 22,
// item 8).
func TestREADMEKeyTable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "## In the console")
	if !ok {
		t.Fatal("README has no \"In the console\" section")
	}
	env := newEnv(t, newStore(t), "kay", model.RoleLead)
	rec, err := env.Store.ByEmail("paul.green@outlook.com")
	if err != nil {
		t.Fatal(err)
	}
	k := env.Keys
	screens := map[string]tui.Screen{
		"Lookup": NewLookup(env), "Account": NewAccount(env, rec), "Resets": NewResets(env, rec),
		"Diagnose": NewDiagnose(env, &rec.Account, rec.Account.Email, false), "2FA": NewTwoFA(env, rec),
	}
	shell := []key.Binding{k.Help, k.Back, k.Quit, k.ForceQuit, k.Palette, k.Zone}
	keysOf := func(where string) []key.Binding {
		if where == "anywhere" {
			return shell
		}
		s, ok := screens[where]
		if !ok {
			t.Fatalf("README names a screen the test does not know: %q", where)
		}
		var out []key.Binding
		for _, g := range s.FullHelp() {
			out = append(out, g...)
		}
		return out
	}
	has := func(bs []key.Binding, k string) bool {
		return slices.ContainsFunc(bs, func(b key.Binding) bool {
			return b.Help().Key == k || slices.Contains(b.Keys(), k)
		})
	}
	rows := 0
	for _, line := range strings.Split(table, "\n") {
		if strings.HasPrefix(line, "## ") {
			break
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 3 || cells[0] == "key" || strings.HasPrefix(cells[0], "---") {
			continue
		}
		rows++
		first, where, does := cells[0], strings.Split(cells[1], ", "), cells[2]
		for _, w := range where {
			for _, m := range backticked.FindAllStringSubmatch(first, -1) {
				if !has(keysOf(w), m[1]) {
					t.Errorf("README: %s on %s: no such key there", m[1], w)
				}
			}
		}
		described := map[string]string{"type": "Lookup", "`d`": "Diagnose"}[first]
		if described == "" {
			continue
		}
		for _, m := range backticked.FindAllStringSubmatch(does, -1) {
			for _, k := range strings.Fields(m[1]) {
				if !has(keysOf(described), k) {
					t.Errorf("README: %s row says %q is a key of %s: it is not", first, k, described)
				}
			}
		}
	}
	if rows < 8 {
		t.Fatalf("read %d rows of the key table", rows)
	}
}

// What the README says of a verification email while emails are
// suppressed is what the screen does: refused, naming the key that
// lifts the suppression (R6) (issue 22, item 8).
func TestREADMEVerificationWhileSuppressed(t *testing.T) {
	b, _ := os.ReadFile("../README.md")
	if !strings.Contains(string(b), "verification email while emails are suppressed, R6) is refused") {
		t.Fatal("README does not say a verification email while suppressed is refused")
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	accs, _ := demo.Data(now)
	for i := range accs {
		if accs[i].Name == "Amy Chen" { // unverified: suppressed too
			accs[i].EmailsUnsubscribedAt = accs[i].CreatedAt
		}
	}
	if err := st.SeedDemo(accs, now); err != nil {
		t.Fatal(err)
	}
	h := start(t, newEnv(t, st, "sam", model.RoleAgent), 100, 30)
	h.open("amy chen", "Amy Chen")
	h.typ("e")
	h.see("press u")
	if f := stripSGR(h.frame()); strings.Contains(f, "Take it anyway") {
		t.Fatalf("asked to confirm past it:\n%s", f)
	}
}
