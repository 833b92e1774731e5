package inventoryservice

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/new-service/new-service/examples/orders/apierr"
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
	"github.com/new-service/new-service/examples/orders/internal/deps"
	"github.com/new-service/new-service/examples/orders/internal/platform"
)

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

// newTestService returns a service whose clock starts at t0.
func newTestService(t *testing.T) (*Service, *fakeClock) {
	t.Helper()
	s := New(&deps.Deps{Runtime: platform.Runtime{Logger: slog.New(slog.DiscardHandler)}})
	clock := &fakeClock{now: t0}
	s.now = clock.Now
	return s, clock
}

// setStock sets stock and fails the test if it cannot.
func setStock(t *testing.T, s *Service, shop, sku string, onHand int64) {
	t.Helper()
	if _, err := s.SetStock(t.Context(), &inventoryv1.SetStockRequest{Shop: shop, Sku: sku, OnHand: onHand}); err != nil {
		t.Fatalf("SetStock(%s, %s, %d): %v", shop, sku, onHand, err)
	}
}

// getStock returns the stock of a SKU and fails the test if it cannot.
func getStock(t *testing.T, s *Service, shop, sku string) *inventoryv1.Stock {
	t.Helper()
	st, err := s.GetStock(t.Context(), &inventoryv1.GetStockRequest{Shop: shop, Sku: sku})
	if err != nil {
		t.Fatalf("GetStock(%s, %s): %v", shop, sku, err)
	}
	return st
}

func line(sku string, quantity int64) *inventoryv1.ReserveStockRequest_Line {
	return &inventoryv1.ReserveStockRequest_Line{Sku: sku, Quantity: quantity}
}

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// fieldsOf returns the fields of err's google.rpc.BadRequest.
func fieldsOf(err error) []string {
	var fields []string
	for _, v := range apierr.FieldViolations(err) {
		fields = append(fields, v.GetField())
	}
	return fields
}

func isInsufficient(err error) bool {
	return apierr.Is(err, codes.FailedPrecondition, "INSUFFICIENT_STOCK")
}
