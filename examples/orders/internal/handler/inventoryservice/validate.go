package inventoryservice

import (
	"fmt"
	"regexp"
	"time"

	"github.com/new-service/new-service/examples/orders/apierr"
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
)

// Limits of this service, which the API leaves open.
const (
	// maxUnits bounds on_hand and a line's quantity. Any real stock fits,
	// and sums of units over the lines a 4 MiB request can hold stay far
	// from overflowing an int64.
	maxUnits = 1_000_000_000_000
	// maxTTL is the longest reservation the API allows.
	maxTTL = 24 * time.Hour
	// maxLines bounds a reservation's lines, as OrderService bounds an
	// order's items: past it, lines are not checked one by one.
	maxLines = 100
	// maxEcho bounds how much of a caller's value a violation quotes.
	maxEcho = 64
)

// echo is a caller's value as a violation may quote it: at most maxEcho
// bytes (apierr.Truncate).
func echo(s string) string { return apierr.Truncate(s, maxEcho) }

var (
	// shopPattern is OrderService's rule for shops, so that every order's
	// shop has stock here.
	shopPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	// skuPattern is what SKUs look like ("TSHIRT-M-BLUE"): safe in a REST
	// path. OrderService checks order items against the same rule.
	skuPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	// reservationIDPattern admits order IDs and UUIDs alike.
	reservationIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
)

// violations collects every problem with a request, so that one
// INVALID_ARGUMENT answer lists them all (apierr.Violations), and knows this
// service's field rules.
type violations struct{ apierr.Violations }

func (v *violations) checkShop(field, shop string) {
	switch {
	case shop == "":
		v.Add(field, "required")
	case !shopPattern.MatchString(shop):
		v.Add(field, "must be 1 to 63 lower-case letters, digits and hyphens, starting with a letter or digit, got %q", echo(shop))
	}
}

func (v *violations) checkSKU(field, sku string) {
	switch {
	case sku == "":
		v.Add(field, "required")
	case !skuPattern.MatchString(sku):
		v.Add(field, "must be 1 to 64 letters, digits, '.', '_' and '-', starting with a letter or digit, got %q", echo(sku))
	}
}

func (v *violations) checkReservationID(field, id string) {
	switch {
	case id == "":
		v.Add(field, "required: choose one per order (the order's ID), so that retries reserve once")
	case !reservationIDPattern.MatchString(id):
		v.Add(field, "must be 1 to 128 letters, digits, '.', '_' and '-', starting with a letter or digit, got %q", echo(id))
	}
}

// checkLines checks a reservation's lines. A SKU may appear on several
// lines; they are reserved together.
func (v *violations) checkLines(field string, lines []*inventoryv1.ReserveStockRequest_Line) {
	switch {
	case len(lines) == 0:
		v.Add(field, "required: reserve at least one line")
		return
	case len(lines) > maxLines:
		v.Add(field, "must be at most %d lines, got %d", maxLines, len(lines))
		return
	}
	for i, l := range lines {
		path := fmt.Sprintf("%s[%d]", field, i)
		v.checkSKU(path+".sku", l.GetSku())
		if q := l.GetQuantity(); q < 1 || q > maxUnits {
			v.Add(path+".quantity", "must be between 1 and %d, got %d", int64(maxUnits), q)
		}
	}
}

// checkTTL returns the reservation's ttl, 0 for none.
func (v *violations) checkTTL(field string, req *inventoryv1.ReserveStockRequest) time.Duration {
	ttl := req.GetTtl()
	if ttl == nil {
		return 0
	}
	if err := ttl.CheckValid(); err != nil {
		v.Add(field, "is not a valid duration: %v", err)
		return 0
	}
	d := ttl.AsDuration()
	if d < 0 || d > maxTTL {
		v.Add(field, "must be between 0 (no expiry) and %v, got %v", maxTTL, d)
		return 0
	}
	return d
}
