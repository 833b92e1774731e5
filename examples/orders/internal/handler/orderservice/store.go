package orderservice

import (
	"crypto/sha256"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// idempotencyWindow is how long CreateOrder remembers a request_id.
const idempotencyWindow = 24 * time.Hour

// maxStoreBytes bounds the orders the store holds, by their encoded size,
// so that callers cannot grow the process past its memory limit (256 MiB
// in the Kubernetes manifests): 32 MiB of orders is well under half of it
// in Go's memory, with the idempotency window's copies.
const maxStoreBytes = 32 << 20

// maxPageBytes bounds the encoded size of one ListOrders page, far below
// gRPC's 4 MiB message limit: a page of large orders is cut short (with a
// next_page_token) rather than failing in the transport.
const maxPageBytes = 1 << 20

// maxIDAttempts bounds the search for a free server-chosen ID. A random ID
// collides only with one a caller chose, so the second attempt succeeds in
// practice; the bound turns a broken generator into an error, not a hang.
const maxIDAttempts = 8

// store holds every order in memory. One lock serialises writes, which
// gives each write a place in a single history: revisions increase along
// it, and watchers receive events in its order.
//
// Orders go in and out as copies; the store never shares memory with its
// callers.
type store struct {
	mu sync.RWMutex
	// rev is the revision of the latest create or update. Creates and
	// updates take the next one.
	rev   uint64
	shops map[string]*shopOrders
	// bytes is the encoded size of every stored order, at most
	// maxStoreBytes (a create is refused past it).
	bytes int

	// requests remembers the request IDs of the last idempotencyWindow;
	// requestLog holds the same entries oldest first, so expiring them
	// costs nothing while none is due.
	requests   map[requestKey]*request
	requestLog []loggedRequest
	// claims holds the IDs of the orders being created.
	claims map[orderKey]*claim

	broker broker
}

// shopOrders is one shop's orders, by ID and in creation order.
type shopOrders struct {
	byID  map[string]*record
	bySeq []*record // by increasing seq
}

type record struct {
	seq   uint64 // the revision that created the order; never changes
	order *ordersv1.Order
}

type requestKey struct{ shop, requestID string }

// request is a remembered CreateOrder call.
type request struct {
	fingerprint [sha256.Size]byte
	// orderID is the ID the order was, or is being, created under.
	orderID string
	// order is the response the first call got, returned again on a retry
	// even if the order has changed or gone since (AIP-155); nil until a
	// call created the order.
	order   *ordersv1.Order
	expires time.Time
}

type loggedRequest struct {
	key requestKey
	req *request
}

func newStore() *store {
	return &store{shops: map[string]*shopOrders{}, requests: map[requestKey]*request{}, claims: map[orderKey]*claim{}}
}

// get returns a copy of the order.
func (s *store) get(shop, id string) (*ordersv1.Order, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.findLocked(shop, id)
	if !ok {
		return nil, notFound(shop, id)
	}
	return clone(r.order), nil
}

// list returns up to limit of the shop's orders created after revision
// after, oldest first, and only those in state unless it is unspecified.
// next is the creation revision to continue after, or 0 if no order is left.
func (s *store) list(shop string, state ordersv1.Order_State, after uint64, limit int) (page []*ordersv1.Order, next uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	size := 0 // of the page so far, encoded
	sh := s.shops[shop]
	if sh == nil {
		return nil, 0
	}
	start := sort.Search(len(sh.bySeq), func(i int) bool { return sh.bySeq[i].seq > after })
	for _, r := range sh.bySeq[start:] {
		if state != ordersv1.Order_STATE_UNSPECIFIED && r.order.GetState() != state {
			continue
		}
		// Only a further match proves there is a next page; without this
		// look-ahead the last page could come with a token to an empty one.
		if len(page) == limit || len(page) > 0 && size+proto.Size(r.order) > maxPageBytes {
			return page, next
		}
		page = append(page, clone(r.order))
		size += proto.Size(r.order)
		next = r.seq
	}
	return page, 0
}

// claim is an order ID held for an order being created, between
// [store.begin] and [store.finish] or [store.abandon]: while stock is
// reserved for it, no other create may take the ID.
type claim struct {
	key orderKey
	// request is the request_id's key; empty requestID when there is none.
	request requestKey
	// calls counts the calls creating this order: retries of one request
	// that race each other share its claim.
	calls int
}

type orderKey struct{ shop, id string }

// begin starts creating o, an order of o.Shop built from a request, and
// returns either the claim of the ID to create it under (o.OrderId, or one
// the server chooses when it is empty), or, for a request_id the store
// remembers with the same fingerprint, the order the first call created.
// A different request under a remembered request_id is INVALID_ARGUMENT.
//
// The request_id is bound to the ID from here on, whether or not the
// create completes, so that every retry uses the same ID: a retry of a call
// that failed after reserving stock then finds that reservation instead of
// making another.
func (s *store) begin(now time.Time, o *ordersv1.Order, newID func() string, requestID string, fingerprint [sha256.Size]byte) (*claim, *ordersv1.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireRequestsLocked(now)
	shop := o.GetShop()
	rk := requestKey{shop: shop, requestID: requestID}
	var req *request
	if requestID != "" {
		// The expiry check repeats because the log is only roughly in expiry
		// order when the wall clock steps back.
		if r, ok := s.requests[rk]; ok && now.Before(r.expires) {
			if r.fingerprint != fingerprint {
				return nil, nil, requestIDReused(shop, requestID)
			}
			if r.order != nil {
				return nil, clone(r.order), nil
			}
			req = r
		}
	}

	if s.bytes+proto.Size(o) > maxStoreBytes {
		return nil, nil, storeFull()
	}
	id := o.GetOrderId()
	if req != nil {
		id = req.orderID
	}
	key := orderKey{shop, id}
	if c, ok := s.claims[key]; ok {
		if req != nil && c.request == rk {
			c.calls++
			return c, nil, nil
		}
		return nil, nil, idTaken(shop, id, "is being created by another call")
	}
	_, taken := s.findLocked(shop, id)
	switch {
	case id == "", taken && o.GetOrderId() == "":
		// A server-chosen ID is free by construction, even for a retry whose
		// first ID someone took meanwhile.
		free, err := s.freeIDLocked(shop, newID)
		if err != nil {
			return nil, nil, err
		}
		key.id = free
	case taken:
		return nil, nil, idTaken(shop, id, "already exists")
	}

	c := &claim{key: key, calls: 1}
	if requestID != "" {
		c.request = rk
		if req == nil {
			req = &request{fingerprint: fingerprint, expires: now.Add(idempotencyWindow)}
			s.requests[rk] = req
			s.requestLog = append(s.requestLog, loggedRequest{key: rk, req: req})
		}
		req.orderID = key.id
	}
	s.claims[key] = c
	return c, nil, nil
}

// abandon gives up a claim after the create failed.
func (s *store) abandon(c *claim) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked(c)
}

