// Package training is the practice room (DESIGN §9): the scenario format,
// the library embedded in the binary, validation of every scenario
// against the diagnosis engine and policy, the sandbox a practice runs
// on, scoring, and the room where trainers watch trainees.
//
// A sandbox is a store.Store of its own on a temporary file, made from the
// scenario and deleted when the practice ends. Nothing here holds the live
// store: the one thing a practice writes there, its score, goes through a
// function the caller hands in (Recorder).
package training

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"frontdoor/model"
)

// Scenario is one scripted call: who calls, what they say and answer, the
// accounts the sandbox holds, the fixed "now", and what a good agent
// finds and does. The format is documented in training/FORMAT.md.
type Scenario struct {
	Name       string    `yaml:"-"` // the file's name without .yaml: what `practice NAME` takes
	File       string    `yaml:"-"`
	Title      string    `yaml:"title"`
	Difficulty string    `yaml:"difficulty"`
	Now        time.Time `yaml:"now"`
	Caller     Caller    `yaml:"caller"`
	Accounts   string    `yaml:"accounts"` // §6 JSONL, one account a line
	Expect     Expect    `yaml:"expect"`
	Hints      []string  `yaml:"hints"`
	Debrief    string    `yaml:"debrief"`

	accountsLine int // the file line the accounts block starts on
}

// Caller is the person on the phone: their first words and their answer
// to each question an agent may ask.
type Caller struct {
	Name        string  `yaml:"name"`
	Opening     string  `yaml:"opening"`
	Email       Answer  `yaml:"email"`
	Site        Answer  `yaml:"site"`
	Problem     Answer  `yaml:"problem"`
	Abroad      Answer  `yaml:"abroad"`
	OtherDevice Answer  `yaml:"other_device"`
	Verify      Answers `yaml:"verify"`
}

// Answer is what the caller says to one question: the value the
// diagnosis reads, and the caller's own words (a default is made from the
// value when the scenario gives none). In YAML either `site: careers` or
// `site: {value: careers, says: "…"}`.
type Answer struct {
	Value string `yaml:"value"`
	Says  string `yaml:"says"`
}

// UnmarshalYAML takes the short form (a scalar) or the long one.
func (a *Answer) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		a.Value = n.Value
		return nil
	}
	type plain Answer
	return n.Decode((*plain)(a))
}

// Answers are the caller's answers to the verification questions, by
// check: pass or fail, with their words.
type Answers map[string]Check

// Check is one verification question's outcome.
type Check struct {
	Pass bool   `yaml:"pass"`
	Says string `yaml:"says"`
}

// Expect is what a good agent finds and does here.
type Expect struct {
	Finding string   `yaml:"finding"` // the diagnosis's first finding (§7 code)
	Actions []string `yaml:"actions"` // palette names, optionally "NAME TARGET"; none: the steps are the answer
	Wrong   []string `yaml:"wrong"`   // actions that are wrong on this call
	Account string   `yaml:"account"` // the account acted on; default: the one the caller's email finds
}

// Difficulties, easiest first.
var Difficulties = []string{"easy", "medium", "hard"}

// Verification questions: the keys of Caller.Verify, in the order of
// model.VerificationChecks (the checklist a 2FA action asks for).
var VerifyKeys = model.VerificationKeys

// CheckKey is the verification question behind one checklist line.
func CheckKey(check string) (string, bool) {
	i := slices.Index(model.VerificationChecks, check)
	if i < 0 {
		return "", false
	}
	return VerifyKeys[i], true
}

// FieldError names a scenario file, its line and the field that is wrong.
type FieldError struct {
	File  string
	Line  int
	Field string
	Err   error
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	return b.String() + ": " + e.Err.Error()
}

func (e *FieldError) Unwrap() error { return e.Err }

