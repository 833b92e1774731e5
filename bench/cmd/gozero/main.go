// Command gozero serves bench.v1.BenchService on a zeromicro/go-zero zrpc
// server with go-zero's defaults and its Prometheus metrics and
// OpenTelemetry tracing on; config.yaml (embedded) is the whole
// configuration and says what each setting does. The unary chain is then
// go-zero's: tracing, recovery, stat (a JSON log line per call with the
// request's content, and go-zero's stat counters), Prometheus
// (rpc_server_requests_duration_ms, rpc_server_requests_code_total),
// breaker, adaptive load shedding and the 2s timeout; streams get tracing,
// recovery and breaker.
//
// -sample overrides config.yaml's Telemetry.Sampler, the ratio of new
// traces sampled (0.1; go-zero's own default is 1, every call).
//
// The admin address is go-zero's DevServer: GET /metrics is
// promhttp.Handler() on the default registry, with the Go collector's
// go_memstats_mallocs_total that the harness reads.
//
// Usage:
//
//	gozero -grpc 127.0.0.1:50051 -admin 127.0.0.1:6060 [-sample 0.1]
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/zeromicro/go-zero/core/conf"
	"github.com/zeromicro/go-zero/zrpc"
	"google.golang.org/grpc"

	benchv1 "github.com/new-service/new-service/bench/gen/bench/v1"
	"github.com/new-service/new-service/bench/internal/handler"
)

//go:embed config.yaml
var config []byte

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "gozero: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var c zrpc.RpcServerConf
	if err := conf.LoadFromYamlBytes(config, &c); err != nil {
		return fmt.Errorf("config.yaml: %w", err)
	}
	fs := flag.NewFlagSet("gozero", flag.ContinueOnError)
	grpcAddr := fs.String("grpc", "127.0.0.1:50051", "gRPC listen `address`")
	adminAddr := fs.String("admin", "127.0.0.1:6060", "admin (DevServer) listen `address`")
	fs.Float64Var(&c.Telemetry.Sampler, "sample", c.Telemetry.Sampler, "`ratio` of new traces sampled, 0 to 1 (1: every call); overrides config.yaml's Telemetry.Sampler")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.Telemetry.Sampler < 0 || c.Telemetry.Sampler > 1 {
		return fmt.Errorf("-sample %v: want a ratio between 0 and 1", c.Telemetry.Sampler)
	}
	c.ListenOn = *grpcAddr
	host, port, err := net.SplitHostPort(*adminAddr)
	if err != nil {
		return fmt.Errorf("-admin %q: %w", *adminAddr, err)
	}
	c.DevServer.Host = host
	if c.DevServer.Port, err = strconv.Atoi(port); err != nil {
		return fmt.Errorf("-admin %q: %w", *adminAddr, err)
	}

	s, err := zrpc.NewServer(c, func(g *grpc.Server) {
		benchv1.RegisterBenchServiceServer(g, handler.Server{})
	})
	if err != nil {
		return err
	}
	defer s.Stop()
	s.Start()
	return nil
}
