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
//
// # Storage
//
// Orders live in memory, in a [store] guarded by one lock, and are lost when
// the process stops; the store is the seam to replace with a database. Every
// create and update takes the next value of a store-wide revision counter:
// an order's revision at creation orders it for ListOrders, and its revision
// at the last write is its etag, so an etag never repeats, even for an ID
// that was deleted and reused.
//
// # Errors
//
// Every error comes from package apierr: a gRPC status whose message says
// what to do next, with a google.rpc.ErrorInfo whose reason a client
// switches on, and the detail it needs:
//
//   - INVALID_REQUEST (INVALID_ARGUMENT) carries a google.rpc.BadRequest
//     listing every field violation at once, by path
//     ("order.items[0].quantity"), so a form can mark all its bad fields
//     after one round trip; REQUEST_ID_REUSED (INVALID_ARGUMENT) is a
//     request_id sent before with another request;
//   - ORDER_NOT_FOUND (NOT_FOUND) and ORDER_ID_TAKEN (ALREADY_EXISTS) carry
//     a google.rpc.ResourceInfo naming "shops/{shop}/orders/{order_id}";
//   - ORDER_NOT_PENDING and ORDER_NOT_CANCELLABLE (FAILED_PRECONDITION: an
//     order in the wrong state) carry a google.rpc.PreconditionFailure of
//     type "STATE";
//   - ETAG_MISMATCH (ABORTED) means a stale etag: read the order again and
//     retry;
//   - INSUFFICIENT_STOCK (FAILED_PRECONDITION) comes from InventoryService
//     unchanged, with a violation of type "STOCK" per short SKU;
//   - QUOTA_EXCEEDED (RESOURCE_EXHAUSTED) means the caller wrote too fast,
//     with a google.rpc.RetryInfo saying when to try again.
//
// # Inventory
//
// CreateOrder reserves the order's items in InventoryService through the
// generated client (deps.Deps.Inventory), passing its own context on: the
// caller's deadline, cancellation and trace reach the second hop without a
// line of code for it. See [Service.reserve].
//
// # Write limits
//
// CreateOrder, UpdateOrder, CancelOrder and DeleteOrder are limited per
// caller by a token bucket (deps.Deps.WriteRate); reads are not. See
// [writeLimiter] for who counts as a caller.
//
// # IDs and idempotency
//
// CreateOrder chooses 26-character random IDs (crypto/rand, base32, lower
// case) when the caller does not. A request_id makes CreateOrder idempotent
// for [idempotencyWindow]: see [Service.CreateOrder].
//
// # Pagination
//
// Page tokens are opaque to callers; inside they are base64 JSON holding the
// filter they were issued for and the creation revision of the last order
// returned. The next page starts after that revision, so orders created or
// deleted between calls neither shift nor repeat the pages: see
// [Service.ListOrders].
//
// # Watching
//
// WatchOrders subscribes to a shop's changes; writers publish to every
// subscriber without waiting. See [Service.WatchOrders] for how streams end.
package orderservice

import (
	"crypto/rand"
	"strings"
	"time"

	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
	"github.com/new-service/new-service/examples/orders/internal/deps"
)

// defaultWatchBuffer is how many events a watcher may fall behind before it
// is ended: enough to absorb a burst of writes while its client is briefly
// slow, small enough that a stalled client costs little memory.
const defaultWatchBuffer = 256

// Service implements acme.orders.v1.OrderService. Embedding
// UnimplementedOrderServiceServer keeps the build green when the proto gains an
// RPC before its handler exists: until then the RPC answers UNIMPLEMENTED.
type Service struct {
	ordersv1.UnimplementedOrderServiceServer

	deps  *deps.Deps
	store *store
	// inventory reserves stock for new orders; nil reserves nothing.
	inventory inventoryv1.InventoryServiceClient
	// writes limits each caller's writes; nil means no limit.
	writes *writeLimiter

	// The fields below are what tests replace; New sets the production ones.

	// now stamps create_time, update_time and event times, and expires
	// request IDs.
	now func() time.Time
	// newID chooses the ID of an order created without one.
	newID func() string
	// newTimer starts the timer behind WatchOrders heartbeats.
	newTimer func(time.Duration) timer
	// watchBuffer is how many events a watcher may fall behind.
	watchBuffer int
}

// New returns the service. internal/server calls it once at start-up with
// the shared dependencies; keep its signature.
func New(d *deps.Deps) *Service {
	s := &Service{
		deps:        d,
		store:       newStore(),
		now:         time.Now,
		newID:       randomID,
		newTimer:    newRealTimer,
		watchBuffer: defaultWatchBuffer,
	}
	if d.Inventory != nil {
		s.inventory = d.Inventory.InventoryService
	}
	s.writes = newWriteLimiter(d.WriteRate, time.Now)
	return s
}

// randomID returns 128 random bits as 26 lower-case base32 characters,
// which match the order ID pattern.
func randomID() string {
	return strings.ToLower(rand.Text())
}
