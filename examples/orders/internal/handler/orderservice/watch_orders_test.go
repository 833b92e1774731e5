package orderservice

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/new-service/new-service/examples/orders/apierr"
	"github.com/new-service/new-service/examples/orders/apierr/apierrtest"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
	"github.com/new-service/new-service/examples/orders/internal/platform"
)

// These tests watch over a real gRPC connection on loopback, as clients do.
// They wait on channels (the stream's headers, a handler's return, a fake
// timer) and never sleep; testCtx bounds every wait, so that a bug fails a
// test rather than hanging it.

const testTimeout = 10 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// serve serves s on a loopback port and returns a client, and a channel
// that receives what each WatchOrders handler returned.
func serve(t *testing.T, s *Service, opts ...grpc.DialOption) (ordersv1.OrderServiceClient, <-chan error) {
	t.Helper()
	return serveDraining(t, s, nil, opts...)
}

// serveDraining is serve with a drain signal in every stream's context, as
// the generated server provides it (platform.Draining): closing drain is
// the server beginning its graceful stop.
func serveDraining(t *testing.T, s *Service, drain <-chan struct{}, opts ...grpc.DialOption) (ordersv1.OrderServiceClient, <-chan error) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 16)
	srv := grpc.NewServer(grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		err := handler(srv, &drainStream{ServerStream: ss, ctx: platform.WithDrain(ss.Context(), drain)})
		ended <- err
		return err
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
	conn, err := grpc.NewClient(lis.Addr().String(), append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ordersv1.NewOrderServiceClient(conn), ended
}

// drainStream is a server stream whose context carries the drain signal.
type drainStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *drainStream) Context() context.Context { return s.ctx }

// watch starts watching and returns once the watch is subscribed, which
// the handler signals by sending the response headers.
func watch(t *testing.T, ctx context.Context, client ordersv1.OrderServiceClient, req *ordersv1.WatchOrdersRequest) grpc.ServerStreamingClient[ordersv1.OrderEvent] {
	t.Helper()
	stream, err := client.WatchOrders(ctx, req)
	if err != nil {
		t.Fatalf("WatchOrders: %v", err)
	}
	if _, err := stream.Header(); err != nil {
		t.Fatalf("WatchOrders headers: %v", err)
	}
	return stream
}

// recvN receives n events.
func recvN(t *testing.T, stream grpc.ServerStreamingClient[ordersv1.OrderEvent], n int) []*ordersv1.OrderEvent {
	t.Helper()
	var got []*ordersv1.OrderEvent
	for range n {
		ev, err := stream.Recv()
		if err != nil {
			t.Fatalf("Recv after %d events: %v", len(got), err)
		}
		got = append(got, ev)
	}
	return got
}

// waitEnded returns what the next WatchOrders handler to end returned.
func waitEnded(t *testing.T, ctx context.Context, ended <-chan error) error {
	t.Helper()
	select {
	case err := <-ended:
		return err
	case <-ctx.Done():
		t.Fatal("the WatchOrders handler did not return")
		return nil
	}
}

// checkUnsubscribed fails the test if the broker still has a subscriber.
func checkUnsubscribed(t *testing.T, s *Service) {
	t.Helper()
	s.store.broker.mu.Lock()
	defer s.store.broker.mu.Unlock()
	if n := len(s.store.broker.subs); n != 0 {
		t.Errorf("broker has subscribers in %d shops after the watch ended, want 0", n)
	}
}

func created(o *ordersv1.Order) *ordersv1.OrderEvent {
	return &ordersv1.OrderEvent{Time: o.GetUpdateTime(), Change: &ordersv1.OrderEvent_Created{Created: o}}
}

func updated(o *ordersv1.Order) *ordersv1.OrderEvent {
	return &ordersv1.OrderEvent{Time: o.GetUpdateTime(), Change: &ordersv1.OrderEvent_Updated{Updated: o}}
}

