// Command bare serves bench.v1.BenchService on a bare grpc-go server: the
// reference the peer benchmark compares every other server with.
//
// It is grpc.NewServer() with no options, the bench handler and the
// grpc.health.v1 service: no interceptors, no stats handler, no logging,
// no metrics, no tracing. Its admin address serves only the allocation
// counter the harness reads (package internal/admin).
//
// Usage:
//
//	bare -grpc 127.0.0.1:50051 -admin 127.0.0.1:9090
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	benchv1 "github.com/new-service/new-service/bench/gen/bench/v1"
	"github.com/new-service/new-service/bench/internal/admin"
	"github.com/new-service/new-service/bench/internal/handler"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "bare: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	grpcAddr := fs.String("grpc", "127.0.0.1:50051", "gRPC listen `address`")
	adminAddr := fs.String("admin", "127.0.0.1:9090", "admin listen `address` (GET /metrics: the allocation counter)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	lis, err := net.Listen("tcp", *grpcAddr)
	if err != nil {
		return err
	}
	adminLis, err := net.Listen("tcp", *adminAddr)
	if err != nil {
		return err
	}
	srv := grpc.NewServer()
	benchv1.RegisterBenchServiceServer(srv, handler.Server{})
	healthpb.RegisterHealthServer(srv, health.NewServer())
	adminSrv := &http.Server{Handler: admin.Handler()}
	go func() { _ = adminSrv.Serve(adminLis) }()
	go func() {
		<-ctx.Done()
		_ = adminSrv.Close()
		srv.Stop()
	}()
	return srv.Serve(lis)
}
