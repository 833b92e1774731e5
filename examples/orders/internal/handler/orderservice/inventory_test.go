package orderservice

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/new-service/new-service/examples/orders/client"
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
	"github.com/new-service/new-service/examples/orders/internal/deps"
	"github.com/new-service/new-service/examples/orders/internal/handler/inventoryservice"
	"github.com/new-service/new-service/examples/orders/internal/platform"
)

// These tests run the real InventoryService on a loopback port and reach
// it as production does: through the generated client, over gRPC. A
// recorder in front of its handlers sees each ReserveStock call as the
// inventory does, and can answer or hold it instead of the handler.

// inventory is an InventoryService on a loopback port.
type inventory struct {
	svc  *inventoryservice.Service
	addr string

	// fail, when set, answers every ReserveStock instead of the handler.
	fail error
	// hold makes every ReserveStock wait until its context ends, then
	// send the context's error on ended.
	hold  bool
	ended chan error
	// entered receives every ReserveStock call as it reaches the server;
	// it holds 64, more than any test makes.
	entered chan reserveCall

	mu    sync.Mutex
	calls []reserveCall
}

// reserveCall is a ReserveStock call as the inventory saw it.
type reserveCall struct {
	req         *inventoryv1.ReserveStockRequest
	deadline    time.Time
	hasDeadline bool
}

// startInventory serves an InventoryService until the test ends; setup
// may set fail and hold before it serves.
func startInventory(t *testing.T, setup func(inv *inventory)) *inventory {
	t.Helper()
	inv := &inventory{
		svc:     inventoryservice.New(&deps.Deps{}),
		ended:   make(chan error, 64),
		entered: make(chan reserveCall, 64),
	}
	if setup != nil {
		setup(inv)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	inv.addr = lis.Addr().String()
	srv := grpc.NewServer(grpc.UnaryInterceptor(inv.intercept))
	inventoryv1.RegisterInventoryServiceServer(srv, inv.svc)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return inv
}

func (inv *inventory) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	r, ok := req.(*inventoryv1.ReserveStockRequest)
	if !ok {
		return handler(ctx, req)
	}
	call := reserveCall{req: proto.Clone(r).(*inventoryv1.ReserveStockRequest)}
	call.deadline, call.hasDeadline = ctx.Deadline()
	inv.mu.Lock()
	inv.calls = append(inv.calls, call)
	inv.mu.Unlock()
	inv.entered <- call
	switch {
	case inv.hold:
		<-ctx.Done()
		inv.ended <- ctx.Err()
		return nil, ctx.Err()
	case inv.fail != nil:
		return nil, inv.fail
	}
	return handler(ctx, req)
}

// reserveCalls returns the ReserveStock calls that reached the inventory.
func (inv *inventory) reserveCalls() []reserveCall {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return append([]reserveCall(nil), inv.calls...)
}

// setStock sets stock in the inventory, failing the test if it cannot.
func (inv *inventory) setStock(t *testing.T, shop, sku string, onHand int64) {
	t.Helper()
	if _, err := inv.svc.SetStock(t.Context(), &inventoryv1.SetStockRequest{Shop: shop, Sku: sku, OnHand: onHand}); err != nil {
		t.Fatalf("SetStock: %v", err)
	}
}

// reserved returns how many units of sku the inventory holds reserved in
// shop "s"; 0 for a SKU without stock.
func (inv *inventory) reserved(t *testing.T, sku string) int64 {
	t.Helper()
	st, err := inv.svc.GetStock(t.Context(), &inventoryv1.GetStockRequest{Shop: "s", Sku: sku})
	if err != nil {
		return 0
	}
	return st.GetReserved()
}

// dialInventory returns the generated client of the inventory at addr, as
// deps.New makes it.
func dialInventory(t *testing.T, addr string) *client.Conn {
	t.Helper()
	conn, err := client.New("dns:///" + addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// testCaller is the caller of the calls serveOrders serves.
var testCaller = platform.Caller{Addr: netip.MustParseAddr("192.0.2.50"), Via: "peer"}

// serveOrders serves s on a loopback port and returns a client, and a
// channel that receives what each unary handler returned. Every call's
// caller is testCaller, as the service's server would establish it.
func serveOrders(t *testing.T, s *Service) (ordersv1.OrderServiceClient, <-chan error) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	handled := make(chan error, 16)
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(platform.WithCaller(ctx, testCaller), req)
		handled <- err
		return resp, err
	}))
	ordersv1.RegisterOrderServiceServer(validated(t, srv), s)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ordersv1.NewOrderServiceClient(conn), handled
}
