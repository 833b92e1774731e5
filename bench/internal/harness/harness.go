// Package harness runs the peer benchmark: it builds a bare grpc-go
// server, the service new-service generates from bench/proto, a go-kratos
// server and a go-zero server, all serving the same handler (package
// internal/handler); starts them side by side, pinned to one core; and
// loads each in turn from another core, alternating the order every round,
// with ghz (unary), and the harness's own load generator (server streaming,
// and REST against gRPC on the generated service). Then, in the traced
// scenario, it replaces the instrumented servers with instances that sample
// every call and loads every server's health Check with ghz. For every run
// it reads the server's CPU time from /proc/PID/stat and its allocation
// counter from its admin endpoint, before and after.
//
// The machine may be shared: a sample taken while other processes kept a
// core busy is retaken (see [Options].MaxOther). Every step is bounded: the
// caller's context bounds the whole run, and each load run has its own
// deadline.
package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/new-service/new-service/bench/internal/load"
	"github.com/new-service/new-service/bench/internal/report"
)

// Server names, as the tables and the chart show them.
const (
	Bare      = "bare grpc-go"
	Generated = "new-service"
	Kratos    = "kratos"
	GoZero    = "go-zero"
	// GRPC and REST are the generated service's two doors in the gateway
	// scenario.
	GRPC = "gRPC"
	REST = "REST (gateway)"
)

// Options configure a run; [DefaultOptions] gives the documented ones.
type Options struct {
	// BenchDir is the bench module's folder; RepoDir the new-service
	// repository's (where cmd/new-service is).
	BenchDir, RepoDir string
	// WorkDir holds binaries, the generated service and server logs; empty
	// means a new temporary folder, removed after the run unless Keep.
	WorkDir string
	Keep    bool
	// Rounds is how many times every server is measured in every scenario.
	Rounds int
	// Durations of each measured run, and of the one warm-up run per
	// server and scenario before the first round.
	UnaryDuration, StreamDuration, GatewayDuration, Warmup time.Duration
	// Concurrency and Connections are ghz's -c and --connections, and the
	// load generator's in the gateway scenario.
	Concurrency, Connections int
	// StreamConcurrency streams in flight, each asking for StreamCount
	// messages.
	StreamConcurrency, StreamCount int
	// Message is the text of every request.
	Message string
	// GenRuns is how many times `new-service new` and `update` are timed.
	GenRuns int
	// Ghz is a ghz binary to use instead of installing GhzModule.
	Ghz string
	// MaxOther is the share of a core other processes may use during a
	// sample before it is retaken (up to Retakes times); QuietWait bounds
	// the wait for such a quiet moment before each sample.
	// NoiseBudget bounds the time spent waiting and retaking over the
	// whole run; once spent, samples are taken as they come.
	MaxOther    float64
	Retakes     int
	QuietWait   time.Duration
	NoiseBudget time.Duration
	// Pin runs servers on the last CPU and load generators on the others
	// (taskset), when taskset exists and there are at least 2 CPUs.
	Pin bool
	// Traced runs the traced scenario after the others: Rounds more
	// rounds of ghz on grpc.health.v1.Health/Check for UnaryDuration, the
	// instrumented servers sampling every call.
	Traced bool
	// ServerEnv is added to every server's environment (KEY=VALUE), the
	// same for all four: to measure them under one runtime setting, such as
	// GOGC=400, that none of them sets by itself.
	ServerEnv []string
	// Log receives progress, one line per step.
	Log io.Writer
}

// DefaultOptions returns the options cmd/peers documents.
func DefaultOptions() Options {
	return Options{
		BenchDir:          ".",
		RepoDir:           "..",
		Rounds:            5,
		UnaryDuration:     5 * time.Second,
		StreamDuration:    3 * time.Second,
		GatewayDuration:   3 * time.Second,
		Warmup:            2 * time.Second,
		Concurrency:       16,
		Connections:       1,
		StreamConcurrency: 4,
		StreamCount:       1000,
		Message:           "hello, benchmark",
		GenRuns:           3,
		MaxOther:          0.2,
		Retakes:           2,
		QuietWait:         10 * time.Second,
		NoiseBudget:       10 * time.Minute,
		Pin:               true,
		Traced:            true,
		Log:               os.Stderr,
	}
}

