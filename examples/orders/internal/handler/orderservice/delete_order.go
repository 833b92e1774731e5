package orderservice

import (
	"context"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
	emptypb "google.golang.org/protobuf/types/known/emptypb"
)

// DeleteOrder removes an order. Deleting an order that does not exist is
// NOT_FOUND, so a retried delete may see NOT_FOUND after a success.
//
//	DELETE /v1/shops/{shop}/orders/{order_id}
//
// Orders in any state can be deleted. A non-empty etag that is not the
// order's current one is ABORTED, and the order stays. The shop and
// order_id have passed the rules orders.proto declares before this runs
// (internal/validation).
func (s *Service) DeleteOrder(ctx context.Context, req *ordersv1.DeleteOrderRequest) (*emptypb.Empty, error) {
	if err := s.writes.allow(ctx); err != nil {
		return nil, err
	}
	if err := s.store.delete(s.now(), req.GetShop(), req.GetOrderId(), req.GetEtag()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
