package orderservice

import (
	"math"
	"math/big"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// maxUnits is the largest whole amount a Money holds.
const maxUnits = math.MaxInt64

// nanosPerUnit is 10^9: Money counts nanos, billionths of a unit.
var nanosPerUnit = big.NewInt(1_000_000_000)

// sum returns the total of the items, quantity times unit price each, in
// the items' currency; ok is false if it does not fit in a Money. The items
// must have passed checkItems: valid nanos, one currency.
//
// The arithmetic runs on nanos as big integers, so neither a product nor a
// running sum can overflow on the way and only the result needs a range
// check. Splitting it back truncates toward zero, which gives units and
// nanos the same sign, as Money requires.
func sum(items []*ordersv1.LineItem) (total *ordersv1.Money, ok bool) {
	nanos := new(big.Int)
	currency := ""
	for _, item := range items {
		price := item.GetUnitPrice()
		currency = price.GetCurrencyCode()
		n := big.NewInt(price.GetUnits())
		n.Mul(n, nanosPerUnit)
		n.Add(n, big.NewInt(int64(price.GetNanos())))
		n.Mul(n, big.NewInt(int64(item.GetQuantity())))
		nanos.Add(nanos, n)
	}
	units, rem := new(big.Int).QuoRem(nanos, nanosPerUnit, new(big.Int))
	if !units.IsInt64() {
		return nil, false
	}
	return &ordersv1.Money{
		CurrencyCode: currency,
		Units:        units.Int64(),
		Nanos:        int32(rem.Int64()),
	}, true
}
