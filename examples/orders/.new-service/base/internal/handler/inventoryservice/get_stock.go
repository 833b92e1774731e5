package inventoryservice

import (
	"context"

	"github.com/new-service/new-service/examples/orders/apierr"
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
)

// GetStock returns how many units of a SKU a shop has, and how many are
// reserved.
//
//	GET /v1/shops/{shop}/skus/{sku}/stock
func (s *Service) GetStock(ctx context.Context, req *inventoryv1.GetStockRequest) (*inventoryv1.Stock, error) {
	return nil, apierr.Unimplemented("acme.inventory.v1.InventoryService/GetStock is not implemented yet: write it in internal/handler/inventoryservice/get_stock.go")
}
