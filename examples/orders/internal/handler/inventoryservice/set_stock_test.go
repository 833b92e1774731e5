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

func TestSetStock(t *testing.T) {
	const sku = "TSHIRT-M-BLUE"
	tests := []struct {
		name string
		// before sets up the shop "s" at t0; the test then advances the
		// clock by a minute and calls SetStock.
		before     func(t *testing.T, s *Service)
		req        *inventoryv1.SetStockRequest
		want       *inventoryv1.Stock // also what GetStock returns afterwards
		wantCode   codes.Code
		wantReason string
		wantFields []string
	}{
		{
			name: "creates the stock",
			req:  &inventoryv1.SetStockRequest{Shop: "s", Sku: sku, OnHand: 10},
			want: &inventoryv1.Stock{Shop: "s", Sku: sku, OnHand: 10, UpdateTime: ts(t0.Add(time.Minute))},
		},
		{
			name:   "replaces the count",
			before: func(t *testing.T, s *Service) { setStock(t, s, "s", sku, 10) },
			req:    &inventoryv1.SetStockRequest{Shop: "s", Sku: sku, OnHand: 3},
			want:   &inventoryv1.Stock{Shop: "s", Sku: sku, OnHand: 3, UpdateTime: ts(t0.Add(time.Minute))},
		},
		{
			name: "zero",
			req:  &inventoryv1.SetStockRequest{Shop: "s", Sku: sku},
			want: &inventoryv1.Stock{Shop: "s", Sku: sku, UpdateTime: ts(t0.Add(time.Minute))},
		},
		{
			name:   "down to the units reserved",
			before: func(t *testing.T, s *Service) { setStock(t, s, "s", sku, 10); reserve(t, s, "r1", 0, line(sku, 4)) },
			req:    &inventoryv1.SetStockRequest{Shop: "s", Sku: sku, OnHand: 4},
			want:   &inventoryv1.Stock{Shop: "s", Sku: sku, OnHand: 4, Reserved: 4, UpdateTime: ts(t0.Add(time.Minute))},
		},
		{
			name:       "below the units reserved",
			before:     func(t *testing.T, s *Service) { setStock(t, s, "s", sku, 10); reserve(t, s, "r1", 0, line(sku, 4)) },
			req:        &inventoryv1.SetStockRequest{Shop: "s", Sku: sku, OnHand: 3},
			want:       &inventoryv1.Stock{Shop: "s", Sku: sku, OnHand: 10, Reserved: 4, UpdateTime: ts(t0)},
			wantCode:   codes.FailedPrecondition,
			wantReason: "STOCK_BELOW_RESERVED",
		},
		{
			name:       "negative",
			req:        &inventoryv1.SetStockRequest{Shop: "s", Sku: sku, OnHand: -1},
			wantCode:   codes.InvalidArgument,
			wantFields: []string{"on_hand"},
		},
		{
			name:       "too many",
			req:        &inventoryv1.SetStockRequest{Shop: "s", Sku: sku, OnHand: maxUnits + 1},
			wantCode:   codes.InvalidArgument,
			wantFields: []string{"on_hand"},
		},
		{
			name:       "empty request",
			req:        &inventoryv1.SetStockRequest{},
			wantCode:   codes.InvalidArgument,
			wantFields: []string{"shop", "sku"},
		},
		{
			name:       "every violation is listed",
			req:        &inventoryv1.SetStockRequest{Shop: "-s", Sku: "-", OnHand: -5},
			wantCode:   codes.InvalidArgument,
			wantFields: []string{"shop", "sku", "on_hand"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestService(t)
			if tt.before != nil {
				tt.before(t, s)
			}
			clock.Advance(time.Minute)
			got, err := s.SetStock(t.Context(), tt.req)
			switch tt.wantCode {
			case codes.OK:
				apierrtest.Check(t, err, codes.OK, "")
				if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
					t.Errorf("SetStock mismatch (-want +got):\n%s", diff)
				}
			case codes.InvalidArgument:
				if diff := cmp.Diff(tt.wantFields, apierrtest.Fields(t, err)); diff != "" {
					t.Errorf("field violations mismatch (-want +got):\n%s", diff)
				}
				return
			default:
				apierrtest.Check(t, err, tt.wantCode, tt.wantReason)
				want := []*errdetails.PreconditionFailure_Violation{{Type: "STOCK", Subject: "shops/s/skus/" + sku + "/stock"}}
				got := apierrtest.Detail[*errdetails.PreconditionFailure](t, err).GetViolations()
				if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&errdetails.PreconditionFailure_Violation{}, "description")); diff != "" {
					t.Errorf("PreconditionFailure mismatch (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tt.want, getStock(t, s, "s", sku), protocmp.Transform()); diff != "" {
				t.Errorf("stored stock mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
