package orderservice

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// Limits from the API's comments, and the ones that bound what a caller
// can make this service hold, check and echo back.
const (
	maxNoteChars = 500
	maxLabels    = 16
	// maxLabelChars bounds a label's key and its value (Kubernetes' label
	// value limit).
	maxLabelChars = 63
	// maxItems bounds an order's line items. Items past it are not checked
	// one by one: a request with 45,000 bad items gets one violation, not
	// 45,000.
	maxItems    = 100
	minQuantity = 1
	maxQuantity = 1000
	maxNanos    = 999_999_999
	// maxEcho bounds how much of a caller's value a violation quotes.
	maxEcho = 64
)

var (
	// idPattern is what shops and order IDs look like: URL- and DNS-safe, so
	// they can appear in resource names and REST paths unescaped.
	idPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
	uuidPattern     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// skuPattern is InventoryService's rule for SKUs. Checking it here keeps
	// an order that inventory would refuse from getting that far, where the
	// refusal would name the reservation's fields, not the order's.
	skuPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
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

// checkNote checks an order's note; field is its path.
func (v *violations) checkNote(field, note string) {
	if n := utf8.RuneCountInString(note); n > maxNoteChars {
		v.Add(field, "must be at most %d characters, got %d", maxNoteChars, n)
	}
}

// checkLabels checks an order's labels; field is their path.
func (v *violations) checkLabels(field string, labels map[string]string) {
	if len(labels) > maxLabels {
		v.Add(field, "must be at most %d labels, got %d", maxLabels, len(labels))
		return
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if n := utf8.RuneCountInString(k); n == 0 || n > maxLabelChars {
			v.Add(field, "keys must be 1 to %d characters, got %d in %q", maxLabelChars, n, echo(k))
		}
		if n := utf8.RuneCountInString(labels[k]); n > maxLabelChars {
			v.Add(fmt.Sprintf("%s[%q]", field, echo(k)), "must be at most %d characters, got %d", maxLabelChars, n)
		}
	}
}

// echo is a caller's value as a violation may quote it: at most maxEcho
// bytes (apierr.Truncate).
func echo(s string) string { return apierr.Truncate(s, maxEcho) }

// checkItems checks an order's line items and returns their total, or nil
// if a violation was found (including a total too large for Money). field
// is the items' path, e.g. "order.items".
func (v *violations) checkItems(field string, items []*ordersv1.LineItem) *ordersv1.Money {
	switch {
	case len(items) == 0:
		v.Add(field, "required: an order has at least one item")
		return nil
	case len(items) > maxItems:
		v.Add(field, "must be at most %d items, got %d", maxItems, len(items))
		return nil
	}
	before := v.Len()
	currency := ""
	for i, item := range items {
		path := fmt.Sprintf("%s[%d]", field, i)
		switch sku := item.GetSku(); {
		case sku == "":
			v.Add(path+".sku", "required")
		case !skuPattern.MatchString(sku):
			v.Add(path+".sku", "must be 1 to 64 letters, digits, '.', '_' and '-', starting with a letter or digit, got %q", echo(sku))
		}
		if q := item.GetQuantity(); q < minQuantity || q > maxQuantity {
			v.Add(path+".quantity", "must be between %d and %d, got %d", minQuantity, maxQuantity, q)
		}
		price := item.GetUnitPrice()
		if price == nil {
			v.Add(path+".unit_price", "required")
			continue
		}
		v.checkMoney(path+".unit_price", price)
		// One currency per order: the total is a single Money. The first
		// well-formed code sets it, so a typo in item 0 alone is reported once.
		code := price.GetCurrencyCode()
		switch {
		case !currencyPattern.MatchString(code):
		case currency == "":
			currency = code
		case code != currency:
			v.Add(path+".unit_price.currency_code", "is %s, but earlier items are in %s; all items must share one currency", code, currency)
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

// checkMoney checks one amount; field is its path.
func (v *violations) checkMoney(field string, m *ordersv1.Money) {
	if code := m.GetCurrencyCode(); !currencyPattern.MatchString(code) {
		v.Add(field+".currency_code", "must be a three-letter upper-case ISO 4217 code such as EUR, got %q", echo(code))
	}
	units, nanos := m.GetUnits(), m.GetNanos()
	switch {
	case nanos < -maxNanos || nanos > maxNanos:
		v.Add(field+".nanos", "must be between -%d and %d, got %d", maxNanos, maxNanos, nanos)
	case units > 0 && nanos < 0, units < 0 && nanos > 0:
		v.Add(field+".nanos", "must have the same sign as units (%d), got %d", units, nanos)
	}
}

// checkRequestID checks an optional idempotency key.
func (v *violations) checkRequestID(field, id string) {
	if id != "" && !uuidPattern.MatchString(id) {
		v.Add(field, "must be a UUID such as 123e4567-e89b-12d3-a456-426614174000, got %q", echo(id))
	}
}

// checkOrderName checks the shop and order_id fields that name an order in
// GetOrder, DeleteOrder and CancelOrder.
func checkOrderName(shop, id string) error {
	var v violations
	v.checkID("shop", shop)
	v.checkID("order_id", id)
	return v.Err()
}