// finish stores o as a new PENDING order under c's ID and returns a copy
// as stored; it takes ownership of o. When a racing call of the same
// request finished first, it returns that call's order instead.
func (s *store) finish(now time.Time, c *claim, o *ordersv1.Order) (*ordersv1.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked(c)
	req := s.requests[c.request]
	if req != nil && req.orderID != c.key.id {
		req = nil // the request expired and was reused meanwhile
	}
	if req != nil && req.order != nil {
		return clone(req.order), nil
	}
	if _, taken := s.findLocked(c.key.shop, c.key.id); taken {
		return nil, idTaken(c.key.shop, c.key.id, "already exists")
	}

	s.rev++
	o.Shop, o.OrderId = c.key.shop, c.key.id
	o.State = ordersv1.Order_STATE_PENDING
	o.CreateTime = timestamppb.New(now)
	o.UpdateTime = timestamppb.New(now)
	o.Etag = etagOf(s.rev)
	sh := s.shops[o.GetShop()]
	if sh == nil {
		sh = &shopOrders{byID: map[string]*record{}}
		s.shops[o.GetShop()] = sh
	}
	r := &record{seq: s.rev, order: o}
	s.bytes += proto.Size(o)
	sh.byID[o.GetOrderId()] = r
	sh.bySeq = append(sh.bySeq, r)

	// One frozen copy serves the watchers and later retries; neither
	// modifies it.
	frozen := clone(o)
	if req != nil {
		req.order = frozen
	}
	s.broker.publish(o.GetShop(), &ordersv1.OrderEvent{
		Time:   frozen.GetUpdateTime(),
		Change: &ordersv1.OrderEvent_Created{Created: frozen},
	})
	return clone(o), nil
}

