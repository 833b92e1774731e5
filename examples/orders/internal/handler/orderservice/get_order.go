package orderservice

import (
	"context"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// GetOrder returns one order.
//
//	GET /v1/shops/{shop}/orders/{order_id}
//
// A missing order is NOT_FOUND with a google.rpc.ResourceInfo detail.
// The shop and order_id have passed the rules orders.proto declares
// (REQUIRED, and the ID pattern) before this runs: internal/validation.
func (s *Service) GetOrder(ctx context.Context, req *ordersv1.GetOrderRequest) (*ordersv1.Order, error) {
	return s.store.get(req.GetShop(), req.GetOrderId())
}
