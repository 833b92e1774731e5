package orderservice

import (
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// orderType is the resource type in error details, as the API names it.
const orderType = "acme.orders.v1.Order"

// resourceName is the order's name in error details and messages.
func resourceName(shop, id string) string {
	return fmt.Sprintf("shops/%s/orders/%s", shop, id)
}

// withDetail returns a status error carrying detail. Attaching fails only if
// detail cannot be marshalled; the caller still deserves the code and the
// message then, so the detail is dropped rather than the error replaced.
func withDetail(code codes.Code, msg string, detail protoadapt.MessageV1) error {
	st := status.New(code, msg)
	if detailed, err := st.WithDetails(detail); err == nil {
		st = detailed
	}
	return st.Err()
}

// notFound reports that the order does not exist.
func notFound(shop, id string) error {
	name := resourceName(shop, id)
	return withDetail(codes.NotFound, fmt.Sprintf("order %s does not exist", name), &errdetails.ResourceInfo{
		ResourceType: orderType,
		ResourceName: name,
		Description:  "no order with this ID in this shop; list the shop's orders to find it",
	})
}

// wrongState reports that the order's state forbids the change; desc says
// which states allow it.
func wrongState(shop, id, desc string) error {
	name := resourceName(shop, id)
	return withDetail(codes.FailedPrecondition, fmt.Sprintf("order %s: %s", name, desc), &errdetails.PreconditionFailure{
		Violations: []*errdetails.PreconditionFailure_Violation{{
			Type:        "STATE",
			Subject:     name,
			Description: desc,
		}},
	})
}

// staleEtag reports an etag that no longer matches the order. It carries no
// detail: the remedy (read again, retry) is the same whatever changed.
func staleEtag(shop, id, etag string) error {
	return status.Errorf(codes.Aborted, "order %s changed since etag %q was read; get it again and retry with its new etag", resourceName(shop, id), etag)
}

// stateName returns the state as messages show it: "PAID", not
// "STATE_PAID".
func stateName(st ordersv1.Order_State) string {
	return strings.TrimPrefix(st.String(), "STATE_")
}
