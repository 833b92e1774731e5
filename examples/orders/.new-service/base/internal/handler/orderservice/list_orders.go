package orderservice

import (
	"context"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// ListOrders pages through a shop's orders, oldest first.
//
//	GET /v1/shops/{shop}/orders
func (s *Service) ListOrders(ctx context.Context, req *ordersv1.ListOrdersRequest) (*ordersv1.ListOrdersResponse, error) {
	return nil, apierr.Unimplemented("acme.orders.v1.OrderService/ListOrders is not implemented yet: write it in internal/handler/orderservice/list_orders.go")
}
