package orderservice

import (
	"context"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
	emptypb "google.golang.org/protobuf/types/known/emptypb"
)

// DeleteOrder removes an order. Deleting an order that does not exist is
// NOT_FOUND, so a retried delete may see NOT_FOUND after a success.
//
//	DELETE /v1/shops/{shop}/orders/{order_id}
func (s *Service) DeleteOrder(ctx context.Context, req *ordersv1.DeleteOrderRequest) (*emptypb.Empty, error) {
	return nil, apierr.Unimplemented("acme.orders.v1.OrderService/DeleteOrder is not implemented yet: write it in internal/handler/orderservice/delete_order.go")
}
