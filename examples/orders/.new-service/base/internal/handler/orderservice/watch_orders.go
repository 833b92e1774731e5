package orderservice

import (
	"google.golang.org/grpc"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// WatchOrders streams every change to a shop's orders until the caller
// cancels or the server drains. With heartbeat_interval set, an event with
// a heartbeat is sent after that long without changes.
//
//	GET /v1/shops/{shop}/orders:watch
func (s *Service) WatchOrders(req *ordersv1.WatchOrdersRequest, stream grpc.ServerStreamingServer[ordersv1.OrderEvent]) error {
	return apierr.Unimplemented("acme.orders.v1.OrderService/WatchOrders is not implemented yet: write it in internal/handler/orderservice/watch_orders.go")
}