type harness struct {
	opts      Options
	work, bin string
	ghz       string
	protoset  string
	pinServer []string
	pinLoad   []string
	res       *report.Results
	recorded  map[string]bool
	// noiseSpent is the time spent so far waiting for quiet and retaking
	// noisy samples; see Options.NoiseBudget.
	noiseSpent time.Duration
}

// Run runs the whole benchmark and returns its results. When it fails, it
// keeps its work folder, with the servers' logs, and says where.
func Run(ctx context.Context, opts Options) (_ *report.Results, err error) {
	start := time.Now()
	h := &harness{opts: opts, recorded: map[string]bool{}, res: &report.Results{Started: start.UTC().Format(time.RFC3339)}}
	if h.opts.Log == nil {
		h.opts.Log = io.Discard
	}
	if h.opts.BenchDir, err = filepath.Abs(opts.BenchDir); err != nil {
		return nil, err
	}
	if h.opts.RepoDir, err = filepath.Abs(opts.RepoDir); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(h.opts.RepoDir, "cmd", "new-service")); err != nil {
		return nil, fmt.Errorf("repository %s: no cmd/new-service; pass -repo", h.opts.RepoDir)
	}
	h.work = opts.WorkDir
	if h.work == "" {
		if h.work, err = os.MkdirTemp("", "peers-"); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				h.logf("work folder kept for the logs: %s", h.work)
			} else if !opts.Keep {
				os.RemoveAll(h.work)
			}
		}()
	} else if err := os.MkdirAll(h.work, 0o755); err != nil {
		return nil, err
	}
	h.bin = filepath.Join(h.work, "bin")
	if err := os.MkdirAll(h.bin, 0o755); err != nil {
		return nil, err
	}
	h.logf("work folder %s", h.work)

	h.machine(ctx)
	h.res.Setup = report.Setup{
		Rounds:            opts.Rounds,
		Concurrency:       opts.Concurrency,
		Connections:       opts.Connections,
		UnarySeconds:      opts.UnaryDuration.Seconds(),
		StreamSeconds:     opts.StreamDuration.Seconds(),
		StreamConcurrency: opts.StreamConcurrency,
		StreamCount:       opts.StreamCount,
		GatewaySeconds:    opts.GatewayDuration.Seconds(),
		WarmupSeconds:     opts.Warmup.Seconds(),
		Message:           opts.Message,
		MaxOther:          opts.MaxOther,
		Retakes:           opts.Retakes,
		ServerEnv:         opts.ServerEnv,
	}

	if h.ghz, h.res.Setup.Ghz, err = h.installGhz(ctx); err != nil {
		return nil, err
	}
	h.logf("ghz: %s", h.res.Setup.Ghz)
	h.protoset = filepath.Join(h.work, "bench.protoset")
	if err := writeProtoset(h.protoset); err != nil {
		return nil, err
	}
	if err := h.run(ctx, h.opts.BenchDir, nil, "go", "build", "-o", h.bin+"/", "./cmd/bare", "./cmd/kratos", "./cmd/gozero", "./cmd/load"); err != nil {
		return nil, err
	}
	if _, err := h.generate(ctx); err != nil {
		return nil, err
	}

	servers, err := h.servers()
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for _, s := range servers {
		if err := s.start(h.pinServer); err != nil {
			return nil, err
		}
		h.record(s.commandLine(h.pinServer))
		h.res.Servers = append(h.res.Servers, report.Server{Name: s.name, Config: s.config})
	}
	for _, s := range servers {
		if err := s.waitReady(ctx, time.Minute); err != nil {
			return nil, err
		}
	}
	h.logf("servers ready")
	gen := servers[slices.IndexFunc(servers, func(s *server) bool { return s.name == Generated })]

	// One unmeasured run of each kind first: connection setup, pools and
	// the heap reach their steady state before any figure is taken.
	if opts.Warmup > 0 {
		for _, s := range servers {
			if _, _, err := h.runGhz(ctx, h.echo(), s.grpcAddr, opts.Warmup); err != nil {
				return nil, fmt.Errorf("warm-up %s: %w", s.name, err)
			}
			if _, _, err := h.runLoad(ctx, load.Stream, s.grpcAddr, opts.Warmup); err != nil {
				return nil, fmt.Errorf("warm-up %s: %w", s.name, err)
			}
		}
		if _, _, err := h.runLoad(ctx, load.REST, gen.httpAddr, opts.Warmup); err != nil {
			return nil, fmt.Errorf("warm-up %s: %w", REST, err)
		}
		h.logf("warm-up done")
	}

	names := make([]string, len(servers))
	for i, s := range servers {
		names[i] = s.name
	}
	doors := []string{GRPC, REST}
	for round := range opts.Rounds {
		for _, s := range rotate(servers, round) {
			if err := h.measureGhz(ctx, report.Unary, h.echo(), s, round); err != nil {
				return nil, err
			}
		}
		for _, s := range rotate(servers, round) {
			if err := h.measureLoad(ctx, report.Stream, s, s.name, round, load.Stream, s.grpcAddr, opts.StreamDuration); err != nil {
				return nil, err
			}
		}
		for _, door := range rotate(doors, round) {
			mode, target := load.Unary, gen.grpcAddr
			if door == REST {
				mode, target = load.REST, gen.httpAddr
			}
			if err := h.measureLoad(ctx, report.Gateway, gen, door, round, mode, target, opts.GatewayDuration); err != nil {
				return nil, err
			}
		}
		h.logf("round %d of %d done", round+1, opts.Rounds)
	}
	if opts.Traced {
		if err := h.traced(ctx, servers); err != nil {
			return nil, err
		}
	}

	h.res.Summary = append(h.res.Summary, report.Summarize(h.res.Samples, report.Unary, Bare, names)...)
	h.res.Summary = append(h.res.Summary, report.Summarize(h.res.Samples, report.Stream, Bare, names)...)
	h.res.Summary = append(h.res.Summary, report.Summarize(h.res.Samples, report.Gateway, GRPC, doors)...)
	if opts.Traced {
		h.res.Summary = append(h.res.Summary, report.Summarize(h.res.Samples, report.Traced, Bare, names)...)
	}
	h.res.Machine.LoadAvgEnd = loadAvg()
	h.res.Setup.NoiseSeconds = h.noiseSpent.Seconds()
	h.res.Seconds = time.Since(start).Seconds()
	return h.res, nil
}

