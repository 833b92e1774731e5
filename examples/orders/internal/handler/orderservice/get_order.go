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
func (s *Service) GetOrder(ctx context.Context, req *ordersv1.GetOrderRequest) (*ordersv1.Order, error) {
	if err := checkOrderName(req.GetShop(), req.GetOrderId()); err != nil {
		return nil, err
	}
	return s.store.get(req.GetShop(), req.GetOrderId())
}
