package orderservice

import (
	"context"
	"crypto/sha256"
	"maps"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// CreateOrder places an order. Sending the same request_id again returns
// the order the first call created, so callers can retry safely.
//
//	POST /v1/shops/{shop}/orders
//
// The new order is PENDING, and the server sets its total, times and etag.
// The fields the API marks OUTPUT_ONLY (state, total, create_time,
// update_time) are ignored when sent (AIP-203), and so are order.shop,
// order.order_id and order.etag: the request's shop and order_id name the
// order. An empty coupon_code means no coupon.
//
// A request_id (a UUID) is remembered per shop for 24 hours with a
// fingerprint of the request. A retry of the same request returns the
// response of the first call, even if the order has changed or gone since
// (AIP-155). The same request_id with a different request is
// INVALID_ARGUMENT rather than ALREADY_EXISTS: it is a client bug that no
// retry fixes, and ALREADY_EXISTS already means that order_id is taken, to
// which a caller may reasonably react by reading that order: here, the
// wrong one.
func (s *Service) CreateOrder(ctx context.Context, req *ordersv1.CreateOrderRequest) (*ordersv1.Order, error) {
	var v violations
	v.checkID("shop", req.GetShop())
	if req.GetOrderId() != "" {
		v.checkID("order_id", req.GetOrderId())
	}
	v.checkRequestID("request_id", req.GetRequestId())
	in := req.GetOrder()
	var total *ordersv1.Money
	if in == nil {
		v.add("order", "required")
	} else {
		total = v.checkItems("order.items", in.GetItems())
		v.checkNote("order.note", in.GetNote())
		v.checkLabels("order.labels", in.GetLabels())
	}
	if err := v.err(); err != nil {
		return nil, err
	}

	// Copying the fields a caller may set, rather than clearing those it may
	// not, keeps a field added to Order later out until someone decides.
	o := &ordersv1.Order{
		Shop:    req.GetShop(),
		OrderId: req.GetOrderId(),
		Items:   cloneItems(in.GetItems()),
		Note:    in.GetNote(),
		Labels:  maps.Clone(in.GetLabels()),
	}
	if c := in.GetCouponCode(); c != "" {
		o.CouponCode = &c
	}
	fp, err := fingerprint(o)
	if err != nil {
		return nil, err
	}
	o.Total = total
	return s.store.create(s.now(), o, s.newID, req.GetRequestId(), fp)
}

// fingerprint identifies what a CreateOrder call asks for, o being the
// order built from the request: retries that differ only in fields the
// server ignores have the same fingerprint. Deterministic marshalling is
// stable within one binary, which is as long as this store lives; a
// persistent store should hash a canonical form instead.
func fingerprint(o *ordersv1.Order) ([sha256.Size]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(o)
	if err != nil {
		return [sha256.Size]byte{}, status.Errorf(codes.Internal, "fingerprint the request: %v", err)
	}
	return sha256.Sum256(b), nil
}

func cloneItems(items []*ordersv1.LineItem) []*ordersv1.LineItem {
	out := make([]*ordersv1.LineItem, len(items))
	for i, item := range items {
		out[i] = proto.Clone(item).(*ordersv1.LineItem)
	}
	return out
}
