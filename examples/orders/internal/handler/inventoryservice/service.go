// Package inventoryservice implements acme.inventory.v1.InventoryService:
//
// InventoryService holds stock per shop and SKU and reserves it for orders.
// OrderService calls it when an order is created, with the caller's
// context, so the caller's deadline and trace continue into this service.
//
// new-service wrote this package; it is yours. Each RPC has its own file, so
// when the proto gains an RPC, `new-service update` adds a file for it and
// touches nothing here.
//
// # Stock
//
// Stock lives in memory, in a [store] guarded by one lock, and is lost when
// the process stops. Each (shop, SKU) has units on hand, set by SetStock,
// and units reserved, of which ReserveStock takes and lapsing reservations
// give back; on hand minus reserved is what can still be reserved. A SKU
// that SetStock never set has no stock: GetStock answers NOT_FOUND, and
// reserving it fails like any SKU that is short. Stock must therefore be set
// (PUT /v1/shops/{shop}/skus/{sku}/stock) before orders for it can be
// placed.
//
// # Reservations
//
// ReserveStock is all or nothing: every line is reserved or none is. The
// pair (shop, reservation_id) makes it idempotent: the same request again
// returns the first reservation, and another request under the same ID is
// refused, since reserving it once more would hold stock twice for one
// order. A reservation with a ttl lapses at its expire_time: its units
// return and its ID is forgotten, so a later call with that ID reserves
// anew. One without a ttl holds until released; the API has no release yet,
// so until the process stops.
//
// Lapsed reservations are released by the next call that touches the store,
// under its lock, before it reads anything: no caller can tell that from
// releasing them on the dot, and there is no timer to stop.
//
// # Errors
//
// Every error comes from package apierr, with an ErrorInfo reason callers
// can switch on:
//
//   - INVALID_REQUEST (INVALID_ARGUMENT) lists every field violation in a
//     google.rpc.BadRequest;
//   - STOCK_NOT_FOUND (NOT_FOUND) names the stock in a google.rpc.ResourceInfo;
//   - STOCK_BELOW_RESERVED and INSUFFICIENT_STOCK (FAILED_PRECONDITION)
//     carry a google.rpc.PreconditionFailure violation of type "STOCK" per
//     SKU at fault;
//   - RESERVATION_ID_REUSED (INVALID_ARGUMENT) is another request under a
//     reservation_id already in use.
package inventoryservice

import (
	"time"

	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
	"github.com/new-service/new-service/examples/orders/internal/deps"
)

// Service implements acme.inventory.v1.InventoryService. Embedding
// UnimplementedInventoryServiceServer keeps the build green when the proto gains an
// RPC before its handler exists: until then the RPC answers UNIMPLEMENTED.
type Service struct {
	inventoryv1.UnimplementedInventoryServiceServer

	deps  *deps.Deps
	store *store

	// now stamps update and create times and decides which reservations
	// lapsed; tests replace it.
	now func() time.Time
}

// New returns the service. internal/server calls it once at start-up with
// the shared dependencies; keep its signature.
func New(d *deps.Deps) *Service {
	return &Service{deps: d, store: newStore(), now: time.Now}
}
