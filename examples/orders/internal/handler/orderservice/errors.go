package orderservice

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// orderType is the resource type in error details, as the API names it.
const orderType = "acme.orders.v1.Order"

// resourceName is the order's name in error details and messages.
func resourceName(shop, id string) string {
	return fmt.Sprintf("shops/%s/orders/%s", shop, id)
}

// notFound reports that the order does not exist (ORDER_NOT_FOUND).
func notFound(shop, id string) error {
	name := resourceName(shop, id)
	return apierr.NotFound("order %s does not exist", name).
		WithReason("ORDER_NOT_FOUND").
		WithMetadata("shop", shop, "orderId", id).
		WithResource(orderType, name, "", "no order with this ID in this shop; list the shop's orders to find it")
}

// storeFull reports that the in-memory store holds as many bytes of orders
// as it may (STORE_FULL). It is the server's limit, not the caller's
// quota, so it counts against the error budget: a full store pages.
func storeFull() error {
	return apierr.ResourceExhausted("the order store is full (%d MiB of orders); delete orders that are no longer needed", maxStoreBytes>>20).
		WithReason("STORE_FULL").
		WithMetadata("limitBytes", fmt.Sprint(maxStoreBytes))
}

// idTaken reports that an order ID cannot be used for a new order
// (ORDER_ID_TAKEN); why says what holds it.
func idTaken(shop, id, why string) error {
	name := resourceName(shop, id)
	return apierr.AlreadyExists("order %s %s; choose another order_id, or leave it empty for the server to choose", name, why).
		WithReason("ORDER_ID_TAKEN").
		WithMetadata("shop", shop, "orderId", id).
		WithResource(orderType, name, "", why)
}

// wrongState reports that the order's state forbids the change, with
// reason ORDER_NOT_PENDING or ORDER_NOT_CANCELLABLE; desc says which
// states allow it.
func wrongState(reason, shop, id string, state ordersv1.Order_State, desc string) error {
	name := resourceName(shop, id)
	return apierr.FailedPrecondition("order %s: %s", name, desc).
		WithReason(reason).
		WithMetadata("shop", shop, "orderId", id, "state", stateName(state)).
		WithPreconditionViolation("STATE", name, desc)
}

// staleEtag reports an etag that no longer matches the order
// (ETAG_MISMATCH). It carries no more detail: the remedy (read again,
// retry) is the same whatever changed.
func staleEtag(shop, id, etag string) error {
	return apierr.Aborted("order %s changed since etag %q was read; get it again and retry with its new etag", resourceName(shop, id), etag).
		WithReason("ETAG_MISMATCH").
		WithMetadata("shop", shop, "orderId", id, "etag", etag)
}

// requestIDReused reports a request_id sent before with another request
// (REQUEST_ID_REUSED).
func requestIDReused(shop, requestID string) error {
	return apierr.InvalidArgument("request_id %s was sent within the last 24h with a different request", requestID).
		WithReason("REQUEST_ID_REUSED").
		WithMetadata("shop", shop, "requestId", requestID).
		WithFieldViolation("request_id", "was sent within the last 24h with a different request; use a new request_id for a new order")
}

// contextError is the status of a call whose context ended: CANCELLED when
// the caller gave up, DEADLINE_EXCEEDED when its deadline passed. The
// caller sees that status whatever the handler returns; returning it too
// keeps the server's logs and metrics in agreement.
func contextError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return apierr.DeadlineExceeded("the call's deadline passed")
	}
	return apierr.Cancelled("the caller cancelled the call")
}

// stateName returns the state as messages show it: "PAID", not
// "STATE_PAID".
func stateName(st ordersv1.Order_State) string {
	return strings.TrimPrefix(st.String(), "STATE_")
}
