package orderservice

import (
	"fmt"
	"github.com/new-service/new-service/examples/orders/apierr/apierrtest"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/new-service/new-service/examples/orders/apierr"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

const requestID = "123e4567-e89b-12d3-a456-426614174000"

func TestCreateOrder(t *testing.T) {
	items := []*ordersv1.LineItem{item("A", 2, 1, 500_000_000), item("B", 1, 0, 750_000_000)}
	// want is the order every case creates, unless it says otherwise.
	want := func() *ordersv1.Order {
		return &ordersv1.Order{
			Shop:       "berlin-1",
			OrderId:    "id-0001",
			State:      ordersv1.Order_STATE_PENDING,
			Items:      items,
			Total:      eur(3, 750_000_000),
			CreateTime: ts(t0),
			UpdateTime: ts(t0),
			Etag:       etagOf(1),
		}
	}
	labels := map[string]string{}
	for i := range maxLabels {
		labels[string(rune('a'+i))] = "x"
	}
	tests := []struct {
		name string
		req  *ordersv1.CreateOrderRequest
		want *ordersv1.Order
	}{
		{
			name: "the server chooses the ID",
			req:  &ordersv1.CreateOrderRequest{Shop: "berlin-1", Order: &ordersv1.Order{Items: items}},
			want: want(),
		},
		{
			name: "the caller chooses the ID",
			req:  &ordersv1.CreateOrderRequest{Shop: "berlin-1", OrderId: "my-order-7", Order: &ordersv1.Order{Items: items}},
			want: func() *ordersv1.Order { o := want(); o.OrderId = "my-order-7"; return o }(),
		},
		{
			name: "output-only and identifying fields in the body are ignored",
			req: &ordersv1.CreateOrderRequest{Shop: "berlin-1", Order: &ordersv1.Order{
				Shop:       "paris",
				OrderId:    "chosen-in-the-body",
				State:      ordersv1.Order_STATE_SHIPPED,
				Items:      items,
				Total:      eur(1, 0),
				CreateTime: ts(t0.Add(-time.Hour)),
				UpdateTime: ts(t0.Add(-time.Hour)),
				Etag:       "forged",
			}},
			want: want(),
		},
		{
			name: "note, coupon and labels at their limits are kept",
			req: &ordersv1.CreateOrderRequest{Shop: "berlin-1", Order: &ordersv1.Order{
				Items:      items,
				Note:       strings.Repeat("é", maxNoteChars),
				CouponCode: ptr("SPRING"),
				Labels:     labels,
			}},
			want: func() *ordersv1.Order {
				o := want()
				o.Note = strings.Repeat("é", maxNoteChars)
				o.CouponCode = ptr("SPRING")
				o.Labels = labels
				return o
			}(),
		},
		{
			name: "an empty coupon means none",
			req:  &ordersv1.CreateOrderRequest{Shop: "berlin-1", Order: &ordersv1.Order{Items: items, CouponCode: ptr("")}},
			want: want(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			got, err := checked(s.CreateOrder, t.Context(), tt.req)
			if err != nil {
				t.Fatalf("CreateOrder: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("CreateOrder mismatch (-want +got):\n%s", diff)
			}
			stored, err := checked(s.GetOrder, t.Context(), &ordersv1.GetOrderRequest{Shop: got.GetShop(), OrderId: got.GetOrderId()})
			if err != nil {
				t.Fatalf("GetOrder: %v", err)
			}
			if diff := cmp.Diff(got, stored, protocmp.Transform()); diff != "" {
				t.Errorf("stored order differs from the response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateOrderInvalid(t *testing.T) {
	order := func(items ...*ordersv1.LineItem) *ordersv1.Order { return &ordersv1.Order{Items: items} }
	priced := func(units int64, nanos int32, currency string) *ordersv1.LineItem {
		return &ordersv1.LineItem{Sku: "A", Quantity: 1, UnitPrice: &ordersv1.Money{CurrencyCode: currency, Units: units, Nanos: nanos}}
	}
	tooManyLabels := map[string]string{}
	for i := range maxLabels + 1 {
		tooManyLabels[string(rune('a'+i))] = "x"
	}
	tests := []struct {
		name       string
		req        *ordersv1.CreateOrderRequest
		wantFields []string
	}{
		{
			name:       "empty request",
			req:        &ordersv1.CreateOrderRequest{},
			wantFields: []string{"shop", "order"},
		},
		{
			name:       "shop with upper case",
			req:        &ordersv1.CreateOrderRequest{Shop: "Berlin", Order: order(item("A", 1, 1, 0))},
			wantFields: []string{"shop"},
		},
		{
			name:       "shop too long",
			req:        &ordersv1.CreateOrderRequest{Shop: strings.Repeat("a", 64), Order: order(item("A", 1, 1, 0))},
			wantFields: []string{"shop"},
		},
		{
			name:       "order_id starting with a hyphen",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", OrderId: "-1", Order: order(item("A", 1, 1, 0))},
			wantFields: []string{"order_id"},
		},
		{
			name:       "request_id not a UUID",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", RequestId: "retry-1", Order: order(item("A", 1, 1, 0))},
			wantFields: []string{"request_id"},
		},
		{
			name:       "malformed SKUs",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", Order: order(item("A B", 1, 1, 0), item("-A", 1, 1, 0), item("TSHIRT-M_2.0", 1, 1, 0), item(strings.Repeat("A", 65), 1, 1, 0))},
			wantFields: []string{"order.items[0].sku", "order.items[1].sku", "order.items[3].sku"},
		},
		{
			name:       "no items",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", Order: order()},
			wantFields: []string{"order.items"},
		},
		{
			name:       "empty item",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", Order: order(&ordersv1.LineItem{})},
			wantFields: []string{"order.items[0].sku", "order.items[0].quantity", "order.items[0].unit_price"},
		},
		{
			name:       "quantity out of range",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", Order: order(item("A", 0, 1, 0), item("B", 1, 1, 0), item("C", 1000, 1, 0), item("D", 1001, 1, 0), item("E", -1, 1, 0))},
			wantFields: []string{"order.items[0].quantity", "order.items[3].quantity", "order.items[4].quantity"},
		},
		{
			name:       "malformed currency codes",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", Order: order(priced(1, 0, "eur"), priced(1, 0, "EURO"), priced(1, 0, ""))},
			wantFields: []string{"order.items[0].unit_price.currency_code", "order.items[1].unit_price.currency_code", "order.items[2].unit_price.currency_code"},
		},
		{
			name:       "mixed currencies",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", Order: order(priced(1, 0, "EUR"), priced(1, 0, "USD"), priced(1, 0, "EUR"))},
			wantFields: []string{"order.items[1].unit_price.currency_code"},
		},
		{
			name:       "nanos out of range",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", Order: order(priced(1, 1_000_000_000, "EUR"), priced(-1, -1_000_000_000, "EUR"), priced(0, 999_999_999, "EUR"))},
			wantFields: []string{"order.items[0].unit_price.nanos", "order.items[1].unit_price.nanos"},
		},
		{
			name:       "nanos with the other sign than units",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", Order: order(priced(1, -1, "EUR"), priced(-1, 1, "EUR"), priced(0, -5, "EUR"), priced(0, 5, "EUR"))},
			wantFields: []string{"order.items[0].unit_price", "order.items[1].unit_price"},
		},
		{
			name:       "note too long",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", Order: &ordersv1.Order{Items: order(item("A", 1, 1, 0)).Items, Note: strings.Repeat("é", maxNoteChars+1)}},
			wantFields: []string{"order.note"},
		},
		{
			name:       "too many labels",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", Order: &ordersv1.Order{Items: order(item("A", 1, 1, 0)).Items, Labels: tooManyLabels}},
			wantFields: []string{"order.labels"},
		},
		{
			name: "one item over maxItems is one violation",
			req: &ordersv1.CreateOrderRequest{Shop: "s", Order: order(func() []*ordersv1.LineItem {
				items := make([]*ordersv1.LineItem, maxItems+1)
				for i := range items {
					items[i] = item(fmt.Sprintf("SKU-%d", i), 1, 1, 0)
				}
				return items
			}()...)},
			wantFields: []string{"order.items"},
		},
		{
			name: "45,000 bad items get the first 50 violations",
			req: &ordersv1.CreateOrderRequest{Shop: "s", Order: &ordersv1.Order{Items: func() []*ordersv1.LineItem {
				items := make([]*ordersv1.LineItem, 45_000)
				for i := range items {
					items[i] = item("", 0, 1, 0)
				}
				return items
			}()}},
			wantFields: func() []string {
				var fields []string
				for i := range apierr.MaxViolations / 2 {
					fields = append(fields, fmt.Sprintf("order.items[%d].sku", i), fmt.Sprintf("order.items[%d].quantity", i))
				}
				return fields
			}(),
		},
		{
			name:       "label key and value too long",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", Order: &ordersv1.Order{Items: order(item("A", 1, 1, 0)).Items, Labels: map[string]string{strings.Repeat("k", maxLabelChars+1): "v", "team": strings.Repeat("v", maxLabelChars+1), "": "x"}}},
			wantFields: []string{`order.labels["kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"]`, `order.labels["team"]`, `order.labels[""]`},
		},
		{
			name:       "total overflows",
			req:        &ordersv1.CreateOrderRequest{Shop: "s", Order: order(item("A", 3, math.MaxInt64/2, 0))},
			wantFields: []string{"order.items"},
		},
		{
			name: "every violation is listed",
			req: &ordersv1.CreateOrderRequest{Shop: "S", OrderId: "ID", RequestId: "x", Order: &ordersv1.Order{
				Items:  []*ordersv1.LineItem{item("", 0, 1, 0)},
				Note:   strings.Repeat("x", maxNoteChars+1),
				Labels: tooManyLabels,
			}},
			// REQUIRED fields first, then the protovalidate rules.
			wantFields: []string{"order.items[0].sku", "order.items[0].quantity", "shop", "order_id", "request_id", "order.note", "order.labels"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			_, err := checked(s.CreateOrder, t.Context(), tt.req)
			// Violations of map entries come in map order.
			if diff := cmp.Diff(tt.wantFields, apierrtest.Fields(t, err), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("field violations mismatch (-want +got):\n%s", diff)
			}
			if n := len(s.store.shops); n != 0 {
				t.Errorf("store has %d shops after a failed create, want 0", n)
			}
		})
	}
}

func TestCreateOrderIDs(t *testing.T) {
	tests := []struct {
		name       string
		taken      []string // IDs callers chose first, in shop "s"
		req        *ordersv1.CreateOrderRequest
		newID      []string // what the ID generator returns, in turn
		wantID     string
		wantCode   codes.Code
		wantReason string
	}{
		{
			name:       "a taken ID is ALREADY_EXISTS",
			taken:      []string{"a"},
			req:        &ordersv1.CreateOrderRequest{Shop: "s", OrderId: "a"},
			wantCode:   codes.AlreadyExists,
			wantReason: "ORDER_ID_TAKEN",
		},
		{
			name:   "IDs are per shop",
			taken:  []string{"a"},
			req:    &ordersv1.CreateOrderRequest{Shop: "t", OrderId: "a"},
			wantID: "a",
		},
		{
			name:   "a generated ID that is taken is replaced",
			taken:  []string{"gen-1"},
			req:    &ordersv1.CreateOrderRequest{Shop: "s"},
			newID:  []string{"gen-1", "gen-2"},
			wantID: "gen-2",
		},
		{
			name:       "a generator that finds no free ID fails",
			taken:      []string{"gen-1"},
			req:        &ordersv1.CreateOrderRequest{Shop: "s"},
			newID:      []string{"gen-1", "gen-1", "gen-1", "gen-1", "gen-1", "gen-1", "gen-1", "gen-1", "gen-2"},
			wantCode:   codes.Internal,
			wantReason: "ORDER_ID_UNAVAILABLE",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			for _, id := range tt.taken {
				if _, err := checked(s.CreateOrder, t.Context(), &ordersv1.CreateOrderRequest{Shop: "s", OrderId: id, Order: &ordersv1.Order{Items: []*ordersv1.LineItem{item("A", 1, 1, 0)}}}); err != nil {
					t.Fatalf("CreateOrder(%q): %v", id, err)
				}
			}
			ids := tt.newID
			s.newID = func() string {
				if len(ids) == 0 {
					t.Fatal("the generator was asked for more IDs than the test has")
				}
				id := ids[0]
				ids = ids[1:]
				return id
			}
			tt.req.Order = &ordersv1.Order{Items: []*ordersv1.LineItem{item("A", 1, 1, 0)}}
			got, err := checked(s.CreateOrder, t.Context(), tt.req)
			apierrtest.Check(t, err, tt.wantCode, tt.wantReason)
			if got.GetOrderId() != tt.wantID {
				t.Errorf("order_id = %q, want %q", got.GetOrderId(), tt.wantID)
			}
		})
	}
}

func TestCreateOrderIdempotency(t *testing.T) {
	first := func() *ordersv1.CreateOrderRequest {
		return &ordersv1.CreateOrderRequest{
			Shop:      "s",
			RequestId: requestID,
			Order:     &ordersv1.Order{Items: []*ordersv1.LineItem{item("A", 1, 1, 0)}, Note: "first"},
		}
	}
	tests := []struct {
		name string
		// meanwhile runs between the two calls.
		meanwhile func(t *testing.T, s *Service, clock *fakeClock, created *ordersv1.Order)
		// retry changes the second request.
		retry    func(req *ordersv1.CreateOrderRequest)
		wantSame bool // the retry returns the first response
		// wantFields, when set, are the fields of the retry's
		// REQUEST_ID_REUSED error.
		wantFields []string
		wantOrders int // in the shop the first call used
	}{
		{
			name:       "a retry returns the first order",
			wantSame:   true,
			wantOrders: 1,
		},
		{
			name:       "a retry ignores output-only fields",
			retry:      func(req *ordersv1.CreateOrderRequest) { req.Order.State = ordersv1.Order_STATE_PAID },
			wantSame:   true,
			wantOrders: 1,
		},
		{
			name: "a retry returns the first response though the order changed",
			meanwhile: func(t *testing.T, s *Service, _ *fakeClock, created *ordersv1.Order) {
				if _, err := checked(s.CancelOrder, t.Context(), &ordersv1.CancelOrderRequest{Shop: created.GetShop(), OrderId: created.GetOrderId()}); err != nil {
					t.Fatal(err)
				}
			},
			wantSame:   true,
			wantOrders: 1,
		},
		{
			name: "a retry just inside the window is still a retry",
			meanwhile: func(_ *testing.T, _ *Service, clock *fakeClock, _ *ordersv1.Order) {
				clock.Advance(idempotencyWindow - time.Nanosecond)
			},
			wantSame:   true,
			wantOrders: 1,
		},
		{
			name:       "after the window the request_id is forgotten",
			meanwhile:  func(_ *testing.T, _ *Service, clock *fakeClock, _ *ordersv1.Order) { clock.Advance(idempotencyWindow) },
			wantOrders: 2,
		},
		{
			name:       "request_ids are per shop",
			retry:      func(req *ordersv1.CreateOrderRequest) { req.Shop = "t" },
			wantOrders: 1,
		},
		{
			name:       "the same request_id with another body",
			retry:      func(req *ordersv1.CreateOrderRequest) { req.Order.Note = "second" },
			wantFields: []string{"request_id"},
			wantOrders: 1,
		},
		{
			name:       "the same request_id with another order_id",
			retry:      func(req *ordersv1.CreateOrderRequest) { req.OrderId = "mine" },
			wantFields: []string{"request_id"},
			wantOrders: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestService(t)
			created, err := checked(s.CreateOrder, t.Context(), first())
			if err != nil {
				t.Fatal(err)
			}
			if tt.meanwhile != nil {
				tt.meanwhile(t, s, clock, created)
			}
			req := first()
			if tt.retry != nil {
				tt.retry(req)
			}
			got, err := checked(s.CreateOrder, t.Context(), req)
			switch {
			case tt.wantFields != nil:
				apierrtest.Check(t, err, codes.InvalidArgument, "REQUEST_ID_REUSED")
				if diff := cmp.Diff(tt.wantFields, fieldsOf(err)); diff != "" {
					t.Errorf("field violations mismatch (-want +got):\n%s", diff)
				}
			case err != nil:
				t.Fatalf("retry: %v", err)
			case tt.wantSame:
				if diff := cmp.Diff(created, got, protocmp.Transform()); diff != "" {
					t.Errorf("retry returned another order (-want +got):\n%s", diff)
				}
			case got.GetShop() == created.GetShop() && got.GetOrderId() == created.GetOrderId():
				t.Errorf("retry returned the first order %s, want a new one", got.GetOrderId())
			}
			list, err := checked(s.ListOrders, t.Context(), &ordersv1.ListOrdersRequest{Shop: "s"})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(list.GetOrders()); got != tt.wantOrders {
				t.Errorf("shop has %d orders, want %d", got, tt.wantOrders)
			}
		})
	}
}

// TestCreateOrderConcurrentRetries checks that retries racing each other
// create one order between them.
func TestCreateOrderConcurrentRetries(t *testing.T) {
	s, _ := newTestService(t)
	const callers = 16
	ids := make([]string, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			o, err := checked(s.CreateOrder, t.Context(), &ordersv1.CreateOrderRequest{
				Shop:      "s",
				RequestId: requestID,
				Order:     &ordersv1.Order{Items: []*ordersv1.LineItem{item("A", 1, 1, 0)}},
			})
			if err != nil {
				t.Errorf("CreateOrder: %v", err)
			}
			ids[i] = o.GetOrderId()
		})
	}
	wg.Wait()
	want := make([]string, callers)
	for i := range want {
		want[i] = "id-0001"
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("order IDs mismatch (-want +got):\n%s", diff)
	}
}

// TestCreateOrderEchoBounded checks that a violation quotes at most
// maxEcho bytes of what the caller sent, however long it was.
func TestCreateOrderEchoBounded(t *testing.T) {
	s, _ := newTestService(t)
	long := strings.Repeat("é", 1<<20)
	_, err := checked(s.CreateOrder, t.Context(), &ordersv1.CreateOrderRequest{Shop: long, Order: &ordersv1.Order{Items: []*ordersv1.LineItem{item(long, 1, 1, 0)}}})
	for _, v := range apierr.FieldViolations(err) {
		if len(v.GetDescription()) > 300 {
			t.Errorf("violation of %s is %d bytes long, want the caller's value cut to %d bytes", v.GetField(), len(v.GetDescription()), maxEcho)
		}
	}
	// The request is too large for every protovalidate violation to be
	// listed: the first is.
	if got := len(apierr.FieldViolations(err)); got != 1 {
		t.Errorf("%d violations, want 1 (the first of shop and the item's sku)", got)
	}
}

// TestCreateOrderStoreFull checks that the store refuses orders past
// maxStoreBytes with RESOURCE_EXHAUSTED (STORE_FULL), before any stock is
// reserved, and takes them again once orders are deleted.
func TestCreateOrderStoreFull(t *testing.T) {
	s, _ := newTestService(t)
	s.store.bytes = maxStoreBytes - 10 // as if full of orders
	_, err := checked(s.CreateOrder, t.Context(), &ordersv1.CreateOrderRequest{Shop: "s", Order: &ordersv1.Order{Items: []*ordersv1.LineItem{item("A", 1, 1, 0)}}})
	if status.Code(err) != codes.ResourceExhausted || apierr.Reason(err) != "STORE_FULL" {
		t.Fatalf("CreateOrder in a full store: %v, want RESOURCE_EXHAUSTED STORE_FULL", err)
	}
	s.store.bytes = 0
	o := create(t, s, "s")
	if s.store.bytes != proto.Size(o) {
		t.Errorf("store counts %d bytes after one create, want the order's %d", s.store.bytes, proto.Size(o))
	}
	if _, err := checked(s.DeleteOrder, t.Context(), &ordersv1.DeleteOrderRequest{Shop: "s", OrderId: o.GetOrderId()}); err != nil {
		t.Fatal(err)
	}
	if s.store.bytes != 0 {
		t.Errorf("store counts %d bytes after deleting its only order, want 0", s.store.bytes)
	}
}
