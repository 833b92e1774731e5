// Command peers runs the peer benchmark: the service new-service generates
// beside a bare grpc-go server, go-kratos/kratos v2 and zeromicro/go-zero,
// all serving the same handler, measured in one run (see package
// internal/harness for how). It writes the results as JSON, the chart as
// SVG and the tables as Markdown.
//
// Usage, from the bench folder:
//
//	go run ./cmd/peers [flags]
//
// With the defaults it takes about seven minutes on two cores with warm
// caches (two of them the traced scenario, which -traced=false leaves out;
// the first build of kratos and go-zero adds about five), up to ten more
// when other processes keep the machine busy (-noise-budget), and never
// more than -timeout. -from re-renders the chart and the tables from a
// results file without measuring anything.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/new-service/new-service/bench/internal/harness"
	"github.com/new-service/new-service/bench/internal/report"
)

func main() {
	err := run(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "peers: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	o := harness.DefaultOptions()
	fs := flag.NewFlagSet("peers", flag.ContinueOnError)
	fs.StringVar(&o.RepoDir, "repo", o.RepoDir, "the new-service repository (where cmd/new-service is)")
	fs.StringVar(&o.WorkDir, "work", "", "folder for binaries, the generated service and server logs (default: a temporary folder, removed afterwards)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary work folder")
	fs.IntVar(&o.Rounds, "rounds", o.Rounds, "rounds; every server is measured once per round in every scenario")
	fs.DurationVar(&o.UnaryDuration, "unary", o.UnaryDuration, "duration of each ghz run")
	fs.DurationVar(&o.StreamDuration, "stream", o.StreamDuration, "duration of each streaming run")
	fs.DurationVar(&o.GatewayDuration, "gateway", o.GatewayDuration, "duration of each REST and gRPC run on the generated service")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "duration of the unmeasured warm-up runs (0: none)")
	fs.IntVar(&o.Concurrency, "c", o.Concurrency, "concurrent unary calls")
	fs.IntVar(&o.Connections, "connections", o.Connections, "gRPC connections the calls share")
	fs.IntVar(&o.StreamConcurrency, "streams", o.StreamConcurrency, "concurrent streams")
	fs.IntVar(&o.StreamCount, "count", o.StreamCount, "messages per stream")
	fs.IntVar(&o.GenRuns, "genruns", o.GenRuns, "how many times new-service new and update are timed")
	fs.Float64Var(&o.MaxOther, "max-other", o.MaxOther, "retake a sample during which other processes used more than this share of a core")
	fs.IntVar(&o.Retakes, "retakes", o.Retakes, "how many times a noisy sample is retaken (the quietest is kept)")
	fs.DurationVar(&o.QuietWait, "quiet-wait", o.QuietWait, "how long to wait for the machine to be quiet before each sample")
	fs.DurationVar(&o.NoiseBudget, "noise-budget", o.NoiseBudget, "bound of the time spent waiting for quiet and retaking over the whole run")
	fs.StringVar(&o.Ghz, "ghz", "", "ghz binary to use (default: go install "+harness.GhzModule+")")
	fs.BoolVar(&o.Pin, "pin", o.Pin, "pin servers and load generators to different cores with taskset")
	fs.BoolVar(&o.Traced, "traced", o.Traced, "also measure the traced scenario: ghz on the health Check for -unary per server and round, the instrumented servers sampling every call")
	fs.Func("server-env", "KEY=VALUE added to every server's environment, the same for all four (repeatable), e.g. GOGC=400", func(v string) error {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return fmt.Errorf("want KEY=VALUE, got %q", v)
		}
		o.ServerEnv = append(o.ServerEnv, v)
		return nil
	})
	timeout := fs.Duration("timeout", 30*time.Minute, "bound of the whole run")
	out := fs.String("out", "results/peers.json", "results file")
	svg := fs.String("svg", "../docs/bench-peers.svg", "chart file (empty: none)")
	md := fs.String("md", "results/peers.md", "tables file (empty: none)")
	from := fs.String("from", "", "render -svg and -md from this results file and measure nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	var res *report.Results
	if *from != "" {
		var err error
		if res, err = report.Read(*from); err != nil {
			return err
		}
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
		var err error
		if res, err = harness.Run(ctx, o); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			return err
		}
		if err := report.Write(*out, res); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "peers: results in %s (%.0f s)\n", *out, res.Seconds)
	}
	if *svg != "" {
		if err := os.WriteFile(*svg, []byte(report.SVG(res)), 0o644); err != nil {
			return err
		}
	}
	tables := report.Markdown(res)
	if *md != "" {
		if err := os.MkdirAll(filepath.Dir(*md), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(*md, []byte(tables), 0o644); err != nil {
			return err
		}
	}
	fmt.Print(tables)
	return nil
}
