package orderservice

import (
	"context"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// GetOrder returns one order.
//
//	GET /v1/shops/{shop}/orders/{order_id}
func (s *Service) GetOrder(ctx context.Context, req *ordersv1.GetOrderRequest) (*ordersv1.Order, error) {
	return nil, apierr.Unimplemented("acme.orders.v1.OrderService/GetOrder is not implemented yet: write it in internal/handler/orderservice/get_order.go")
}