// env is a server's environment: minimalEnv, extra, and Options.ServerEnv.
func (h *harness) env(extra ...string) []string {
	return append(minimalEnv(extra...), h.opts.ServerEnv...)
}

// servers returns the four servers, not started, with their addresses.
func (h *harness) servers() ([]*server, error) {
	addrs, err := freeAddrs(2 + 7)
	if err != nil {
		return nil, err
	}
	bare := &server{
		name:     Bare,
		config:   "grpc.NewServer() with no options; the handler and grpc.health.v1; an admin HTTP server with the allocation counter only (bench/cmd/bare)",
		bin:      filepath.Join(h.bin, "bare"),
		args:     []string{"-grpc", addrs[0], "-admin", addrs[1]},
		env:      h.env(),
		grpcAddr: addrs[0], adminAddr: addrs[1], logPath: filepath.Join(h.work, "bare.log"),
	}
	return append([]*server{bare}, h.instrumented(addrs[2:], false)...), nil
}

// instrumented returns the generated, kratos and go-zero servers, not
// started, on the 7 addresses addrs. Each samples 10% of new traces, as the
// generated service does by default, or, with everyCall, every call: the
// traced scenario's instances, with their own log files.
func (h *harness) instrumented(addrs []string, everyCall bool) []*server {
	bin := func(name string) string { return filepath.Join(h.bin, name) }
	suffix := ""
	genEnv := []string{"GRPC_ADDR=" + addrs[0], "HTTP_ADDR=" + addrs[1], "ADMIN_ADDR=" + addrs[2]}
	var sample []string
	genRun := "run with its defaults"
	genTracing, kratosTracing, goZeroTracing := "10% of new traces sampled", "10% of new traces", "tracing at 10% of new traces with no exporter"
	if everyCall {
		suffix = "-traced"
		genEnv = append(genEnv, "OTEL_TRACES_SAMPLER=always_on")
		sample = []string{"-sample", "1"}
		genRun = "run with its defaults but OTEL_TRACES_SAMPLER=always_on"
		genTracing, kratosTracing = "every call sampled", "every new trace sampled with -sample 1"
		goZeroTracing = "tracing of every new trace with no exporter, -sample 1 being go-zero's own default"
	}
	logf := func(name string) string { return filepath.Join(h.work, name+suffix+".log") }
	return []*server{
		{
			name: Generated,
			config: "the service `new-service new` renders from bench/proto, its handler files replaced by the shared handler, " + genRun + ": " +
				"its own tracing in the fused interceptor chain (OpenTelemetry SDK, " + genTracing + ", no exporter), " +
				"its own grpc_server_* Prometheus metrics with exemplars, " +
				"the deadline-signal counters, DebugInfo stripping, the JSON access log at info (to a file), recovery, the 10s default deadline, " +
				"health, reflection, keepalive with MaxConnectionAge 5m; REST gateway and admin server on their own ports",
			bin:      bin("generated"),
			env:      h.env(genEnv...),
			grpcAddr: addrs[0], httpAddr: addrs[1], adminAddr: addrs[2], logPath: logf("generated"),
		},
		{
			name: Kratos,
			config: "go-kratos/kratos v2.8.3 transport/grpc with middleware recovery, tracing (OpenTelemetry SDK, " + kratosTracing + ", no exporter), " +
				"metrics (OpenTelemetry instruments to Prometheus via otel/exporters/prometheus), logging (log.NewStdLogger to a file, kratos-layout's fields); " +
				"kratos's 1s transport timeout, health, reflection; /metrics on a kratos HTTP server (bench/cmd/kratos)",
			bin:      bin("kratos"),
			args:     append([]string{"-grpc", addrs[3], "-admin", addrs[4]}, sample...),
			env:      h.env(),
			grpcAddr: addrs[3], adminAddr: addrs[4], logPath: logf("kratos"),
		},
		{
			name: GoZero,
			config: "zeromicro/go-zero v1.10.3 zrpc server, Mode pro, every default interceptor (" + goZeroTracing + ", recovery, " +
				"stat with a JSON log line per call to a file, Prometheus, breaker, adaptive shedding at CpuThreshold 900, 2s timeout), health; " +
				"/metrics on its DevServer (bench/cmd/gozero/config.yaml)",
			bin:      bin("gozero"),
			args:     append([]string{"-grpc", addrs[5], "-admin", addrs[6]}, sample...),
			env:      h.env(),
			grpcAddr: addrs[5], adminAddr: addrs[6], logPath: logf("gozero"),
		},
	}
}

