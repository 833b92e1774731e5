package orderservice

import (
	"context"
	"github.com/new-service/new-service/examples/orders/apierr/apierrtest"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/new-service/new-service/examples/orders/apierr"
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
	"github.com/new-service/new-service/examples/orders/internal/deps"
)

// createStep is one thing a reservation test does, in shop "s".
type createStep struct {
	// before runs first, e.g. to change the stock.
	before func(t *testing.T, s *Service, inv *inventory)
	req    *ordersv1.CreateOrderRequest
	// wantCode and wantReason are what CreateOrder returns.
	wantCode   codes.Code
	wantReason string
	// wantShort are the subjects of an INSUFFICIENT_STOCK error's
	// violations.
	wantShort []string
}

func order(id, requestID string, items ...*ordersv1.LineItem) *ordersv1.CreateOrderRequest {
	return &ordersv1.CreateOrderRequest{Shop: "s", OrderId: id, RequestId: requestID, Order: &ordersv1.Order{Items: items}}
}

const otherRequestID = "223e4567-e89b-12d3-a456-426614174000"

func TestCreateOrderReserves(t *testing.T) {
	tests := []struct {
		name         string
		stock        map[string]int64 // on hand in shop "s"
		steps        []createStep
		wantCalls    []*inventoryv1.ReserveStockRequest // that reached the inventory
		wantReserved map[string]int64
		wantOrders   []string
	}{
		{
			name:  "reserves the items under the order's ID, one line per SKU",
			stock: map[string]int64{"A": 5, "B": 5},
			steps: []createStep{{req: order("", "", item("A", 2, 1, 0), item("B", 1, 1, 0), item("A", 1, 2, 0))}},
			wantCalls: []*inventoryv1.ReserveStockRequest{{
				Shop: "s", ReservationId: "id-0001", Lines: []*inventoryv1.ReserveStockRequest_Line{{Sku: "A", Quantity: 3}, {Sku: "B", Quantity: 1}},
				Ttl: durationpb.New(reservationTTL),
			}},
			wantReserved: map[string]int64{"A": 3, "B": 1},
			wantOrders:   []string{"id-0001"},
		},
		{
			name:  "short stock fails with the inventory's details, and stores nothing",
			stock: map[string]int64{"A": 5, "B": 1},
			steps: []createStep{{
				req:        order("", "", item("A", 5, 1, 0), item("B", 2, 1, 0), item("C", 1, 1, 0)),
				wantCode:   codes.FailedPrecondition,
				wantReason: "INSUFFICIENT_STOCK",
				wantShort:  []string{"shops/s/skus/B/stock", "shops/s/skus/C/stock"},
			}},
			wantCalls: []*inventoryv1.ReserveStockRequest{{
				Shop: "s", ReservationId: "id-0001", Lines: []*inventoryv1.ReserveStockRequest_Line{{Sku: "A", Quantity: 5}, {Sku: "B", Quantity: 2}, {Sku: "C", Quantity: 1}},
				Ttl: durationpb.New(reservationTTL),
			}},
			wantReserved: map[string]int64{"A": 0, "B": 0},
		},
		{
			name:         "an invalid request never reaches the inventory",
			stock:        map[string]int64{"A": 5},
			steps:        []createStep{{req: &ordersv1.CreateOrderRequest{}, wantCode: codes.InvalidArgument, wantReason: "INVALID_REQUEST"}},
			wantReserved: map[string]int64{"A": 0},
		},
		{
			name:  "a retry of a call that completed reserves nothing",
			stock: map[string]int64{"A": 5},
			steps: []createStep{
				{req: order("", requestID, item("A", 2, 1, 0))},
				{req: order("", requestID, item("A", 2, 1, 0))},
			},
			wantCalls: []*inventoryv1.ReserveStockRequest{{
				Shop: "s", ReservationId: "id-0001", Lines: []*inventoryv1.ReserveStockRequest_Line{{Sku: "A", Quantity: 2}}, Ttl: durationpb.New(reservationTTL),
			}},
			wantReserved: map[string]int64{"A": 2},
			wantOrders:   []string{"id-0001"},
		},
		{
			name:  "a retry of a call that failed reserves under the same ID",
			stock: map[string]int64{"A": 1},
			steps: []createStep{
				{req: order("", requestID, item("A", 2, 1, 0)), wantCode: codes.FailedPrecondition, wantReason: "INSUFFICIENT_STOCK", wantShort: []string{"shops/s/skus/A/stock"}},
				{
					before: func(t *testing.T, _ *Service, inv *inventory) { inv.setStock(t, "s", "A", 2) },
					req:    order("", requestID, item("A", 2, 1, 0)),
				},
			},
			wantCalls: []*inventoryv1.ReserveStockRequest{
				{Shop: "s", ReservationId: "id-0001", Lines: []*inventoryv1.ReserveStockRequest_Line{{Sku: "A", Quantity: 2}}, Ttl: durationpb.New(reservationTTL)},
				{Shop: "s", ReservationId: "id-0001", Lines: []*inventoryv1.ReserveStockRequest_Line{{Sku: "A", Quantity: 2}}, Ttl: durationpb.New(reservationTTL)},
			},
			wantReserved: map[string]int64{"A": 2},
			wantOrders:   []string{"id-0001"},
		},
		{
			name:  "the ID of a deleted order, for other items, is taken until its reservation lapses",
			stock: map[string]int64{"A": 5},
			steps: []createStep{
				{req: order("x", "", item("A", 1, 1, 0))},
				{
					before: func(t *testing.T, s *Service, _ *inventory) {
						if _, err := checked(s.DeleteOrder, t.Context(), &ordersv1.DeleteOrderRequest{Shop: "s", OrderId: "x"}); err != nil {
							t.Fatal(err)
						}
					},
					req:        order("x", otherRequestID, item("A", 2, 1, 0)),
					wantCode:   codes.AlreadyExists,
					wantReason: "ORDER_ID_TAKEN",
				},
			},
			wantCalls: []*inventoryv1.ReserveStockRequest{
				{Shop: "s", ReservationId: "x", Lines: []*inventoryv1.ReserveStockRequest_Line{{Sku: "A", Quantity: 1}}, Ttl: durationpb.New(reservationTTL)},
				{Shop: "s", ReservationId: "x", Lines: []*inventoryv1.ReserveStockRequest_Line{{Sku: "A", Quantity: 2}}, Ttl: durationpb.New(reservationTTL)},
			},
			wantReserved: map[string]int64{"A": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := startInventory(t, nil)
			for sku, n := range tt.stock {
				inv.setStock(t, "s", sku, n)
			}
			s, _ := newTestServiceWith(t, &deps.Deps{Inventory: dialInventory(t, inv.addr)})
			for i, step := range tt.steps {
				if step.before != nil {
					step.before(t, s, inv)
				}
				_, err := checked(s.CreateOrder, testCtx(t), step.req)
				apierrtest.Check(t, err, step.wantCode, step.wantReason)
				if step.wantShort == nil {
					continue
				}
				var subjects []string
				for _, v := range apierrtest.Detail[*errdetails.PreconditionFailure](t, err).GetViolations() {
					subjects = append(subjects, v.GetSubject())
				}
				if diff := cmp.Diff(step.wantShort, subjects); diff != "" {
					t.Errorf("step %d: short SKUs mismatch (-want +got):\n%s", i, diff)
				}
			}

			var calls []*inventoryv1.ReserveStockRequest
			for _, c := range inv.reserveCalls() {
				calls = append(calls, c.req)
			}
			if diff := cmp.Diff(tt.wantCalls, calls, protocmp.Transform()); diff != "" {
				t.Errorf("ReserveStock calls mismatch (-want +got):\n%s", diff)
			}
			got := map[string]int64{}
			for sku := range tt.wantReserved {
				got[sku] = inv.reserved(t, sku)
			}
			if diff := cmp.Diff(tt.wantReserved, got); diff != "" {
				t.Errorf("reserved units mismatch (-want +got):\n%s", diff)
			}
			var orders []string
			list, err := checked(s.ListOrders, t.Context(), &ordersv1.ListOrdersRequest{Shop: "s"})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range list.GetOrders() {
				orders = append(orders, o.GetOrderId())
			}
			if diff := cmp.Diff(tt.wantOrders, orders); diff != "" {
				t.Errorf("stored orders mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreateOrderInventoryErrors checks what CreateOrder's caller sees for
// each answer of the inventory.
func TestCreateOrderInventoryErrors(t *testing.T) {
	tests := []struct {
		name       string
		answer     error // what the inventory answers
		wantCode   codes.Code
		wantReason string
	}{
		{
			name:       "short stock passes through unchanged",
			answer:     apierr.FailedPrecondition("short").WithReason("INSUFFICIENT_STOCK").WithPreconditionViolation("STOCK", "shops/s/skus/A/stock", "none"),
			wantCode:   codes.FailedPrecondition,
			wantReason: "INSUFFICIENT_STOCK",
		},
		{name: "unavailable passes through", answer: apierr.Unavailable("down").WithReason("INVENTORY_DOWN"), wantCode: codes.Unavailable, wantReason: "INVENTORY_DOWN"},
		{name: "deadline exceeded passes through", answer: apierr.DeadlineExceeded("slow"), wantCode: codes.DeadlineExceeded, wantReason: "DEADLINE_EXCEEDED"},
		{name: "resource exhausted passes through", answer: apierr.ResourceExhausted("busy").WithReason("QUOTA_EXCEEDED"), wantCode: codes.ResourceExhausted, wantReason: "QUOTA_EXCEEDED"},
		{
			name:       "a reused reservation ID is a taken order ID",
			answer:     apierr.InvalidArgument("reused").WithReason("RESERVATION_ID_REUSED"),
			wantCode:   codes.AlreadyExists,
			wantReason: "ORDER_ID_TAKEN",
		},
		{name: "a refused request is this service's bug", answer: apierr.InvalidArgument("bad").WithReason("INVALID_REQUEST"), wantCode: codes.Internal, wantReason: "INVENTORY_FAILED"},
		{name: "a missing RPC is this service's bug", answer: apierr.Unimplemented("no"), wantCode: codes.Internal, wantReason: "INVENTORY_FAILED"},
		{name: "an inventory bug is this service's failure", answer: apierr.Internal("oops"), wantCode: codes.Internal, wantReason: "INVENTORY_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := startInventory(t, func(inv *inventory) { inv.fail = tt.answer })
			s, _ := newTestServiceWith(t, &deps.Deps{Inventory: dialInventory(t, inv.addr)})
			_, err := checked(s.CreateOrder, testCtx(t), order("", "", item("A", 1, 1, 0)))
			apierrtest.Check(t, err, tt.wantCode, tt.wantReason)
			if tt.wantCode == codes.FailedPrecondition {
				want := []*errdetails.PreconditionFailure_Violation{{Type: "STOCK", Subject: "shops/s/skus/A/stock", Description: "none"}}
				got := apierrtest.Detail[*errdetails.PreconditionFailure](t, err).GetViolations()
				if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
					t.Errorf("PreconditionFailure mismatch (-want +got):\n%s", diff)
				}
			}
			if list, _ := checked(s.ListOrders, t.Context(), &ordersv1.ListOrdersRequest{Shop: "s"}); len(list.GetOrders()) != 0 {
				t.Errorf("a failed reservation stored %d orders, want 0", len(list.GetOrders()))
			}
		})
	}
}

// TestCreateOrderInventoryDown checks that an inventory nobody answers for
// is UNAVAILABLE to the caller, who may retry.
func TestCreateOrderInventoryDown(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	s, _ := newTestServiceWith(t, &deps.Deps{Inventory: dialInventory(t, addr)})
	_, err = checked(s.CreateOrder, testCtx(t), order("", "", item("A", 1, 1, 0)))
	apierrtest.Check(t, err, codes.Unavailable, "")
}

// TestCreateOrderClaims checks what a create sees while another create of
// the same order ID is still reserving its stock.
func TestCreateOrderClaims(t *testing.T) {
	tests := []struct {
		name   string
		first  *ordersv1.CreateOrderRequest
		second *ordersv1.CreateOrderRequest
		// wantJoin: the second call reserves under the first's ID and
		// waits with it; otherwise it is refused with ORDER_ID_TAKEN.
		wantJoin bool
	}{
		{
			name:   "another create of the ID is refused",
			first:  order("x", "", item("A", 1, 1, 0)),
			second: order("x", otherRequestID, item("A", 2, 1, 0)),
		},
		{
			name:     "a retry of the same request joins the first",
			first:    order("", requestID, item("A", 1, 1, 0)),
			second:   order("", requestID, item("A", 1, 1, 0)),
			wantJoin: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := startInventory(t, func(inv *inventory) { inv.hold = true })
			s, _ := newTestServiceWith(t, &deps.Deps{Inventory: dialInventory(t, inv.addr)})
			test := testCtx(t)
			ctx, cancel := context.WithCancel(test)
			defer cancel()
			returned := make(chan error, 2)
			entered := func() reserveCall {
				t.Helper()
				select {
				case c := <-inv.entered:
					return c
				case <-test.Done():
					t.Fatal("CreateOrder did not reach the inventory")
					return reserveCall{}
				}
			}

			go func() {
				_, err := checked(s.CreateOrder, ctx, tt.first)
				returned <- err
			}()
			first := entered()
			calls := 1
			if tt.wantJoin {
				go func() {
					_, err := checked(s.CreateOrder, ctx, tt.second)
					returned <- err
				}()
				if second := entered(); second.req.GetReservationId() != first.req.GetReservationId() {
					t.Errorf("the retry reserved under %q, want the first call's %q", second.req.GetReservationId(), first.req.GetReservationId())
				}
				calls = 2
			} else {
				_, err := checked(s.CreateOrder, ctx, tt.second)
				apierrtest.Check(t, err, codes.AlreadyExists, "ORDER_ID_TAKEN")
			}

			cancel()
			for range calls {
				select {
				case err := <-returned:
					apierrtest.Check(t, err, codes.Canceled, "")
				case <-test.Done():
					t.Fatal("CreateOrder did not return when its caller cancelled")
				}
			}
			if n := len(inv.reserveCalls()); n != calls {
				t.Errorf("%d calls reached the inventory, want %d", n, calls)
			}
			s.store.mu.Lock()
			defer s.store.mu.Unlock()
			if n := len(s.store.claims); n != 0 {
				t.Errorf("%d order IDs still claimed after every create returned, want 0", n)
			}
		})
	}
}
