package conformance

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/new-service/new-service/conformance/internal/scrape"
	"github.com/new-service/new-service/examples/orders/client"
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// The generated client's retryThrottling (client.ServiceConfig): each
// failed attempt with a retryable code costs a token, each successful call
// earns tokenRatio, and no retry is made while at most maxTokens/2 remain.
const (
	maxTokens  = 10
	tokenRatio = 0.1
)

// retryCalls is how many calls TestRetryUnavailable makes.
const retryCalls = 2000

// TestRetryUnavailable runs the generated client against three replicas
// that fail every tenth first attempt with UNAVAILABLE (CHAOS, never a
// retry). Retries must hide the failures (at least 99.9% of calls
// succeed) without multiplying the load: attempts are counted where they
// arrive, in the replicas' grpc_server_started_total.
//
// The bound on attempts comes from the throttle: a retry is made only while
// more than maxTokens/2 tokens remain, tokens start at maxTokens, and only
// successful calls (tokenRatio each) refill them, so over a run
// retries <= maxTokens/2 + tokenRatio * successful calls, and
// attempts per call <= 1 + tokenRatio + (maxTokens/2)/calls: 1.1025 for
// 2000 calls. With 10% injected the expectation is about 1.1.
func TestRetryUnavailable(t *testing.T) {
	svc := orders(t)
	c := newCluster(t, svc, 3, "CHAOS=unavailable=0.1")
	conn, err := client.New(c.target())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	unavailable := with(svc.series, "grpc_code", "Unavailable")
	startedBefore := c.counts("grpc_server_started_total", svc.series)
	injectedBefore := c.counts("grpc_server_handled_total", unavailable)

	got := runCalls(t, 4, retryCalls, time.Minute, svc.balanced(conn))
	started := deltas(startedBefore, c.counts("grpc_server_started_total", svc.series))
	injected := deltas(injectedBefore, c.counts("grpc_server_handled_total", unavailable))
	attempts, _ := spread(started)
	failed, _ := spread(injected)
	successes := got.calls - got.failures
	retries := attempts - float64(got.calls)
	bound := maxTokens/2 + tokenRatio*float64(successes)
	rate := float64(successes) / float64(got.calls)
	t.Logf("%d calls: %.2f%% succeeded; %v attempts (per replica %v), %v of them failed by CHAOS; %.4f attempts per call (bound %.4f)",
		got.calls, 100*rate, attempts, started, failed, attempts/float64(got.calls), 1+bound/float64(got.calls))
	if rate < 0.999 {
		t.Errorf("%.2f%% of calls succeeded, want at least 99.9%%; first errors: %v", 100*rate, got.errs)
	}
	if failed == 0 {
		t.Errorf("no attempt failed: CHAOS=unavailable=0.1 injected nothing")
	}
	if retries > bound {
		t.Errorf("%v retries, more than the throttle allows (%v)", retries, bound)
	}
	if retries < failed-float64(got.failures) {
		t.Errorf("%v retries for %v injected failures of which %d were not retried: some calls succeeded without a retry they needed", retries, failed, got.failures)
	}
}

