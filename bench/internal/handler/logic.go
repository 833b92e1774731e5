package handler

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	benchv1 "github.com/new-service/new-service/bench/gen/bench/v1"
)

// MaxStream is the largest count a Stream call may ask for.
const MaxStream = 1_000_000

// Echo answers req with its own message. It does no work of its own, so
// that a benchmark of it measures the server around it.
func Echo(_ context.Context, req *benchv1.EchoRequest) (*benchv1.EchoResponse, error) {
	return &benchv1.EchoResponse{Message: req.GetMessage()}, nil
}

// Stream sends req's count responses through send, each carrying req's
// message and its index, and stops at the first error send returns. A
// count outside 0..[MaxStream] is INVALID_ARGUMENT.
func Stream(req *benchv1.StreamRequest, send func(*benchv1.StreamResponse) error) error {
	n := req.GetCount()
	if n < 0 || n > MaxStream {
		return status.Errorf(codes.InvalidArgument, "count %d: want 0 to %d", n, MaxStream)
	}
	for i := range n {
		if err := send(&benchv1.StreamResponse{Message: req.GetMessage(), Index: i}); err != nil {
			return err
		}
	}
	return nil
}
