// Package inventoryservice implements acme.inventory.v1.InventoryService:
//
// InventoryService holds stock per shop and SKU and reserves it for orders.
// OrderService calls it when an order is created, with the caller's
// context, so the caller's deadline and trace continue into this service.
//
// new-service wrote this package; it is yours. Each RPC has its own file, so
// when the proto gains an RPC, `new-service update` adds a file for it and
// touches nothing here.
package inventoryservice

import (
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
	"github.com/new-service/new-service/examples/orders/internal/deps"
)

// Service implements acme.inventory.v1.InventoryService. Embedding
// UnimplementedInventoryServiceServer keeps the build green when the proto gains an
// RPC before its handler exists: until then the RPC answers UNIMPLEMENTED.
type Service struct {
	inventoryv1.UnimplementedInventoryServiceServer

	deps *deps.Deps
}

// New returns the service. internal/server calls it once at start-up with
// the shared dependencies; keep its signature.
func New(d *deps.Deps) *Service {
	return &Service{deps: d}
}
