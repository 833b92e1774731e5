package orderservice

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/new-service/new-service/examples/orders/apierr"
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// reservationTTL is how long the stock reserved for an order holds. The
// API has no call yet that turns a reservation into a sale, or releases it
// when an order is cancelled, so the hold is bounded instead: a day to pay,
// which is also the request_id window, so that stock reserved by a call
// that failed midway and was never retried comes back by itself.
const reservationTTL = 24 * time.Hour

// reserve reserves the order's items in InventoryService, under the order's
// ID, through the generated client. Without a client (a Deps built by hand,
// as in unit tests) it reserves nothing.
//
// It passes the handler's ctx on, and that is all propagation takes: the
// client sends the caller's remaining deadline along (or its default, when
// the caller set none), the call ends when the caller cancels, and the
// trace continues into InventoryService.
func (s *Service) reserve(ctx context.Context, o *ordersv1.Order) error {
	if s.inventory == nil {
		return nil
	}
	_, err := s.inventory.ReserveStock(ctx, &inventoryv1.ReserveStockRequest{
		Shop:          o.GetShop(),
		ReservationId: o.GetOrderId(),
		Lines:         reservationLines(o.GetItems()),
		Ttl:           durationpb.New(reservationTTL),
	})
	if err != nil {
		return reservationError(o, err)
	}
	return nil
}

// reservationLines returns one line per SKU of the items, in the order the
// SKUs first appear, with their quantities added up. The same items always
// give the same lines, which a retried reservation must repeat exactly.
func reservationLines(items []*ordersv1.LineItem) []*inventoryv1.ReserveStockRequest_Line {
	var lines []*inventoryv1.ReserveStockRequest_Line
	bySKU := map[string]*inventoryv1.ReserveStockRequest_Line{}
	for _, item := range items {
		l, ok := bySKU[item.GetSku()]
		if !ok {
			l = &inventoryv1.ReserveStockRequest_Line{Sku: item.GetSku()}
			bySKU[item.GetSku()] = l
			lines = append(lines, l)
		}
		l.Quantity += int64(item.GetQuantity())
	}
	return lines
}

// reservationError decides what CreateOrder's caller sees when the
// reservation failed:
//
//   - FAILED_PRECONDITION (stock is short) is the caller's to fix, and the
//     inventory's details say which items: it is returned unchanged.
//   - UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED and CANCELLED say
//     when to retry, or that the caller gave up: they are returned
//     unchanged too, and the generated clients retry the first two.
//   - RESERVATION_ID_REUSED means the ID was reserved within the last day
//     for other items, by an order since deleted: to the caller, the ID is
//     taken.
//   - Anything else is this service's problem (a request the inventory
//     refused is a bug here, not the caller's): INTERNAL, with the
//     inventory's answer in a DebugInfo for this service's logs.
func reservationError(o *ordersv1.Order, err error) error {
	code := status.Code(err)
	switch {
	case code == codes.FailedPrecondition, code == codes.Unavailable, code == codes.ResourceExhausted,
		code == codes.DeadlineExceeded, code == codes.Canceled:
		return err
	case apierr.Is(err, codes.InvalidArgument, "RESERVATION_ID_REUSED"):
		return idTaken(o.GetShop(), o.GetOrderId(), "was used within the last 24h by an order for other items")
	}
	return apierr.Internal("reserve stock for order %s: the inventory answered %v", resourceName(o.GetShop(), o.GetOrderId()), code).
		WithReason("INVENTORY_FAILED").
		WithDebugInfo(err.Error())
}
