package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"
)

// The example alert rules (alerts.yml) and the Grafana dashboard
// (dashboard.json) are checked here, as promtool would check the rules
// and more: every series an expression names is one this registry
// exports, with labels and label values it has (issue 22, item 25).
// promtool is not on the build machines, and Prometheus's own rulefmt
// and PromQL parser would bring newer gRPC and OpenTelemetry into the
// server's own build: a small reading of PromQL does for the names.

// exported is what a scrape of a server's registry holds: each series
// name (a histogram's _bucket, _sum and _count) with its label values.
type exported map[string]map[string][]string

func exportedSeries(t *testing.T) exported {
	t.Helper()
	r := New(Sources{
		Outbox:     func() (map[string]int, error) { return map[string]int{}, nil },
		StoreBytes: func() (int64, error) { return 0, nil },
		LastSync:   func() (time.Time, bool) { return time.Time{}, false },
		Checkpoint: func() uint64 { return 0 },
	})
	fams, err := r.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := exported{}
	add := func(name string, m *dto.Metric, extra ...string) {
		labels := out[name]
		if labels == nil {
			labels = map[string][]string{}
			out[name] = labels
		}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = append(labels[l.GetName()], l.GetValue())
		}
		for _, l := range extra {
			labels[l] = nil // any value
		}
	}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			if f.GetType() == dto.MetricType_HISTOGRAM {
				add(f.GetName()+"_bucket", m, "le")
				add(f.GetName()+"_sum", m)
				add(f.GetName()+"_count", m)
				continue
			}
			add(f.GetName(), m)
		}
	}
	// Prometheus's own per target, and the labels it adds to every series
	out["up"] = map[string][]string{}
	for _, labels := range out {
		labels["job"], labels["instance"] = nil, nil
	}
	return out
}

// promqlWords are PromQL's functions, aggregations and keywords: the
// other names in an expression are series.
var promqlWords = strings.Fields(`abs absent absent_over_time avg avg_over_time bottomk ceil changes clamp clamp_max
	clamp_min count count_over_time count_values delta deriv exp floor group histogram_quantile holt_winters
	idelta increase irate label_join label_replace last_over_time ln log2 log10 max max_over_time min
	min_over_time predict_linear present_over_time quantile quantile_over_time rate resets round scalar sort
	sort_desc sqrt stddev stddev_over_time stdvar sum sum_over_time time timestamp topk vector
	and or unless bool offset by without on ignoring group_left group_right inf nan`)

// labelLists are the keywords whose parenthesis holds label names.
var labelLists = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}

// selector is one series an expression names, with its = matchers.
type selector struct {
	name     string
	matchers [][2]string
}