// traced measures the traced scenario. It stops the instrumented servers
// and starts instances of them that sample every call (so that one
// instance of each shares the server's core at a time, and the scenarios
// before ran exactly as without this one), then loads every server's
// health Check with ghz, bare grpc-go (which traces nothing) included, for
// Rounds rounds in rotated order, after one warm-up run each.
func (h *harness) traced(ctx context.Context, servers []*server) error {
	// Free now, while the servers run: none of their ports.
	addrs, err := freeAddrs(7)
	if err != nil {
		return err
	}
	instrumented := h.instrumented(addrs, true)
	defer func() {
		for _, s := range instrumented {
			s.stop()
		}
	}()
	all := []*server{}
	for _, s := range servers {
		if s.name == Bare {
			all = append(all, s)
		} else {
			s.stop()
		}
	}
	for _, s := range instrumented {
		if err := s.start(h.pinServer); err != nil {
			return err
		}
		h.record(s.commandLine(h.pinServer))
		h.res.Servers = append(h.res.Servers, report.Server{Name: s.name, Scenario: report.Traced, Config: s.config})
	}
	for _, s := range instrumented {
		if err := s.waitReady(ctx, time.Minute); err != nil {
			return err
		}
	}
	all = append(all, instrumented...)
	h.logf("servers sampling every call ready")
	if h.opts.Warmup > 0 {
		for _, s := range all {
			if _, _, err := h.runGhz(ctx, healthCheck, s.grpcAddr, h.opts.Warmup); err != nil {
				return fmt.Errorf("warm-up %s %s: %w", report.Traced, s.name, err)
			}
		}
	}
	for round := range h.opts.Rounds {
		for _, s := range rotate(all, round) {
			if err := h.measureGhz(ctx, report.Traced, healthCheck, s, round); err != nil {
				return err
			}
		}
		h.logf("traced round %d of %d done", round+1, h.opts.Rounds)
	}
	return nil
}