// Parse reads one scenario. name is the file's name (for errors and the
// scenario's name). Unknown fields are refused, so a misspelt key never
// silently drops an answer.
func Parse(file string, data []byte) (Scenario, error) {
	sc := Scenario{File: file, Name: strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))}
	// the name is typed (practice NAME) and printed in tables: a control
	// or format character in it forged a row of `training report`
	if i := strings.IndexFunc(sc.Name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }); i >= 0 {
		return sc, &FieldError{File: file, Err: fmt.Errorf("the file name holds %U, a control or invisible character: rename the file (its name is the scenario's)", []rune(sc.Name[i:])[0])}
	}
	// what yaml.v3 refuses without a line (training review): found
	// here, with one
	if line, err := badBytes(data); err != nil {
		return sc, &FieldError{File: file, Line: line, Err: err}
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); errors.Is(err, io.EOF) {
		return sc, &FieldError{File: file, Err: errors.New("empty scenario")}
	} else if err != nil {
		return sc, &FieldError{File: file, Line: yamlLine(err), Err: yamlErr(err)}
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		return sc, &FieldError{File: file, Line: more.Line, Err: errors.New("a second document (after ---): a file holds one scenario")}
	}
	if len(root.Content) == 0 {
		return sc, &FieldError{File: file, Err: errors.New("empty scenario")}
	}
	if n := find(root.Content[0], "now"); n != nil && n.Kind == yaml.ScalarNode {
		// a time that does not parse: yaml.v3 says time's words alone
		if _, err := time.Parse(time.RFC3339, n.Value); err != nil {
			what := "not a time" // quoted only if it looks like one: a linked file's line is no one's to see
			if len(n.Value) <= 40 && strings.Trim(n.Value, "0123456789-:.TZ+ ") == "" {
				what = strconv.Quote(n.Value)
			}
			return sc, &FieldError{File: file, Line: n.Line, Field: "now", Err: fmt.Errorf("%s: want an RFC 3339 UTC time (2026-11-24T17:00:00Z)", what)}
		}
	}
	dec = yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&sc); err != nil {
		return sc, &FieldError{File: file, Line: yamlLine(err), Err: yamlErr(err)}
	}
	doc := root.Content[0]
	if n := find(doc, "accounts"); n != nil {
		sc.accountsLine = n.Line
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			sc.accountsLine++ // a block scalar's text starts on the next line
		}
	}
	bad := func(path string, err error) error {
		line := 0
		if n := find(doc, strings.Split(path, ".")...); n != nil {
			line = n.Line
		}
		return &FieldError{File: file, Line: line, Field: path, Err: err}
	}
	switch {
	case strings.TrimSpace(sc.Title) == "":
		return sc, bad("title", errors.New("missing"))
	case !slices.Contains(Difficulties, sc.Difficulty):
		return sc, bad("difficulty", fmt.Errorf("%q: want one of %s", sc.Difficulty, strings.Join(Difficulties, ", ")))
	case sc.Now.IsZero() && find(doc, "now") == nil:
		return sc, bad("now", errors.New("missing: the scenario's fixed time, RFC 3339 UTC"))
	case sc.Now.Year() < 2000 || sc.Now.Year() > 2099:
		// the screens count days from it: year 9999 read "106751 d ago"
		// (a duration's most), year 1 was taken for no time at all
		return sc, bad("now", fmt.Errorf("%s: want a time in 2000–2099", sc.Now.Format(time.RFC3339)))
	case !model.IsUTC(sc.Now):
		// RFC 3339 UTC, as the accounts' times: an offset read as another
		// day's now made the expected finding unreachable, yet serve
		// offered the scenario (training review)
		return sc, bad("now", fmt.Errorf("%s: want UTC (…Z), as the accounts' times are", sc.Now.Format(time.RFC3339)))
	case strings.TrimSpace(sc.Caller.Opening) == "":
		return sc, bad("caller.opening", errors.New("missing: what the caller says first"))
	case len(sc.Hints) > MaxHints:
		return sc, bad("hints", fmt.Errorf("%d hints: at most %d", len(sc.Hints), MaxHints))
	case strings.TrimSpace(sc.Caller.Email.Value) == "":
		return sc, bad("caller.email", errors.New("missing: the address the caller gives"))
	case !slices.Contains(model.Sites, sc.Caller.Site.Value):
		return sc, bad("caller.site", fmt.Errorf("%q: want one of %s", sc.Caller.Site.Value, strings.Join(model.Sites, ", ")))
	case !slices.Contains(model.Problems, sc.Caller.Problem.Value):
		return sc, bad("caller.problem", fmt.Errorf("%q: want one of %s", sc.Caller.Problem.Value, strings.Join(model.Problems, ", ")))
	case !slices.Contains(model.Codes(), sc.Expect.Finding):
		return sc, bad("expect.finding", fmt.Errorf("%q is not a finding of DOMAIN §7", sc.Expect.Finding))
	case strings.TrimSpace(sc.Accounts) == "":
		return sc, bad("accounts", errors.New("missing: at least one account (§6 JSONL)"))
	}
	if field, n, most := sc.longest(); n > most {
		return sc, bad(field, fmt.Errorf("%d characters: at most %d (the screens lay it out on every keystroke)", n, most))
	}
	for _, f := range []struct {
		path string
		a    Answer
	}{{"caller.abroad", sc.Caller.Abroad}, {"caller.other_device", sc.Caller.OtherDevice}} {
		if !slices.Contains([]string{"", "true", "false"}, f.a.Value) {
			return sc, bad(f.path, fmt.Errorf("%q: want true or false", f.a.Value))
		}
	}
	for k := range sc.Caller.Verify {
		if !slices.Contains(VerifyKeys, k) {
			return sc, bad("caller.verify."+k, fmt.Errorf("unknown check: want one of %s", strings.Join(VerifyKeys, ", ")))
		}
	}
	for _, list := range []struct {
		path  string
		names []string
	}{{"expect.actions", sc.Expect.Actions}, {"expect.wrong", sc.Expect.Wrong}} {
		for _, a := range list.names {
			if _, ok := model.ActionByName(actionName(a)); !ok {
				return sc, bad(list.path, fmt.Errorf("%q is not an action (frontdoor act --list)", a))
			}
		}
	}
	wrong := parseSpecs(sc.Expect.Wrong)
	for _, a := range parseSpecs(sc.Expect.Actions) {
		// "remove-factor" wrong covers every factor; "remove-factor f2"
		// only that one, so "remove-factor f1" may be expected beside it
		if i := slices.IndexFunc(wrong, func(w actionSpec) bool { return w.name == a.name && (w.target == "" || w.target == a.target) }); i >= 0 {
			return sc, bad("expect.wrong", fmt.Errorf("%q is expected, and %q calls it wrong", a, wrong[i]))
		}
	}
	return sc, nil
}

