package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// series is one bar of each group in the chart.
type series struct {
	label string
	color string
	value func(Summary) float64
}

var chartSeries = []series{
	{"throughput (req/s)", "#4e79a7", func(s Summary) float64 { return s.Throughput }},
	{"p99 latency", "#e15759", func(s Summary) float64 { return s.P99 }},
	{"server CPU per call", "#59a14f", func(s Summary) float64 { return s.CPU }},
}

// SVG renders the unary scenario's ratios to the baseline as grouped bars,
// one group per server and one bar per ratio, with the baseline's 1.0
// marked. The output depends only on r.
func SVG(r *Results) string {
	var rows []Summary
	for _, s := range r.Summary {
		if s.Scenario == Unary {
			rows = append(rows, s)
		}
	}
	const (
		width, height = 800, 440
		left, right   = 56, 16
		top, bottom   = 96, 60
		plotW         = width - left - right
		plotH         = height - top - bottom
	)
	maxV := 1.0
	for _, s := range rows {
		for _, se := range chartSeries {
			maxV = max(maxV, se.value(s))
		}
	}
	step := 0.25
	if maxV > 2.5 {
		step = 0.5
	}
	yMax := math.Ceil(maxV*1.08/step) * step
	y := func(v float64) float64 { return top + plotH - v/yMax*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	baseline := "the baseline"
	if len(rows) > 0 {
		baseline = rows[0].Baseline
	}
	title := fmt.Sprintf("Unary Echo: each server against %s in the same round (median of %d rounds)", baseline, r.Setup.Rounds)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, esc(title))
	sub := fmt.Sprintf("%s, %d concurrent calls on %d connection(s); %s, %d CPUs",
		strings.TrimPrefix(r.Setup.Ghz, "github.com/bojand/"), r.Setup.Concurrency, r.Setup.Connections, r.Machine.CPU, r.Machine.CPUs)
	if r.Machine.Pinned {
		sub += fmt.Sprintf("; servers on CPU %s, ghz on CPU %s", r.Machine.ServerCPU, r.Machine.LoadCPU)
	}
	fmt.Fprintf(&b, `<text x="%d" y="40" fill="#555555">%s</text>`+"\n", left, esc(sub))
	for i, se := range chartSeries {
		x := left + i*170
		fmt.Fprintf(&b, `<rect x="%d" y="56" width="12" height="12" fill="%s"/>`+"\n", x, se.color)
		fmt.Fprintf(&b, `<text x="%d" y="66">%s</text>`+"\n", x+17, esc(se.label))
	}
	fmt.Fprintf(&b, `<text x="%d" y="84" fill="#555555" font-size="11">%s</text>`+"\n", left,
		esc("Throughput: higher is better. p99 latency and server CPU per call: lower is better. Dashed line: the baseline."))

	// Grid and axis.
	for v := 0.0; v <= yMax+1e-9; v += step {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/>`+"\n", left, y(v), width-right, y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#555555">%.2f</text>`+"\n", left-6, y(v)+4, v)
	}
	fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle" fill="#555555">ratio to %s</text>`+"\n", float64(top+plotH/2), esc(baseline))

	if len(rows) > 0 {
		groupW := float64(plotW) / float64(len(rows))
		barW := math.Min(40, groupW*0.8/float64(len(chartSeries)))
		for gi, s := range rows {
			gx := float64(left) + groupW*float64(gi)
			x0 := gx + (groupW-barW*float64(len(chartSeries)))/2
			for si, se := range chartSeries {
				v := se.value(s)
				x := x0 + barW*float64(si)
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %.2f</title></rect>`+"\n",
					x+1, y(v), barW-2, y(0)-y(v), se.color, esc(s.Server), esc(se.label), v)
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="11">%.2f</text>`+"\n", x+barW/2, y(v)-4, v)
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-weight="bold">%s</text>`+"\n", gx+groupW/2, top+plotH+20, esc(s.Server))
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555555" font-size="11">%s req/s</text>`+"\n",
				gx+groupW/2, top+plotH+35, thousands(s.PerSecond))
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555555" font-size="11">p99 %.2f ms, %.1f µs CPU</text>`+"\n",
				gx+groupW/2, top+plotH+49, s.P99Ms, s.CPUPerUnitUs)
		}
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333" stroke-dasharray="6 4"/>`+"\n", left, y(1), width-right, y(1))
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333"/>`+"\n", left, y(0), width-right, y(0))
	b.WriteString("</svg>\n")
	return b.String()
}

func esc(s string) string { return html.EscapeString(s) }
