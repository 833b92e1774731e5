package inventoryservice

import (
	"context"

	"github.com/new-service/new-service/examples/orders/apierr"
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
)

// ReserveStock reserves units of several SKUs at once, all or nothing.
// A reservation_id makes it idempotent: the same ID reserves once.
//
//	POST /v1/shops/{shop}/reservations
func (s *Service) ReserveStock(ctx context.Context, req *inventoryv1.ReserveStockRequest) (*inventoryv1.Reservation, error) {
	return nil, apierr.Unimplemented("acme.inventory.v1.InventoryService/ReserveStock is not implemented yet: write it in internal/handler/inventoryservice/reserve_stock.go")
}
