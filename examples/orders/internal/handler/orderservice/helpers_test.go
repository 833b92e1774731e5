package orderservice

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
	"github.com/new-service/new-service/examples/orders/internal/deps"
	"github.com/new-service/new-service/examples/orders/internal/platform"
	"github.com/new-service/new-service/examples/orders/internal/validation"
)

// checked calls a handler as the server does: only with a request that
// passed the rules orders.proto declares (internal/validation), which
// also clears its OUTPUT_ONLY fields.
func checked[Req proto.Message, Resp any](h func(context.Context, Req) (Resp, error), ctx context.Context, req Req) (Resp, error) {
	if err := validation.Check(req); err != nil {
		var zero Resp
		return zero, err
	}
	return h(ctx, req)
}

// validated returns where to register the service on srv so that its
// requests are checked as the server checks them.
func validated(t testing.TB, srv grpc.ServiceRegistrar) grpc.ServiceRegistrar {
	t.Helper()
	r, err := validation.Registrar(srv, map[string]validation.Request{
		ordersv1.OrderService_GetOrder_FullMethodName:    {Message: (*ordersv1.GetOrderRequest)(nil), Protovalidate: true},
		ordersv1.OrderService_ListOrders_FullMethodName:  {Message: (*ordersv1.ListOrdersRequest)(nil), Protovalidate: true},
		ordersv1.OrderService_CreateOrder_FullMethodName: {Message: (*ordersv1.CreateOrderRequest)(nil), Protovalidate: true},
		ordersv1.OrderService_UpdateOrder_FullMethodName: {Message: (*ordersv1.UpdateOrderRequest)(nil), Protovalidate: true},
		ordersv1.OrderService_DeleteOrder_FullMethodName: {Message: (*ordersv1.DeleteOrderRequest)(nil), Protovalidate: true},
		ordersv1.OrderService_CancelOrder_FullMethodName: {Message: (*ordersv1.CancelOrderRequest)(nil), Protovalidate: true},
		ordersv1.OrderService_WatchOrders_FullMethodName: {Message: (*ordersv1.WatchOrdersRequest)(nil), Protovalidate: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// t0 is when every test starts.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeClock is a clock that moves only when a test says so.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestService returns a service whose clock starts at t0 and whose
// server-chosen IDs are id-0001, id-0002, ... in the order orders are
// created.
func newTestService(t *testing.T) (*Service, *fakeClock) {
	t.Helper()
	return newTestServiceWith(t, &deps.Deps{})
}

// newTestServiceWith is newTestService with the inventory client and write
// rate of d.
func newTestServiceWith(t *testing.T, d *deps.Deps) (*Service, *fakeClock) {
	t.Helper()
	d.Runtime = platform.Runtime{Logger: slog.New(slog.DiscardHandler)}
	s := New(d)
	clock := &fakeClock{now: t0}
	s.now = clock.Now
	if s.writes != nil {
		s.writes.now = clock.Now
	}
	var n atomic.Int64
	s.newID = func() string { return fmt.Sprintf("id-%04d", n.Add(1)) }
	return s, clock
}

// item returns a line item priced in EUR.
func item(sku string, quantity int32, units int64, nanos int32) *ordersv1.LineItem {
	return &ordersv1.LineItem{
		Sku:       sku,
		Quantity:  quantity,
		UnitPrice: &ordersv1.Money{CurrencyCode: "EUR", Units: units, Nanos: nanos},
	}
}

func eur(units int64, nanos int32) *ordersv1.Money {
	return &ordersv1.Money{CurrencyCode: "EUR", Units: units, Nanos: nanos}
}

func ptr[T any](v T) *T { return &v }

// create creates an order of one item in shop and fails the test if it
// cannot.
func create(t *testing.T, s *Service, shop string) *ordersv1.Order {
	t.Helper()
	o, err := checked(s.CreateOrder, t.Context(), &ordersv1.CreateOrderRequest{
		Shop:  shop,
		Order: &ordersv1.Order{Items: []*ordersv1.LineItem{item("TSHIRT-M-BLUE", 2, 1, 500_000_000)}},
	})
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	return o
}

// setState moves an order to a state no RPC of the API sets (PAID,
// SHIPPED), as the payment and shipping systems would.
func setState(t *testing.T, s *Service, shop, id string, st ordersv1.Order_State) {
	t.Helper()
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	r, ok := s.store.findLocked(shop, id)
	if !ok {
		t.Fatalf("setState: no order %s", resourceName(shop, id))
	}
	r.order.State = st
}

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// fieldsOf returns the fields of err's google.rpc.BadRequest detail.
func fieldsOf(err error) []string {
	var fields []string
	for _, v := range apierr.FieldViolations(err) {
		fields = append(fields, v.GetField())
	}
	return fields
}
