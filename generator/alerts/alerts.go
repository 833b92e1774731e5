// Package alerts builds a service's Prometheus recording rules and alerts
// (the PromQL, the wording, the runbook links) and the fixtures their tests
// use, from the model, once per render. The rules are rendered twice, as a
// Prometheus rules file and as a PrometheusRule, and tested with promtool,
// all from the values here, so they cannot differ.
package alerts

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/new-service/new-service/generator/model"
)

// Alerts are the rules of one service, computed once by [For].
type Alerts struct {
	app    *model.App
	groups []RuleGroup
}

// For builds the rules of the service app describes.
func For(app *model.App) *Alerts {
	a := &Alerts{app: app}
	a.groups = a.build()
	return a
}

// RuleGroup is a group of Prometheus rules. The service's rules are built
// here once and rendered twice, as a Prometheus rules file and as a
// PrometheusRule, so the two cannot differ.
type RuleGroup struct {
	Name  string
	Rules []Rule
}

// Rule is a recording rule (Record set) or an alert (Alert set).
type Rule struct {
	Record string
	Alert  string
	// Expr is the PromQL, possibly over several lines.
	Expr string
	// For is how long the condition must hold before the alert fires.
	For string
	// Labels and Annotations in the order they are rendered.
	Labels      []Label
	Annotations []Label
}

// Label is a name and a value.
type Label struct{ Name, Value string }

// ServerFaultCodes are the gRPC codes, spelt as the runtime's metrics spell
// them, that count against availability: the server failed. Every other
// code is the caller's doing (InvalidArgument, NotFound, AlreadyExists,
// PermissionDenied, Unauthenticated, FailedPrecondition, OutOfRange,
// Canceled, ...) and never counts. ResourceExhausted counts only when the
// server is overloaded: a caller over its own quota gets one with a
// google.rpc.QuotaFailure, which the runtime also counts in
// grpc_server_quota_rejected_total, subtracted here.
var ServerFaultCodes = []string{"Unknown", "Internal", "Unavailable", "DataLoss", "DeadlineExceeded", "ResourceExhausted"}

// SLOWindows are the rate windows of the SLI recording rules.
var SLOWindows = []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"}

// burnAlert is one multiwindow, multi-burn-rate condition (Google's SRE
// workbook, chapter 5): the error ratio over both windows exceeds factor
// times the error budget.
type burnAlert struct {
	factor      float64
	long, short string
}

var (
	pageBurns   = []burnAlert{{14.4, "1h", "5m"}, {6, "6h", "30m"}}
	ticketBurns = []burnAlert{{3, "1d", "2h"}, {1, "3d", "6h"}}
)

// Names lists the service's alerts in the order the runbook documents
// them.
func (a *Alerts) Names() []string {
	var names []string
	for _, g := range a.Rules() {
		for _, r := range g.Rules {
			if r.Alert != "" {
				names = append(names, r.Alert)
			}
		}
	}
	return names
}

