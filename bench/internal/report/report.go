// Package report holds the peer benchmark's results: the per-round samples
// the harness measured, their summary (medians, and medians of per-round
// ratios to the baseline measured in the same round), and their renderings
// as Markdown tables and an SVG chart.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

// Scenarios of a run.
const (
	// Unary is bench.v1.BenchService/Echo under ghz, on every server;
	// the baseline is the bare grpc-go server.
	Unary = "unary"
	// Stream is bench.v1.BenchService/Stream under the harness's load
	// generator, on every server; its unit is a message, not a call.
	Stream = "stream"
	// Gateway is Echo on the generated service over REST beside the same
	// method over gRPC, both under the harness's load generator; the
	// baseline is gRPC.
	Gateway = "gateway"
	// Traced is grpc.health.v1.Health/Check under ghz, on every server,
	// with every instrumented server sampling every call (no exporter);
	// the baseline is the bare grpc-go server, which traces nothing.
	Traced = "traced"
)

// Results is everything one run of the harness produced; cmd/peers writes
// it as JSON and renders the chart and tables from it.
type Results struct {
	// Started is when the run began (RFC 3339); Seconds how long it took.
	Started string  `json:"started"`
	Seconds float64 `json:"seconds"`
	Machine Machine `json:"machine"`
	Setup   Setup   `json:"setup"`
	// Servers describes each server measured, in the order of the tables.
	Servers []Server `json:"servers"`
	// Commands are the exact commands the harness ran, with the ports of
	// this run.
	Commands []string `json:"commands"`
	// Generator is the wall time of new-service's commands.
	Generator Generator `json:"generator"`
	Samples   []Sample  `json:"samples"`
	Summary   []Summary `json:"summary"`
}