// TestRetryPolicy checks, code by code, that the generated client retries
// only where the design says it is safe: UNAVAILABLE and RESOURCE_EXHAUSTED
// always, DEADLINE_EXCEEDED only for methods the proto marks idempotent,
// and never INTERNAL, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS or
// PERMISSION_DENIED. Each row uses a new client (a fresh retry budget) and
// counts attempts in the server's grpc_server_started_total. Failures that
// persist (CHAOS=codes fails every attempt of a call whose x-request-id is
// "chaos:code=N") show the throttle too: after maxTokens/2 retries, no more.
func TestRetryPolicy(t *testing.T) {
	svc := orders(t)
	p := start(t, svc, "orders", "CHAOS=codes")
	const calls = 100
	getStock := func(shop, sku string) func(context.Context, *client.Conn, ...grpc.CallOption) error {
		return func(ctx context.Context, c *client.Conn, opts ...grpc.CallOption) error {
			_, err := c.InventoryService.GetStock(ctx, &inventoryv1.GetStockRequest{Shop: shop, Sku: sku}, opts...)
			return err
		}
	}
	createOrder := func(ctx context.Context, c *client.Conn, opts ...grpc.CallOption) error {
		_, err := c.OrderService.CreateOrder(ctx, &ordersv1.CreateOrderRequest{
			Shop:  "conformance",
			Order: &ordersv1.Order{Items: []*ordersv1.LineItem{{Sku: "SKU-1", Quantity: 1, UnitPrice: &ordersv1.Money{CurrencyCode: "EUR", Units: 1}}}},
		}, opts...)
		return err
	}
	tests := []struct {
		name    string
		method  map[string]string
		call    func(context.Context, *client.Conn, ...grpc.CallOption) error
		inject  codes.Code // by CHAOS; OK means the handler's own answer
		want    codes.Code
		retried bool
	}{
		{name: "INVALID_ARGUMENT, an empty shop", method: getStockSeries, call: getStock("", "SKU-1"), want: codes.InvalidArgument},
		{name: "NOT_FOUND, stock never set", method: getStockSeries, call: getStock("conformance", "NEVER-SET"), want: codes.NotFound},
		{name: "INTERNAL", method: getStockSeries, call: getStock("conformance", "SKU-1"), inject: codes.Internal, want: codes.Internal},
		{name: "ALREADY_EXISTS", method: getStockSeries, call: getStock("conformance", "SKU-1"), inject: codes.AlreadyExists, want: codes.AlreadyExists},
		{name: "PERMISSION_DENIED", method: getStockSeries, call: getStock("conformance", "SKU-1"), inject: codes.PermissionDenied, want: codes.PermissionDenied},
		{name: "DEADLINE_EXCEEDED on a write", method: createOrderSeries, call: createOrder, inject: codes.DeadlineExceeded, want: codes.DeadlineExceeded},
		{name: "DEADLINE_EXCEEDED on an idempotent read", method: getStockSeries, call: getStock("conformance", "SKU-1"), inject: codes.DeadlineExceeded, want: codes.DeadlineExceeded, retried: true},
		{name: "UNAVAILABLE", method: getStockSeries, call: getStock("conformance", "SKU-1"), inject: codes.Unavailable, want: codes.Unavailable, retried: true},
		{name: "RESOURCE_EXHAUSTED", method: getStockSeries, call: getStock("conformance", "SKU-1"), inject: codes.ResourceExhausted, want: codes.ResourceExhausted, retried: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := client.New("dns:///" + p.GRPC)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			before := counter(t, p, "grpc_server_started_total", tt.method)
			got := runCalls(t, 1, calls, time.Minute, func(ctx context.Context, opts ...grpc.CallOption) error {
				if tt.inject != codes.OK {
					ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", "chaos:code="+strconv.Itoa(int(tt.inject)))
				}
				err := tt.call(ctx, conn, opts...)
				if status.Code(err) != tt.want {
					return fmt.Errorf("got %v, want %v", err, tt.want)
				}
				return nil
			})
			if got.failures > 0 {
				t.Fatalf("%d calls answered otherwise: %v", got.failures, got.errs)
			}
			attempts := counter(t, p, "grpc_server_started_total", tt.method) - before
			retries := attempts - calls
			t.Logf("%d calls, %v attempts", calls, attempts)
			switch {
			case !tt.retried && retries != 0:
				t.Errorf("%d calls made %v attempts; %v must not be retried", calls, attempts, tt.want)
			case tt.retried && (retries < 1 || retries > maxTokens/2):
				t.Errorf("%d failing calls made %v retries, want between 1 and %d (the throttle's budget)", calls, retries, maxTokens/2)
			}
		})
	}
}

var (
	getStockSeries    = scrape.Method("acme.inventory.v1.InventoryService", "GetStock")
	createOrderSeries = scrape.Method("acme.orders.v1.OrderService", "CreateOrder")
)
