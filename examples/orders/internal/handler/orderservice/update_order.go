package orderservice

import (
	"context"
	"fmt"
	"maps"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// notUpdatable says why each field of Order outside the updatable four may
// not appear in an update mask; the server already refuses the fields
// orders.proto marks OUTPUT_ONLY or IMMUTABLE (internal/validation).
var notUpdatable = map[string]string{
	"shop":     "identifies the order and cannot change",
	"order_id": "identifies the order and cannot change",
}

// UpdateOrder changes the fields named in update_mask (note, coupon_code,
// labels, items) of a PENDING order.
//
//	PATCH /v1/shops/{order.shop}/orders/{order.order_id}
//
// It follows AIP-134. A path in the mask sets that field to the request's
// value, so a named field left empty is cleared (an empty or absent
// coupon_code removes the coupon); "*" names all four. Without a mask the
// update covers the fields the request populates: a non-empty note, a
// coupon_code that is present (even empty), non-empty labels or items.
// labels and items are replaced whole; new items recompute the total.
// Other paths are INVALID_ARGUMENT, except "etag", which is skipped: it is
// the concurrency check, not a change, and the REST gateway puts it in the
// mask it derives from a body that carries it.
//
// A non-empty order.etag that is not the current one is ABORTED; it is
// checked before the state, so a caller whose view is stale re-reads first.
// An order that is not PENDING is FAILED_PRECONDITION (ORDER_NOT_PENDING).
// Stock stays reserved as it was: new items change the order, not its
// reservation, since the inventory API has no call to amend one yet.
func (s *Service) UpdateOrder(ctx context.Context, req *ordersv1.UpdateOrderRequest) (*ordersv1.Order, error) {
	if err := s.writes.allow(ctx); err != nil {
		return nil, err
	}
	// The request has passed the rules orders.proto declares
	// (internal/validation): order is set, its fields are well-formed, and
	// the mask names no OUTPUT_ONLY or IMMUTABLE field.
	in := req.GetOrder()
	var v violations
	v.checkID("order.shop", in.GetShop())
	v.checkID("order.order_id", in.GetOrderId())
	fields := v.updateFields(req)
	var total *ordersv1.Money
	if fields.items {
		total = v.checkItems("order.items", in.GetItems())
	}
	if err := v.Err(); err != nil {
		return nil, err
	}

	shop, id := in.GetShop(), in.GetOrderId()
	return s.store.modify(s.now(), shop, id, in.GetEtag(), func(o *ordersv1.Order) error {
		if o.GetState() != ordersv1.Order_STATE_PENDING {
			return wrongState("ORDER_NOT_PENDING", shop, id, o.GetState(), fmt.Sprintf("it is %s; only PENDING orders can be updated", stateName(o.GetState())))
		}
		if fields.note {
			o.Note = in.GetNote()
		}
		if fields.coupon {
			o.CouponCode = nil
			if c := in.GetCouponCode(); c != "" {
				o.CouponCode = &c
			}
		}
		if fields.labels {
			o.Labels = maps.Clone(in.GetLabels())
		}
		if fields.items {
			o.Items = cloneItems(in.GetItems())
			o.Total = total
		}
		return nil
	})
}

// updateFields is which fields an update changes.
type updateFields struct {
	note, coupon, labels, items bool
}

// updateFields resolves the request's update mask, reporting paths that
// cannot be updated and an update that would change nothing.
func (v *violations) updateFields(req *ordersv1.UpdateOrderRequest) updateFields {
	in := req.GetOrder()
	paths := req.GetUpdateMask().GetPaths()
	var f updateFields
	if len(paths) == 0 {
		// Proto3 cannot tell an empty note from an absent one, so clearing
		// a note takes an explicit mask.
		f = updateFields{
			note:   in.GetNote() != "",
			coupon: in != nil && in.CouponCode != nil,
			labels: len(in.GetLabels()) > 0,
			items:  len(in.GetItems()) > 0,
		}
	}
	before := v.Len()
	for i, p := range paths {
		switch p {
		case "*":
			f = updateFields{note: true, coupon: true, labels: true, items: true}
		case "note":
			f.note = true
		case "coupon_code":
			f.coupon = true
		case "labels":
			f.labels = true
		case "items":
			f.items = true
		case "etag":
		default:
			field := fmt.Sprintf("update_mask.paths[%d]", i)
			if why, ok := notUpdatable[p]; ok {
				v.Add(field, "%s %s", p, why)
			} else {
				v.Add(field, "%q is not an updatable field of Order; use note, coupon_code, labels or items", p)
			}
		}
	}
	// An update that changes nothing is most likely a caller's mistake, and
	// would still cost a write and a new etag.
	if in != nil && v.Len() == before && f == (updateFields{}) {
		v.Add("update_mask", "names no field to change, and the order sets none; name some of note, coupon_code, labels, items")
	}
	return f
}