// Machine is where the run happened.
type Machine struct {
	CPU       string `json:"cpu"`
	CPUs      int    `json:"cpus"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	// Pinned reports whether servers ran on one core and load generators
	// on another (taskset); ServerCPU and LoadCPU say which.
	Pinned    bool   `json:"pinned"`
	ServerCPU string `json:"server_cpu,omitempty"`
	LoadCPU   string `json:"load_cpu,omitempty"`
	// LoadAvgStart and LoadAvgEnd are /proc/loadavg's 1, 5 and 15 minute
	// averages when the run began and ended: other work on the machine.
	LoadAvgStart string `json:"loadavg_start,omitempty"`
	LoadAvgEnd   string `json:"loadavg_end,omitempty"`
}

// Setup is how the load was applied.
type Setup struct {
	Rounds            int     `json:"rounds"`
	Ghz               string  `json:"ghz"`
	Concurrency       int     `json:"concurrency"`
	Connections       int     `json:"connections"`
	UnarySeconds      float64 `json:"unary_seconds"`
	StreamSeconds     float64 `json:"stream_seconds"`
	StreamConcurrency int     `json:"stream_concurrency"`
	StreamCount       int     `json:"stream_count"`
	GatewaySeconds    float64 `json:"gateway_seconds"`
	WarmupSeconds     float64 `json:"warmup_seconds"`
	Message           string  `json:"message"`
	// MaxOther is the share of a core other processes could use during a
	// sample before it was retaken, up to Retakes times.
	MaxOther float64 `json:"max_other"`
	Retakes  int     `json:"retakes"`
	// ServerEnv is what every server's environment had beyond the
	// minimum (cmd/peers -server-env), such as GOGC=400: empty in the
	// runs the chart shows.
	ServerEnv []string `json:"server_env,omitempty"`
	// NoiseSeconds is the time spent waiting for quiet and retaking.
	NoiseSeconds float64 `json:"noise_seconds"`
	// GenMatches reports whether the gen/ code new-service rendered in this
	// run is byte for byte the bench module's committed gen/.
	GenMatches bool `json:"gen_matches"`
}

// Server is one server of the comparison. Scenario, when set, is the one
// scenario this instance served: the [Traced] scenario has its own
// instances of the instrumented servers, which sample every call.
type Server struct {
	Name     string `json:"name"`
	Scenario string `json:"scenario,omitempty"`
	Config   string `json:"config"`
}

// Generator holds wall times in seconds, one per repetition.
type Generator struct {
	New           []float64 `json:"new"`
	Update        []float64 `json:"update"`
	UpdateNoBuild []float64 `json:"update_no_build"`
}

// Sample is one measurement: one server under one scenario in one round.
// A unit is a call, except in [Stream] where it is a message.
type Sample struct {
	Scenario string `json:"scenario"`
	Server   string `json:"server"`
	Round    int    `json:"round"`
	Calls    int64  `json:"calls"`
	Units    int64  `json:"units"`
	Errors   int64  `json:"errors"`
	// Seconds is the load's wall time; PerSecond units per second.
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	// P50Ms and P99Ms are per-call latencies.
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	// CPUSeconds is the server's user+system CPU over the run
	// (/proc/PID/stat); CPUPerUnitUs the same per unit, in microseconds.
	CPUSeconds   float64 `json:"cpu_seconds"`
	CPUPerUnitUs float64 `json:"cpu_per_unit_us"`
	// AllocsPerUnit is heap objects allocated by the server per unit
	// (go_memstats_mallocs_total before and after, less one scrape's own).
	AllocsPerUnit float64 `json:"allocs_per_unit"`
	// LoadCPU is the load generator's user+system CPU over the run, to
	// tell which side of the connection was the bottleneck.
	LoadCPU float64 `json:"load_cpu_seconds"`
	// OtherCPU is the CPU every other process of the machine used over the
	// run (/proc/stat less the server and the load generator): noise.
	OtherCPU float64 `json:"other_cpu_seconds"`
	// Attempts is how many times the sample was taken (see
	// Setup.MaxOther); this is the quietest.
	Attempts int `json:"attempts"`
}

// Summary is one server under one scenario over every round: medians of
// its samples, and medians of its per-round ratios to Baseline's sample of
// the same round.
type Summary struct {
	Scenario      string  `json:"scenario"`
	Server        string  `json:"server"`
	Baseline      string  `json:"baseline"`
	Rounds        int     `json:"rounds"`
	Errors        int64   `json:"errors"`
	PerSecond     float64 `json:"per_second"`
	P50Ms         float64 `json:"p50_ms"`
	P99Ms         float64 `json:"p99_ms"`
	CPUPerUnitUs  float64 `json:"cpu_per_unit_us"`
	AllocsPerUnit float64 `json:"allocs_per_unit"`
	// ServerBusy and LoadBusy are the share of one core the server and the
	// load generator used over the run (1 is a whole core).
	ServerBusy float64 `json:"server_busy"`
	LoadBusy   float64 `json:"load_busy"`
	OtherBusy  float64 `json:"other_busy"`
	// Ratios to the baseline: above 1 means more throughput, more latency,
	// more CPU or more allocations than the baseline.
	Throughput float64 `json:"throughput_ratio"`
	P50        float64 `json:"p50_ratio"`
	P99        float64 `json:"p99_ratio"`
	CPU        float64 `json:"cpu_ratio"`
	Allocs     float64 `json:"allocs_ratio"`
}

// Summarize computes the summary of samples for scenario, in the order of
// servers, with ratios to baseline.
func Summarize(samples []Sample, scenario, baseline string, servers []string) []Summary {
	byRound := map[int]map[string]Sample{}
	for _, s := range samples {
		if s.Scenario != scenario {
			continue
		}
		if byRound[s.Round] == nil {
			byRound[s.Round] = map[string]Sample{}
		}
		byRound[s.Round][s.Server] = s
	}
	var out []Summary
	for _, name := range servers {
		var rps, p50, p99, cpu, allocs, busy, loadBusy, otherBusy []float64
		var rRPS, rP50, rP99, rCPU, rAllocs []float64
		sum := Summary{Scenario: scenario, Server: name, Baseline: baseline}
		for _, round := range byRound {
			s, ok := round[name]
			if !ok {
				continue
			}
			sum.Rounds++
			sum.Errors += s.Errors
			rps, p50, p99 = append(rps, s.PerSecond), append(p50, s.P50Ms), append(p99, s.P99Ms)
			cpu, allocs = append(cpu, s.CPUPerUnitUs), append(allocs, s.AllocsPerUnit)
			if s.Seconds > 0 {
				busy, loadBusy = append(busy, s.CPUSeconds/s.Seconds), append(loadBusy, s.LoadCPU/s.Seconds)
				otherBusy = append(otherBusy, s.OtherCPU/s.Seconds)
			}
			b, ok := round[baseline]
			if !ok {
				continue
			}
			rRPS = append(rRPS, ratio(s.PerSecond, b.PerSecond))
			rP50 = append(rP50, ratio(s.P50Ms, b.P50Ms))
			rP99 = append(rP99, ratio(s.P99Ms, b.P99Ms))
			rCPU = append(rCPU, ratio(s.CPUPerUnitUs, b.CPUPerUnitUs))
			rAllocs = append(rAllocs, ratio(s.AllocsPerUnit, b.AllocsPerUnit))
		}
		if sum.Rounds == 0 {
			continue
		}
		sum.PerSecond, sum.P50Ms, sum.P99Ms = Median(rps), Median(p50), Median(p99)
		sum.CPUPerUnitUs, sum.AllocsPerUnit = Median(cpu), Median(allocs)
		sum.ServerBusy, sum.LoadBusy, sum.OtherBusy = Median(busy), Median(loadBusy), Median(otherBusy)
		sum.Throughput, sum.P50, sum.P99 = Median(rRPS), Median(rP50), Median(rP99)
		sum.CPU, sum.Allocs = Median(rCPU), Median(rAllocs)
		out = append(out, sum)
	}
	return out
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Find returns the summary of server under scenario.
func (r *Results) Find(scenario, server string) (Summary, bool) {
	for _, s := range r.Summary {
		if s.Scenario == scenario && s.Server == server {
			return s, true
		}
	}
	return Summary{}, false
}

// Read reads results written by [Write].
func Read(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &r, nil
}

// Write writes r to path as indented JSON.
func Write(path string, r *Results) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
