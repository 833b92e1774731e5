package orderservice

import (
	"encoding/base64"
	"encoding/json"
	"errors"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// pageToken is what a ListOrders page token holds. Callers treat tokens as
// opaque; keeping the filter inside lets ListOrders refuse a token reused
// with another filter, which would otherwise silently page through the
// wrong list.
//
// Tokens are not signed: a caller who forges one can only start a listing
// of a shop it may list anyway at another order, which is harmless here.
// Sign them (HMAC) once they hold anything a caller must not choose.
type pageToken struct {
	Shop  string `json:"shop"`
	State int32  `json:"state"`
	// After is the creation revision of the last order returned; the next
	// page starts after it.
	After uint64 `json:"after"`
}

// encode returns the token as a URL-safe string, so REST callers can pass
// it as a query parameter unescaped.
func (t pageToken) encode() string {
	// Marshalling a struct of strings and integers cannot fail.
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodePageToken parses a token that encode returned.
func decodePageToken(s string) (pageToken, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pageToken{}, err
	}
	var t pageToken
	if err := json.Unmarshal(b, &t); err != nil {
		return pageToken{}, err
	}
	// Revisions start at 1, so a zero means the token was not one of ours.
	if t.After == 0 {
		return pageToken{}, errors.New("page token has no position")
	}
	return t, nil
}

// matches reports whether the token was issued for req's filter.
func (t pageToken) matches(req *ordersv1.ListOrdersRequest) bool {
	return t.Shop == req.GetShop() && t.State == int32(req.GetState())
}
