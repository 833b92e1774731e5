package inventoryservice

import (
	"container/heap"
	"slices"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
)

// store holds stock and reservations in memory. One lock makes each call
// atomic, which is what makes reservations all or nothing.
type store struct {
	mu           sync.Mutex
	stock        map[stockKey]*stock
	reservations map[reservationKey]*reservation
	// expiring holds the reservations with a ttl, soonest expiry first.
	expiring expiryHeap
}

type stockKey struct{ shop, sku string }

type reservationKey struct{ shop, id string }

type stock struct {
	onHand, reserved int64
	updated          time.Time
}

type reservation struct {
	key reservationKey
	// resp is what ReserveStock returned; a repeated request gets a copy.
	resp *inventoryv1.Reservation
	ttl  time.Duration
	// units is how many units of each SKU the reservation holds.
	units   map[string]int64
	expires time.Time // zero when it never lapses
}

func newStore() *store {
	return &store{stock: map[stockKey]*stock{}, reservations: map[reservationKey]*reservation{}}
}

// get returns the stock of a SKU.
func (s *store) get(now time.Time, shop, sku string) (*inventoryv1.Stock, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(now)
	st, ok := s.stock[stockKey{shop, sku}]
	if !ok {
		return nil, stockNotFound(shop, sku)
	}
	return st.proto(shop, sku), nil
}

// set sets the units on hand of a SKU, creating its stock if need be.
func (s *store) set(now time.Time, shop, sku string, onHand int64) (*inventoryv1.Stock, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(now)
	key := stockKey{shop, sku}
	st, ok := s.stock[key]
	if !ok {
		st = &stock{}
	}
	if onHand < st.reserved {
		return nil, belowReserved(shop, sku, onHand, st.reserved)
	}
	st.onHand, st.updated = onHand, now
	s.stock[key] = st
	return st.proto(shop, sku), nil
}

// reserve reserves the lines of a valid request, all or none, for ttl (0:
// no expiry). A request repeating one whose reservation still holds gets
// that reservation.
func (s *store) reserve(now time.Time, req *inventoryv1.ReserveStockRequest, ttl time.Duration) (*inventoryv1.Reservation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(now)
	shop := req.GetShop()
	key := reservationKey{shop, req.GetReservationId()}
	if r, ok := s.reservations[key]; ok {
		if r.ttl != ttl || !sameLines(r.resp.GetLines(), req.GetLines()) {
			return nil, reservationReused(shop, key.id)
		}
		return proto.Clone(r.resp).(*inventoryv1.Reservation), nil
	}

	// Lines of one SKU are reserved together, so that two lines cannot
	// each fit alone and overdraw the SKU between them.
	units := map[string]int64{}
	var skus []string // in the order of the lines, for the error's order
	for _, l := range req.GetLines() {
		if _, seen := units[l.GetSku()]; !seen {
			skus = append(skus, l.GetSku())
		}
		units[l.GetSku()] += l.GetQuantity()
	}
	var short []shortage
	for _, sku := range skus {
		var available int64
		if st, ok := s.stock[stockKey{shop, sku}]; ok {
			available = st.onHand - st.reserved
		}
		if units[sku] > available {
			short = append(short, shortage{sku: sku, requested: units[sku], available: available})
		}
	}
	if len(short) > 0 {
		return nil, insufficientStock(shop, short)
	}

	for _, sku := range skus {
		st := s.stock[stockKey{shop, sku}]
		st.reserved += units[sku]
		st.updated = now
	}
	r := &reservation{
		key:   key,
		ttl:   ttl,
		units: units,
		resp: &inventoryv1.Reservation{
			Shop:          shop,
			ReservationId: key.id,
			Lines:         cloneLines(req.GetLines()),
			CreateTime:    timestamppb.New(now),
		},
	}
	if ttl > 0 {
		r.expires = now.Add(ttl)
		r.resp.ExpireTime = timestamppb.New(r.expires)
		heap.Push(&s.expiring, r)
	}
	s.reservations[key] = r
	return proto.Clone(r.resp).(*inventoryv1.Reservation), nil
}

// expireLocked releases the reservations that lapsed by now and forgets
// their IDs.
func (s *store) expireLocked(now time.Time) {
	for len(s.expiring) > 0 && !now.Before(s.expiring[0].expires) {
		r := heap.Pop(&s.expiring).(*reservation)
		for sku, n := range r.units {
			st := s.stock[stockKey{r.key.shop, sku}]
			st.reserved -= n
			// The stock changed when the reservation lapsed, not when a call
			// happened to notice.
			st.updated = r.expires
		}
		delete(s.reservations, r.key)
	}
}

func (st *stock) proto(shop, sku string) *inventoryv1.Stock {
	return &inventoryv1.Stock{
		Shop:       shop,
		Sku:        sku,
		OnHand:     st.onHand,
		Reserved:   st.reserved,
		UpdateTime: timestamppb.New(st.updated),
	}
}

func sameLines(a, b []*inventoryv1.ReserveStockRequest_Line) bool {
	return slices.EqualFunc(a, b, func(x, y *inventoryv1.ReserveStockRequest_Line) bool { return proto.Equal(x, y) })
}

func cloneLines(lines []*inventoryv1.ReserveStockRequest_Line) []*inventoryv1.ReserveStockRequest_Line {
	out := make([]*inventoryv1.ReserveStockRequest_Line, len(lines))
	for i, l := range lines {
		out[i] = proto.Clone(l).(*inventoryv1.ReserveStockRequest_Line)
	}
	return out
}

// expiryHeap orders reservations by expiry, soonest first
// (container/heap).
type expiryHeap []*reservation

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(*reservation)) }

func (h *expiryHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return r
}