// rotate returns xs starting at index round (mod len), so that no server
// is always measured first or last.
func rotate[T any](xs []T, round int) []T {
	k := round % len(xs)
	return append(slices.Clone(xs[k:]), xs[:k]...)
}

// counters are a server's CPU time and allocation count at one moment.
type counters struct {
	cpu, mallocs, machine float64
}

// before reads s's counters before a run. It scrapes twice: the
// allocations between the two are one scrape's own, which the reading
// after the run also includes and [complete] subtracts.
func (h *harness) before(ctx context.Context, s *server) (counters, float64, error) {
	select {
	case err := <-s.done:
		s.done <- err
		return counters{}, 0, fmt.Errorf("%s exited (%v); see %s", s.name, err, s.logPath)
	default:
	}
	m0, err := s.mallocs(ctx)
	if err != nil {
		return counters{}, 0, err
	}
	m1, err := s.mallocs(ctx)
	if err != nil {
		return counters{}, 0, err
	}
	cpu, err := cpuSeconds(s.cmd.Process.Pid)
	if err != nil {
		return counters{}, 0, err
	}
	machine, err := machineBusy()
	if err != nil {
		return counters{}, 0, err
	}
	return counters{cpu: cpu, mallocs: m1, machine: machine}, m1 - m0, nil
}

// complete fills in sample's server-side figures from s's counters now
// and c0, read before the run.
func (h *harness) complete(ctx context.Context, s *server, c0 counters, scrape float64, sample *report.Sample) error {
	cpu, err := cpuSeconds(s.cmd.Process.Pid)
	if err != nil {
		return err
	}
	machine, err := machineBusy()
	if err != nil {
		return err
	}
	m, err := s.mallocs(ctx)
	if err != nil {
		return err
	}
	sample.CPUSeconds = cpu - c0.cpu
	sample.OtherCPU = max(0, machine-c0.machine-sample.CPUSeconds-sample.LoadCPU)
	if sample.Units > 0 {
		sample.CPUPerUnitUs = sample.CPUSeconds / float64(sample.Units) * 1e6
		sample.AllocsPerUnit = max(0, m-c0.mallocs-scrape) / float64(sample.Units)
	}
	return nil
}

// noise is the share of a core other processes used during sample.
func noise(sample report.Sample) float64 {
	if sample.Seconds <= 0 {
		return 0
	}
	return sample.OtherCPU / sample.Seconds
}

// measure takes one sample of s with run, which applies the load and
// fills in the load's figures. It first waits for the machine to be quiet
// (see waitQuiet), and retakes a sample during which other processes used
// more than MaxOther of a core, up to Retakes times, keeping the quietest:
// on a shared machine another job's build would otherwise be measured as
// the server's latency.
func (h *harness) measure(ctx context.Context, s *server, run func() (report.Sample, error)) error {
	var best report.Sample
	for attempt := range h.opts.Retakes + 1 {
		h.waitQuiet(ctx, s)
		t0 := time.Now()
		c0, scrape, err := h.before(ctx, s)
		if err != nil {
			return err
		}
		sample, err := run()
		if err != nil {
			return err
		}
		if err := h.complete(ctx, s, c0, scrape, &sample); err != nil {
			return err
		}
		sample.Attempts = attempt + 1
		if attempt == 0 || noise(sample) < noise(best) {
			best = sample
		}
		if attempt > 0 {
			h.noiseSpent += time.Since(t0)
		}
		if noise(sample) <= h.opts.MaxOther || h.noiseSpent >= h.opts.NoiseBudget || attempt == h.opts.Retakes {
			break
		}
		h.logf("round %d %s %s: other processes used %.0f%% of a core; retaking", sample.Round+1, sample.Scenario, sample.Server, 100*noise(sample))
	}
	h.res.Samples = append(h.res.Samples, best)
	h.logf("round %d %-8s %-15s %9.0f/s p50 %.2f ms p99 %.2f ms cpu %.2f µs allocs %.1f busy %.0f%% server, %.0f%% load, %.0f%% other; errors %d",
		best.Round+1, best.Scenario, best.Server, best.PerSecond, best.P50Ms, best.P99Ms,
		best.CPUPerUnitUs, best.AllocsPerUnit, 100*best.CPUSeconds/best.Seconds, 100*best.LoadCPU/best.Seconds,
		100*noise(best), best.Errors)
	return nil
}