// Report is what the caller would tell an agent who asked everything:
// the report the expected finding is checked against.
func (sc Scenario) Report() model.Report {
	return model.Report{Email: sc.Caller.Email.Value, Site: sc.Caller.Site.Value, Problem: sc.Caller.Problem.Value,
		Abroad: sc.Caller.Abroad.Value == "true", OtherDevice: sc.Caller.OtherDevice.Value == "true", Reveal: true}
}

// actionName is an expected action's palette name without its target.
func actionName(a string) string { name, _, _ := strings.Cut(strings.TrimSpace(a), " "); return name }

// actionTarget is an expected action's target ("remove-factor f2" → f2).
func actionTarget(a string) string {
	_, t, _ := strings.Cut(strings.TrimSpace(a), " ")
	return strings.TrimSpace(t)
}

// find walks a mapping node by keys; nil when a key is missing.
func find(n *yaml.Node, path ...string) *yaml.Node {
	for _, k := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

// yamlLine digs the line number out of a yaml.v3 error ("yaml: line 4: …").
func yamlLine(err error) int {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	var line int
	if i := strings.Index(msg, "line "); i >= 0 {
		fmt.Sscanf(msg[i+5:], "%d", &line)
	}
	return line
}

func yamlErr(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg := te.Errors[0]
		if _, after, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "line ") {
			msg = after
		}
		return errors.New(withoutValues(unknownField(msg)))
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		if _, after, ok := strings.Cut(msg, ": "); ok {
			msg = after
		}
	}
	return errors.New(msg)
}

// How long a scenario's words may be: what a caller says in a breath, a
// debrief a trainer reads aloud. A 950 KB opening cost 58 ms of CPU a
// keystroke and 100 MB a session (training review).
const (
	MaxHints      = 10
	maxShortText  = 200   // a title, a name, an answer's value
	maxSpoken     = 2000  // the opening, an answer's words, a hint
	maxDebriefLen = 10000 // the debrief
)

