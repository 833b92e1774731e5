// Package handler is the one implementation of bench.v1.BenchService that
// every server of the peer benchmark serves, so that the servers differ only
// in the framework around it.
//
// The logic lives in logic.go, which imports nothing but the generated API
// and grpc's status: the harness copies that file, as [LogicSource], into the
// service that new-service generates, and the other servers register
// [Server], which calls the same functions.
package handler

import (
	"context"
	_ "embed"

	"google.golang.org/grpc"

	benchv1 "github.com/new-service/new-service/bench/gen/bench/v1"
)

// LogicSource is the text of logic.go, which the harness writes into the
// generated service's handler package (with its package clause changed).
//
//go:embed logic.go
var LogicSource string

// Server implements bench.v1.BenchService with [Echo] and [Stream].
type Server struct {
	benchv1.UnimplementedBenchServiceServer
}

// Echo implements bench.v1.BenchService.Echo.
func (Server) Echo(ctx context.Context, req *benchv1.EchoRequest) (*benchv1.EchoResponse, error) {
	return Echo(ctx, req)
}

// Stream implements bench.v1.BenchService.Stream.
func (Server) Stream(req *benchv1.StreamRequest, stream grpc.ServerStreamingServer[benchv1.StreamResponse]) error {
	return Stream(req, stream.Send)
}
