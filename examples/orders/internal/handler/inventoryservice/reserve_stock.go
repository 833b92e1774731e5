package inventoryservice

import (
	"context"

	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
)

// ReserveStock reserves units of several SKUs at once, all or nothing.
// A reservation_id makes it idempotent: the same ID reserves once.
//
//	POST /v1/shops/{shop}/reservations
//
// When any SKU has fewer units available (on hand minus reserved) than
// its lines ask for, nothing is reserved and the call is
// FAILED_PRECONDITION (INSUFFICIENT_STOCK) with one google.rpc.PreconditionFailure
// violation of type "STOCK" per short SKU; a SKU whose stock was never set
// has none available. Lines naming the same SKU are added up.
//
// A request with the reservation_id of a reservation that still holds
// returns that reservation, unchanged, if its lines and ttl are the same,
// and is INVALID_ARGUMENT (RESERVATION_ID_REUSED) otherwise. ttl is at most
// 24h; zero means no expiry. When a reservation lapses, its units become
// available again and its ID is forgotten.
func (s *Service) ReserveStock(ctx context.Context, req *inventoryv1.ReserveStockRequest) (*inventoryv1.Reservation, error) {
	var v violations
	v.checkShop("shop", req.GetShop())
	v.checkReservationID("reservation_id", req.GetReservationId())
	v.checkLines("lines", req.GetLines())
	ttl := v.checkTTL("ttl", req)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.store.reserve(s.now(), req, ttl)
}
