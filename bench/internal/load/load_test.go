package load_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/grpc"

	benchv1 "github.com/new-service/new-service/bench/gen/bench/v1"
	"github.com/new-service/new-service/bench/internal/handler"
	"github.com/new-service/new-service/bench/internal/load"
)

func grpcServer(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	benchv1.RegisterBenchServiceServer(srv, handler.Server{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func TestRun(t *testing.T) {
	addr := grpcServer(t)
	rest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Message string }
		if r.Method != http.MethodPost || r.URL.Path != "/v1/echo" || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		// Spaces as protojson may put them.
		w.Write([]byte(`{"message": ` + `"` + req.Message + `"}`))
	}))
	t.Cleanup(rest.Close)

	tests := []struct {
		name   string
		cfg    load.Config
		perMsg int64
	}{
		{name: "unary", cfg: load.Config{Mode: load.Unary, Target: addr, Concurrency: 4}, perMsg: 1},
		{name: "stream", cfg: load.Config{Mode: load.Stream, Target: addr, Concurrency: 2, StreamCount: 50}, perMsg: 50},
		{name: "rest", cfg: load.Config{Mode: load.REST, Target: rest.Listener.Addr().String(), Concurrency: 4}, perMsg: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Duration = 200 * time.Millisecond
			tt.cfg.Message = "hello"
			res, err := load.Run(context.Background(), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || res.Calls == 0 {
				t.Fatalf("calls %d, errors %d (%s); want some calls and no errors", res.Calls, res.Errors, res.FirstError)
			}
			if res.Messages != res.Calls*tt.perMsg {
				t.Errorf("messages = %d, want %d calls x %d", res.Messages, res.Calls, tt.perMsg)
			}
			if res.P50Ms <= 0 || res.P99Ms < res.P50Ms {
				t.Errorf("p50 %v ms, p99 %v ms: want 0 < p50 <= p99", res.P50Ms, res.P99Ms)
			}
		})
	}
}

func TestRunCountsErrors(t *testing.T) {
	addr := grpcServer(t)
	res, err := load.Run(context.Background(), load.Config{
		Mode: load.Stream, Target: addr, Concurrency: 1, Duration: 50 * time.Millisecond,
		StreamCount: handler.MaxStream + 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 0 || res.Errors == 0 || res.FirstError == "" {
		t.Errorf("calls %d, errors %d, first %q; want only errors", res.Calls, res.Errors, res.FirstError)
	}
}

func TestPercentile(t *testing.T) {
	ds := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {99, 10}, {100, 10}, {0, 1}, {10, 1}} {
		if got := load.Percentile(ds, tt.p); got != tt.want {
			t.Errorf("Percentile(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := load.Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
}
