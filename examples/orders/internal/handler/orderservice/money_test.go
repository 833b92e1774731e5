package orderservice

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

func TestSum(t *testing.T) {
	items := func(items ...*ordersv1.LineItem) []*ordersv1.LineItem { return items }
	tests := []struct {
		name   string
		items  []*ordersv1.LineItem
		want   *ordersv1.Money
		wantOK bool
	}{
		{
			name:   "one item",
			items:  items(item("A", 2, 1, 500_000_000)),
			want:   eur(3, 0),
			wantOK: true,
		},
		{
			name:   "nanos carry into units",
			items:  items(item("A", 3, 0, 333_333_334), item("B", 1, 2, 999_999_999)),
			want:   eur(4, 1),
			wantOK: true,
		},
		{
			name:   "negative prices",
			items:  items(item("A", 2, -1, -500_000_000)),
			want:   eur(-3, 0),
			wantOK: true,
		},
		{
			name:   "mixed signs come out sign-consistent",
			items:  items(item("A", 1, 1, 250_000_000), item("B", 1, -2, -500_000_000)),
			want:   eur(-1, -250_000_000),
			wantOK: true,
		},
		{
			name:   "the largest amount",
			items:  items(item("A", 1, math.MaxInt64, 999_999_999)),
			want:   eur(math.MaxInt64, 999_999_999),
			wantOK: true,
		},
		{
			name:   "the smallest amount",
			items:  items(item("A", 1, math.MinInt64, -999_999_999)),
			want:   eur(math.MinInt64, -999_999_999),
			wantOK: true,
		},
		{
			name:   "an intermediate sum may overflow if the total does not",
			items:  items(item("A", 1, math.MaxInt64, 0), item("B", 1, math.MaxInt64, 0), item("C", 2, math.MinInt64/2, 0)),
			want:   eur(math.MaxInt64-1, 0),
			wantOK: true,
		},
		{
			name:  "one nano too many",
			items: items(item("A", 1, math.MaxInt64, 999_999_999), item("B", 1, 0, 1)),
		},
		{
			name:  "a product too large",
			items: items(item("A", 1000, math.MaxInt64/1000+1, 0)),
		},
		{
			name:  "a negative total too large",
			items: items(item("A", 2, math.MinInt64/2, -500_000_000)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := sum(tt.items)
			if ok != tt.wantOK {
				t.Fatalf("sum ok = %v, want %v (total %v)", ok, tt.wantOK, got)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("sum mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
