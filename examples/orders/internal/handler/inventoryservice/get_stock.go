package inventoryservice

import (
	"context"

	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
)

// GetStock returns how many units of a SKU a shop has, and how many are
// reserved.
//
//	GET /v1/shops/{shop}/skus/{sku}/stock
//
// A SKU whose stock was never set is NOT_FOUND (STOCK_NOT_FOUND) with a
// google.rpc.ResourceInfo; one set to 0 is found, with 0 units.
func (s *Service) GetStock(ctx context.Context, req *inventoryv1.GetStockRequest) (*inventoryv1.Stock, error) {
	var v violations
	v.checkShop("shop", req.GetShop())
	v.checkSKU("sku", req.GetSku())
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.store.get(s.now(), req.GetShop(), req.GetSku())
}
