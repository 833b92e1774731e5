package orderservice

import (
	"context"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// CancelOrder moves a PENDING or PAID order to CANCELLED.
//
//	POST /v1/shops/{shop}/orders/{order_id}:cancel
func (s *Service) CancelOrder(ctx context.Context, req *ordersv1.CancelOrderRequest) (*ordersv1.Order, error) {
	return nil, apierr.Unimplemented("acme.orders.v1.OrderService/CancelOrder is not implemented yet: write it in internal/handler/orderservice/cancel_order.go")
}
