package orderservice

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/new-service/new-service/examples/orders/apierr"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
	"github.com/new-service/new-service/examples/orders/internal/platform"
)

// WatchOrders streams every change to a shop's orders until the caller
// cancels or the server drains. With heartbeat_interval set, an event with
// a heartbeat is sent after that long without changes.
//
//	GET /v1/shops/{shop}/orders:watch
//
// Changes arrive in the order they were made: created, updated (for updates
// and cancellations) and deleted_order_id events. The stream sends its
// response headers once it is subscribed, so a caller that waits for them
// (ClientStream.Header in Go) can list the orders next and miss no change
// in between. A heartbeat_interval must be 0 (no heartbeats) or at least 1s.
//
// The stream ends with
//
//   - the caller's context error, CANCELLED or DEADLINE_EXCEEDED, when the
//     caller's context is done. The caller sees that status whatever the
//     handler returns, and returning it too keeps the server's logs and
//     metrics in agreement instead of counting the call as OK.
//   - UNAVAILABLE (SERVER_DRAINING) when the server begins to stop ([platform.Draining]), and
//     for a watch started after that: watch again, another replica answers.
//   - RESOURCE_EXHAUSTED (WATCH_FELL_BEHIND) when the caller fell more than the buffer (256
//     events) behind, after the events from before the gap. The caller missed
//     changes, so it must list the orders again before it watches again; a
//     code that retry policies leave alone makes it face the gap. A caller
//     that stopped reading altogether keeps its stream, but no more memory,
//     until it reads or goes away: gRPC gives a handler no way to abandon a
//     blocked Send.
func (s *Service) WatchOrders(req *ordersv1.WatchOrdersRequest, stream grpc.ServerStreamingServer[ordersv1.OrderEvent]) error {
	// shop and the heartbeat's minimum have passed the rules orders.proto
	// declares (internal/validation).
	var v violations
	interval := v.checkHeartbeat("heartbeat_interval", req)
	if err := v.Err(); err != nil {
		return err
	}
	draining := platform.Draining(stream.Context())
	select {
	case <-draining:
		return errStopping
	default:
	}

	sub := s.store.broker.subscribe(req.GetShop(), s.watchBuffer)
	defer s.store.broker.unsubscribe(sub)
	var heartbeat <-chan time.Time
	var t timer
	if interval > 0 {
		t = s.newTimer(interval)
		defer t.Stop()
		heartbeat = t.C()
	}
	if err := stream.SendHeader(nil); err != nil {
		return err
	}

	ctx := stream.Context()
	for {
		var ev *ordersv1.OrderEvent
		select {
		case <-ctx.Done():
			return contextError(ctx.Err())
		case <-draining:
			return errStopping
		case e, ok := <-sub.events:
			if !ok {
				return apierr.ResourceExhausted("this watch fell more than %d events behind and missed changes; list the orders again, then watch again", s.watchBuffer).
					WithReason("WATCH_FELL_BEHIND")
			}
			ev = e
		case <-heartbeat:
			ev = &ordersv1.OrderEvent{
				Time:   timestamppb.New(s.now()),
				Change: &ordersv1.OrderEvent_Heartbeat_{Heartbeat: &ordersv1.OrderEvent_Heartbeat{}},
			}
		}
		if t != nil {
			t.Reset(interval)
		}
		if err := stream.Send(ev); err != nil {
			return err
		}
	}
}

// errStopping ends watches when the server begins to stop.
var errStopping error = apierr.Unavailable("the server is shutting down; watch again and another replica will answer").WithReason("SERVER_DRAINING")

// checkHeartbeat returns the requested heartbeat interval, 0 for none.
func (v *violations) checkHeartbeat(field string, req *ordersv1.WatchOrdersRequest) time.Duration {
	hb := req.GetHeartbeatInterval()
	if hb == nil {
		return 0
	}
	if err := hb.CheckValid(); err != nil {
		v.Add(field, "is not a valid duration: %v", err)
		return 0
	}
	return hb.AsDuration()
}

// timer is the part of [time.Timer] that heartbeats use, so that tests can
// fire heartbeats without waiting for them.
type timer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

type realTimer struct{ t *time.Timer }

func newRealTimer(d time.Duration) timer { return realTimer{time.NewTimer(d)} }

func (r realTimer) C() <-chan time.Time   { return r.t.C }
func (r realTimer) Reset(d time.Duration) { r.t.Reset(d) }
func (r realTimer) Stop()                 { r.t.Stop() }
