package orderservice

import (
	"context"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// UpdateOrder changes the fields named in update_mask (note, coupon_code,
// labels, items) of a PENDING order.
//
//	PATCH /v1/shops/{order.shop}/orders/{order.order_id}
func (s *Service) UpdateOrder(ctx context.Context, req *ordersv1.UpdateOrderRequest) (*ordersv1.Order, error) {
	return nil, apierr.Unimplemented("acme.orders.v1.OrderService/UpdateOrder is not implemented yet: write it in internal/handler/orderservice/update_order.go")
}