// longest finds a text past its limit: its field, its length in
// characters and its limit; n ≤ most when none is.
func (sc Scenario) longest() (field string, n, most int) {
	type text struct {
		field string
		s     string
		most  int
	}
	texts := []text{{"title", sc.Title, maxShortText}, {"caller.name", sc.Caller.Name, maxShortText},
		{"caller.opening", sc.Caller.Opening, maxSpoken}, {"debrief", sc.Debrief, maxDebriefLen}}
	c := sc.Caller
	for _, a := range []struct {
		path string
		a    Answer
	}{{"caller.email", c.Email}, {"caller.site", c.Site}, {"caller.problem", c.Problem}, {"caller.abroad", c.Abroad}, {"caller.other_device", c.OtherDevice}} {
		texts = append(texts, text{a.path + ".value", a.a.Value, maxShortText}, text{a.path + ".says", a.a.Says, maxSpoken})
	}
	for _, k := range slices.Sorted(maps.Keys(c.Verify)) {
		texts = append(texts, text{"caller.verify." + k + ".says", c.Verify[k].Says, maxSpoken})
	}
	for i, h := range sc.Hints {
		texts = append(texts, text{fmt.Sprintf("hints[%d]", i), h, maxSpoken})
	}
	for _, t := range texts {
		if l := utf8.RuneCountInString(t.s); l > t.most {
			return t.field, l, t.most
		}
	}
	return "", 0, 0
}

// badBytes finds the first line that is not UTF-8 or holds a control
// character YAML refuses (all C0 but tab, newline and carriage return;
// DEL; C1), with its line number.
func badBytes(data []byte) (int, error) {
	for n, line := range bytes.Split(data, []byte("\n")) {
		if !utf8.Valid(line) {
			return n + 1, errors.New("not UTF-8")
		}
		if i := bytes.IndexFunc(line, func(r rune) bool {
			return (r < 0x20 && r != '\t' && r != '\r') || (r >= 0x7f && r < 0xa0)
		}); i >= 0 {
			r, _ := utf8.DecodeRune(line[i:])
			return n + 1, fmt.Errorf("a control character (%U): not allowed in YAML", r)
		}
	}
	return 0, nil
}

// unknownField keeps the name in "field NAME not found in type …" only
// when it looks like a key someone misspelt: a link to a file that is no
// scenario (a password file) showed its first line as the name.
func unknownField(msg string) string {
	rest, ok := strings.CutPrefix(msg, "field ")
	if !ok {
		return msg
	}
	name, _, ok := strings.Cut(rest, " not found in type")
	if !ok {
		return msg
	}
	if !plainWord(name) {
		return "an unknown field (not a scenario's: is this a scenario file?)"
	}
	return "field " + name + " not found"
}

// plainWord: up to 40 letters, digits, '_' or '-' — a key's shape.
func plainWord(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// withoutValues drops the excerpts of the file yaml.v3 quotes in
// backticks ("cannot unmarshal !!str `24f4b89...` into …"): a link to a
// file that is no scenario (the audit key, /etc/passwd) showed its
// first bytes in the error and in serve's log (training review).
func withoutValues(msg string) string {
	var b strings.Builder
	for {
		before, rest, ok := strings.Cut(msg, "`")
		if !ok {
			return b.String() + msg
		}
		_, after, closed := strings.Cut(rest, "`")
		if !closed {
			return b.String() + msg
		}
		b.WriteString(before + "a value")
		msg = after
	}
}

//go:embed scenarios/*.yaml
var embedded embed.FS

// Library is a set of scenarios, sorted by difficulty, then name.
type Library []Scenario

// Builtin is the library embedded in the binary.
func Builtin() (Library, error) { return load(embedded, "scenarios", "scenarios") }

func load(fsys fs.FS, root, shown string) (Library, error) {
	names, err := fs.Glob(fsys, pathJoin(root, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no scenarios (*.yaml)", shown)
	}
	var lib Library
	var errs []error
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sc, err := Parse(filepath.Join(shown, filepath.Base(n)), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		lib = append(lib, sc)
	}
	lib.sort()
	return lib, errors.Join(errs...)
}

// sort orders a library by difficulty, then name.
func (l Library) sort() {
	sort.SliceStable(l, func(i, j int) bool {
		di, dj := slices.Index(Difficulties, l[i].Difficulty), slices.Index(Difficulties, l[j].Difficulty)
		if di != dj {
			return di < dj
		}
		return l[i].Name < l[j].Name
	})
}

func pathJoin(root, pattern string) string {
	if root == "." {
		return pattern
	}
	return root + "/" + pattern
}

// Find returns the scenario called name.
func (l Library) Find(name string) (Scenario, bool) {
	for _, s := range l {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}
