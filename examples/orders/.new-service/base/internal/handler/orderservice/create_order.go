package orderservice

import (
	"context"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// CreateOrder places an order. Sending the same request_id again returns
// the order the first call created, so callers can retry safely.
//
//	POST /v1/shops/{shop}/orders
func (s *Service) CreateOrder(ctx context.Context, req *ordersv1.CreateOrderRequest) (*ordersv1.Order, error) {
	return nil, apierr.Unimplemented("acme.orders.v1.OrderService/CreateOrder is not implemented yet: write it in internal/handler/orderservice/create_order.go")
}
