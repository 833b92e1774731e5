// Command load is the peer benchmark's own load generator (package
// internal/load) as a process of its own, so the harness can pin it to a
// core apart from the server's. It prints its result as JSON.
//
// Usage:
//
//	load -mode unary|stream|rest -target HOST:PORT [-c 16] [-connections 1]
//	     [-d 5s] [-message hello] [-count 1000] [-timeout 20s]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/new-service/new-service/bench/internal/load"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "load: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var cfg load.Config
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.StringVar(&cfg.Mode, "mode", load.Unary, "unary (gRPC Echo), stream (gRPC Stream) or rest (POST /v1/echo)")
	fs.StringVar(&cfg.Target, "target", "", "`host:port` of the gRPC server or the REST gateway")
	fs.IntVar(&cfg.Concurrency, "c", 16, "calls in flight")
	fs.IntVar(&cfg.Connections, "connections", 1, "gRPC connections the calls share")
	fs.DurationVar(&cfg.Duration, "d", load.DefaultDuration, "how long to start new calls")
	fs.StringVar(&cfg.Message, "message", "hello", "the text every request carries")
	fs.IntVar(&cfg.StreamCount, "count", 1000, "messages each Stream call asks for")
	fs.DurationVar(&cfg.Timeout, "timeout", load.DefaultTimeout, "every call's deadline")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Target == "" {
		return fmt.Errorf("-target is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := load.Run(ctx, cfg)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
