package inventoryservice

import (
	"context"

	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
)

// SetStock sets the units on hand of a SKU, e.g. after a delivery.
//
//	PUT /v1/shops/{shop}/skus/{sku}/stock
//
// It creates the SKU's stock the first time. on_hand is the new count, not
// a change to it, so a retried SetStock sets the same count again (the API
// marks it IDEMPOTENT). A negative on_hand is INVALID_ARGUMENT; one below
// the units reserved is FAILED_PRECONDITION (STOCK_BELOW_RESERVED) with a
// google.rpc.PreconditionFailure, and changes nothing: reserved units are
// promised to orders.
func (s *Service) SetStock(ctx context.Context, req *inventoryv1.SetStockRequest) (*inventoryv1.Stock, error) {
	var v violations
	v.checkShop("shop", req.GetShop())
	v.checkSKU("sku", req.GetSku())
	if n := req.GetOnHand(); n < 0 || n > maxUnits {
		v.Add("on_hand", "must be between 0 and %d, got %d", int64(maxUnits), n)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.store.set(s.now(), req.GetShop(), req.GetSku(), req.GetOnHand())
}
