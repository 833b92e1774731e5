package orderservice

import (
	"context"
	"github.com/new-service/new-service/examples/orders/apierr/apierrtest"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
	"github.com/new-service/new-service/examples/orders/internal/deps"
	"github.com/new-service/new-service/examples/orders/internal/platform"
)

// take is one write in a limiter test: the clock moves by advance, then
// caller writes.
type take struct {
	advance time.Duration
	caller  string
}

func TestWriteLimiter(t *testing.T) {
	perSecond := func(n float64, burst int) deps.Rate { return deps.Rate{Events: n, Per: time.Second, Burst: burst} }
	tests := []struct {
		name  string
		rate  deps.Rate
		takes []take
		want  []time.Duration // each take's wait; 0 when allowed
	}{
		{
			name:  "a burst, then a token every 50ms",
			rate:  perSecond(20, 2),
			takes: []take{{0, "a"}, {0, "a"}, {0, "a"}, {30 * time.Millisecond, "a"}, {20 * time.Millisecond, "a"}, {0, "a"}},
			want:  []time.Duration{0, 0, 50 * time.Millisecond, 20 * time.Millisecond, 0, 50 * time.Millisecond},
		},
		{
			name:  "a refused write takes no token",
			rate:  perSecond(20, 1),
			takes: []take{{0, "a"}, {0, "a"}, {0, "a"}, {50 * time.Millisecond, "a"}},
			want:  []time.Duration{0, 50 * time.Millisecond, 50 * time.Millisecond, 0},
		},
		{
			name:  "callers have their own buckets",
			rate:  perSecond(20, 1),
			takes: []take{{0, "a"}, {0, "a"}, {0, "b"}, {0, "b"}},
			want:  []time.Duration{0, 50 * time.Millisecond, 0, 50 * time.Millisecond},
		},
		{
			name:  "a quiet caller gets its burst back, and no more",
			rate:  perSecond(20, 2),
			takes: []take{{0, "a"}, {0, "a"}, {time.Hour, "a"}, {0, "a"}, {0, "a"}},
			want:  []time.Duration{0, 0, 0, 0, 50 * time.Millisecond},
		},
		{
			name:  "waits round up to the millisecond",
			rate:  perSecond(3, 1),
			takes: []take{{0, "a"}, {0, "a"}, {333 * time.Millisecond, "a"}},
			want:  []time.Duration{0, 334 * time.Millisecond, time.Millisecond},
		},
		{
			name:  "a hand-built rate without a burst allows one at a time",
			rate:  deps.Rate{Events: 20, Per: time.Second},
			takes: []take{{0, "a"}, {0, "a"}},
			want:  []time.Duration{0, 50 * time.Millisecond},
		},
		{
			name:  "a rate per minute",
			rate:  deps.Rate{Events: 2, Per: time.Minute, Burst: 1},
			takes: []take{{0, "a"}, {0, "a"}, {10 * time.Second, "a"}, {20 * time.Second, "a"}},
			want:  []time.Duration{0, 30 * time.Second, 20 * time.Second, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: t0}
			l := newWriteLimiter(tt.rate, clock.Now)
			var got []time.Duration
			for _, tk := range tt.takes {
				clock.Advance(tk.advance)
				got = append(got, l.take(tk.caller))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("waits mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteLimiterMemory checks that the limiter forgets the buckets of
// callers that went quiet, and keeps at most maxCallers.
func TestWriteLimiterMemory(t *testing.T) {
	tests := []struct {
		name        string
		maxCallers  int
		takes       []take
		wantBuckets []string
	}{
		{
			// 20/s with bursts of 40 fills an empty bucket in 2s.
			name:        "buckets are forgotten once full again",
			maxCallers:  defaultMaxCallers,
			takes:       []take{{0, "a"}, {0, "b"}, {time.Second, "c"}, {time.Second, "d"}},
			wantBuckets: []string{"c", "d"},
		},
		{
			name:        "a bucket in use is kept",
			maxCallers:  defaultMaxCallers,
			takes:       []take{{0, "a"}, {0, "b"}, {time.Second, "a"}, {time.Second, "d"}},
			wantBuckets: []string{"a", "d"},
		},
		{
			name:        "past the cap, the least recently used is forgotten",
			maxCallers:  2,
			takes:       []take{{0, "a"}, {0, "b"}, {0, "a"}, {0, "c"}},
			wantBuckets: []string{"a", "c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: t0}
			l := newWriteLimiter(deps.DefaultWriteRate, clock.Now)
			l.maxCallers = tt.maxCallers
			for _, tk := range tt.takes {
				clock.Advance(tk.advance)
				l.take(tk.caller)
			}
			var got []string
			for caller := range l.buckets {
				got = append(got, caller)
			}
			slices.Sort(got)
			if diff := cmp.Diff(tt.wantBuckets, got); diff != "" {
				t.Errorf("buckets mismatch (-want +got):\n%s", diff)
			}
			if l.lru.Len() != len(l.buckets) {
				t.Errorf("LRU list has %d buckets, map %d", l.lru.Len(), len(l.buckets))
			}
		})
	}
}

// callFrom returns a context of a call whose caller the server
// established as addr (and principal, if given).
func callFrom(addr string, principal ...string) context.Context {
	c := platform.Caller{Addr: netip.MustParseAddr(addr), Via: "peer"}
	if len(principal) > 0 {
		c.Principal = principal[0]
	}
	return platform.WithCaller(context.Background(), c)
}

// TestCallerOf checks that writes are counted against the caller the
// server established; how it is established (certificates, trusted
// proxies, the gateway) is the server's, tested there.
func TestCallerOf(t *testing.T) {
	tests := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{name: "the address", ctx: callFrom("10.0.0.1"), want: "10.0.0.1"},
		{name: "an IPv6 caller by its /64", ctx: callFrom("2001:db8:1:2:aaaa::1"), want: "2001:db8:1:2::/64"},
		{name: "a client certificate's identity", ctx: callFrom("10.0.0.1", "spiffe://example.org/ns/shop/sa/web"), want: "spiffe://example.org/ns/shop/sa/web"},
		{name: "no caller", ctx: context.Background(), want: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := callerOf(tt.ctx); got != tt.want {
				t.Errorf("callerOf = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestWriteLimits checks that the four writes, and only they, count
// against the caller's write rate, and what a refused caller is told.
func TestWriteLimits(t *testing.T) {
	// The requests pass the rules orders.proto declares, which the server
	// checks before the handler (and so before the write limit): a create
	// that succeeds, and writes to an order that does not exist.
	missing := &ordersv1.Order{Shop: "s", OrderId: "missing", Note: "x"}
	tests := []struct {
		name    string
		call    func(ctx context.Context, s *Service) error
		limited bool
		// code and reason are the answer when the limit lets the call in.
		code   codes.Code
		reason string
	}{
		{name: "CreateOrder", call: func(ctx context.Context, s *Service) error {
			_, err := checked(s.CreateOrder, ctx, &ordersv1.CreateOrderRequest{Shop: "s", Order: &ordersv1.Order{Items: []*ordersv1.LineItem{item("A", 1, 1, 0)}}})
			return err
		}, limited: true, code: codes.OK},
		{name: "UpdateOrder", call: func(ctx context.Context, s *Service) error {
			_, err := checked(s.UpdateOrder, ctx, &ordersv1.UpdateOrderRequest{Order: missing, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"note"}}})
			return err
		}, limited: true, code: codes.NotFound, reason: "ORDER_NOT_FOUND"},
		{name: "CancelOrder", call: func(ctx context.Context, s *Service) error {
			_, err := checked(s.CancelOrder, ctx, &ordersv1.CancelOrderRequest{Shop: "s", OrderId: "missing"})
			return err
		}, limited: true, code: codes.NotFound, reason: "ORDER_NOT_FOUND"},
		{name: "DeleteOrder", call: func(ctx context.Context, s *Service) error {
			_, err := checked(s.DeleteOrder, ctx, &ordersv1.DeleteOrderRequest{Shop: "s", OrderId: "missing"})
			return err
		}, limited: true, code: codes.NotFound, reason: "ORDER_NOT_FOUND"},
		{name: "GetOrder", call: func(ctx context.Context, s *Service) error {
			_, err := checked(s.GetOrder, ctx, &ordersv1.GetOrderRequest{Shop: "s", OrderId: "missing"})
			return err
		}, code: codes.NotFound, reason: "ORDER_NOT_FOUND"},
		{name: "ListOrders", call: func(ctx context.Context, s *Service) error {
			_, err := checked(s.ListOrders, ctx, &ordersv1.ListOrdersRequest{Shop: "s"})
			return err
		}, code: codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rate := deps.Rate{Events: 1, Per: time.Second, Burst: 1}
			s, clock := newTestServiceWith(t, &deps.Deps{WriteRate: rate})
			ctx := callFrom("192.0.2.7")
			// Every write counts, whatever its outcome.
			apierrtest.Check(t, tt.call(ctx, s), tt.code, tt.reason)
			err := tt.call(ctx, s)
			if !tt.limited {
				apierrtest.Check(t, err, tt.code, tt.reason)
				return
			}
			apierrtest.Check(t, err, codes.ResourceExhausted, "QUOTA_EXCEEDED")
			if diff := cmp.Diff(map[string]string{"caller": "192.0.2.7", "limit": "1/s,burst=1"}, apierr.Metadata(err)); diff != "" {
				t.Errorf("ErrorInfo metadata mismatch (-want +got):\n%s", diff)
			}
			if d, ok := apierr.RetryDelay(err); d != time.Second || !ok {
				t.Errorf("RetryDelay = %v, %v; want 1s", d, ok)
			}
			want := []*errdetails.QuotaFailure_Violation{{Subject: "client:192.0.2.7"}}
			got := apierrtest.Detail[*errdetails.QuotaFailure](t, err).GetViolations()
			if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&errdetails.QuotaFailure_Violation{}, "description")); diff != "" {
				t.Errorf("QuotaFailure mismatch (-want +got):\n%s", diff)
			}
			// Another caller is not held up, and the first may write again
			// after the delay it was given.
			apierrtest.Check(t, tt.call(callFrom("192.0.2.8"), s), tt.code, tt.reason)
			clock.Advance(time.Second)
			apierrtest.Check(t, tt.call(ctx, s), tt.code, tt.reason)
		})
	}
}

// TestWriteLimitsOverGRPC checks that over a real connection the limit
// applies to the caller the server established and the details reach the
// client.
func TestWriteLimitsOverGRPC(t *testing.T) {
	s, _ := newTestServiceWith(t, &deps.Deps{WriteRate: deps.Rate{Events: 1, Per: time.Hour, Burst: 1}})
	orders, _ := serveOrders(t, s)
	req := &ordersv1.DeleteOrderRequest{Shop: "s", OrderId: "a"}
	_, err := orders.DeleteOrder(testCtx(t), req)
	apierrtest.Check(t, err, codes.NotFound, "ORDER_NOT_FOUND")
	_, err = orders.DeleteOrder(testCtx(t), req)
	apierrtest.Check(t, err, codes.ResourceExhausted, "QUOTA_EXCEEDED")
	if got := apierr.Metadata(err)["caller"]; got != testCaller.Key() {
		t.Errorf("caller = %q, want %s", got, testCaller.Key())
	}
	if d, ok := apierr.RetryDelay(err); d != time.Hour || !ok {
		t.Errorf("RetryDelay = %v, %v; want 1h", d, ok)
	}
}

// TestWriteRateConfig checks ORDERS_WRITE_RATE as deps.New reads it. It
// lives here, with the limiter that uses it: deps has no tests of its own.
func TestWriteRateConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		want    deps.Rate
		wantStr string
		wantErr bool
	}{
		{name: "unset is the default", want: deps.DefaultWriteRate, wantStr: "20/s,burst=40"},
		{name: "the burst defaults to two periods' worth", env: "20/s", want: deps.Rate{Events: 20, Per: time.Second, Burst: 40}, wantStr: "20/s,burst=40"},
		{name: "per minute with a burst", env: "600/m,burst=50", want: deps.Rate{Events: 600, Per: time.Minute, Burst: 50}, wantStr: "600/m,burst=50"},
		{name: "per hour", env: "100/h", want: deps.Rate{Events: 100, Per: time.Hour, Burst: 200}, wantStr: "100/h,burst=200"},
		{name: "a duration period", env: "5/10s", want: deps.Rate{Events: 5, Per: 10 * time.Second, Burst: 10}, wantStr: "5/10s,burst=10"},
		{name: "a fraction", env: "0.2/s", want: deps.Rate{Events: 0.2, Per: time.Second, Burst: 1}, wantStr: "0.2/s,burst=1"},
		{name: "off", env: "off", want: deps.Rate{}, wantStr: "off"},
		{name: "spaces are trimmed", env: " 20 / s , burst=3 ", want: deps.Rate{Events: 20, Per: time.Second, Burst: 3}, wantStr: "20/s,burst=3"},
		{name: "no period", env: "20", wantErr: true},
		{name: "zero", env: "0/s", wantErr: true},
		{name: "negative", env: "-1/s", wantErr: true},
		{name: "unknown unit", env: "20/fortnight", wantErr: true},
		{name: "zero burst", env: "20/s,burst=0", wantErr: true},
		{name: "not a burst", env: "20/s,40", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"ORDERS_WRITE_RATE": tt.env}
			d, err := deps.New(t.Context(), platform.Runtime{Getenv: func(k string) string { return env[k] }})
			if tt.wantErr {
				if err == nil {
					d.Close()
					t.Fatalf("deps.New with ORDERS_WRITE_RATE=%q succeeded, want an error", tt.env)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if diff := cmp.Diff(tt.want, d.WriteRate); diff != "" {
				t.Errorf("WriteRate mismatch (-want +got):\n%s", diff)
			}
			if got := d.WriteRate.String(); got != tt.wantStr {
				t.Errorf("String() = %q, want %q", got, tt.wantStr)
			}
			if back, err := deps.ParseRate(tt.wantStr); err != nil || back != tt.want {
				t.Errorf("ParseRate(%q) = %v, %v; want %v", tt.wantStr, back, err, tt.want)
			}
		})
	}
}
