package inventoryservice

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/new-service/new-service/examples/orders/apierr/apierrtest"
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
)

func TestGetStock(t *testing.T) {
	s, clock := newTestService(t)
	setStock(t, s, "s", "TSHIRT-M-BLUE", 7)
	clock.Advance(time.Minute)
	setStock(t, s, "s", "EMPTY", 0)
	tests := []struct {
		name       string
		req        *inventoryv1.GetStockRequest
		want       *inventoryv1.Stock
		wantCode   codes.Code
		wantReason string
		wantFields []string
	}{
		{
			name: "found",
			req:  &inventoryv1.GetStockRequest{Shop: "s", Sku: "TSHIRT-M-BLUE"},
			want: &inventoryv1.Stock{Shop: "s", Sku: "TSHIRT-M-BLUE", OnHand: 7, UpdateTime: ts(t0)},
		},
		{
			name: "set to zero is found",
			req:  &inventoryv1.GetStockRequest{Shop: "s", Sku: "EMPTY"},
			want: &inventoryv1.Stock{Shop: "s", Sku: "EMPTY", UpdateTime: ts(t0.Add(time.Minute))},
		},
		{
			name:       "never set",
			req:        &inventoryv1.GetStockRequest{Shop: "s", Sku: "OTHER"},
			wantCode:   codes.NotFound,
			wantReason: "STOCK_NOT_FOUND",
		},
		{
			name:       "stock is per shop",
			req:        &inventoryv1.GetStockRequest{Shop: "t", Sku: "TSHIRT-M-BLUE"},
			wantCode:   codes.NotFound,
			wantReason: "STOCK_NOT_FOUND",
		},
		{
			name:       "empty request",
			req:        &inventoryv1.GetStockRequest{},
			wantCode:   codes.InvalidArgument,
			wantFields: []string{"shop", "sku"},
		},
		{
			name:       "malformed shop and sku",
			req:        &inventoryv1.GetStockRequest{Shop: "S", Sku: "a/b"},
			wantCode:   codes.InvalidArgument,
			wantFields: []string{"shop", "sku"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.GetStock(t.Context(), tt.req)
			switch tt.wantCode {
			case codes.OK:
				apierrtest.Check(t, err, codes.OK, "")
				if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
					t.Errorf("GetStock mismatch (-want +got):\n%s", diff)
				}
			case codes.InvalidArgument:
				if diff := cmp.Diff(tt.wantFields, apierrtest.Fields(t, err)); diff != "" {
					t.Errorf("field violations mismatch (-want +got):\n%s", diff)
				}
			default:
				apierrtest.Check(t, err, tt.wantCode, tt.wantReason)
				want := &errdetails.ResourceInfo{ResourceType: "acme.inventory.v1.Stock", ResourceName: "shops/" + tt.req.GetShop() + "/skus/" + tt.req.GetSku() + "/stock"}
				got := apierrtest.Detail[*errdetails.ResourceInfo](t, err)
				if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&errdetails.ResourceInfo{}, "description")); diff != "" {
					t.Errorf("ResourceInfo mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}
