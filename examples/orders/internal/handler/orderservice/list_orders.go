package orderservice

import (
	"context"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// Page sizes, as ListOrdersRequest.page_size documents them.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// ListOrders pages through a shop's orders, oldest first.
//
//	GET /v1/shops/{shop}/orders
//
// A page_size of 0 means 50, more than 1000 means 1000, and a negative one
// is INVALID_ARGUMENT. A page also stops before it would pass 1 MiB
// encoded (maxPageBytes), far below gRPC's 4 MiB message limit, so that
// large orders make shorter pages, never a transport error (AIP-158 lets a
// page hold fewer than page_size). The page size may change from call to call; the
// filter (shop and state) may not: a page token used with another filter,
// or one this service did not issue, is INVALID_ARGUMENT.
//
// Pages continue after the last order returned, not at an offset, so
// orders created while a caller pages appear at the end and orders deleted
// meanwhile shift nothing: each order that exists throughout is returned
// exactly once. next_page_token is empty when no further order matched at
// the time of the call.
func (s *Service) ListOrders(ctx context.Context, req *ordersv1.ListOrdersRequest) (*ordersv1.ListOrdersResponse, error) {
	// shop, page_size and state have passed the rules orders.proto declares
	// (internal/validation); the page token is this service's own.
	var v violations
	var token pageToken
	if req.GetPageToken() != "" {
		t, err := decodePageToken(req.GetPageToken())
		switch {
		case err != nil:
			v.Add("page_token", "is not a token from ListOrders; pass next_page_token unchanged, or none for the first page")
		case !t.matches(req):
			v.Add("page_token", "was issued for another shop or state; keep both unchanged while paging, or start again without a token")
		default:
			token = t
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}

	size := int(req.GetPageSize())
	switch {
	case size == 0:
		size = defaultPageSize
	case size > maxPageSize:
		size = maxPageSize
	}
	orders, next := s.store.list(req.GetShop(), req.GetState(), token.After, size)
	resp := &ordersv1.ListOrdersResponse{Orders: orders}
	if next != 0 {
		resp.NextPageToken = pageToken{Shop: req.GetShop(), State: int32(req.GetState()), After: next}.encode()
	}
	return resp, nil
}
