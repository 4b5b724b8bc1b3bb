package tui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
)

// KeyMap holds the keys every screen shares, and the keys an agent or a
// server remapped (a keys.json, as k9s and lazygit allow). Screens make
// their bindings with Bind, so help, footer and palette show the keys
// that really work.
type KeyMap struct {
	Quit, ForceQuit, Help, Back, Palette key.Binding
	// Zone switches the times shown between the caller's zone and UTC.
	Zone key.Binding
	// Ops opens the Ops screen, for the roles that may see it; a screen's
	// own binding on the same key wins there (Diagnose's "o").
	Ops   key.Binding
	remap map[string][]string
}

// Bindings that may be remapped, with their keys by default. The groups
// are the keys one screen takes at once: no two in a group may share a
// key after a remap.
var (
	shellKeys = map[string][]string{"quit": {"q"}, "help": {"?"}, "back": {"esc"}, "palette": {":", "ctrl+k"}, "zone": {"z"}}
	keyGroups = map[string]map[string][]string{
		"account": {"account.diagnose": {"d"}, "account.resets": {"r"}, "account.2fa": {"2"}, "account.history": {"h"},
			"account.reveal": {"v"}, "account.copy_id": {"y"}, "account.copy_email": {"Y"}, "email.send_reset": {"p"}, "email.resend_verification": {"e"},
			"email.lift_suppression": {"u"}, "email.add_note": {"n"},
			"account.scroll": {"up", "k", "down", "j", "pgup", "b", "pgdown", " "}},
		"twofa": {"twofa.grant": {"g"}, "twofa.revoke": {"R"}, "twofa.remove": {"x"}, "twofa.forget_all": {"f"},
			"twofa.recovery": {"i"}, "twofa.choose": {"up", "k", "down", "j", "pgup", "b", "pgdown", " "}},
		"diagnose": {"diagnose.abroad": {"a"}, "diagnose.other_device": {"w"}, "diagnose.copy": {"c"}, "diagnose.email": {"e"},
			"diagnose.skip": {"s"}, "diagnose.ask": {"i"},
			// not remappable, but taken: sites and problems
			"diagnose.sites": {"1", "2", "3", "4", "5"}, "diagnose.problems": {"l", "m", "k", "o", "x", "j", "f"}},
		// not remappable, but taken while the search box reads keys
		"lookup": {"lookup.diagnose": {"ctrl+d"}, "lookup.box": {"ctrl+u", "ctrl+n", "ctrl+p", "/"}},
		"ops":    {"ops": {"o"}},
	}
)

// fixedKeys are keys that bindings no keys.json can move already take,
// on every screen or on many: a remap onto one lost either the binding
// or the fixed key, and help showed a key that did the other thing (the
// zone on ctrl+t opened Practice; quit on enter: attack review, round 3).
// A binding may keep its own default among them (back on esc).
var fixedKeys = map[string]string{
	"enter": "opens, confirms and runs", "tab": "moves between fields", "shift+tab": "moves between fields",
	"up": "moves up lists", "down": "moves down lists", "pgup": "pages up", "pgdown": "pages down",
	"esc": "goes back and cancels", "ctrl+t": "opens Practice",
}

// defaultKeys are binding id's keys before any remap.
func defaultKeys(id string) []string {
	if k, ok := shellKeys[id]; ok {
		return k
	}
	for _, g := range keyGroups {
		if k, ok := g[id]; ok {
			return k
		}
	}
	return nil
}

// DefaultKeys is the shell's key map, nothing remapped.
func DefaultKeys() KeyMap {
	k := KeyMap{}
	k.Quit = k.Bind("quit", "quit", shellKeys["quit"]...)
	k.ForceQuit = key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")) // always: never remapped
	k.Help = k.Bind("help", "help", shellKeys["help"]...)
	k.Back = k.Bind("back", "back", shellKeys["back"]...)
	k.Palette = k.Bind("palette", "commands", shellKeys["palette"]...)
	k.Zone = k.Bind("zone", zoneDesc, shellKeys["zone"]...)
	k.Ops = k.Bind("ops", opsDesc, keyGroups["ops"]["ops"]...)
	return k
}

const (
	opsDesc  = "ops: sessions, latency, outbox, findings"
	zoneDesc = "times: caller's zone / UTC"
)

// Bind makes binding id with its keys, or the keys the map remaps it to;
// help shows the first.
func (k KeyMap) Bind(id, desc string, keys ...string) key.Binding {
	if r, ok := k.remap[id]; ok {
		keys = r
	}
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(keys[0], desc))
}

// LoadKeys reads a keys.json ({"email.send_reset": ["P"], "quit": ["Q"]})
// over the defaults; a missing file is no remap. An unknown binding, a
// key that is not one, ctrl+c, or two bindings of one screen on the same
// key is an error naming the file and the binding.
func LoadKeys(path string) (KeyMap, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultKeys(), nil
	}
	if err != nil {
		return KeyMap{}, err
	}
	var remap map[string][]string
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&remap); err != nil {
		return KeyMap{}, fmt.Errorf("%s: want {\"binding\": [\"key\", …]}: %v", path, err)
	}
	known := map[string]bool{}
	for id := range shellKeys {
		known[id] = true
	}
	for _, g := range keyGroups {
		for id := range g {
			known[id] = !slices.ContainsFunc([]string{".sites", ".problems", ".scroll", ".choose", ".box"}, func(s string) bool { return strings.HasSuffix(id, s) })
		}
	}
	for id, keys := range remap {
		if !known[id] {
			return KeyMap{}, fmt.Errorf("%s: %q: not a binding that may be remapped (%s)", path, id, strings.Join(remappable(known), ", "))
		}
		if len(keys) == 0 {
			return KeyMap{}, fmt.Errorf("%s: %q: give at least one key", path, id)
		}
		for _, k := range keys {
			if k == "" || k == "ctrl+c" || strings.ContainsFunc(k, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				return KeyMap{}, fmt.Errorf("%s: %q: %q cannot be bound (ctrl+c always quits)", path, id, k)
			}
			if does, fixed := fixedKeys[k]; fixed && !slices.Contains(defaultKeys(id), k) {
				return KeyMap{}, fmt.Errorf("%s: %q: %q is a fixed key (it %s): choose another", path, id, k, does)
			}
		}
	}
	// no two bindings a screen takes at once on one key
	for name, g := range keyGroups {
		taken := map[string]string{}
		for _, id := range append(slices.Sorted(maps.Keys(shellKeys)), slices.Sorted(maps.Keys(g))...) {
			keys := g[id]
			if keys == nil {
				keys = shellKeys[id]
			}
			if r, ok := remap[id]; ok {
				keys = r
			}
			for _, k := range keys {
				if other, ok := taken[k]; ok {
					return KeyMap{}, fmt.Errorf("%s: %q and %q both take %q on the %s screen", path, other, id, k, name)
				}
				taken[k] = id
			}
		}
	}
	k := KeyMap{remap: remap}
	d := k
	d.Quit = k.Bind("quit", "quit", shellKeys["quit"]...)
	d.ForceQuit = DefaultKeys().ForceQuit
	d.Help = k.Bind("help", "help", shellKeys["help"]...)
	d.Back = k.Bind("back", "back", shellKeys["back"]...)
	d.Palette = k.Bind("palette", "commands", shellKeys["palette"]...)
	d.Zone = k.Bind("zone", zoneDesc, shellKeys["zone"]...)
	d.Ops = k.Bind("ops", opsDesc, keyGroups["ops"]["ops"]...)
	return d, nil
}

func remappable(known map[string]bool) []string {
	var out []string
	for id, ok := range known {
		if ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
