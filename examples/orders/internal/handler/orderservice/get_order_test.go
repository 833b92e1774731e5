package orderservice

import (
	"github.com/new-service/new-service/examples/orders/apierr/apierrtest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

func TestGetOrder(t *testing.T) {
	s, _ := newTestService(t)
	created := create(t, s, "s")
	tests := []struct {
		name       string
		req        *ordersv1.GetOrderRequest
		want       *ordersv1.Order
		wantCode   codes.Code
		wantReason string
		wantFields []string
	}{
		{
			name: "found",
			req:  &ordersv1.GetOrderRequest{Shop: "s", OrderId: created.GetOrderId()},
			want: created,
		},
		{
			name:       "no such order",
			req:        &ordersv1.GetOrderRequest{Shop: "s", OrderId: "nope"},
			wantCode:   codes.NotFound,
			wantReason: "ORDER_NOT_FOUND",
		},
		{
			name:       "no such shop",
			req:        &ordersv1.GetOrderRequest{Shop: "t", OrderId: created.GetOrderId()},
			wantCode:   codes.NotFound,
			wantReason: "ORDER_NOT_FOUND",
		},
		{
			name:       "empty request",
			req:        &ordersv1.GetOrderRequest{},
			wantCode:   codes.InvalidArgument,
			wantReason: "INVALID_REQUEST",
			wantFields: []string{"shop", "order_id"},
		},
		{
			name:       "malformed order_id",
			req:        &ordersv1.GetOrderRequest{Shop: "s", OrderId: "a/b"},
			wantCode:   codes.InvalidArgument,
			wantReason: "INVALID_REQUEST",
			wantFields: []string{"order_id"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checked(s.GetOrder, t.Context(), tt.req)
			apierrtest.Check(t, err, tt.wantCode, tt.wantReason)
			switch tt.wantCode {
			case codes.OK:
				if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
					t.Errorf("GetOrder mismatch (-want +got):\n%s", diff)
				}
			case codes.NotFound:
				want := &errdetails.ResourceInfo{ResourceType: "acme.orders.v1.Order", ResourceName: "shops/" + tt.req.GetShop() + "/orders/" + tt.req.GetOrderId()}
				got := apierrtest.Detail[*errdetails.ResourceInfo](t, err)
				if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&errdetails.ResourceInfo{}, "description")); diff != "" {
					t.Errorf("ResourceInfo mismatch (-want +got):\n%s", diff)
				}
			case codes.InvalidArgument:
				if diff := cmp.Diff(tt.wantFields, apierrtest.Fields(t, err)); diff != "" {
					t.Errorf("field violations mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestGetOrderReturnsCopies checks that a caller changing what it got
// leaves the stored order alone.
func TestGetOrderReturnsCopies(t *testing.T) {
	s, _ := newTestService(t)
	created := create(t, s, "s")
	req := &ordersv1.GetOrderRequest{Shop: "s", OrderId: created.GetOrderId()}
	first, err := checked(s.GetOrder, t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	first.Note = "changed by the caller"
	first.Items[0].Quantity = 99
	second, err := checked(s.GetOrder, t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(created, second, protocmp.Transform()); diff != "" {
		t.Errorf("stored order changed (-want +got):\n%s", diff)
	}
}
