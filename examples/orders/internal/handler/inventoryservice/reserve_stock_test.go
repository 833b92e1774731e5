package inventoryservice

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/new-service/new-service/examples/orders/apierr/apierrtest"
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
)

// reserveRequest returns a request of shop "s"; ttl 0 leaves it unset.
func reserveRequest(id string, ttl time.Duration, lines ...*inventoryv1.ReserveStockRequest_Line) *inventoryv1.ReserveStockRequest {
	req := &inventoryv1.ReserveStockRequest{Shop: "s", ReservationId: id, Lines: lines}
	if ttl != 0 {
		req.Ttl = durationpb.New(ttl)
	}
	return req
}

// reserve reserves in shop "s" and fails the test if it cannot.
func reserve(t *testing.T, s *Service, id string, ttl time.Duration, lines ...*inventoryv1.ReserveStockRequest_Line) *inventoryv1.Reservation {
	t.Helper()
	r, err := s.ReserveStock(t.Context(), reserveRequest(id, ttl, lines...))
	if err != nil {
		t.Fatalf("ReserveStock(%s): %v", id, err)
	}
	return r
}

// reserved returns the units reserved of each SKU of shop "s".
func reserved(t *testing.T, s *Service, skus ...string) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	for _, sku := range skus {
		got[sku] = getStock(t, s, "s", sku).GetReserved()
	}
	return got
}

