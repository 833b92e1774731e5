package orderservice

import (
	"github.com/new-service/new-service/examples/orders/apierr/apierrtest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// createForUpdate creates the order the update tests start from, with every
// updatable field set.
func createForUpdate(t *testing.T, s *Service) *ordersv1.Order {
	t.Helper()
	o, err := checked(s.CreateOrder, t.Context(), &ordersv1.CreateOrderRequest{
		Shop: "s",
		Order: &ordersv1.Order{
			Items:      []*ordersv1.LineItem{item("A", 2, 1, 500_000_000)},
			Note:       "first",
			CouponCode: ptr("C1"),
			Labels:     map[string]string{"channel": "web"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

func TestUpdateOrder(t *testing.T) {
	newItems := []*ordersv1.LineItem{item("B", 3, 2, 0), item("C", 1, 0, 10)}
	tests := []struct {
		name  string
		order *ordersv1.Order // shop and order_id are filled in
		mask  *fieldmaskpb.FieldMask
		etag  bool // send the current etag
		// want changes the created order into the expected one; update_time
		// and etag are set by the test.
		want func(o *ordersv1.Order)
	}{
		{
			name:  "note",
			order: &ordersv1.Order{Note: "second"},
			mask:  mask("note"),
			want:  func(o *ordersv1.Order) { o.Note = "second" },
		},
		{
			name:  "a named field left empty is cleared",
			order: &ordersv1.Order{},
			mask:  mask("note", "labels"),
			want:  func(o *ordersv1.Order) { o.Note, o.Labels = "", nil },
		},
		{
			name:  "an empty coupon removes it",
			order: &ordersv1.Order{CouponCode: ptr("")},
			mask:  mask("coupon_code"),
			want:  func(o *ordersv1.Order) { o.CouponCode = nil },
		},
		{
			name:  "a named, absent coupon removes it",
			order: &ordersv1.Order{},
			mask:  mask("coupon_code"),
			want:  func(o *ordersv1.Order) { o.CouponCode = nil },
		},
		{
			name:  "labels are replaced whole",
			order: &ordersv1.Order{Labels: map[string]string{"team": "b2b"}},
			mask:  mask("labels"),
			want:  func(o *ordersv1.Order) { o.Labels = map[string]string{"team": "b2b"} },
		},
		{
			name:  "new items recompute the total",
			order: &ordersv1.Order{Items: newItems},
			mask:  mask("items"),
			want:  func(o *ordersv1.Order) { o.Items, o.Total = newItems, eur(6, 10) },
		},
		{
			name:  "a star replaces every updatable field",
			order: &ordersv1.Order{Items: newItems, State: ordersv1.Order_STATE_SHIPPED},
			mask:  mask("*"),
			want: func(o *ordersv1.Order) {
				o.Items, o.Total, o.Note, o.CouponCode, o.Labels = newItems, eur(6, 10), "", nil, nil
			},
		},
		{
			name:  "without a mask, the populated fields",
			order: &ordersv1.Order{Note: "second", CouponCode: ptr("")},
			want:  func(o *ordersv1.Order) { o.Note, o.CouponCode = "second", nil },
		},
		{
			name:  "an empty mask is no mask",
			order: &ordersv1.Order{Labels: map[string]string{"team": "b2b"}},
			mask:  mask(),
			want:  func(o *ordersv1.Order) { o.Labels = map[string]string{"team": "b2b"} },
		},
		{
			name: "output-only values are ignored",
			order: &ordersv1.Order{
				Note:       "second",
				State:      ordersv1.Order_STATE_SHIPPED,
				Total:      eur(1, 0),
				CreateTime: ts(t0.Add(-time.Hour)),
				UpdateTime: ts(t0.Add(-time.Hour)),
			},
			mask: mask("note"),
			want: func(o *ordersv1.Order) { o.Note = "second" },
		},
		{
			name:  "the current etag is accepted, and skipped in the mask",
			order: &ordersv1.Order{Note: "second"},
			mask:  mask("note", "etag"),
			etag:  true,
			want:  func(o *ordersv1.Order) { o.Note = "second" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestService(t)
			created := createForUpdate(t, s)
			clock.Advance(time.Hour)
			in := proto.Clone(tt.order).(*ordersv1.Order)
			in.Shop, in.OrderId = created.GetShop(), created.GetOrderId()
			if tt.etag {
				in.Etag = created.GetEtag()
			}
			got, err := checked(s.UpdateOrder, t.Context(), &ordersv1.UpdateOrderRequest{Order: in, UpdateMask: tt.mask})
			if err != nil {
				t.Fatalf("UpdateOrder: %v", err)
			}
			want := proto.Clone(created).(*ordersv1.Order)
			tt.want(want)
			want.UpdateTime = ts(t0.Add(time.Hour))
			want.Etag = etagOf(2)
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("UpdateOrder mismatch (-want +got):\n%s", diff)
			}
			stored, err := checked(s.GetOrder, t.Context(), &ordersv1.GetOrderRequest{Shop: "s", OrderId: created.GetOrderId()})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, stored, protocmp.Transform()); diff != "" {
				t.Errorf("stored order differs from the response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateOrderErrors(t *testing.T) {
	tests := []struct {
		name  string
		state ordersv1.Order_State // the order's state; PENDING if unset
		// req builds the request for the created order.
		req        func(created *ordersv1.Order) *ordersv1.UpdateOrderRequest
		wantCode   codes.Code
		wantReason string
		wantFields []string // for INVALID_ARGUMENT
	}{
		{
			name: "no order",
			req: func(*ordersv1.Order) *ordersv1.UpdateOrderRequest {
				return &ordersv1.UpdateOrderRequest{UpdateMask: mask("note")}
			},
			wantCode:   codes.InvalidArgument,
			wantReason: "INVALID_REQUEST",
			wantFields: []string{"order"},
		},
		{
			name: "malformed name",
			req: func(*ordersv1.Order) *ordersv1.UpdateOrderRequest {
				return &ordersv1.UpdateOrderRequest{Order: &ordersv1.Order{OrderId: "A"}, UpdateMask: mask("note")}
			},
			wantCode:   codes.InvalidArgument,
			wantReason: "INVALID_REQUEST",
			wantFields: []string{"order.shop", "order.order_id"},
		},
		{
			name:       "unknown and identifying paths",
			req:        update(&ordersv1.Order{Note: "x"}, "note", "colour", "shop"),
			wantCode:   codes.InvalidArgument,
			wantReason: "INVALID_REQUEST",
			wantFields: []string{"update_mask.paths[1]", "update_mask.paths[2]"},
		},
		{
			// The server refuses these before the handler (orders.proto).
			name:       "output-only and immutable paths",
			req:        update(&ordersv1.Order{Note: "x"}, "note", "state", "total.units", "update_time", "customer_id"),
			wantCode:   codes.InvalidArgument,
			wantReason: "INVALID_REQUEST",
			wantFields: []string{"order.state", "order.total", "order.update_time", "order.customer_id"},
		},
		{
			name:       "map keys are not paths",
			req:        update(&ordersv1.Order{}, "labels.channel"),
			wantCode:   codes.InvalidArgument,
			wantReason: "INVALID_REQUEST",
			wantFields: []string{"update_mask.paths[0]"},
		},
		{
			name:       "no mask and nothing populated",
			req:        update(&ordersv1.Order{}),
			wantCode:   codes.InvalidArgument,
			wantReason: "INVALID_REQUEST",
			wantFields: []string{"update_mask"},
		},
		{
			name:       "a mask of the etag only",
			req:        update(&ordersv1.Order{}, "etag"),
			wantCode:   codes.InvalidArgument,
			wantReason: "INVALID_REQUEST",
			wantFields: []string{"update_mask"},
		},
		{
			name:       "masked fields are validated",
			req:        update(&ordersv1.Order{Items: []*ordersv1.LineItem{item("A", 0, 1, 0)}, Note: strings.Repeat("x", maxNoteChars+1)}, "items", "note"),
			wantCode:   codes.InvalidArgument,
			wantReason: "INVALID_REQUEST",
			wantFields: []string{"order.items[0].quantity", "order.note"},
		},
		{
			// protovalidate rules hold for the whole request, named in the
			// mask or not.
			name:       "unmasked fields are checked against their rules too",
			req:        update(&ordersv1.Order{Note: strings.Repeat("x", maxNoteChars+1)}, "labels"),
			wantCode:   codes.InvalidArgument,
			wantReason: "INVALID_REQUEST",
			wantFields: []string{"order.note"},
		},
		{
			// REQUIRED fields of the order hold only where the mask names
			// them: an update of the note needs no items.
			name:     "unmasked required fields are not required",
			req:      update(&ordersv1.Order{Note: "x"}, "note"),
			wantCode: codes.OK,
		},
		{
			name: "no such order",
			req: func(*ordersv1.Order) *ordersv1.UpdateOrderRequest {
				return &ordersv1.UpdateOrderRequest{Order: &ordersv1.Order{Shop: "s", OrderId: "nope", Note: "x"}}
			},
			wantCode:   codes.NotFound,
			wantReason: "ORDER_NOT_FOUND",
		},
		{
			name: "stale etag",
			req: func(created *ordersv1.Order) *ordersv1.UpdateOrderRequest {
				return &ordersv1.UpdateOrderRequest{Order: &ordersv1.Order{Shop: "s", OrderId: created.GetOrderId(), Note: "x", Etag: "stale"}}
			},
			wantCode:   codes.Aborted,
			wantReason: "ETAG_MISMATCH",
		},
		{
			name:  "a stale etag is reported before the state",
			state: ordersv1.Order_STATE_PAID,
			req: func(created *ordersv1.Order) *ordersv1.UpdateOrderRequest {
				return &ordersv1.UpdateOrderRequest{Order: &ordersv1.Order{Shop: "s", OrderId: created.GetOrderId(), Note: "x", Etag: "stale"}}
			},
			wantCode:   codes.Aborted,
			wantReason: "ETAG_MISMATCH",
		},
		{
			name:       "paid",
			state:      ordersv1.Order_STATE_PAID,
			req:        update(&ordersv1.Order{Note: "x"}),
			wantCode:   codes.FailedPrecondition,
			wantReason: "ORDER_NOT_PENDING",
		},
		{
			name:       "cancelled",
			state:      ordersv1.Order_STATE_CANCELLED,
			req:        update(&ordersv1.Order{Note: "x"}, "note"),
			wantCode:   codes.FailedPrecondition,
			wantReason: "ORDER_NOT_PENDING",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			created := createForUpdate(t, s)
			if tt.state != ordersv1.Order_STATE_UNSPECIFIED {
				setState(t, s, "s", created.GetOrderId(), tt.state)
				created.State = tt.state
			}
			req := tt.req(created)
			_, err := checked(s.UpdateOrder, t.Context(), req)
			apierrtest.Check(t, err, tt.wantCode, tt.wantReason)
			name := resourceName("s", req.GetOrder().GetOrderId())
			switch tt.wantCode {
			case codes.InvalidArgument:
				if diff := cmp.Diff(tt.wantFields, apierrtest.Fields(t, err)); diff != "" {
					t.Errorf("field violations mismatch (-want +got):\n%s", diff)
				}
			case codes.NotFound:
				if got := apierrtest.Detail[*errdetails.ResourceInfo](t, err).GetResourceName(); got != name {
					t.Errorf("ResourceInfo.resource_name = %q, want %q", got, name)
				}
			case codes.FailedPrecondition:
				want := []*errdetails.PreconditionFailure_Violation{{Type: "STATE", Subject: name}}
				got := apierrtest.Detail[*errdetails.PreconditionFailure](t, err).GetViolations()
				if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&errdetails.PreconditionFailure_Violation{}, "description")); diff != "" {
					t.Errorf("PreconditionFailure mismatch (-want +got):\n%s", diff)
				}
			}
			if err == nil {
				return
			}
			stored, err := checked(s.GetOrder, t.Context(), &ordersv1.GetOrderRequest{Shop: "s", OrderId: created.GetOrderId()})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(created, stored, protocmp.Transform()); diff != "" {
				t.Errorf("a failed update changed the order (-want +got):\n%s", diff)
			}
		})
	}
}

// update returns a request builder for the created order with the fields
// of o and the mask paths given; no paths means no mask.
func update(o *ordersv1.Order, paths ...string) func(*ordersv1.Order) *ordersv1.UpdateOrderRequest {
	return func(created *ordersv1.Order) *ordersv1.UpdateOrderRequest {
		in := proto.Clone(o).(*ordersv1.Order)
		in.Shop, in.OrderId = created.GetShop(), created.GetOrderId()
		req := &ordersv1.UpdateOrderRequest{Order: in}
		if len(paths) > 0 {
			req.UpdateMask = mask(paths...)
		}
		return req
	}
}

// TestUpdateOrderEtags checks that every write changes the etag, and that
// the etag of an earlier read is then refused.
func TestUpdateOrderEtags(t *testing.T) {
	s, _ := newTestService(t)
	created := createForUpdate(t, s)
	seen := map[string]bool{created.GetEtag(): true}
	etag := created.GetEtag()
	for _, note := range []string{"a", "b", "c"} {
		o, err := checked(s.UpdateOrder, t.Context(), &ordersv1.UpdateOrderRequest{
			Order: &ordersv1.Order{Shop: "s", OrderId: created.GetOrderId(), Note: note, Etag: etag},
		})
		if err != nil {
			t.Fatalf("UpdateOrder with the current etag: %v", err)
		}
		if seen[o.GetEtag()] {
			t.Errorf("etag %q repeats", o.GetEtag())
		}
		seen[o.GetEtag()] = true
		etag = o.GetEtag()
	}
	_, err := checked(s.UpdateOrder, t.Context(), &ordersv1.UpdateOrderRequest{
		Order: &ordersv1.Order{Shop: "s", OrderId: created.GetOrderId(), Note: "d", Etag: created.GetEtag()},
	})
	apierrtest.Check(t, err, codes.Aborted, "ETAG_MISMATCH")
}