// waitQuiet waits, up to QuietWait, until processes other than s used at
// most MaxOther of a core over half a second.
func (h *harness) waitQuiet(ctx context.Context, s *server) {
	const window = 500 * time.Millisecond
	start := time.Now()
	defer func() {
		// The first window is the check itself, not a wait.
		h.noiseSpent += max(0, time.Since(start)-window)
	}()
	deadline := start.Add(min(h.opts.QuietWait, h.opts.NoiseBudget-h.noiseSpent))
	for time.Now().Before(deadline) {
		m0, err0 := machineBusy()
		c0, err1 := cpuSeconds(s.cmd.Process.Pid)
		select {
		case <-ctx.Done():
			return
		case <-time.After(window):
		}
		m1, err2 := machineBusy()
		c1, err3 := cpuSeconds(s.cmd.Process.Pid)
		if err := errors.Join(err0, err1, err2, err3); err != nil {
			return
		}
		if (m1-m0-(c1-c0))/window.Seconds() <= h.opts.MaxOther {
			return
		}
	}
	if h.noiseSpent < h.opts.NoiseBudget {
		h.logf("the machine was not quiet for %s; measuring anyway", h.opts.QuietWait)
	}
}

// measureGhz takes one sample of s under scenario: ghz with call for
// UnaryDuration.
func (h *harness) measureGhz(ctx context.Context, scenario string, call ghzCall, s *server, round int) error {
	if round == 0 {
		h.record(shellJoin(h.ghzArgs(call, s.grpcAddr, h.opts.UnaryDuration)))
	}
	return h.measure(ctx, s, func() (report.Sample, error) {
		r, loadCPU, err := h.runGhz(ctx, call, s.grpcAddr, h.opts.UnaryDuration)
		if err != nil {
			return report.Sample{}, fmt.Errorf("%s %s: %w", scenario, s.name, err)
		}
		return report.Sample{
			Scenario:  scenario,
			Server:    s.name,
			Round:     round,
			Calls:     r.Count,
			Units:     r.Count,
			Errors:    r.errors(),
			Seconds:   float64(r.Total) / 1e9,
			PerSecond: r.RPS,
			P50Ms:     r.percentileMs(50),
			P99Ms:     r.percentileMs(99),
			LoadCPU:   loadCPU,
		}, nil
	})
}

func (h *harness) measureLoad(ctx context.Context, scenario string, s *server, name string, round int, mode, target string, d time.Duration) error {
	if round == 0 {
		h.record(shellJoin(h.loadArgs(mode, target, d)))
	}
	return h.measure(ctx, s, func() (report.Sample, error) {
		r, loadCPU, err := h.runLoad(ctx, mode, target, d)
		if err != nil {
			return report.Sample{}, fmt.Errorf("%s: %w", name, err)
		}
		return report.Sample{
			Scenario:  scenario,
			Server:    name,
			Round:     round,
			Calls:     r.Calls,
			Units:     r.Messages,
			Errors:    r.Errors,
			Seconds:   r.Seconds,
			PerSecond: r.MessagesPerSecond,
			P50Ms:     r.P50Ms,
			P99Ms:     r.P99Ms,
			LoadCPU:   loadCPU,
		}, nil
	})
}

