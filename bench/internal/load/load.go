// Package load is the harness's own load generator, for what ghz does not
// measure: messages per second of a server stream, and the generated
// service's REST gateway beside direct gRPC through the same client code.
//
// A run keeps Concurrency workers busy for Duration, each issuing one call
// after another; calls still in flight when the time is up finish and are
// counted. Latency is recorded per call (for a stream: from the call to its
// last message).
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	benchv1 "github.com/new-service/new-service/bench/gen/bench/v1"
)

// Modes of a run.
const (
	// Unary calls bench.v1.BenchService/Echo over gRPC.
	Unary = "unary"
	// Stream calls bench.v1.BenchService/Stream over gRPC and reads every
	// message.
	Stream = "stream"
	// REST posts to Echo's REST binding, POST /v1/echo, over HTTP/1.1 with
	// keep-alive.
	REST = "rest"
)

// Config is one run.
type Config struct {
	// Mode is [Unary], [Stream] or [REST].
	Mode string
	// Target is host:port of the gRPC server, or of the REST gateway.
	Target string
	// Concurrency is the number of calls kept in flight (default 16).
	Concurrency int
	// Connections is the number of gRPC connections the calls share
	// (default 1); REST opens one keep-alive connection per worker.
	Connections int
	// Duration is how long new calls are started (default 5s).
	Duration time.Duration
	// Message is the text every request carries.
	Message string
	// StreamCount is how many messages each Stream call asks for (default
	// 1000).
	StreamCount int
	// Timeout is every call's deadline (default 20s, as ghz's), sent to the
	// server as grpc-timeout.
	Timeout time.Duration
}

// Defaults of a [Config].
const (
	DefaultDuration = 5 * time.Second
	DefaultTimeout  = 20 * time.Second
)

func (c *Config) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.Connections <= 0 {
		c.Connections = 1
	}
	if c.Duration <= 0 {
		c.Duration = DefaultDuration
	}
	if c.StreamCount <= 0 {
		c.StreamCount = 1000
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
}

// Result is what a run measured.
type Result struct {
	Mode string `json:"mode"`
	// Calls is the number of calls that succeeded; Errors those that did
	// not, and FirstError the first of them.
	Calls      int64  `json:"calls"`
	Errors     int64  `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	// Messages is the number of response messages received (for unary and
	// REST, one per successful call).
	Messages int64 `json:"messages"`
	// Seconds is the wall time from the first call to the last answer.
	Seconds           float64 `json:"seconds"`
	CallsPerSecond    float64 `json:"calls_per_second"`
	MessagesPerSecond float64 `json:"messages_per_second"`
	// P50Ms and P99Ms are per-call latencies of successful calls, in
	// milliseconds.
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
}

// caller makes one call and returns the number of messages it received.
type caller func(ctx context.Context, worker int) (int64, error)

// Run runs cfg until its duration is over or ctx is done.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg.defaults()
	call, closeFn, err := newCaller(cfg)
	if err != nil {
		return Result{}, err
	}
	defer closeFn()

	type worker struct {
		latencies       []time.Duration
		messages, fails int64
		firstErr        error
	}
	workers := make([]worker, cfg.Concurrency)
	start := time.Now()
	stopAt := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		w.latencies = make([]time.Duration, 0, 1<<14)
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(stopAt) {
				callCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
				t0 := time.Now()
				n, err := call(callCtx, i)
				d := time.Since(t0)
				cancel()
				if err != nil {
					w.fails++
					if w.firstErr == nil {
						w.firstErr = err
					}
					continue
				}
				w.messages += n
				w.latencies = append(w.latencies, d)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	res := Result{Mode: cfg.Mode, Seconds: elapsed.Seconds()}
	var all []time.Duration
	for _, w := range workers {
		all = append(all, w.latencies...)
		res.Messages += w.messages
		res.Errors += w.fails
		if w.firstErr != nil && res.FirstError == "" {
			res.FirstError = w.firstErr.Error()
		}
	}
	res.Calls = int64(len(all))
	res.CallsPerSecond = float64(res.Calls) / elapsed.Seconds()
	res.MessagesPerSecond = float64(res.Messages) / elapsed.Seconds()
	slices.Sort(all)
	res.P50Ms = ms(Percentile(all, 50))
	res.P99Ms = ms(Percentile(all, 99))
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

// Percentile returns the p-th percentile of sorted (nearest rank), or 0
// for an empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func newCaller(cfg Config) (caller, func(), error) {
	switch cfg.Mode {
	case Unary, Stream:
		return grpcCaller(cfg)
	case REST:
		return restCaller(cfg), func() {}, nil
	default:
		return nil, nil, fmt.Errorf("mode %q: want %s, %s or %s", cfg.Mode, Unary, Stream, REST)
	}
}

func grpcCaller(cfg Config) (caller, func(), error) {
	clients := make([]benchv1.BenchServiceClient, cfg.Connections)
	conns := make([]*grpc.ClientConn, 0, cfg.Connections)
	closeAll := func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}
	for i := range clients {
		conn, err := grpc.NewClient(cfg.Target, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("connect %s: %w", cfg.Target, err)
		}
		conns = append(conns, conn)
		clients[i] = benchv1.NewBenchServiceClient(conn)
	}
	if cfg.Mode == Unary {
		req := &benchv1.EchoRequest{Message: cfg.Message}
		return func(ctx context.Context, worker int) (int64, error) {
			resp, err := clients[worker%len(clients)].Echo(ctx, req)
			if err != nil {
				return 0, err
			}
			if resp.GetMessage() != cfg.Message {
				return 0, fmt.Errorf("echo answered %q, want %q", resp.GetMessage(), cfg.Message)
			}
			return 1, nil
		}, closeAll, nil
	}
	req := &benchv1.StreamRequest{Message: cfg.Message, Count: int32(cfg.StreamCount)}
	return func(ctx context.Context, worker int) (int64, error) {
		stream, err := clients[worker%len(clients)].Stream(ctx, req)
		if err != nil {
			return 0, err
		}
		var n int64
		for {
			_, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return n, err
			}
			n++
		}
		if n != int64(cfg.StreamCount) {
			return n, fmt.Errorf("stream ended after %d messages, want %d", n, cfg.StreamCount)
		}
		return n, nil
	}, closeAll, nil
}

func restCaller(cfg Config) caller {
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns:        cfg.Concurrency,
		MaxIdleConnsPerHost: cfg.Concurrency,
		DisableCompression:  true,
	}}
	url := "http://" + cfg.Target + "/v1/echo"
	body, _ := json.Marshal(map[string]string{"message": cfg.Message})
	return func(ctx context.Context, _ int) (int64, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		got, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(got))
		}
		var echo struct{ Message string }
		if err := json.Unmarshal(got, &echo); err != nil || echo.Message != cfg.Message {
			return 0, fmt.Errorf("POST %s answered %s, want the message %q", url, got, cfg.Message)
		}
		return 1, nil
	}
}
