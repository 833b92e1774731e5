package orderservice

import (
	"bytes"
	"github.com/new-service/new-service/examples/orders/apierr/apierrtest"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

func TestCancelOrder(t *testing.T) {
	const reason = "customer changed their mind"
	tests := []struct {
		name       string
		from       ordersv1.Order_State
		wantCode   codes.Code
		wantReason string
	}{
		{name: "pending", from: ordersv1.Order_STATE_PENDING},
		{name: "paid", from: ordersv1.Order_STATE_PAID},
		{name: "shipped", from: ordersv1.Order_STATE_SHIPPED, wantCode: codes.FailedPrecondition, wantReason: "ORDER_NOT_CANCELLABLE"},
		{name: "already cancelled", from: ordersv1.Order_STATE_CANCELLED, wantCode: codes.FailedPrecondition, wantReason: "ORDER_NOT_CANCELLABLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestService(t)
			var log bytes.Buffer
			s.deps.Logger = slog.New(slog.NewJSONHandler(&log, nil))
			created := create(t, s, "s")
			setState(t, s, "s", created.GetOrderId(), tt.from)
			created.State = tt.from
			clock.Advance(time.Minute)

			got, err := checked(s.CancelOrder, t.Context(), &ordersv1.CancelOrderRequest{Shop: "s", OrderId: created.GetOrderId(), Reason: reason})
			apierrtest.Check(t, err, tt.wantCode, tt.wantReason)
			want := created
			if tt.wantCode == codes.OK {
				want = proto.Clone(created).(*ordersv1.Order)
				want.State = ordersv1.Order_STATE_CANCELLED
				want.UpdateTime = ts(t0.Add(time.Minute))
				want.Etag = etagOf(2)
				if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
					t.Errorf("CancelOrder mismatch (-want +got):\n%s", diff)
				}
			} else {
				wantViolations := []*errdetails.PreconditionFailure_Violation{{Type: "STATE", Subject: resourceName("s", created.GetOrderId())}}
				gotViolations := apierrtest.Detail[*errdetails.PreconditionFailure](t, err).GetViolations()
				if diff := cmp.Diff(wantViolations, gotViolations, protocmp.Transform(), protocmp.IgnoreFields(&errdetails.PreconditionFailure_Violation{}, "description")); diff != "" {
					t.Errorf("PreconditionFailure mismatch (-want +got):\n%s", diff)
				}
				wantMeta := map[string]string{"shop": "s", "orderId": created.GetOrderId(), "state": stateName(tt.from)}
				if diff := cmp.Diff(wantMeta, apierr.Metadata(err)); diff != "" {
					t.Errorf("ErrorInfo metadata mismatch (-want +got):\n%s", diff)
				}
			}
			stored, err := checked(s.GetOrder, t.Context(), &ordersv1.GetOrderRequest{Shop: "s", OrderId: created.GetOrderId()})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, stored, protocmp.Transform()); diff != "" {
				t.Errorf("stored order mismatch (-want +got):\n%s", diff)
			}
			if logged := strings.Contains(log.String(), reason); logged != (tt.wantCode == codes.OK) {
				t.Errorf("reason logged = %v, want %v; log: %s", logged, tt.wantCode == codes.OK, log.String())
			}
		})
	}
}

func TestCancelOrderInvalid(t *testing.T) {
	tests := []struct {
		name       string
		req        *ordersv1.CancelOrderRequest
		wantCode   codes.Code
		wantReason string
		wantFields []string
	}{
		{name: "empty request", req: &ordersv1.CancelOrderRequest{}, wantCode: codes.InvalidArgument, wantReason: "INVALID_REQUEST", wantFields: []string{"shop", "order_id"}},
		{name: "malformed shop", req: &ordersv1.CancelOrderRequest{Shop: "s_1", OrderId: "a"}, wantCode: codes.InvalidArgument, wantReason: "INVALID_REQUEST", wantFields: []string{"shop"}},
		{name: "no such order", req: &ordersv1.CancelOrderRequest{Shop: "s", OrderId: "nope"}, wantCode: codes.NotFound, wantReason: "ORDER_NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			_, err := checked(s.CancelOrder, t.Context(), tt.req)
			apierrtest.Check(t, err, tt.wantCode, tt.wantReason)
			if tt.wantCode != codes.InvalidArgument {
				return
			}
			if diff := cmp.Diff(tt.wantFields, apierrtest.Fields(t, err)); diff != "" {
				t.Errorf("field violations mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
