package inventoryservice

import (
	"context"

	"github.com/new-service/new-service/examples/orders/apierr"
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
)

// SetStock sets the units on hand of a SKU, e.g. after a delivery.
//
//	PUT /v1/shops/{shop}/skus/{sku}/stock
func (s *Service) SetStock(ctx context.Context, req *inventoryv1.SetStockRequest) (*inventoryv1.Stock, error) {
	return nil, apierr.Unimplemented("acme.inventory.v1.InventoryService/SetStock is not implemented yet: write it in internal/handler/inventoryservice/set_stock.go")
}
