package orderservice

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// GetOrder returns one order.
//
//	GET /v1/shops/{shop}/orders/{order_id}
func (s *Service) GetOrder(ctx context.Context, req *ordersv1.GetOrderRequest) (*ordersv1.Order, error) {
	return nil, status.Error(codes.Unimplemented, "acme.orders.v1.OrderService/GetOrder is not implemented yet: write it in internal/handler/orderservice/get_order.go")
}
