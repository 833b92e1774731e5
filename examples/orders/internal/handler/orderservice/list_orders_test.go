package orderservice

import (
	"encoding/base64"
	"fmt"
	"github.com/new-service/new-service/examples/orders/apierr/apierrtest"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// ids returns the IDs id-<from> to id-<to>, as newTestService numbers them.
func ids(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("id-%04d", i))
	}
	return out
}

// listAll pages through the orders req selects and returns each page's IDs.
// It stops after maxPages, so that a token loop fails the test instead of
// hanging it.
func listAll(t *testing.T, s *Service, req *ordersv1.ListOrdersRequest, maxPages int) [][]string {
	t.Helper()
	req = proto.Clone(req).(*ordersv1.ListOrdersRequest)
	var pages [][]string
	for range maxPages {
		resp, err := checked(s.ListOrders, t.Context(), req)
		if err != nil {
			t.Fatalf("ListOrders: %v", err)
		}
		page := []string{}
		for _, o := range resp.GetOrders() {
			page = append(page, o.GetOrderId())
		}
		pages = append(pages, page)
		if resp.GetNextPageToken() == "" {
			return pages
		}
		req.PageToken = resp.GetNextPageToken()
	}
	t.Fatalf("ListOrders still had a next page after %d pages", maxPages)
	return nil
}