// Prefix is the CamelCase service name every alert starts with:
// orders-api -> OrdersApi.
func (a *Alerts) Prefix() string {
	var b strings.Builder
	for part := range strings.SplitSeq(a.app.Name, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// RunbookAnchor is the anchor of an alert's section in docs/runbook.md.
func RunbookAnchor(alert string) string { return strings.ToLower(alert) }

// Rules returns the service's recording rules and alerts.
func (a *Alerts) Rules() []RuleGroup { return a.groups }

func (a *Alerts) build() []RuleGroup {
	s := a.app.Settings
	name := a.app.Name
	job := fmt.Sprintf(`job=%q`, name)
	faults := fmt.Sprintf(`grpc_code=~%q`, strings.Join(ServerFaultCodes, "|"))
	prefix := a.Prefix()
	runbook := func(alert string) string { return s.RunbookURL + "#" + RunbookAnchor(alert) }
	common := func(alert, severity, summary, description string) ([]Label, []Label) {
		return []Label{{"severity", severity}, {"service", name}, {"team", s.Owner}},
			[]Label{{"summary", summary}, {"description", description}, {"runbook_url", runbook(alert)}}
	}

	// faultRatio is the share of calls failing by the server's fault over a
	// window, by the given labels.
	faultRatio := func(by, window string) string {
		handled := fmt.Sprintf("sum by (%s) (rate(grpc_server_handled_total{%s}[%s]))", by, job, window)
		return fmt.Sprintf(`(
  sum by (%[1]s) (rate(grpc_server_handled_total{%[2]s,%[3]s}[%[4]s]))
  - (sum by (%[1]s) (rate(grpc_server_quota_rejected_total{%[2]s}[%[4]s])) or %[5]s * 0)
)
/
%[5]s`, by, job, faults, window, handled)
	}

	var sli RuleGroup
	sli.Name = name + "-slo-sli-recordings"
	for _, w := range SLOWindows {
		sli.Rules = append(sli.Rules, Rule{
			Record: "slo:sli_error:ratio_rate" + w,
			Expr:   faultRatio("grpc_service", w),
			Labels: []Label{{"service", name}, {"sloth_service", name}, {"sloth_slo", "availability"}, {"sloth_window", w}},
		})
	}
	meta := []Label{{"service", name}, {"sloth_service", name}, {"sloth_slo", "availability"}}
	sli.Rules = append(sli.Rules,
		Rule{Record: "slo:objective:ratio", Expr: fmtFloat(s.Objective / 100), Labels: meta},
		Rule{Record: "slo:error_budget:ratio", Expr: fmtFloat(s.ErrorBudget()), Labels: meta},
	)

	burn := func(burns []burnAlert) string {
		var parts []string
		for _, b := range burns {
			threshold := fmtFloat(b.factor * s.ErrorBudget())
			parts = append(parts, fmt.Sprintf(`(
  max by (grpc_service) (slo:sli_error:ratio_rate%[1]s{service=%[3]q} > %[4]s)
  and
  max by (grpc_service) (slo:sli_error:ratio_rate%[2]s{service=%[3]q} > %[4]s)
)`, b.long, b.short, name, threshold))
		}
		return strings.Join(parts, "\nor\n")
	}
	objective := fmtFloat(s.Objective) + "%"

	var slo RuleGroup
	slo.Name = name + "-slo-alerts"
	pageName := prefix + "ErrorBudgetBurnFast"
	labels, ann := common(pageName, "page",
		"{{ $labels.grpc_service }} is burning its error budget fast",
		fmt.Sprintf("{{ $labels.grpc_service }} fails calls by its own fault fast enough to spend a %s availability objective's 30-day error budget in days: 14.4x over 1h and 5m, or 6x over 6h and 30m.", objective))
	slo.Rules = append(slo.Rules, Rule{Alert: pageName, Expr: burn(pageBurns), For: "2m", Labels: labels, Annotations: ann})
	ticketName := prefix + "ErrorBudgetBurnSlow"
	labels, ann = common(ticketName, "ticket",
		"{{ $labels.grpc_service }} is burning its error budget",
		fmt.Sprintf("{{ $labels.grpc_service }} fails calls by its own fault faster than its %s availability objective allows: 3x over 1d and 2h, or 1x over 3d and 6h.", objective))
	slo.Rules = append(slo.Rules, Rule{Alert: ticketName, Expr: burn(ticketBurns), For: "15m", Labels: labels, Annotations: ann})

	// Traffic guards keep rare methods from alerting on a single failure:
	// at least 6 calls a minute.
	const minRate = "0.1"
	methodRate := fmt.Sprintf("sum by (grpc_service, grpc_method) (rate(grpc_server_handled_total{%s}[5m]))", job)

	var grpcAlerts RuleGroup
	grpcAlerts.Name = name + "-grpc-alerts"
	alert := prefix + "MethodErrors"
	labels, ann = common(alert, "ticket",
		"{{ $labels.grpc_service }}/{{ $labels.grpc_method }} fails by the server's fault",
		fmt.Sprintf("More than %s of {{ $labels.grpc_service }}/{{ $labels.grpc_method }} calls failed with a server-fault code (%s) over 10 minutes. Caller errors such as NotFound or InvalidArgument never count.", fmtPercent(s.ErrorRate), strings.Join(ServerFaultCodes, ", ")))
	grpcAlerts.Rules = append(grpcAlerts.Rules, Rule{
		Alert:  alert,
		Expr:   fmt.Sprintf("%s\n> %s\nand\n%s > %s", faultRatio("grpc_service, grpc_method", "5m"), fmtFloat(s.ErrorRate), methodRate, minRate),
		For:    "10m",
		Labels: labels, Annotations: ann,
	})

	alert = prefix + "MethodLatencyHigh"
	labels, ann = common(alert, "ticket",
		"{{ $labels.grpc_service }}/{{ $labels.grpc_method }} p99 latency is high",
		fmt.Sprintf("The 99th percentile of {{ $labels.grpc_service }}/{{ $labels.grpc_method }} unary call latency has been above %s for 15 minutes.", s.LatencyP99))
	grpcAlerts.Rules = append(grpcAlerts.Rules, Rule{
		Alert: alert,
		Expr: fmt.Sprintf(`histogram_quantile(0.99, sum by (grpc_service, grpc_method, le) (rate(grpc_server_handling_seconds_bucket{%[1]s,grpc_type="unary"}[5m])))
> %[2]s
and
sum by (grpc_service, grpc_method) (rate(grpc_server_handling_seconds_count{%[1]s,grpc_type="unary"}[5m])) > %[3]s`, job, fmtFloat(s.LatencyP99.Seconds()), minRate),
		For:    "15m",
		Labels: labels, Annotations: ann,
	})

	alert = prefix + "DeadlineExceeded"
	labels, ann = common(alert, "ticket",
		"{{ $labels.grpc_service }}/{{ $labels.grpc_method }} calls run out of time",
		fmt.Sprintf("More than %s of {{ $labels.grpc_service }}/{{ $labels.grpc_method }} calls ended in DEADLINE_EXCEEDED over 10 minutes: the method is slower than its callers' deadlines (or its own budget). Either it got slower or the budgets are wrong. Callers cancelling (CANCELLED) never count.", fmtPercent(s.DeadlineExceededRate)))
	grpcAlerts.Rules = append(grpcAlerts.Rules, Rule{
		Alert: alert,
		Expr: fmt.Sprintf(`sum by (grpc_service, grpc_method) (rate(grpc_server_handled_total{%[1]s,grpc_code="DeadlineExceeded"}[5m]))
/
%[2]s
> %[3]s
and
%[2]s > %[4]s`, job, methodRate, fmtFloat(s.DeadlineExceededRate), minRate),
		For:    "10m",
		Labels: labels, Annotations: ann,
	})

	alert = prefix + "TargetMissing"
	labels, ann = common(alert, "page",
		name+" has no healthy scrape target",
		fmt.Sprintf("Prometheus has scraped no %s pod successfully for 5 minutes: every pod is down, or none is discovered (ServiceMonitor, labels, NetworkPolicy). Without metrics no other %s alert can fire.", name, name))
	grpcAlerts.Rules = append(grpcAlerts.Rules, Rule{
		Alert:  alert,
		Expr:   fmt.Sprintf("absent(up{%s} == 1)", job),
		For:    "5m",
		Labels: labels, Annotations: ann,
	})

	alert = prefix + "NoTraffic"
	labels, ann = common(alert, "ticket",
		name+" receives no calls",
		fmt.Sprintf("%s's pods are scraped but have started no call for 30 minutes. If callers should be calling, look at them, their DNS and the NetworkPolicy.", name))
	grpcAlerts.Rules = append(grpcAlerts.Rules, Rule{
		Alert:  alert,
		Expr:   fmt.Sprintf("sum(rate(grpc_server_started_total{%s}[15m])) == 0", job),
		For:    "30m",
		Labels: labels, Annotations: ann,
	})

	return []RuleGroup{sli, slo, grpcAlerts}
}

// fmtFloat prints a threshold without binary noise: 14.4 * 0.001 as 0.0144.
func fmtFloat(f float64) string {
	return strconv.FormatFloat(f, 'g', 10, 64)
}

// fmtPercent prints a ratio as a percentage: 0.05 as 5%.
func fmtPercent(f float64) string { return fmtFloat(f*100) + "%" }

// Alert returns the alert with the given name suffix (after Prefix),
// e.g. "ErrorBudgetBurnFast"; the zero Rule if there is none.
func (a *Alerts) Alert(suffix string) Rule {
	for _, g := range a.Rules() {
		for _, r := range g.Rules {
			if r.Alert == a.Prefix()+suffix {
				return r
			}
		}
	}
	return Rule{}
}

// Expand returns the rule's labels and annotations as Prometheus sends them
// for a series of the given gRPC service and method: the $labels
// references filled in. The rules' tests expect exactly these.
func (r Rule) Expand(service, method string) []Label {
	repl := strings.NewReplacer("{{ $labels.grpc_service }}", service, "{{ $labels.grpc_method }}", method)
	var out []Label
	for _, l := range r.Annotations {
		out = append(out, Label{l.Name, repl.Replace(l.Value)})
	}
	return out
}

// ProbeService and ProbeMethod name the RPC the rules' tests use in their
// series: the first unary method (else the first method) of the service.
func (a *Alerts) ProbeService() string { s, _ := a.probe(); return s.FullName }

// ProbeMethod is the method half of ProbeService.
func (a *Alerts) ProbeMethod() string { _, m := a.probe(); return m.Name }

func (a *Alerts) probe() (*model.Service, *model.Method) {
	for _, s := range a.app.Services {
		for _, m := range s.Methods {
			if m.Streaming == model.Unary {
				return s, m
			}
		}
	}
	for _, s := range a.app.Services {
		if len(s.Methods) > 0 {
			return s, s.Methods[0]
		}
	}
	return a.app.Services[0], &model.Method{}
}

// BurnSeries is a fixture for the rules' tests: per interval, how many
// calls fail by the server's fault and how many succeed, so that the error
// ratio is factor times the error budget.
type BurnSeries struct{ Errors, OK int }

// Burn returns the fixture for a burn rate of factor.
func (a *Alerts) Burn(factor float64) BurnSeries {
	s := a.app.Settings
	const calls = 100000
	errs := int(factor*s.ErrorBudget()*calls + 0.5)
	return BurnSeries{Errors: errs, OK: calls - errs}
}

// BucketSeries is a fixture for the latency alert's test: the bucket's le
// label and how many of 100 calls an interval it counts when every call is
// slow (just above the threshold).
type BucketSeries struct {
	Le   string
	Slow int
}

// SlowBuckets returns the fixture: all calls fall in the first bucket
// whose lower bound is at or above the latency threshold, so the p99 is
// above it.
func (a *Alerts) SlowBuckets() []BucketSeries {
	s := a.app.Settings
	var out []BucketSeries
	lower := 0.0
	for _, le := range model.LatencyBuckets {
		slow := 0
		if lower >= s.LatencyP99.Seconds() {
			slow = 100
		}
		out = append(out, BucketSeries{Le: fmtFloat(le), Slow: slow})
		lower = le
	}
	return append(out, BucketSeries{Le: "+Inf", Slow: 100})
}
