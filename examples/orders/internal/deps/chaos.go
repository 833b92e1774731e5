package deps

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/new-service/new-service/examples/orders/apierr"
)

// Chaos injects faults, for conformance tests and game days, when the
// environment variable CHAOS is set; never set it in production. It is an
// example of the interceptors a service can add (see UnaryInterceptors).
// CHAOS is a comma-separated list of rules:
//
//	unavailable=0.1           fail that share of first attempts (never a
//	                          retry) with UNAVAILABLE before the handler runs,
//	                          evenly: every tenth call for 0.1
//	delay=/pkg.Svc/Method=3s  make the method wait that long first, or until
//	                          the call's deadline or cancellation
//	codes                     a call whose x-request-id is "chaos:code=N"
//	                          fails with code N (0: the handler runs)
type Chaos struct {
	unavailable float64
	delays      map[string]time.Duration
	codes       bool
	calls       atomic.Int64
}

// ParseChaos reads a CHAOS value; "" means no chaos (nil).
func ParseChaos(s string) (*Chaos, error) {
	if s == "" {
		return nil, nil
	}
	c := &Chaos{delays: map[string]time.Duration{}}
	for rule := range strings.SplitSeq(s, ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(rule), "=")
		switch key {
		case "unavailable":
			r, err := strconv.ParseFloat(value, 64)
			if err != nil || r <= 0 || r > 1 {
				return nil, fmt.Errorf("%q: want a share between 0 and 1", rule)
			}
			c.unavailable = r
		case "delay":
			method, d, ok := strings.Cut(value, "=")
			dur, err := time.ParseDuration(d)
			if !ok || err != nil || !strings.HasPrefix(method, "/") {
				return nil, fmt.Errorf("%q: want delay=/pkg.Service/Method=duration", rule)
			}
			c.delays[method] = dur
		case "codes":
			c.codes = true
		default:
			return nil, fmt.Errorf("%q: unknown rule; the rules are unavailable=, delay= and codes", rule)
		}
	}
	return c, nil
}

// Unary is the chaos interceptor. It leaves health checks alone: a probe
// failing at random would take pods out of rotation, which is not the fault
// being injected.
func (c *Chaos) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if strings.HasPrefix(info.FullMethod, "/grpc.health.v1.Health/") {
		return handler(ctx, req)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if c.codes {
		if ids := md.Get("x-request-id"); len(ids) > 0 {
			if n, ok := strings.CutPrefix(ids[0], "chaos:code="); ok {
				if code, err := strconv.Atoi(n); err == nil && code != 0 {
					return nil, apierr.New(codes.Code(code), "CHAOS", "injected %v", codes.Code(code))
				}
			}
		}
	}
	if c.unavailable > 0 && len(md.Get("grpc-previous-rpc-attempts")) == 0 {
		every := int64(1 / c.unavailable)
		if c.calls.Add(1)%every == 0 {
			return nil, apierr.Unavailable("injected: try again").WithReason("CHAOS")
		}
	}
	if d, ok := c.delays[info.FullMethod]; ok {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	return handler(ctx, req)
}
