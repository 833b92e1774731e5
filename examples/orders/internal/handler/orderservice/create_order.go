package orderservice

import (
	"context"
	"crypto/sha256"
	"maps"

	"google.golang.org/protobuf/proto"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// CreateOrder places an order. Sending the same request_id again returns
// the order the first call created, so callers can retry safely.
//
//	POST /v1/shops/{shop}/orders
//
// The new order is PENDING, and the server sets its total, times and etag.
// The fields the API marks OUTPUT_ONLY (state, total, create_time,
// update_time) are cleared before this runs (AIP-203), and order.shop,
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
//
// Once the request is valid and not a retry of a call that completed, the
// items are reserved in InventoryService (see [Service.reserve]) under the
// order's ID, before the order is stored, so that no order exists without
// its stock. A retry uses the ID of its first call, so it finds that call's
// reservation rather than reserving again. Stock that is short is
// FAILED_PRECONDITION (INSUFFICIENT_STOCK), with the inventory's details;
// no order is stored then, nor when the inventory cannot be reached.
//
// CreateOrder is a write: it counts against the caller's write rate (see
// [writeLimiter]) before anything else is checked. What a caller can make
// the service hold is bounded: at most 100 items and 16 labels of 63
// characters, and at most 32 MiB of orders in the store, past which creates
// are RESOURCE_EXHAUSTED (STORE_FULL).
func (s *Service) CreateOrder(ctx context.Context, req *ordersv1.CreateOrderRequest) (*ordersv1.Order, error) {
	if err := s.writes.allow(ctx); err != nil {
		return nil, err
	}
	// The request has passed the rules orders.proto declares
	// (internal/validation): shop, order_id, request_id and every field of
	// the order are well-formed, and the OUTPUT_ONLY ones are cleared.
	var v violations
	in := req.GetOrder()
	total := v.checkItems("order.items", in.GetItems())
	if err := v.Err(); err != nil {
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

		CustomerId: in.GetCustomerId(),
	}
	if c := in.GetCouponCode(); c != "" {
		o.CouponCode = &c
	}
	fp, err := fingerprint(o)
	if err != nil {
		return nil, err
	}
	c, done, err := s.store.begin(s.now(), o, s.newID, req.GetRequestId(), fp)
	if err != nil || done != nil {
		return done, err
	}
	o.OrderId = c.key.id
	if err := s.reserve(ctx, o); err != nil {
		s.store.abandon(c)
		return nil, err
	}
	o.Total = total
	return s.store.finish(s.now(), c, o)
}

// fingerprint identifies what a CreateOrder call asks for, o being the
// order built from the request: retries that differ only in fields the
// server ignores have the same fingerprint. Deterministic marshalling is
// stable within one binary, which is as long as this store lives; a
// persistent store should hash a canonical form instead.
func fingerprint(o *ordersv1.Order) ([sha256.Size]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(o)
	if err != nil {
		return [sha256.Size]byte{}, apierr.Internal("fingerprint the request: %v", err).WithReason("FINGERPRINT_FAILED")
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
