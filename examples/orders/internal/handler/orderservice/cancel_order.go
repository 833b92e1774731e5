package orderservice

import (
	"context"
	"fmt"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// CancelOrder moves a PENDING or PAID order to CANCELLED.
//
//	POST /v1/shops/{shop}/orders/{order_id}:cancel
//
// A SHIPPED or already CANCELLED order is FAILED_PRECONDITION
// (ORDER_NOT_CANCELLABLE) with a google.rpc.PreconditionFailure detail. Cancelling twice is an error
// rather than a no-op because the API moves orders forward only, and a
// second cancel usually means two actors disagree. The reason goes to the
// log, the audit trail of this in-memory service.
func (s *Service) CancelOrder(ctx context.Context, req *ordersv1.CancelOrderRequest) (*ordersv1.Order, error) {
	if err := s.writes.allow(ctx); err != nil {
		return nil, err
	}
	// The shop and order_id have passed the rules orders.proto declares
	// (internal/validation).
	shop, id := req.GetShop(), req.GetOrderId()
	o, err := s.store.modify(s.now(), shop, id, "", func(o *ordersv1.Order) error {
		switch o.GetState() {
		case ordersv1.Order_STATE_PENDING, ordersv1.Order_STATE_PAID:
			o.State = ordersv1.Order_STATE_CANCELLED
			return nil
		default:
			return wrongState("ORDER_NOT_CANCELLABLE", shop, id, o.GetState(), fmt.Sprintf("it is %s; only PENDING and PAID orders can be cancelled", stateName(o.GetState())))
		}
	})
	if err != nil {
		return nil, err
	}
	s.deps.Logger.InfoContext(ctx, "order cancelled", "shop", shop, "order_id", id, "reason", req.GetReason())
	return o, nil
}