func TestReserveStock(t *testing.T) {
	tests := []struct {
		name  string
		stock map[string]int64 // on hand in shop "s"
		// earlier reservations, each of one unit of a SKU, made first.
		earlier      []string
		req          *inventoryv1.ReserveStockRequest
		wantCode     codes.Code
		wantShort    []string         // subjects of the STOCK violations
		wantReserved map[string]int64 // afterwards, of SKUs in stock
	}{
		{
			name:         "every line",
			stock:        map[string]int64{"A": 5, "B": 5},
			req:          reserveRequest("r", time.Hour, line("A", 2), line("B", 5)),
			wantReserved: map[string]int64{"A": 2, "B": 5},
		},
		{
			name:         "lines of one SKU add up",
			stock:        map[string]int64{"A": 5},
			req:          reserveRequest("r", 0, line("A", 2), line("A", 3)),
			wantReserved: map[string]int64{"A": 5},
		},
		{
			name:         "lines of one SKU that fit alone but not together",
			stock:        map[string]int64{"A": 5},
			req:          reserveRequest("r", 0, line("A", 3), line("A", 3)),
			wantCode:     codes.FailedPrecondition,
			wantShort:    []string{"shops/s/skus/A/stock"},
			wantReserved: map[string]int64{"A": 0},
		},
		{
			name:         "all or nothing",
			stock:        map[string]int64{"A": 5, "B": 1, "C": 5},
			req:          reserveRequest("r", 0, line("A", 1), line("B", 2), line("C", 6)),
			wantCode:     codes.FailedPrecondition,
			wantShort:    []string{"shops/s/skus/B/stock", "shops/s/skus/C/stock"},
			wantReserved: map[string]int64{"A": 0, "B": 0, "C": 0},
		},
		{
			name:         "reserved units are not available",
			stock:        map[string]int64{"A": 2, "B": 0, "C": 0},
			earlier:      []string{"A"},
			req:          reserveRequest("r", 0, line("A", 2)),
			wantCode:     codes.FailedPrecondition,
			wantShort:    []string{"shops/s/skus/A/stock"},
			wantReserved: map[string]int64{"A": 1, "B": 0, "C": 0},
		},
		{
			name:         "exactly what is available",
			stock:        map[string]int64{"A": 2, "B": 0, "C": 0},
			earlier:      []string{"A"},
			req:          reserveRequest("r", 0, line("A", 1)),
			wantReserved: map[string]int64{"A": 2, "B": 0, "C": 0},
		},
		{
			name:         "a SKU never set has none",
			stock:        map[string]int64{"A": 5, "C": 0},
			req:          reserveRequest("r", 0, line("A", 1), line("B", 1)),
			wantCode:     codes.FailedPrecondition,
			wantShort:    []string{"shops/s/skus/B/stock"},
			wantReserved: map[string]int64{"A": 0, "C": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestService(t)
			for sku, n := range tt.stock {
				setStock(t, s, "s", sku, n)
			}
			for i, sku := range tt.earlier {
				reserve(t, s, fmt.Sprintf("earlier-%d", i), 0, line(sku, 1))
			}
			clock.Advance(time.Minute)
			got, err := s.ReserveStock(t.Context(), tt.req)
			if tt.wantCode == codes.OK {
				apierrtest.Check(t, err, codes.OK, "")
				want := &inventoryv1.Reservation{Shop: "s", ReservationId: "r", Lines: tt.req.GetLines(), CreateTime: ts(t0.Add(time.Minute))}
				if tt.req.GetTtl() != nil {
					want.ExpireTime = ts(t0.Add(time.Minute + tt.req.GetTtl().AsDuration()))
				}
				if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
					t.Errorf("ReserveStock mismatch (-want +got):\n%s", diff)
				}
			} else {
				apierrtest.Check(t, err, tt.wantCode, "INSUFFICIENT_STOCK")
				var subjects []string
				for _, v := range apierrtest.Detail[*errdetails.PreconditionFailure](t, err).GetViolations() {
					if v.GetType() != "STOCK" {
						t.Errorf("violation type = %q, want STOCK", v.GetType())
					}
					subjects = append(subjects, v.GetSubject())
				}
				if diff := cmp.Diff(tt.wantShort, subjects); diff != "" {
					t.Errorf("short SKUs mismatch (-want +got):\n%s", diff)
				}
			}
			var skus []string
			for sku := range tt.wantReserved {
				skus = append(skus, sku)
			}
			if diff := cmp.Diff(tt.wantReserved, reserved(t, s, skus...)); diff != "" {
				t.Errorf("reserved units mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReserveStockIdempotency(t *testing.T) {
	first := func() *inventoryv1.ReserveStockRequest {
		return reserveRequest("order-1", time.Hour, line("A", 2), line("B", 1))
	}
	tests := []struct {
		name string
		// meanwhile runs between the two calls.
		meanwhile    func(clock *fakeClock)
		retry        func(req *inventoryv1.ReserveStockRequest)
		wantSame     bool // the retry returns the first reservation
		wantCode     codes.Code
		wantReserved map[string]int64
	}{
		{
			name:         "a retry returns the first reservation",
			meanwhile:    func(clock *fakeClock) { clock.Advance(time.Minute) },
			wantSame:     true,
			wantReserved: map[string]int64{"A": 2, "B": 1},
		},
		{
			name:         "other lines under the same ID",
			retry:        func(req *inventoryv1.ReserveStockRequest) { req.Lines[0].Quantity = 3 },
			wantCode:     codes.InvalidArgument,
			wantReserved: map[string]int64{"A": 2, "B": 1},
		},
		{
			name:         "the same lines in another order",
			retry:        func(req *inventoryv1.ReserveStockRequest) { req.Lines[0], req.Lines[1] = req.Lines[1], req.Lines[0] },
			wantCode:     codes.InvalidArgument,
			wantReserved: map[string]int64{"A": 2, "B": 1},
		},
		{
			name:         "another ttl under the same ID",
			retry:        func(req *inventoryv1.ReserveStockRequest) { req.Ttl = nil },
			wantCode:     codes.InvalidArgument,
			wantReserved: map[string]int64{"A": 2, "B": 1},
		},
		{
			name:         "IDs are per shop",
			retry:        func(req *inventoryv1.ReserveStockRequest) { req.Shop = "t" },
			wantReserved: map[string]int64{"A": 2, "B": 1}, // in shop "s"
		},
		{
			name:         "a lapsed reservation's ID reserves anew",
			meanwhile:    func(clock *fakeClock) { clock.Advance(time.Hour) },
			wantReserved: map[string]int64{"A": 2, "B": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestService(t)
			for _, shop := range []string{"s", "t"} {
				setStock(t, s, shop, "A", 10)
				setStock(t, s, shop, "B", 10)
			}
			created, err := s.ReserveStock(t.Context(), first())
			if err != nil {
				t.Fatal(err)
			}
			if tt.meanwhile != nil {
				tt.meanwhile(clock)
			}
			req := first()
			if tt.retry != nil {
				tt.retry(req)
			}
			got, err := s.ReserveStock(t.Context(), req)
			switch {
			case tt.wantCode != codes.OK:
				apierrtest.Check(t, err, tt.wantCode, "RESERVATION_ID_REUSED")
				if diff := cmp.Diff([]string{"reservation_id"}, fieldsOf(err)); diff != "" {
					t.Errorf("field violations mismatch (-want +got):\n%s", diff)
				}
			case err != nil:
				t.Fatalf("retry: %v", err)
			case tt.wantSame:
				if diff := cmp.Diff(created, got, protocmp.Transform()); diff != "" {
					t.Errorf("retry returned another reservation (-want +got):\n%s", diff)
				}
			case proto.Equal(created, got):
				t.Errorf("retry returned the first reservation %v, want a new one", got)
			}
			if diff := cmp.Diff(tt.wantReserved, reserved(t, s, "A", "B")); diff != "" {
				t.Errorf("reserved units mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReserveStockExpiry(t *testing.T) {
	tests := []struct {
		name         string
		ttl          time.Duration
		after        time.Duration // from the reservation
		wantReserved int64
		wantUpdate   time.Time
	}{
		{name: "holds until its expiry", ttl: time.Hour, after: time.Hour - time.Nanosecond, wantReserved: 3, wantUpdate: t0},
		{name: "lapses at its expiry", ttl: time.Hour, after: time.Hour, wantReserved: 0, wantUpdate: t0.Add(time.Hour)},
		{name: "the update time is the expiry, not the next call", ttl: time.Hour, after: 5 * time.Hour, wantReserved: 0, wantUpdate: t0.Add(time.Hour)},
		{name: "the longest ttl", ttl: maxTTL, after: maxTTL, wantReserved: 0, wantUpdate: t0.Add(maxTTL)},
		{name: "no ttl never lapses", after: 1000 * time.Hour, wantReserved: 3, wantUpdate: t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestService(t)
			setStock(t, s, "s", "A", 10)
			reserve(t, s, "r", tt.ttl, line("A", 3))
			clock.Advance(tt.after)
			want := &inventoryv1.Stock{Shop: "s", Sku: "A", OnHand: 10, Reserved: tt.wantReserved, UpdateTime: ts(tt.wantUpdate)}
			if diff := cmp.Diff(want, getStock(t, s, "s", "A"), protocmp.Transform()); diff != "" {
				t.Errorf("stock mismatch (-want +got):\n%s", diff)
			}
			// Units released are available again: all ten exactly when the
			// reservation lapsed.
			_, err := s.ReserveStock(t.Context(), reserveRequest("all", 0, line("A", 10)))
			if lapsed := err == nil; lapsed != (tt.wantReserved == 0) {
				t.Errorf("reserving all ten units: %v, want success %v", err, tt.wantReserved == 0)
			}
		})
	}
}

// TestReserveStockExpiryOrder checks that reservations lapse by their own
// expiry, whatever the order they were made in.
func TestReserveStockExpiryOrder(t *testing.T) {
	s, clock := newTestService(t)
	setStock(t, s, "s", "A", 100)
	for i, ttl := range []time.Duration{5, 1, 4, 2, 3} {
		reserve(t, s, fmt.Sprintf("r%d", i), ttl*time.Minute, line("A", int64(ttl)))
	}
	var got []int64
	for range 5 {
		clock.Advance(time.Minute)
		got = append(got, getStock(t, s, "s", "A").GetReserved())
	}
	// 15 units in all; each minute the reservation of that many minutes
	// (and units) lapses.
	if diff := cmp.Diff([]int64{14, 12, 9, 5, 0}, got); diff != "" {
		t.Errorf("reserved units each minute mismatch (-want +got):\n%s", diff)
	}
}

func TestReserveStockInvalid(t *testing.T) {
	tests := []struct {
		name       string
		req        *inventoryv1.ReserveStockRequest
		wantFields []string
	}{
		{name: "empty request", req: &inventoryv1.ReserveStockRequest{}, wantFields: []string{"shop", "reservation_id", "lines"}},
		{name: "malformed reservation ID", req: reserveRequest("a b", 0, line("A", 1)), wantFields: []string{"reservation_id"}},
		{name: "empty line", req: reserveRequest("r", 0, &inventoryv1.ReserveStockRequest_Line{}), wantFields: []string{"lines[0].sku", "lines[0].quantity"}},
		{
			name:       "quantities out of range",
			req:        reserveRequest("r", 0, line("A", 0), line("B", 1), line("C", -1), line("D", maxUnits+1)),
			wantFields: []string{"lines[0].quantity", "lines[2].quantity", "lines[3].quantity"},
		},
		{
			// Past maxLines the lines are not checked one by one: one
			// violation, however many bad lines.
			name: "lines over maxLines",
			req: func() *inventoryv1.ReserveStockRequest {
				lines := make([]*inventoryv1.ReserveStockRequest_Line, maxLines+1)
				for i := range lines {
					lines[i] = line("", 0)
				}
				return reserveRequest("r", 0, lines...)
			}(),
			wantFields: []string{"lines"},
		},
		{name: "negative ttl", req: reserveRequest("r", -time.Second, line("A", 1)), wantFields: []string{"ttl"}},
		{name: "ttl over 24h", req: reserveRequest("r", maxTTL+time.Nanosecond, line("A", 1)), wantFields: []string{"ttl"}},
		{
			name:       "malformed ttl",
			req:        &inventoryv1.ReserveStockRequest{Shop: "s", ReservationId: "r", Lines: []*inventoryv1.ReserveStockRequest_Line{line("A", 1)}, Ttl: &durationpb.Duration{Seconds: 1, Nanos: -1}},
			wantFields: []string{"ttl"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			setStock(t, s, "s", "A", 10)
			_, err := s.ReserveStock(t.Context(), tt.req)
			if diff := cmp.Diff(tt.wantFields, apierrtest.Fields(t, err)); diff != "" {
				t.Errorf("field violations mismatch (-want +got):\n%s", diff)
			}
			if got := getStock(t, s, "s", "A").GetReserved(); got != 0 {
				t.Errorf("reserved = %d after an invalid request, want 0", got)
			}
		})
	}
}

// TestReserveStockConcurrent checks that racing reservations never
// reserve more than is on hand, and that racing retries reserve once.
func TestReserveStockConcurrent(t *testing.T) {
	const callers, onHand = 32, 10
	tests := []struct {
		name string
		// id is the reservation ID of caller i.
		id           func(i int) string
		wantOK       int
		wantReserved int64
	}{
		{name: "distinct reservations", id: func(i int) string { return fmt.Sprintf("r%d", i) }, wantOK: onHand, wantReserved: onHand},
		{name: "retries of one reservation", id: func(int) string { return "r" }, wantOK: callers, wantReserved: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			setStock(t, s, "s", "A", onHand)
			errs := make([]error, callers)
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() {
					_, errs[i] = s.ReserveStock(t.Context(), reserveRequest(tt.id(i), 0, line("A", 1)))
				})
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !isInsufficient(err):
					t.Errorf("ReserveStock: %v, want success or INSUFFICIENT_STOCK", err)
				}
			}
			if ok != tt.wantOK {
				t.Errorf("%d reservations succeeded, want %d", ok, tt.wantOK)
			}
			if got := getStock(t, s, "s", "A").GetReserved(); got != tt.wantReserved {
				t.Errorf("reserved = %d, want %d", got, tt.wantReserved)
			}
		})
	}
}