// selectors reads the series names and equality matchers out of a PromQL
// expression, or says where it does not read.
func selectors(expr string) ([]selector, error) {
	var out []selector
	depth := map[byte]int{}
	closing := map[byte]byte{')': '(', ']': '[', '}': '{'}
	isStart := func(c byte) bool { return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isPart := func(c byte) bool { return isStart(c) || c >= '0' && c <= '9' }
	skipSpace := func(i int) int {
		for i < len(expr) && (expr[i] == ' ' || expr[i] == '\t' || expr[i] == '\n') {
			i++
		}
		return i
	}
	// skipTo returns the index after the bracket matching the one at i
	skipTo := func(i int, open, close byte) (int, error) {
		n := 0
		for j := i; j < len(expr); j++ {
			switch expr[j] {
			case open:
				n++
			case close:
				if n--; n == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("%q: %c at %d is not closed", expr, open, i)
	}
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			j := strings.IndexByte(expr[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("%q: a string at %d is not closed", expr, i)
			}
			i += j + 2
		case c == '[': // a range or a subquery's: durations, $__rate_interval
			j, err := skipTo(i, '[', ']')
			if err != nil {
				return nil, err
			}
			i = j
		case c >= '0' && c <= '9' || c == '.': // a number or a duration
			for i < len(expr) && (isPart(expr[i]) || expr[i] == '.') {
				i++
			}
		case c == '{': // matchers without a name: none here
			return nil, fmt.Errorf("%q: a selector at %d has no series name", expr, i)
		case c == '(' || c == ')':
			if c == '(' {
				depth['(']++
			} else if depth[closing[c]]--; depth[closing[c]] < 0 {
				return nil, fmt.Errorf("%q: ) at %d closes nothing", expr, i)
			}
			i++
		case c == '$': // a Grafana variable outside a range
			return nil, fmt.Errorf("%q: a variable at %d outside a range", expr, i)
		case isStart(c):
			j := i
			for j < len(expr) && isPart(expr[j]) {
				j++
			}
			word, next := expr[i:j], skipSpace(j)
			i = j
			if slices.Contains(labelLists, word) && next < len(expr) && expr[next] == '(' {
				k, err := skipTo(next, '(', ')')
				if err != nil {
					return nil, err
				}
				i = k
				continue
			}
			if slices.Contains(promqlWords, word) {
				continue
			}
			if next < len(expr) && expr[next] == '(' {
				return nil, fmt.Errorf("%q: %s is no PromQL function this check knows", expr, word)
			}
			sel := selector{name: word}
			if next < len(expr) && expr[next] == '{' {
				k, err := skipTo(next, '{', '}')
				if err != nil {
					return nil, err
				}
				for _, m := range strings.Split(expr[next+1:k-1], ",") {
					if m = strings.TrimSpace(m); m == "" {
						continue
					}
					name, value, ok := strings.Cut(m, "=")
					if !ok {
						return nil, fmt.Errorf("%q: matcher %q", expr, m)
					}
					name = strings.TrimRight(strings.TrimSpace(name), "!")
					if strings.HasPrefix(value, "~") || strings.HasSuffix(m[:len(m)-len(value)-1], "!") {
						sel.matchers = append(sel.matchers, [2]string{name, ""}) // the label, any value
						continue
					}
					sel.matchers = append(sel.matchers, [2]string{name, strings.Trim(strings.TrimSpace(value), `"`)})
				}
				i = k
			}
			out = append(out, sel)
		default:
			i++
		}
	}
	if depth['('] != 0 {
		return nil, fmt.Errorf("%q: %d ( not closed", expr, depth['('])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no series", expr)
	}
	return out, nil
}

// checkExpr: expr reads, and names only series the registry exports,
// with labels they have and, for a bounded label, a value it takes.
func checkExpr(expr string, ex exported) error {
	sels, err := selectors(expr)
	if err != nil {
		return err
	}
	for _, s := range sels {
		labels, ok := ex[s.name]
		if !ok {
			return fmt.Errorf("%q: the server exports no %s", expr, s.name)
		}
		for _, m := range s.matchers {
			values, ok := labels[m[0]]
			switch {
			case !ok:
				return fmt.Errorf("%q: %s has no label %s", expr, s.name, m[0])
			case m[1] != "" && values != nil && !slices.Contains(values, m[1]):
				return fmt.Errorf("%q: %s's %s is never %q (it is one of %s)", expr, s.name, m[0], m[1], strings.Join(values, ", "))
			}
		}
	}
	return nil
}

// The checker itself: each of these mistakes is caught.
func TestCheckExprCatchesMistakes(t *testing.T) {
	ex := exportedSeries(t)
	for _, tc := range []struct {
		expr string
		ok   bool
	}{
		{`time() - frontdoor_sync_last_applied_timestamp_seconds > 900`, true},
		{`histogram_quantile(0.99, sum by (le) (rate(frontdoor_lookup_duration_seconds_bucket[5m]))) > 0.25`, true},
		{`sum(rate(frontdoor_logins_total{result="unknown_key"}[$__rate_interval]))`, true},
		{`up{job="frontdoor"} == 0`, true},
		{`time() - frontdoor_sync_last_applied_timestamp > 900`, false},              // a series not exported
		{`frontdoor_lookup_duration_seconds > 1`, false},                             // a histogram by its bare name
		{`frontdoor_outbox_messages{state="deadd"} > 0`, false},                      // a value the label never takes
		{`sum(rate(frontdoor_logins_total{reslt="ok"}[5m]))`, false},                 // a label the series lacks
		{`sum(rate(frontdoor_logins_total[5m])`, false},                              // not closed
		{`ratee(frontdoor_logins_total[5m])`, false},                                 // no such function
		{`{__name__="frontdoor_sessions_open"}`, false},                              // no name to check
		{`frontdoor_sessions_open and frontdoor_sync_lag_seconds{state="x"}`, false}, // the second selector's label
	} {
		if err := checkExpr(tc.expr, ex); (err == nil) != tc.ok {
			t.Errorf("checkExpr(%s) = %v, want ok %v", tc.expr, err, tc.ok)
		}
	}
}

type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// Prometheus's template functions, for parsing annotations.
var promTemplateFuncs = template.FuncMap{}

func init() {
	for _, f := range []string{"humanize", "humanize1024", "humanizeDuration", "humanizePercentage", "humanizeTimestamp",
		"query", "first", "label", "value", "strvalue", "title", "toUpper", "toLower", "reReplaceAll", "match", "args", "safeHtml", "externalURL", "pathPrefix"} {
		promTemplateFuncs[f] = func(...any) any { return nil }
	}
}

func TestAlertRulesNameExportedSeries(t *testing.T) {
	b, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a misspelt key (annotation:, expression:) is an error, as in rulefmt
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	ex := exportedSeries(t)
	names, rules := map[string]bool{}, 0
	for _, g := range rf.Groups {
		if g.Name == "" || names["group "+g.Name] {
			t.Errorf("a group without a name, or twice: %q", g.Name)
		}
		names["group "+g.Name] = true
		for _, r := range g.Rules {
			rules++
			name := r.Alert + r.Record
			if (r.Alert == "") == (r.Record == "") || names[name] {
				t.Errorf("rule %q: want one of alert or record, a name used once", name)
			}
			names[name] = true
			if err := checkExpr(r.Expr, ex); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if r.For != "" {
				if d, err := time.ParseDuration(r.For); err != nil || d <= 0 {
					t.Errorf("%s: for %q is not a duration", name, r.For)
				}
			}
			if r.Alert != "" && (r.Labels["severity"] == "" || r.Annotations["summary"] == "") {
				t.Errorf("%s: an alert wants a severity label and a summary", name)
			}
			for k, v := range r.Annotations {
				// the variables Prometheus defines before an annotation
				defs := "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
				if _, err := template.New(k).Funcs(promTemplateFuncs).Parse(defs + v); err != nil {
					t.Errorf("%s: annotation %s: %v", name, k, err)
				}
			}
		}
	}
	if rules == 0 {
		t.Fatal("alerts.yml has no rules")
	}
	// the stream's last success is alerted on, not the lag that is
	// absent until a first event
	if !strings.Contains(string(b), "frontdoor_sync_last_applied_timestamp_seconds") {
		t.Error("no alert on frontdoor_sync_last_applied_timestamp_seconds")
	}
}

func TestDashboardNamesExportedSeries(t *testing.T) {
	b, err := os.ReadFile("dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			ID      int    `json:"id"`
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("dashboard.json: no title, uid or panels")
	}
	ex := exportedSeries(t)
	ids, shown := map[int]bool{}, map[string]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] || len(p.Targets) == 0 {
			t.Errorf("panel %q: an id used twice, or no query", p.Title)
		}
		ids[p.ID] = true
		for _, q := range p.Targets {
			if err := checkExpr(q.Expr, ex); err != nil {
				t.Errorf("panel %q %s: %v", p.Title, q.RefID, err)
			}
			sels, _ := selectors(q.Expr)
			for _, s := range sels {
				shown[strings.TrimSuffix(s.name, "_bucket")] = true
			}
		}
	}
	// every frontdoor series is on the dashboard (the lag by the time
	// since the last success, which is there from the start)
	for name := range ex {
		if strings.HasPrefix(name, "frontdoor_") && !strings.HasSuffix(name, "_sum") && !strings.HasSuffix(name, "_count") &&
			!shown[strings.TrimSuffix(name, "_bucket")] && name != "frontdoor_sync_lag_seconds" {
			t.Errorf("the dashboard does not show %s", name)
		}
	}
}
