package template_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const dashboardPath = "deploy/grafana/dashboard.json"

// grpcCodes are the gRPC codes as the runtime's metrics spell them in
// grpc_code: google.golang.org/grpc/codes.Code.String(), which
// go-grpc-middleware's prometheus provider uses.
var grpcCodes = []string{
	"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
	"AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
	"Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
	"Unauthenticated",
}

// serverFaultCodes are the codes that are the server's fault; every other
// non-OK code is the caller's doing.
var serverFaultCodes = []string{"DataLoss", "DeadlineExceeded", "Internal", "ResourceExhausted", "Unavailable", "Unknown"}

// libraryMetrics are the series go-grpc-middleware's prometheus provider
// exports for clients; the runtime's own metrics (the server's included)
// are read from its source.
var libraryMetrics = []string{
	"grpc_client_started_total", "grpc_client_handled_total",
	"grpc_client_msg_received_total", "grpc_client_msg_sent_total",
}

// promQLWords are the functions, keywords and labels the dashboard's
// queries may use besides metric names.
var promQLWords = []string{
	"sum", "by", "without", "rate", "increase", "histogram_quantile", "or", "and", "unless",
	"job", "grpc_service", "grpc_method", "grpc_code", "grpc_type", "le",
}

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name    string `json:"name"`
			Type    string `json:"type"`
			Query   string `json:"query"`
			Current struct {
				Value any `json:"value"`
			} `json:"current"`
			Datasource *datasourceRef `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Repeat     string         `json:"repeat"`
	Datasource *datasourceRef `json:"datasource"`
	GridPos    *struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		Datasource   *datasourceRef `json:"datasource"`
		Expr         string         `json:"expr"`
		LegendFormat string         `json:"legendFormat"`
		RefID        string         `json:"refId"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func parseDashboard(t *testing.T, r rendered) dashboard {
	t.Helper()
	// Grafana's JSON has many more fields than this test reads: decode
	// loosely.
	var d dashboard
	if err := json.Unmarshal(r.file(t, dashboardPath), &d); err != nil {
		t.Fatalf("%s: %s: %v", r.name, dashboardPath, err)
	}
	return d
}

// allPanels returns the panels, rows' nested panels included.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

func TestDashboardIdentity(t *testing.T) {
	first, second := services(t), services(t)
	uids := map[string]string{}
	for i, r := range first {
		t.Run(r.name, func(t *testing.T) {
			if !bytes.Equal(r.file(t, dashboardPath), second[i].file(t, dashboardPath)) {
				t.Errorf("two renders of the same service differ")
			}
			d := parseDashboard(t, r)
			want := r.app.Name
			if len(want) > 35 {
				want = want[:35]
			}
			want += "-grpc"
			if d.UID != want {
				t.Errorf("uid %q, want %q (stable: derived from the service name)", d.UID, want)
			}
			if len(d.UID) > 40 || !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(d.UID) {
				t.Errorf("uid %q is not a valid Grafana uid (at most 40 of [A-Za-z0-9_-])", d.UID)
			}
			if other, dup := uids[d.UID]; dup {
				t.Errorf("uid %q is also %s's", d.UID, other)
			}
			uids[d.UID] = r.name
			ids := map[int]bool{}
			for _, p := range allPanels(d.Panels) {
				if p.ID == 0 || ids[p.ID] {
					t.Errorf("panel %q: id %d missing or not unique", p.Title, p.ID)
				}
				ids[p.ID] = true
				if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 {
					t.Errorf("panel %q has no gridPos", p.Title)
				}
			}
		})
	}
}

func TestDashboardVariables(t *testing.T) {
	for _, r := range services(t) {
		t.Run(r.name, func(t *testing.T) {
			d := parseDashboard(t, r)
			vars := map[string]int{}
			for i, v := range d.Templating.List {
				vars[v.Name] = i
			}
			ds, ok := vars["datasource"]
			if !ok || d.Templating.List[ds].Type != "datasource" || d.Templating.List[ds].Query != "prometheus" {
				t.Errorf("no Prometheus datasource variable named datasource")
			}
			job, ok := vars["job"]
			if !ok {
				t.Fatalf("no job variable")
			}
			if got := d.Templating.List[job].Current.Value; got != r.app.Name {
				t.Errorf("job variable defaults to %v, want the service name %q", got, r.app.Name)
			}
			for _, p := range allPanels(d.Panels) {
				if p.Type == "row" {
					if p.Repeat != "" {
						if _, ok := vars[p.Repeat]; !ok {
							t.Errorf("row %q repeats over undefined variable %q", p.Title, p.Repeat)
						}
					}
					continue
				}
				refs := []*datasourceRef{p.Datasource}
				for _, tg := range p.Targets {
					refs = append(refs, tg.Datasource)
				}
				for _, ref := range refs {
					if ref == nil || ref.UID != "${datasource}" {
						t.Errorf("panel %q: datasource %v, want the datasource variable", p.Title, ref)
					}
				}
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no query", p.Title)
				}
			}
		})
	}
}

// exportedMetrics returns the metric names a rendered service's runtime
// exports: the client library's, and those its own metric code registers
// (a histogram's with its _bucket, _sum and _count series).
func exportedMetrics(t *testing.T, r rendered) map[string]bool {
	t.Helper()
	src := string(r.file(t, "internal/server/observability.go")) + string(r.file(t, "internal/server/grpcmetrics.go"))
	out := map[string]bool{}
	for _, m := range libraryMetrics {
		out[m] = true
	}
	if strings.Contains(src, "WithClientHandlingTimeHistogram") {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			out["grpc_client_handling_seconds"+suffix] = true
		}
	}
	for _, m := range regexp.MustCompile(`Name:\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"`).FindAllStringSubmatch(src, -1) {
		out[m[1]] = true
		if strings.HasSuffix(m[1], "_seconds") {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				out[m[1]+suffix] = true
			}
		}
	}
	return out
}