func TestWatchOrdersEvents(t *testing.T) {
	tests := []struct {
		name string
		// write changes orders, with shop "s" watched, and returns the
		// events the watcher should receive.
		write func(t *testing.T, s *Service, clock *fakeClock) []*ordersv1.OrderEvent
	}{
		{
			name: "create, update, cancel",
			write: func(t *testing.T, s *Service, clock *fakeClock) []*ordersv1.OrderEvent {
				o := create(t, s, "s")
				clock.Advance(time.Second)
				u, err := checked(s.UpdateOrder, t.Context(), &ordersv1.UpdateOrderRequest{Order: &ordersv1.Order{Shop: "s", OrderId: o.GetOrderId(), Note: "gift"}})
				if err != nil {
					t.Fatal(err)
				}
				clock.Advance(time.Second)
				c, err := checked(s.CancelOrder, t.Context(), &ordersv1.CancelOrderRequest{Shop: "s", OrderId: o.GetOrderId()})
				if err != nil {
					t.Fatal(err)
				}
				return []*ordersv1.OrderEvent{created(o), updated(u), updated(c)}
			},
		},
		{
			name: "delete",
			write: func(t *testing.T, s *Service, clock *fakeClock) []*ordersv1.OrderEvent {
				o := create(t, s, "s")
				clock.Advance(time.Second)
				if _, err := checked(s.DeleteOrder, t.Context(), &ordersv1.DeleteOrderRequest{Shop: "s", OrderId: o.GetOrderId()}); err != nil {
					t.Fatal(err)
				}
				return []*ordersv1.OrderEvent{
					created(o),
					{Time: ts(t0.Add(time.Second)), Change: &ordersv1.OrderEvent_DeletedOrderId{DeletedOrderId: o.GetOrderId()}},
				}
			},
		},
		{
			name: "failed writes and other shops are not watched",
			write: func(t *testing.T, s *Service, _ *fakeClock) []*ordersv1.OrderEvent {
				other := create(t, s, "t")
				if _, err := checked(s.CancelOrder, t.Context(), &ordersv1.CancelOrderRequest{Shop: "t", OrderId: other.GetOrderId()}); err != nil {
					t.Fatal(err)
				}
				if _, err := checked(s.CreateOrder, t.Context(), &ordersv1.CreateOrderRequest{Shop: "s"}); err == nil {
					t.Fatal("CreateOrder without an order succeeded")
				}
				return []*ordersv1.OrderEvent{created(create(t, s, "s"))}
			},
		},
		{
			name: "events keep the order of the writes",
			write: func(t *testing.T, s *Service, _ *fakeClock) []*ordersv1.OrderEvent {
				var want []*ordersv1.OrderEvent
				for range 50 {
					want = append(want, created(create(t, s, "s")))
				}
				return want
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestService(t)
			client, _ := serve(t, s)
			stream := watch(t, testCtx(t), client, &ordersv1.WatchOrdersRequest{Shop: "s"})
			want := tt.write(t, s, clock)
			got := recvN(t, stream, len(want))
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("events mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeTimers makes the timers behind heartbeats, which fire only when the
// test says so.
type fakeTimers struct {
	created chan *fakeTimer
}

type fakeTimer struct {
	d       time.Duration
	c       chan time.Time
	resets  chan time.Duration
	stopped chan struct{}
}

func (f *fakeTimers) newTimer(d time.Duration) timer {
	ft := &fakeTimer{d: d, c: make(chan time.Time), resets: make(chan time.Duration, 16), stopped: make(chan struct{})}
	f.created <- ft
	return ft
}

func (f *fakeTimer) C() <-chan time.Time   { return f.c }
func (f *fakeTimer) Reset(d time.Duration) { f.resets <- d }
func (f *fakeTimer) Stop()                 { close(f.stopped) }
func (f *fakeTimer) String() string        { return fmt.Sprintf("timer(%v)", f.d) }

// fire delivers a tick, as the real timer would after its duration.
func (f *fakeTimer) fire(t *testing.T, ctx context.Context, now time.Time) {
	t.Helper()
	select {
	case f.c <- now:
	case <-ctx.Done():
		t.Fatal("the watch did not wait for the heartbeat timer")
	}
}

// expectReset waits for the watch to restart the timer.
func (f *fakeTimer) expectReset(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case d := <-f.resets:
		if d != f.d {
			t.Errorf("timer reset to %v, want %v", d, f.d)
		}
	case <-ctx.Done():
		t.Fatal("the heartbeat timer was not reset")
	}
}

func TestWatchOrdersHeartbeat(t *testing.T) {
	tests := []struct {
		name      string
		interval  *durationpb.Duration
		wantTimer time.Duration // 0: no timer at all
	}{
		{name: "unset means none", interval: nil},
		{name: "zero means none", interval: durationpb.New(0)},
		{name: "the minimum", interval: durationpb.New(time.Second), wantTimer: time.Second},
		{name: "a minute and a half", interval: durationpb.New(90 * time.Second), wantTimer: 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestService(t)
			timers := &fakeTimers{created: make(chan *fakeTimer, 1)}
			s.newTimer = timers.newTimer
			client, ended := serve(t, s)
			ctx := testCtx(t)
			watchCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			stream := watch(t, watchCtx, client, &ordersv1.WatchOrdersRequest{Shop: "s", HeartbeatInterval: tt.interval})

			// The handler makes its timer before it sends the headers.
			var ft *fakeTimer
			select {
			case ft = <-timers.created:
			default:
			}
			if tt.wantTimer == 0 {
				if ft != nil {
					t.Fatalf("the watch started %v, want no heartbeats", ft)
				}
				return
			}
			if ft == nil || ft.d != tt.wantTimer {
				t.Fatalf("the watch started %v, want a timer of %v", ft, tt.wantTimer)
			}

			clock.Advance(tt.wantTimer)
			ft.fire(t, ctx, clock.Now())
			want := &ordersv1.OrderEvent{Time: ts(clock.Now()), Change: &ordersv1.OrderEvent_Heartbeat_{Heartbeat: &ordersv1.OrderEvent_Heartbeat{}}}
			if diff := cmp.Diff([]*ordersv1.OrderEvent{want}, recvN(t, stream, 1), protocmp.Transform()); diff != "" {
				t.Errorf("heartbeat mismatch (-want +got):\n%s", diff)
			}
			ft.expectReset(t, ctx)

			// A change restarts the wait for the next heartbeat.
			o := create(t, s, "s")
			if diff := cmp.Diff([]*ordersv1.OrderEvent{created(o)}, recvN(t, stream, 1), protocmp.Transform()); diff != "" {
				t.Errorf("event mismatch (-want +got):\n%s", diff)
			}
			ft.expectReset(t, ctx)

			cancel()
			apierrtest.Check(t, waitEnded(t, ctx, ended), codes.Canceled, "CANCELLED")
			select {
			case <-ft.stopped:
			default:
				t.Error("the heartbeat timer was not stopped when the watch ended")
			}
		})
	}
}

func TestWatchOrdersInvalid(t *testing.T) {
	tests := []struct {
		name       string
		req        *ordersv1.WatchOrdersRequest
		wantFields []string
	}{
		{name: "no shop", req: &ordersv1.WatchOrdersRequest{}, wantFields: []string{"shop"}},
		{name: "heartbeat too short", req: &ordersv1.WatchOrdersRequest{Shop: "s", HeartbeatInterval: durationpb.New(999 * time.Millisecond)}, wantFields: []string{"heartbeat_interval"}},
		{name: "negative heartbeat", req: &ordersv1.WatchOrdersRequest{Shop: "s", HeartbeatInterval: durationpb.New(-time.Minute)}, wantFields: []string{"heartbeat_interval"}},
		{name: "malformed heartbeat", req: &ordersv1.WatchOrdersRequest{Shop: "s", HeartbeatInterval: &durationpb.Duration{Seconds: 5, Nanos: -1}}, wantFields: []string{"heartbeat_interval"}},
		{name: "every violation is listed", req: &ordersv1.WatchOrdersRequest{Shop: "-", HeartbeatInterval: durationpb.New(time.Millisecond)}, wantFields: []string{"shop", "heartbeat_interval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			client, _ := serve(t, s)
			stream, err := client.WatchOrders(testCtx(t), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			_, err = stream.Recv()
			if diff := cmp.Diff(tt.wantFields, apierrtest.Fields(t, err)); diff != "" {
				t.Errorf("field violations mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWatchOrdersEnds(t *testing.T) {
	tests := []struct {
		name string
		// end ends a running watch.
		end        func(cancel context.CancelFunc, stop chan struct{})
		wantCode   codes.Code // what both the client and the handler see
		wantReason string     // what the handler returns
		// wantClientReason is what the client sees: a client that cancelled
		// has its own status, without the server's details.
		wantClientReason string
	}{
		{
			name:       "the caller cancels",
			end:        func(cancel context.CancelFunc, _ chan struct{}) { cancel() },
			wantCode:   codes.Canceled,
			wantReason: "CANCELLED",
		},
		{
			name:             "the server stops",
			end:              func(_ context.CancelFunc, stop chan struct{}) { close(stop) },
			wantCode:         codes.Unavailable,
			wantReason:       "SERVER_DRAINING",
			wantClientReason: "SERVER_DRAINING",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			stop := make(chan struct{})
			client, ended := serveDraining(t, s, stop)
			ctx := testCtx(t)
			watchCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			stream := watch(t, watchCtx, client, &ordersv1.WatchOrdersRequest{Shop: "s"})
			tt.end(cancel, stop)

			_, err := stream.Recv()
			apierrtest.Check(t, err, tt.wantCode, tt.wantClientReason)
			apierrtest.Check(t, waitEnded(t, ctx, ended), tt.wantCode, tt.wantReason)
			checkUnsubscribed(t, s)
		})
	}
}

// TestWatchOrdersWhileStopping checks that a server that is stopping
// refuses new watches, which would only hold up its graceful stop.
func TestWatchOrdersWhileStopping(t *testing.T) {
	s, _ := newTestService(t)
	stop := make(chan struct{})
	close(stop)
	client, _ := serveDraining(t, s, stop)
	stream, err := client.WatchOrders(testCtx(t), &ordersv1.WatchOrdersRequest{Shop: "s"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	apierrtest.Check(t, err, codes.Unavailable, "SERVER_DRAINING")
	checkUnsubscribed(t, s)
}

// TestWatchOrdersSlowWatcher checks that a watcher that does not keep up
// never holds up writers, and is ended with RESOURCE_EXHAUSTED after the
// events from before the gap.
func TestWatchOrdersSlowWatcher(t *testing.T) {
	const writes = 3000
	s, _ := newTestService(t)
	s.watchBuffer = 4
	// Fixed 64 KiB flow-control windows (the gRPC minimum) turn off the
	// window growth that would otherwise let a client buffer megabytes,
	// so that the writes below surely outrun a client that does not read.
	client, ended := serve(t, s, grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	ctx := testCtx(t)
	stream := watch(t, ctx, client, &ordersv1.WatchOrdersRequest{Shop: "s"})

	// About 300 bytes an event: 900 KB in all, several times what the
	// windows, gRPC's write quota and the buffer hold together.
	note := strings.Repeat("n", 250)
	for range writes {
		if _, err := checked(s.CreateOrder, t.Context(), &ordersv1.CreateOrderRequest{
			Shop:  "s",
			Order: &ordersv1.Order{Items: []*ordersv1.LineItem{item("A", 1, 1, 0)}, Note: note},
		}); err != nil {
			t.Fatal(err)
		}
	}

	var got []string
	var err error
	for {
		var ev *ordersv1.OrderEvent
		if ev, err = stream.Recv(); err != nil {
			break
		}
		got = append(got, ev.GetCreated().GetOrderId())
	}
	if !apierr.Is(err, codes.ResourceExhausted, "WATCH_FELL_BEHIND") {
		t.Fatalf("the stream ended with %v (reason %q), want RESOURCE_EXHAUSTED (WATCH_FELL_BEHIND)", err, apierr.Reason(err))
	}
	t.Logf("received %d of %d events before the end", len(got), writes)
	if len(got) == 0 || len(got) >= writes {
		t.Fatalf("received %d events before the end, want some but fewer than %d", len(got), writes)
	}
	if diff := cmp.Diff(ids(1, len(got)), got); diff != "" {
		t.Errorf("events before the gap mismatch (-want +got):\n%s", diff)
	}
	apierrtest.Check(t, waitEnded(t, ctx, ended), codes.ResourceExhausted, "WATCH_FELL_BEHIND")
	checkUnsubscribed(t, s)
}