func TestListOrders(t *testing.T) {
	tests := []struct {
		name      string
		orders    int      // created in shop "s" as id-0001, id-0002, ...
		cancelled []string // of those, the ones to cancel
		req       *ordersv1.ListOrdersRequest
		want      [][]string
	}{
		{
			name: "no orders",
			req:  &ordersv1.ListOrdersRequest{Shop: "s"},
			want: [][]string{{}},
		},
		{
			name:   "oldest first, in pages",
			orders: 5,
			req:    &ordersv1.ListOrdersRequest{Shop: "s", PageSize: 2},
			want:   [][]string{ids(1, 2), ids(3, 4), ids(5, 5)},
		},
		{
			name:   "a full last page has no next page",
			orders: 4,
			req:    &ordersv1.ListOrdersRequest{Shop: "s", PageSize: 2},
			want:   [][]string{ids(1, 2), ids(3, 4)},
		},
		{
			name:   "page size 0 means 50",
			orders: 51,
			req:    &ordersv1.ListOrdersRequest{Shop: "s"},
			want:   [][]string{ids(1, 50), ids(51, 51)},
		},
		{
			name:   "page sizes above 1000 mean 1000",
			orders: 1001,
			req:    &ordersv1.ListOrdersRequest{Shop: "s", PageSize: 5000},
			want:   [][]string{ids(1, 1000), ids(1001, 1001)},
		},
		{
			name:      "filtered by state",
			orders:    5,
			cancelled: []string{"id-0002", "id-0004"},
			req:       &ordersv1.ListOrdersRequest{Shop: "s", PageSize: 1, State: ordersv1.Order_STATE_CANCELLED},
			want:      [][]string{{"id-0002"}, {"id-0004"}},
		},
		{
			name:      "the last match ends the listing",
			orders:    5,
			cancelled: []string{"id-0002", "id-0004"},
			req:       &ordersv1.ListOrdersRequest{Shop: "s", PageSize: 2, State: ordersv1.Order_STATE_PENDING},
			want:      [][]string{{"id-0001", "id-0003"}, {"id-0005"}},
		},
		{
			name:   "other shops are not listed",
			orders: 2,
			req:    &ordersv1.ListOrdersRequest{Shop: "t"},
			want:   [][]string{{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			for range tt.orders {
				create(t, s, "s")
			}
			for _, id := range tt.cancelled {
				if _, err := checked(s.CancelOrder, t.Context(), &ordersv1.CancelOrderRequest{Shop: "s", OrderId: id}); err != nil {
					t.Fatal(err)
				}
			}
			got := listAll(t, s, tt.req, len(tt.want)+1)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pages mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListOrdersInvalid(t *testing.T) {
	s, _ := newTestService(t)
	for range 2 {
		create(t, s, "s")
		create(t, s, "t")
	}
	// token is the next_page_token of the first one-order page of req.
	token := func(req *ordersv1.ListOrdersRequest) string {
		req.PageSize = 1
		resp, err := checked(s.ListOrders, t.Context(), req)
		if err != nil || resp.GetNextPageToken() == "" {
			t.Fatalf("ListOrders(%v) = %v, %v; want a next page", req, resp, err)
		}
		return resp.GetNextPageToken()
	}
	allOfS := token(&ordersv1.ListOrdersRequest{Shop: "s"})
	pendingOfS := token(&ordersv1.ListOrdersRequest{Shop: "s", State: ordersv1.Order_STATE_PENDING})
	b64 := base64.RawURLEncoding.EncodeToString

	tests := []struct {
		name       string
		req        *ordersv1.ListOrdersRequest
		wantFields []string
	}{
		{name: "no shop", req: &ordersv1.ListOrdersRequest{}, wantFields: []string{"shop"}},
		{name: "negative page size", req: &ordersv1.ListOrdersRequest{Shop: "s", PageSize: -1}, wantFields: []string{"page_size"}},
		{name: "unknown state", req: &ordersv1.ListOrdersRequest{Shop: "s", State: 9}, wantFields: []string{"state"}},
		{name: "garbled token", req: &ordersv1.ListOrdersRequest{Shop: "s", PageToken: allOfS[1:]}, wantFields: []string{"page_token"}},
		{name: "token that is not ours", req: &ordersv1.ListOrdersRequest{Shop: "s", PageToken: b64([]byte("{}"))}, wantFields: []string{"page_token"}},
		{name: "token of another shop", req: &ordersv1.ListOrdersRequest{Shop: "t", PageToken: allOfS}, wantFields: []string{"page_token"}},
		{name: "token of no state filter, with one", req: &ordersv1.ListOrdersRequest{Shop: "s", State: ordersv1.Order_STATE_PENDING, PageToken: allOfS}, wantFields: []string{"page_token"}},
		{name: "token of a state filter, with another", req: &ordersv1.ListOrdersRequest{Shop: "s", State: ordersv1.Order_STATE_PAID, PageToken: pendingOfS}, wantFields: []string{"page_token"}},
		{name: "token of a state filter, without it", req: &ordersv1.ListOrdersRequest{Shop: "s", PageToken: pendingOfS}, wantFields: []string{"page_token"}},
		{
			name: "every violation is listed",
			req:  &ordersv1.ListOrdersRequest{Shop: "S", PageSize: -5, State: -1, PageToken: "?"},
			// The page token is the handler's to check, and the handler does
			// not run for a request that breaks the proto's rules.
			wantFields: []string{"shop", "page_size", "state"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checked(s.ListOrders, t.Context(), tt.req)
			if diff := cmp.Diff(tt.wantFields, apierrtest.Fields(t, err)); diff != "" {
				t.Errorf("field violations mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestListOrdersChangesBetweenPages checks that pages continue after the
// last order seen: an offset would skip id-0004 here, because deleting
// id-0001 moves it up into the first page.
func TestListOrdersChangesBetweenPages(t *testing.T) {
	s, _ := newTestService(t)
	for range 4 {
		create(t, s, "s")
	}
	first, err := checked(s.ListOrders, t.Context(), &ordersv1.ListOrdersRequest{Shop: "s", PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"id-0001", "id-0003"} {
		if _, err := checked(s.DeleteOrder, t.Context(), &ordersv1.DeleteOrderRequest{Shop: "s", OrderId: id}); err != nil {
			t.Fatal(err)
		}
	}
	create(t, s, "s")
	create(t, s, "s")
	got := listAll(t, s, &ordersv1.ListOrdersRequest{Shop: "s", PageSize: 2, PageToken: first.GetNextPageToken()}, 3)
	want := [][]string{{"id-0004", "id-0005"}, {"id-0006"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages after the first mismatch (-want +got):\n%s", diff)
	}
}

// TestListOrdersConcurrentInserts pages through a shop while orders are
// being added to it: every order that existed before must be listed once,
// and the listing must stay in creation order.
func TestListOrdersConcurrentInserts(t *testing.T) {
	const before, during = 100, 300
	s, _ := newTestService(t)
	for range before {
		create(t, s, "s")
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for range during {
			if _, err := checked(s.CreateOrder, t.Context(), &ordersv1.CreateOrderRequest{
				Shop:  "s",
				Order: &ordersv1.Order{Items: []*ordersv1.LineItem{item("A", 1, 1, 0)}},
			}); err != nil {
				t.Errorf("CreateOrder: %v", err)
				return
			}
		}
	})
	pages := listAll(t, s, &ordersv1.ListOrdersRequest{Shop: "s", PageSize: 7}, (before+during)/7+2)
	wg.Wait()

	seen := map[string]int{}
	var last string
	for _, page := range pages {
		for _, id := range page {
			seen[id]++
			// Zero-padded IDs sort in creation order.
			if id <= last {
				t.Errorf("listing went from %s back to %s", last, id)
			}
			last = id
		}
	}
	for _, id := range ids(1, before) {
		if seen[id] != 1 {
			t.Errorf("%s listed %d times, want once", id, seen[id])
		}
	}
}

// TestListOrdersPageBytes checks that a page of large orders is cut at
// maxPageBytes, far below gRPC's message limit, with a token that leads to
// the rest: every order comes exactly once, and no page is a transport
// error.
func TestListOrdersPageBytes(t *testing.T) {
	s, _ := newTestService(t)
	// The largest orders the API allows, near enough: 100 items with
	// 64-character SKUs, about 9 KB each.
	items := make([]*ordersv1.LineItem, maxItems)
	for i := range items {
		items[i] = item(fmt.Sprintf("%064d", i), 1, 1, 0)
	}
	const n = 150
	for range n {
		if _, err := checked(s.CreateOrder, t.Context(), &ordersv1.CreateOrderRequest{Shop: "s", Order: &ordersv1.Order{Items: items}}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	token := ""
	pages := 0
	for {
		resp, err := checked(s.ListOrders, t.Context(), &ordersv1.ListOrdersRequest{Shop: "s", PageSize: maxPageSize, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if size := proto.Size(resp); size > maxPageBytes+proto.Size(resp.GetOrders()[0])+1024 {
			t.Errorf("page %d is %d bytes, want at most about %d", pages, size, maxPageBytes)
		}
		for _, o := range resp.GetOrders() {
			if seen[o.GetOrderId()] {
				t.Errorf("order %s returned twice", o.GetOrderId())
			}
			seen[o.GetOrderId()] = true
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(seen) != n || pages < 2 {
		t.Errorf("%d orders in %d pages, want %d orders in at least 2 pages", len(seen), pages, n)
	}
}
