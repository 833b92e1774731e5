package inventoryservice

import (
	"fmt"
	"strconv"

	"github.com/new-service/new-service/examples/orders/apierr"
)

// stockType is the resource type in error details, as the API names it.
const stockType = "acme.inventory.v1.Stock"

// stockName is the stock's name in error details and messages: its REST
// path without the version.
func stockName(shop, sku string) string {
	return fmt.Sprintf("shops/%s/skus/%s/stock", shop, sku)
}

func reservationName(shop, id string) string {
	return fmt.Sprintf("shops/%s/reservations/%s", shop, id)
}

// stockNotFound reports a SKU whose stock was never set.
func stockNotFound(shop, sku string) error {
	name := stockName(shop, sku)
	return apierr.NotFound("stock %s does not exist; SetStock creates it", name).
		WithReason("STOCK_NOT_FOUND").
		WithMetadata("shop", shop, "sku", sku).
		WithResource(stockType, name, "", "the shop never had stock of this SKU")
}

// belowReserved reports a SetStock that would leave fewer units on hand
// than are reserved.
func belowReserved(shop, sku string, onHand, reserved int64) error {
	name := stockName(shop, sku)
	desc := fmt.Sprintf("%d units are reserved; on_hand must be at least that until reservations lapse", reserved)
	return apierr.FailedPrecondition("stock %s: on_hand %d is below the %d units reserved", name, onHand, reserved).
		WithReason("STOCK_BELOW_RESERVED").
		WithMetadata("shop", shop, "sku", sku, "reserved", strconv.FormatInt(reserved, 10)).
		WithPreconditionViolation("STOCK", name, desc)
}

// shortage is one SKU a reservation asked more of than is available.
type shortage struct {
	sku                  string
	requested, available int64
}

// insufficientStock reports the SKUs that are short, each as a violation
// of type "STOCK", so a caller can tell its customer which items to drop.
func insufficientStock(shop string, short []shortage) error {
	e := apierr.FailedPrecondition("not enough stock of %d SKU(s) in shop %s, starting with %s: %d requested, %d available; nothing was reserved",
		len(short), shop, short[0].sku, short[0].requested, short[0].available).
		WithReason("INSUFFICIENT_STOCK").
		WithMetadata("shop", shop)
	for _, s := range short {
		e.WithPreconditionViolation("STOCK", stockName(shop, s.sku),
			fmt.Sprintf("%d units requested, %d available", s.requested, s.available))
	}
	return e
}

// reservationReused reports another request under a reservation_id that
// is in use.
func reservationReused(shop, id string) error {
	return apierr.InvalidArgument("reservation %s exists with other lines or ttl; send the same request to get it, or use a new reservation_id", reservationName(shop, id)).
		WithReason("RESERVATION_ID_REUSED").
		WithMetadata("shop", shop, "reservationId", id).
		WithFieldViolation("reservation_id", "is in use by a reservation with other lines or ttl")
}
