package handler_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	benchv1 "github.com/new-service/new-service/bench/gen/bench/v1"
	"github.com/new-service/new-service/bench/internal/handler"
)

func TestEcho(t *testing.T) {
	resp, err := handler.Echo(context.Background(), &benchv1.EchoRequest{Message: "hi"})
	if err != nil || resp.GetMessage() != "hi" {
		t.Fatalf("Echo(hi) = %v, %v; want hi, nil", resp, err)
	}
}

func TestStream(t *testing.T) {
	tests := []struct {
		name     string
		count    int32
		sendErr  error
		wantSent int
		wantCode codes.Code
	}{
		{name: "none", count: 0, wantSent: 0, wantCode: codes.OK},
		{name: "some", count: 5, wantSent: 5, wantCode: codes.OK},
		{name: "negative", count: -1, wantSent: 0, wantCode: codes.InvalidArgument},
		{name: "too many", count: handler.MaxStream + 1, wantSent: 0, wantCode: codes.InvalidArgument},
		{name: "send fails", count: 5, sendErr: errors.New("gone"), wantSent: 1, wantCode: codes.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []*benchv1.StreamResponse
			err := handler.Stream(&benchv1.StreamRequest{Message: "m", Count: tt.count}, func(r *benchv1.StreamResponse) error {
				got = append(got, r)
				return tt.sendErr
			})
			if code := status.Code(err); code != tt.wantCode {
				t.Errorf("code = %s, want %s (err %v)", code, tt.wantCode, err)
			}
			if len(got) != tt.wantSent {
				t.Fatalf("sent %d messages, want %d", len(got), tt.wantSent)
			}
			for i, r := range got {
				if r.GetMessage() != "m" || r.GetIndex() != int32(i) {
					t.Errorf("message %d = %v, want {m %d}", i, r, i)
				}
			}
		})
	}
}

func TestLogicSource(t *testing.T) {
	// The harness copies logic.go into the generated service: it must be
	// the file, and import nothing that service lacks.
	if !strings.HasPrefix(handler.LogicSource, "package handler\n") {
		t.Fatalf("LogicSource does not start with the package clause:\n%.80s", handler.LogicSource)
	}
	for _, imp := range []string{`"context"`, `"google.golang.org/grpc/codes"`, `"google.golang.org/grpc/status"`, `"github.com/new-service/new-service/bench/gen/bench/v1"`} {
		if !strings.Contains(handler.LogicSource, imp) {
			t.Errorf("LogicSource does not import %s", imp)
		}
	}
}