// loadArgs is the load generator's command line.
func (h *harness) loadArgs(mode, target string, d time.Duration) []string {
	c := h.opts.Concurrency
	if mode == load.Stream {
		c = h.opts.StreamConcurrency
	}
	args := append([]string{}, h.pinLoad...)
	return append(args, filepath.Join(h.bin, "load"),
		"-mode", mode, "-target", target,
		"-c", fmt.Sprint(c), "-connections", fmt.Sprint(h.opts.Connections),
		"-d", d.String(), "-message", h.opts.Message, "-count", fmt.Sprint(h.opts.StreamCount))
}

// runLoad runs the load generator and returns its result and the CPU time
// it used.
func (h *harness) runLoad(ctx context.Context, mode, target string, d time.Duration) (load.Result, float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d+time.Minute)
	defer cancel()
	out, cpu, err := h.outputCPU(ctx, h.work, h.loadArgs(mode, target, d)...)
	if err != nil {
		return load.Result{}, 0, err
	}
	var r load.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		return r, 0, fmt.Errorf("load report: %w", err)
	}
	if r.Calls == 0 {
		return r, 0, fmt.Errorf("no call to %s succeeded: %s", target, r.FirstError)
	}
	return r, cpu, nil
}

// machine records the machine and decides the pinning.
func (h *harness) machine(ctx context.Context) {
	m := &h.res.Machine
	m.CPUs = runtime.NumCPU()
	m.LoadAvgStart = loadAvg()
	if out, err := h.output(ctx, "", "lscpu"); err == nil {
		for line := range strings.Lines(out) {
			if v, ok := strings.CutPrefix(line, "Model name:"); ok {
				m.CPU = strings.TrimSpace(v)
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(data))
	}
	if out, err := h.output(ctx, "", "go", "version"); err == nil {
		m.GoVersion = strings.TrimSpace(out)
	}
	if _, err := exec.LookPath("taskset"); h.opts.Pin && err == nil && m.CPUs >= 2 {
		m.Pinned = true
		m.ServerCPU = fmt.Sprint(m.CPUs - 1)
		m.LoadCPU = fmt.Sprintf("0-%d", m.CPUs-2)
		if m.CPUs == 2 {
			m.LoadCPU = "0"
		}
		h.pinServer = []string{"taskset", "-c", m.ServerCPU}
		h.pinLoad = []string{"taskset", "-c", m.LoadCPU}
	}
	h.logf("machine: %s, %d CPUs, %s, %s, pinned %v", m.CPU, m.CPUs, m.Kernel, m.GoVersion, m.Pinned)
}

// run runs argv in dir with env added to the harness's, failing with its
// output.
func (h *harness) run(ctx context.Context, dir string, env []string, argv ...string) error {
	line := shellJoin(append(slices.Clone(env), argv...))
	switch dir {
	case h.opts.RepoDir:
	case h.opts.BenchDir:
		line = "cd bench && " + line
	default:
		line = "cd " + dir + " && " + line
	}
	h.logf("$ %s", h.short(line))
	h.record(line)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", h.short(shellJoin(argv)), err, out)
	}
	return nil
}

// output runs argv in dir and returns its standard output.
func (h *harness) output(ctx context.Context, dir string, argv ...string) (string, error) {
	out, _, err := h.outputCPU(ctx, dir, argv...)
	return out, err
}

// outputCPU runs argv in dir and returns its standard output and the
// user+system CPU time it used.
func (h *harness) outputCPU(ctx context.Context, dir string, argv ...string) (string, float64, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", 0, fmt.Errorf("%s: %w\n%s", h.short(shellJoin(argv)), err, stderr.Bytes())
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return stdout.String(), cpu.Seconds(), nil
}

// record adds commands to the results' list, once each, with the work
// folder written as $WORK.
func (h *harness) record(cmds ...string) {
	for _, c := range cmds {
		c = h.short(c)
		if !h.recorded[c] {
			h.recorded[c] = true
			h.res.Commands = append(h.res.Commands, c)
		}
	}
}

func (h *harness) short(s string) string {
	if h.work == "" {
		return s
	}
	return strings.ReplaceAll(s, h.work, "$WORK")
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.opts.Log, "peers: "+format+"\n", args...)
}

// shellJoin joins argv into a line a POSIX shell reads back as argv.
func shellJoin(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = shellQuote(a)
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%$", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// loadAvg returns the first three fields of /proc/loadavg.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}
