package orderservice

import (
	"github.com/new-service/new-service/examples/orders/apierr/apierrtest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

func TestDeleteOrder(t *testing.T) {
	tests := []struct {
		name string
		// req builds the request for the created order.
		req        func(created *ordersv1.Order) *ordersv1.DeleteOrderRequest
		state      ordersv1.Order_State // the order's state; PENDING if unset
		wantCode   codes.Code
		wantReason string
		wantFields []string // for INVALID_ARGUMENT
	}{
		{
			name: "deletes",
			req: func(created *ordersv1.Order) *ordersv1.DeleteOrderRequest {
				return &ordersv1.DeleteOrderRequest{Shop: "s", OrderId: created.GetOrderId()}
			},
		},
		{
			name:  "deletes in any state",
			state: ordersv1.Order_STATE_SHIPPED,
			req: func(created *ordersv1.Order) *ordersv1.DeleteOrderRequest {
				return &ordersv1.DeleteOrderRequest{Shop: "s", OrderId: created.GetOrderId()}
			},
		},
		{
			name: "with the current etag",
			req: func(created *ordersv1.Order) *ordersv1.DeleteOrderRequest {
				return &ordersv1.DeleteOrderRequest{Shop: "s", OrderId: created.GetOrderId(), Etag: created.GetEtag()}
			},
		},
		{
			name: "with a stale etag",
			req: func(created *ordersv1.Order) *ordersv1.DeleteOrderRequest {
				return &ordersv1.DeleteOrderRequest{Shop: "s", OrderId: created.GetOrderId(), Etag: "stale"}
			},
			wantCode:   codes.Aborted,
			wantReason: "ETAG_MISMATCH",
		},
		{
			name: "no such order",
			req: func(*ordersv1.Order) *ordersv1.DeleteOrderRequest {
				return &ordersv1.DeleteOrderRequest{Shop: "s", OrderId: "nope"}
			},
			wantCode:   codes.NotFound,
			wantReason: "ORDER_NOT_FOUND",
		},
		{
			name: "empty request",
			req: func(*ordersv1.Order) *ordersv1.DeleteOrderRequest {
				return &ordersv1.DeleteOrderRequest{}
			},
			wantCode:   codes.InvalidArgument,
			wantReason: "INVALID_REQUEST",
			wantFields: []string{"shop", "order_id"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			created := create(t, s, "s")
			if tt.state != ordersv1.Order_STATE_UNSPECIFIED {
				setState(t, s, "s", created.GetOrderId(), tt.state)
			}
			req := tt.req(created)
			_, err := checked(s.DeleteOrder, t.Context(), req)
			apierrtest.Check(t, err, tt.wantCode, tt.wantReason)
			switch tt.wantCode {
			case codes.InvalidArgument:
				if diff := cmp.Diff(tt.wantFields, apierrtest.Fields(t, err)); diff != "" {
					t.Errorf("field violations mismatch (-want +got):\n%s", diff)
				}
			case codes.NotFound:
				want := resourceName(req.GetShop(), req.GetOrderId())
				if got := apierrtest.Detail[*errdetails.ResourceInfo](t, err).GetResourceName(); got != want {
					t.Errorf("ResourceInfo.resource_name = %q, want %q", got, want)
				}
			}
			// The order is gone exactly when the delete succeeded.
			_, err = checked(s.GetOrder, t.Context(), &ordersv1.GetOrderRequest{Shop: "s", OrderId: created.GetOrderId()})
			wantGet, wantGetReason := codes.OK, ""
			if tt.wantCode == codes.OK {
				wantGet, wantGetReason = codes.NotFound, "ORDER_NOT_FOUND"
			}
			apierrtest.Check(t, err, wantGet, wantGetReason)
		})
	}
}

// TestDeleteOrderRetried checks what the API promises a retried delete: a
// second delete of the same order is NOT_FOUND.
func TestDeleteOrderRetried(t *testing.T) {
	s, _ := newTestService(t)
	created := create(t, s, "s")
	req := &ordersv1.DeleteOrderRequest{Shop: "s", OrderId: created.GetOrderId()}
	if _, err := checked(s.DeleteOrder, t.Context(), req); err != nil {
		t.Fatalf("first delete: %v", err)
	}
	_, err := checked(s.DeleteOrder, t.Context(), req)
	apierrtest.Check(t, err, codes.NotFound, "ORDER_NOT_FOUND")
}
