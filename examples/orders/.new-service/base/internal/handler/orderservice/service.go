// Package orderservice implements acme.orders.v1.OrderService:
//
// OrderService manages the orders of a set of shops.
//
// Reads are marked NO_SIDE_EFFECTS and DeleteOrder IDEMPOTENT: generated
// clients retry those on DEADLINE_EXCEEDED too, never the others.
//
// new-service wrote this package; it is yours. Each RPC has its own file, so
// when the proto gains an RPC, `new-service update` adds a file for it and
// touches nothing here.
package orderservice

import (
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
	"github.com/new-service/new-service/examples/orders/internal/deps"
)

// Service implements acme.orders.v1.OrderService. Embedding
// UnimplementedOrderServiceServer keeps the build green when the proto gains an
// RPC before its handler exists: until then the RPC answers UNIMPLEMENTED.
type Service struct {
	ordersv1.UnimplementedOrderServiceServer

	deps *deps.Deps
}

// New returns the service. internal/server calls it once at start-up with
// the shared dependencies; keep its signature.
func New(d *deps.Deps) *Service {
	return &Service{deps: d}
}
