package report

import (
	"fmt"
	"strings"
)

// Markdown renders the summary as the tables of docs/benchmarks.md's peer
// section: one per scenario, then new-service's own wall times.
func Markdown(r *Results) string {
	var b strings.Builder
	if len(r.Setup.ServerEnv) > 0 {
		fmt.Fprintf(&b, "Every server ran with %s in its environment.\n\n", strings.Join(r.Setup.ServerEnv, " "))
	}
	table := func(scenario, title, unit string) {
		var rows []Summary
		for _, s := range r.Summary {
			if s.Scenario == scenario {
				rows = append(rows, s)
			}
		}
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s\n\n", title)
		base := rows[0].Baseline
		fmt.Fprintf(&b, "| server | %ss/s | p50 | p99 | server CPU/%s | allocs/%s | busy: server, load, other | %ss/s vs %s | p99 vs %s | CPU vs %s | allocs vs %s |\n",
			unit, unit, unit, unit, base, base, base, base)
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, s := range rows {
			fmt.Fprintf(&b, "| %s | %s | %.2f ms | %.2f ms | %.2f µs | %.1f | %.0f%%, %.0f%%, %.0f%% | %.2f | %.2f | %.2f | %.2f |\n",
				s.Server, thousands(s.PerSecond), s.P50Ms, s.P99Ms, s.CPUPerUnitUs, s.AllocsPerUnit,
				100*s.ServerBusy, 100*s.LoadBusy, 100*s.OtherBusy, s.Throughput, s.P99, s.CPU, s.Allocs)
		}
		b.WriteString("\n")
	}
	table(Unary, "Unary Echo under ghz (medians of the rounds; ratios are medians of per-round ratios):", "call")
	table(Stream, "Server streaming (per message; p50 and p99 are of whole streams):", "msg")
	table(Gateway, "The generated service's REST gateway against direct gRPC, the same Echo method:", "call")
	table(Traced, "Health Check under ghz with every call traced (each instrumented server samples every new trace, no exporter; bare grpc-go traces nothing):", "call")

	g := r.Generator
	if len(g.New)+len(g.Update)+len(g.UpdateNoBuild) > 0 {
		b.WriteString("new-service's own commands on the bench proto, warm caches (wall time):\n\n")
		b.WriteString("| command | runs | median |\n|---|---|---:|\n")
		row := func(name string, xs []float64) {
			if len(xs) == 0 {
				return
			}
			runs := make([]string, len(xs))
			for i, x := range xs {
				runs[i] = fmt.Sprintf("%.2f s", x)
			}
			fmt.Fprintf(&b, "| %s | %s | %.2f s |\n", name, strings.Join(runs, " / "), Median(xs))
		}
		row("`new-service new` (render, buf generate, go mod tidy, go build)", g.New)
		row("`new-service update` (nothing to change; with the post-steps)", g.Update)
		row("`new-service update --no-build` (nothing to change)", g.UpdateNoBuild)
		b.WriteString("\n")
	}
	return b.String()
}

// thousands formats x rounded to an integer with comma separators.
func thousands(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
