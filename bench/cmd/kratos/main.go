// Command kratos serves bench.v1.BenchService on go-kratos/kratos v2's gRPC
// transport with the middleware a kratos service runs in production, as
// kratos-layout wires it:
//
//   - recovery.Recovery();
//   - tracing.Server(): an OpenTelemetry server span per call, from the
//     global TracerProvider, here the OpenTelemetry SDK sampling 10% of new
//     traces (ParentBased(TraceIDRatioBased(0.1)), as the generated service
//     does by default; -sample sets the ratio, 1 samples every call) with
//     no exporter;
//   - metrics.Server(): kratos's request counter (server_requests_code_total)
//     and latency histogram (server_requests_seconds_bucket), OpenTelemetry
//     instruments exported to Prometheus by
//     go.opentelemetry.io/otel/exporters/prometheus on the default registry;
//   - logging.Server(): one line per call through log.NewStdLogger(os.Stdout)
//     with kratos-layout's fields (ts, caller, service, trace and span IDs).
//
// Everything else is kratos's default: the transport's 1s per-call timeout,
// its health and metadata services, reflection. Kratos's middleware runs per
// unary call; streams pass through its transport interceptor only (its
// StreamMiddleware option runs middleware per message, which is not what a
// kratos service configures for tracing or logging).
//
// The admin address is a kratos HTTP transport server with GET /metrics
// (promhttp.Handler(): the default registry, with the Go collector's
// go_memstats_mallocs_total that the harness reads).
//
// Usage:
//
//	kratos -grpc 127.0.0.1:50051 -admin 127.0.0.1:9090 [-sample 0.1]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware/logging"
	"github.com/go-kratos/kratos/v2/middleware/metrics"
	"github.com/go-kratos/kratos/v2/middleware/recovery"
	"github.com/go-kratos/kratos/v2/middleware/tracing"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"

	benchv1 "github.com/new-service/new-service/bench/gen/bench/v1"
	"github.com/new-service/new-service/bench/internal/handler"
)

const name = "bench-kratos"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "kratos: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("kratos", flag.ContinueOnError)
	grpcAddr := fs.String("grpc", "127.0.0.1:50051", "gRPC listen `address`")
	adminAddr := fs.String("admin", "127.0.0.1:9090", "admin listen `address` (GET /metrics)")
	sample := fs.Float64("sample", 0.1, "`ratio` of new traces sampled, 0 to 1 (1: every call)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sample < 0 || *sample > 1 {
		return fmt.Errorf("-sample %v: want a ratio between 0 and 1", *sample)
	}

	logger := log.With(log.NewStdLogger(os.Stdout),
		"ts", log.DefaultTimestamp,
		"caller", log.DefaultCaller,
		"service.name", name,
		"trace.id", tracing.TraceID(),
		"span.id", tracing.SpanID(),
	)

	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(*sample))),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(name))),
	)
	otel.SetTracerProvider(tp)

	exporter, err := otelprom.New()
	if err != nil {
		return fmt.Errorf("prometheus exporter: %w", err)
	}
	meter := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter)).Meter(name)
	requests, err := metrics.DefaultRequestsCounter(meter, metrics.DefaultServerRequestsCounterName)
	if err != nil {
		return err
	}
	seconds, err := metrics.DefaultSecondsHistogram(meter, metrics.DefaultServerSecondsHistogramName)
	if err != nil {
		return err
	}

	gs := grpc.NewServer(
		grpc.Address(*grpcAddr),
		grpc.Middleware(
			recovery.Recovery(),
			tracing.Server(),
			metrics.Server(metrics.WithRequests(requests), metrics.WithSeconds(seconds)),
			logging.Server(logger),
		),
	)
	benchv1.RegisterBenchServiceServer(gs, handler.Server{})

	hs := http.NewServer(http.Address(*adminAddr))
	hs.Handle("/metrics", promhttp.Handler())

	app := kratos.New(
		kratos.Name(name),
		kratos.Logger(logger),
		kratos.Server(gs, hs),
	)
	return app.Run()
}
