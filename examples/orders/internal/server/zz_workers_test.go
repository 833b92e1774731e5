package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"runtime"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/new-service/new-service/examples/orders/internal/server"
)

func BenchmarkZZWorkers(b *testing.B) {
	for _, workers := range []bool{false, true} {
		name := "bare"
		var opts []grpc.ServerOption
		if workers {
			name = "bare-workers"
			opts = append(opts, grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))))
		}
		b.Run(name, func(b *testing.B) {
			s := grpc.NewServer(opts...)
			healthpb.RegisterHealthServer(s, health.NewServer())
			lis, _ := net.Listen("tcp", "127.0.0.1:0")
			go s.Serve(lis)
			b.Cleanup(s.Stop)
			benchCheck(b, lis.Addr().String())
		})
	}
	for _, workers := range []bool{false, true} {
		name := "service"
		var sopts []server.Option
		if workers {
			name = "service-workers"
			sopts = append(sopts, server.WithGRPCServerOptions(grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0)))))
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			tp, _ := server.NewTracerProvider(ctx, "bench", func(string) string { return "" })
			logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
			srv, err := server.New(ctx, loopbackConfig(), logger, append(sopts, server.WithTracerProvider(tp))...)
			if err != nil {
				b.Fatal(err)
			}
			serveCtx, stop := context.WithCancel(ctx)
			srv.Listen(serveCtx)
			done := make(chan error, 1)
			go func() { done <- srv.Serve(serveCtx) }()
			b.Cleanup(func() { stop(); <-done })
			benchCheck(b, srv.GRPCAddr().String())
		})
	}
}