var (
	selectorRE = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}`)
	matcherRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"`)
	byRE       = regexp.MustCompile(`\bby \(([^)]*)\)`)
	legendRE   = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)
	wordRE     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
)

func TestDashboardQueries(t *testing.T) {
	for _, r := range services(t) {
		t.Run(r.name, func(t *testing.T) {
			d := parseDashboard(t, r)
			exported := exportedMetrics(t, r)
			var perMethod []string // metrics shown by method
			for _, p := range allPanels(d.Panels) {
				for _, tg := range p.Targets {
					where := fmt.Sprintf("panel %q query %s", p.Title, tg.RefID)
					checkQuery(t, where, tg.Expr, exported)
					// Every label the legend names is in the result.
					var by []string
					for _, m := range byRE.FindAllStringSubmatch(tg.Expr, -1) {
						for l := range strings.SplitSeq(m[1], ",") {
							by = append(by, strings.TrimSpace(l))
						}
					}
					for _, m := range legendRE.FindAllStringSubmatch(tg.LegendFormat, -1) {
						if !slices.Contains(by, m[1]) {
							t.Errorf("%s: legend shows {{%s}}, which the query aggregates away (by %v)", where, m[1], by)
						}
					}
					if slices.Contains(by, "grpc_method") {
						for _, s := range selectorRE.FindAllStringSubmatch(tg.Expr, -1) {
							perMethod = append(perMethod, s[1]+"{"+s[2]+"}")
						}
					}
				}
			}
			// RED per method: rate, server errors, latency.
			for _, want := range []struct{ what, metric, matcher string }{
				{"call rate", "grpc_server_started_total{", ""},
				{"server errors", "grpc_server_handled_total{", `grpc_code=~"`},
				{"caller errors", "grpc_server_handled_total{", `grpc_code!~"`},
				{"latency", "grpc_server_handling_seconds_bucket{", `grpc_type="unary"`},
			} {
				if !slices.ContainsFunc(perMethod, func(s string) bool {
					return strings.HasPrefix(s, want.metric) && strings.Contains(s, want.matcher)
				}) {
					t.Errorf("no panel shows %s by method (%s with %s)", want.what, want.metric, want.matcher)
				}
			}
		})
	}
}

// checkQuery checks one PromQL expression: known names only, the job
// variable in every selector, codes spelt as the runtime spells them, the
// server-fault and caller-error split, and unary-only latency.
func checkQuery(t *testing.T, where, expr string, exported map[string]bool) {
	t.Helper()
	// Names outside strings, variables and range durations.
	bare := regexp.MustCompile(`"[^"]*"|\$\w+|\[[^\]]*\]`).ReplaceAllString(expr, " ")
	metrics := 0
	for _, w := range wordRE.FindAllString(bare, -1) {
		switch {
		case slices.Contains(promQLWords, w):
		case exported[w]:
			metrics++
		default:
			t.Errorf("%s: %q is neither a metric the runtime exports nor a known PromQL word", where, w)
		}
	}
	selectors := selectorRE.FindAllStringSubmatch(expr, -1)
	if metrics == 0 || len(selectors) != metrics {
		t.Errorf("%s: %d metrics, %d selectors: every metric needs a {job=\"$job\", ...} selector", where, metrics, len(selectors))
	}
	faults := strings.Join(serverFaultCodes, "|")
	for _, s := range selectors {
		metric, matchers := s[1], matcherRE.FindAllStringSubmatch(s[2], -1)
		hasJob, unary := false, false
		for _, m := range matchers {
			label, op, value := m[1], m[2], m[3]
			switch label {
			case "job":
				hasJob = op == "=" && value == "$job"
			case "grpc_code":
				codes := strings.Split(value, "|")
				for _, c := range codes {
					if !slices.Contains(grpcCodes, c) {
						t.Errorf("%s: grpc_code %q is not spelt as the runtime spells codes (%v)", where, c, grpcCodes)
					}
				}
				slices.Sort(codes)
				got := strings.Join(codes, "|")
				switch op {
				case "=~":
					if got != faults {
						t.Errorf("%s: server errors are codes %s, want exactly %s", where, got, faults)
					}
				case "!~":
					if want := strings.Join(slices.Sorted(slices.Values(append([]string{"OK"}, serverFaultCodes...))), "|"); got != want {
						t.Errorf("%s: caller errors exclude %s, want exactly OK and the server-fault codes %s", where, got, want)
					}
				default:
					t.Errorf("%s: grpc_code%s%q: use =~ for server errors and !~ for caller errors", where, op, value)
				}
			case "grpc_type":
				if !slices.Contains([]string{"unary", "client_stream", "server_stream", "bidi_stream"}, value) {
					t.Errorf("%s: grpc_type %q is not a streaming kind the runtime labels", where, value)
				}
				unary = op == "=" && value == "unary"
			}
		}
		if !hasJob {
			t.Errorf("%s: %s is not selected by job=\"$job\"", where, metric)
		}
		if strings.HasPrefix(metric, "grpc_server_handling_seconds") && !unary {
			t.Errorf("%s: latency from %s must be unary only (grpc_type=\"unary\"): a stream's duration is its lifetime", where, metric)
		}
	}
}
