package orderservice

import (
	"fmt"
	"regexp"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// The rules a single field can state are in orders.proto (protovalidate
// and google.api.field_behavior), and the server enforces them before any
// handler runs (internal/validation): REQUIRED fields, ID and SKU
// patterns, the note's, labels' and items' sizes, quantities, currency
// codes and nanos. What is left here spans fields or needs the store.
//
// The limits below are those orders.proto declares, named for the tests.
const (
	maxNoteChars = 500
	maxLabels    = 16
	// maxLabelChars bounds a label's key and its value (Kubernetes' label
	// value limit).
	maxLabelChars = 63
	// maxItems bounds an order's line items.
	maxItems = 100
	// maxEcho bounds how much of a caller's value a violation quotes.
	maxEcho = 64
)

var (
	// idPattern is what shops and order IDs look like: URL- and DNS-safe, so
	// they can appear in resource names and REST paths unescaped. The
	// request fields that name an order carry it as a protovalidate rule;
	// Order's own shop and order_id, which identify the order in an update,
	// are checked here.
	idPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

const idRule = "must be 1 to 63 lower-case letters, digits and hyphens, starting with a letter or digit"

// violations collects every problem with a request, so that one
// INVALID_ARGUMENT answer lists them all (apierr.Violations), and knows this
// service's field rules.
type violations struct{ apierr.Violations }

// checkID checks a required shop or order ID.
func (v *violations) checkID(field, id string) {
	switch {
	case id == "":
		v.Add(field, "required")
	case !idPattern.MatchString(id):
		v.Add(field, "%s, got %q", idRule, echo(id))
	}
}

// echo is a caller's value as a violation may quote it: at most maxEcho
// bytes (apierr.Truncate).
func echo(s string) string { return apierr.Truncate(s, maxEcho) }

// checkItems checks what orders.proto cannot say of an order's line items,
// each of which passed its own rules: that they share one currency and
// that their total fits in a Money. It returns the total, or nil after a
// violation. field is the items' path, e.g. "order.items".
func (v *violations) checkItems(field string, items []*ordersv1.LineItem) *ordersv1.Money {
	before := v.Len()
	currency := ""
	for i, item := range items {
		// One currency per order: the total is a single Money. The first
		// code sets it, so a typo in item 0 alone is reported once.
		code := item.GetUnitPrice().GetCurrencyCode()
		switch {
		case !currencyPattern.MatchString(code):
		case currency == "":
			currency = code
		case code != currency:
			v.Add(fmt.Sprintf("%s[%d].unit_price.currency_code", field, i), "is %s, but earlier items are in %s; all items must share one currency", code, currency)
		}
	}
	if v.Len() > before {
		return nil
	}
	total, ok := sum(items)
	if !ok {
		v.Add(field, "the total of the items does not fit in a Money (at most %d units)", int64(maxUnits))
		return nil
	}
	return total
}
