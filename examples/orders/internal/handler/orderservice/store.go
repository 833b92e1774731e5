package orderservice

import (
	"crypto/sha256"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// idempotencyWindow is how long CreateOrder remembers a request_id.
const idempotencyWindow = 24 * time.Hour

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

	// requests remembers the request IDs of the last idempotencyWindow;
	// requestLog holds the same entries oldest first, so expiring them
	// costs nothing while none is due.
	requests   map[requestKey]*request
	requestLog []loggedRequest

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
	// order is the response the first call got, returned again on a retry
	// even if the order has changed or gone since (AIP-155).
	order   *ordersv1.Order
	expires time.Time
}

type loggedRequest struct {
	key requestKey
	req *request
}

func newStore() *store {
	return &store{shops: map[string]*shopOrders{}, requests: map[requestKey]*request{}}
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
		if len(page) == limit {
			return page, next
		}
		page = append(page, clone(r.order))
		next = r.seq
	}
	return page, 0
}

// create stores o as a new PENDING order of o.Shop, with a server-chosen ID
// when o.OrderId is empty, and returns a copy as stored. It takes ownership
// of o.
//
// With a requestID, a call that repeats one from the last idempotencyWindow
// returns what the first returned; fingerprint identifies the request, and
// a different request under the same ID is INVALID_ARGUMENT.
func (s *store) create(now time.Time, o *ordersv1.Order, newID func() string, requestID string, fingerprint [sha256.Size]byte) (*ordersv1.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireRequestsLocked(now)
	key := requestKey{shop: o.GetShop(), requestID: requestID}
	// The expiry check repeats because the log is only roughly in expiry
	// order when the wall clock steps back.
	if req, ok := s.requests[key]; ok && now.Before(req.expires) {
		if req.fingerprint != fingerprint {
			return nil, invalid("request_id", "was sent within the last 24h with a different request; use a new request_id for a new order")
		}
		return clone(req.order), nil
	}

	if o.GetOrderId() == "" {
		id, err := s.freeIDLocked(o.GetShop(), newID)
		if err != nil {
			return nil, err
		}
		o.OrderId = id
	} else if _, taken := s.findLocked(o.GetShop(), o.GetOrderId()); taken {
		return nil, status.Errorf(codes.AlreadyExists, "order %s already exists; choose another order_id, or leave it empty for the server to choose", resourceName(o.GetShop(), o.GetOrderId()))
	}

	s.rev++
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
	sh.byID[o.GetOrderId()] = r
	sh.bySeq = append(sh.bySeq, r)

	// One frozen copy serves the watchers and later retries; neither
	// modifies it.
	frozen := clone(o)
	if requestID != "" {
		req := &request{fingerprint: fingerprint, order: frozen, expires: now.Add(idempotencyWindow)}
		s.requests[key] = req
		s.requestLog = append(s.requestLog, loggedRequest{key: key, req: req})
	}
	s.broker.publish(o.GetShop(), &ordersv1.OrderEvent{
		Time:   frozen.GetUpdateTime(),
		Change: &ordersv1.OrderEvent_Created{Created: frozen},
	})
	return clone(o), nil
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

// freeIDLocked returns an ID from newID that no order of the shop has.
func (s *store) freeIDLocked(shop string, newID func() string) (string, error) {
	for range maxIDAttempts {
		id := newID()
		if _, taken := s.findLocked(shop, id); !taken {
			return id, nil
		}
	}
	return "", status.Errorf(codes.Internal, "could not choose a free order ID in %d attempts", maxIDAttempts)
}

// etagOf returns the etag of an order written at revision rev.
func etagOf(rev uint64) string {
	return strconv.FormatUint(rev, 36)
}

func clone(o *ordersv1.Order) *ordersv1.Order {
	return proto.Clone(o).(*ordersv1.Order)
}