func (s *store) releaseLocked(c *claim) {
	if c.calls--; c.calls == 0 {
		delete(s.claims, c.key)
	}
}

// modify changes the order with change, which gets a copy to edit and may
// refuse with an error, and stores the result as a new revision. A
// non-empty etag must be the order's current one.
func (s *store) modify(now time.Time, shop, id, etag string, change func(*ordersv1.Order) error) (*ordersv1.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.findLocked(shop, id)
	if !ok {
		return nil, notFound(shop, id)
	}
	if etag != "" && etag != r.order.GetEtag() {
		return nil, staleEtag(shop, id, etag)
	}
	o := clone(r.order)
	if err := change(o); err != nil {
		return nil, err
	}
	s.rev++
	o.UpdateTime = timestamppb.New(now)
	o.Etag = etagOf(s.rev)
	s.bytes += proto.Size(o) - proto.Size(r.order)
	r.order = o
	frozen := clone(o)
	s.broker.publish(shop, &ordersv1.OrderEvent{
		Time:   frozen.GetUpdateTime(),
		Change: &ordersv1.OrderEvent_Updated{Updated: frozen},
	})
	return clone(o), nil
}

// delete removes the order. A non-empty etag must be the order's current one.
func (s *store) delete(now time.Time, shop, id, etag string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.findLocked(shop, id)
	if !ok {
		return notFound(shop, id)
	}
	if etag != "" && etag != r.order.GetEtag() {
		return staleEtag(shop, id, etag)
	}
	sh := s.shops[shop]
	s.bytes -= proto.Size(r.order)
	delete(sh.byID, id)
	i := sort.Search(len(sh.bySeq), func(i int) bool { return sh.bySeq[i].seq >= r.seq })
	sh.bySeq = slices.Delete(sh.bySeq, i, i+1)
	if len(sh.byID) == 0 {
		delete(s.shops, shop)
	}
	s.broker.publish(shop, &ordersv1.OrderEvent{
		Time:   timestamppb.New(now),
		Change: &ordersv1.OrderEvent_DeletedOrderId{DeletedOrderId: id},
	})
	return nil
}

func (s *store) findLocked(shop, id string) (*record, bool) {
	sh := s.shops[shop]
	if sh == nil {
		return nil, false
	}
	r, ok := sh.byID[id]
	return r, ok
}

// expireRequestsLocked forgets the request IDs whose window has passed.
func (s *store) expireRequestsLocked(now time.Time) {
	n := 0
	for _, l := range s.requestLog {
		if now.Before(l.req.expires) {
			break
		}
		// The key may have been reused after an earlier expiry that this
		// loop had not reached yet; only the logged entry itself goes.
		if s.requests[l.key] == l.req {
			delete(s.requests, l.key)
		}
		n++
	}
	s.requestLog = slices.Delete(s.requestLog, 0, n)
}

// freeIDLocked returns an ID from newID that no order of the shop has or
// is being created under.
func (s *store) freeIDLocked(shop string, newID func() string) (string, error) {
	for range maxIDAttempts {
		id := newID()
		_, taken := s.findLocked(shop, id)
		_, claimed := s.claims[orderKey{shop, id}]
		if !taken && !claimed {
			return id, nil
		}
	}
	return "", apierr.Internal("could not choose a free order ID in %d attempts", maxIDAttempts).WithReason("ORDER_ID_UNAVAILABLE")
}

// etagOf returns the etag of an order written at revision rev.
func etagOf(rev uint64) string {
	return strconv.FormatUint(rev, 36)
}

func clone(o *ordersv1.Order) *ordersv1.Order {
	return proto.Clone(o).(*ordersv1.Order)
}
