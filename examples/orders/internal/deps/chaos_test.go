package deps

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestParseChaos(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{name: "off", in: ""},
		{name: "all rules", in: "unavailable=0.1,delay=/a.B/C=2s,codes"},
		{name: "share out of range", in: "unavailable=2", wantErr: true},
		{name: "delay without a method", in: "delay=2s", wantErr: true},
		{name: "unknown rule", in: "explode", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseChaos(tt.in); (err != nil) != tt.wantErr {
				t.Errorf("ParseChaos(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestChaosUnary(t *testing.T) {
	c, err := ParseChaos("unavailable=0.25,codes,delay=/a.B/Slow=1h")
	if err != nil {
		t.Fatal(err)
	}
	ok := func(context.Context, any) (any, error) { return "ok", nil }
	call := func(ctx context.Context, method string) error {
		_, err := c.Unary(ctx, nil, &grpc.UnaryServerInfo{FullMethod: method}, ok)
		return err
	}
	var failed int
	for range 100 {
		if status.Code(call(context.Background(), "/a.B/C")) == codes.Unavailable {
			failed++
		}
	}
	if failed != 25 {
		t.Errorf("%d of 100 first attempts failed, want 25", failed)
	}
	retry := metadata.NewIncomingContext(context.Background(), metadata.Pairs("grpc-previous-rpc-attempts", "1"))
	for range 100 {
		if err := call(retry, "/a.B/C"); err != nil {
			t.Fatalf("a retry failed: %v", err)
		}
	}
	for range 100 {
		if err := call(context.Background(), "/grpc.health.v1.Health/Check"); err != nil {
			t.Fatalf("a health check failed: %v", err)
		}
	}
	coded := metadata.NewIncomingContext(context.Background(), metadata.Pairs("x-request-id", "chaos:code=5", "grpc-previous-rpc-attempts", "1"))
	if got := status.Code(call(coded, "/a.B/C")); got != codes.NotFound {
		t.Errorf("chaos:code=5 gave %v, want NotFound", got)
	}
	ctx, cancel := context.WithTimeout(retry, 10*time.Millisecond)
	defer cancel()
	if got := status.Code(call(ctx, "/a.B/Slow")); got != codes.DeadlineExceeded {
		t.Errorf("a delayed call past its deadline gave %v, want DeadlineExceeded", got)
	}
}
