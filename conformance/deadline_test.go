package conformance

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/new-service/new-service/conformance/internal/process"
	"github.com/new-service/new-service/conformance/internal/scrape"
	"github.com/new-service/new-service/examples/orders/client"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// Deadline-chain settings.
const (
	// chainDefault is process A's DEFAULT_DEADLINE.
	chainDefault = 400 * time.Millisecond
	// chainDeadline is the caller's deadline.
	chainDeadline = 300 * time.Millisecond
	// endSlack is how far from the deadline (or the cancellation) a handler
	// may end: the time a deadline takes to cross two hops plus scheduling
	// on a loaded two-core CI machine. Measured ends are logged; they are a
	// few milliseconds.
	endSlack = 50 * time.Millisecond
)

// TestDeadlineChain calls process A's OrderService.CreateOrder, which calls
// process B's InventoryService.ReserveStock through the generated client
// with the handler's context; B delays ReserveStock by 5s (CHAOS). However
// the call ends (the caller's deadline, A's default deadline for a caller
// without one, or the caller giving up), both handlers must end within
// milliseconds of it, as their access logs show, and A's and B's
// grpc_server_handled_total must file it under the right grpc_code:
// DeadlineExceeded (a latency problem, alerted on) or Canceled (the
// caller's choice, never paged on). The calls carry a traceparent, so the
// two log lines are found by the one trace ID they share.
func TestDeadlineChain(t *testing.T) {
	svc := orders(t)
	b := start(t, svc, "B", "CHAOS=delay=/acme.inventory.v1.InventoryService/ReserveStock=5s")
	a := start(t, svc, "A", "INVENTORY_TARGET=dns:///"+b.GRPC, "DEFAULT_DEADLINE="+chainDefault.String())
	// No client default deadline: each case sets its own, or none.
	conn, err := client.New("dns:///"+a.GRPC, client.WithTimeout(0))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	createOrder := scrape.Method("acme.orders.v1.OrderService", "CreateOrder")
	reserveStock := scrape.Method("acme.inventory.v1.InventoryService", "ReserveStock")

	tests := []struct {
		name     string
		deadline time.Duration // 0: the caller sets none
		cancel   bool          // the caller cancels once B's handler runs
		want     codes.Code
		// end is when the handlers should end, from the call's start; a
		// cancellation ends them when the caller cancels.
		end time.Duration
	}{
		{name: "caller's deadline", deadline: chainDeadline, want: codes.DeadlineExceeded, end: chainDeadline},
		{name: "no deadline gets A's DEFAULT_DEADLINE", want: codes.DeadlineExceeded, end: chainDefault},
		{name: "caller cancels", deadline: 10 * time.Second, cancel: true, want: codes.Canceled},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			traceID := fmt.Sprintf("%032x", 0xc0ffee00+i)
			ctx := metadata.AppendToOutgoingContext(t.Context(), "traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
			aBefore := handledByCode(t, a, createOrder)
			bBefore := handledByCode(t, b, reserveStock)
			noDeadlineBefore := counter(t, a, "grpc_server_started_without_deadline_total", createOrder)
			reservesBefore := counter(t, b, "grpc_server_started_total", reserveStock)

			// The deadline starts now, after the scrapes above.
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			if tt.deadline > 0 {
				var stop context.CancelFunc
				ctx, stop = context.WithTimeout(ctx, tt.deadline)
				defer stop()
			}
			begin := time.Now()
			cancelled := make(chan error, 1)
			var cancelledAt time.Time
			if tt.cancel {
				go func() {
					// Cancel once B is handling the reservation.
					err := awaitCounter(ctx, b, "grpc_server_started_total", reserveStock, reservesBefore+1)
					cancelledAt = time.Now()
					cancel()
					cancelled <- err
				}()
			}
			_, err := conn.OrderService.CreateOrder(ctx, &ordersv1.CreateOrderRequest{
				Shop: "conformance",
				Order: &ordersv1.Order{Items: []*ordersv1.LineItem{
					{Sku: "SKU-1", Quantity: 1, UnitPrice: &ordersv1.Money{CurrencyCode: "EUR", Units: 1}},
				}},
			})
			elapsed := time.Since(begin)
			// endAt is when the call ended for the handlers: the deadline,
			// or the cancellation.
			endAt := begin.Add(tt.end)
			if tt.cancel {
				if err := <-cancelled; err != nil {
					t.Fatal(err)
				}
				endAt = cancelledAt
			}
			if status.Code(err) != tt.want {
				t.Fatalf("CreateOrder = %v, want %v", err, tt.want)
			}

			// The access log's time is when the handler's call finished:
			// the processes share this machine's clock.
			label := codeLabel(tt.want)
			var report []string
			for _, c := range []struct {
				who    string
				p      *process.Process
				method string
			}{{"A", a, "CreateOrder"}, {"B", b, "ReserveStock"}} {
				line := finishedCall(t, c.p, c.method, traceID)
				if got := line.String("grpc.code"); got != label {
					t.Errorf("%s logged grpc.code %q, want %q", c.who, got, label)
				}
				ended, err := time.Parse(time.RFC3339Nano, line.String("time"))
				if err != nil {
					t.Fatalf("%s's log line: %v", c.who, err)
				}
				late := ended.Sub(endAt)
				report = append(report, fmt.Sprintf("%s's %s ended %s %.1fms after it started, %v after the end",
					c.who, c.method, line.String("grpc.code"), line.Number("grpc.time_ms"), late.Round(100*time.Microsecond)))
				if late < -endSlack || late > endSlack {
					t.Errorf("%s's handler ended %v from the call's end, want within ±%v", c.who, late, endSlack)
				}
			}
			t.Logf("caller: %v after %v; %s", status.Code(err), elapsed.Round(time.Millisecond), strings.Join(report, "; "))

			// The call is counted under its code, and only there.
			for _, c := range []struct {
				who    string
				p      *process.Process
				labels map[string]string
				before map[string]float64
			}{{"A", a, createOrder, aBefore}, {"B", b, reserveStock, bBefore}} {
				want := map[string]float64{"DeadlineExceeded": c.before["DeadlineExceeded"], "Canceled": c.before["Canceled"]}
				want[label]++
				waitCounter(t, c.p, "grpc_server_handled_total", with(c.labels, "grpc_code", label), want[label])
				if got := handledByCode(t, c.p, c.labels); got["DeadlineExceeded"] != want["DeadlineExceeded"] || got["Canceled"] != want["Canceled"] {
					t.Errorf("%s's grpc_server_handled_total by grpc_code = %v, want %v", c.who, got, want)
				}
			}
			wantNoDeadline := noDeadlineBefore
			if tt.deadline == 0 {
				wantNoDeadline++
			}
			if got := counter(t, a, "grpc_server_started_without_deadline_total", createOrder); got != wantNoDeadline {
				t.Errorf("A's grpc_server_started_without_deadline_total = %v, want %v", got, wantNoDeadline)
			}
		})
	}
}

// codeLabel spells a code as the access log and go-grpc-prometheus's
// grpc_code label do.
func codeLabel(c codes.Code) string { return c.String() }

// handledByCode returns a method's DeadlineExceeded and Canceled counts in
// p's grpc_server_handled_total.
func handledByCode(t *testing.T, p *process.Process, method map[string]string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, code := range []string{"DeadlineExceeded", "Canceled"} {
		out[code] = counter(t, p, "grpc_server_handled_total", with(method, "grpc_code", code))
	}
	return out
}

// with returns labels plus one pair.
func with(labels map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for lk, lv := range labels {
		out[lk] = lv
	}
	return out
}

// finishedCall waits for p's access-log line of method in the trace.
func finishedCall(t *testing.T, p *process.Process, method, traceID string) process.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	e, err := p.Log.WaitEntry(ctx, map[string]string{"msg": "finished call", "grpc.method": method, "trace_id": traceID})
	if err != nil {
		t.Fatalf("%s: %v", p.Name, err)
	}
	return e
}

// waitCounter waits until p's counter name over labels reaches want, for
// up to 10s: a call's metrics are recorded a moment after its caller may
// have given up on it.
func waitCounter(t *testing.T, p *process.Process, name string, labels map[string]string, want float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := awaitCounter(ctx, p, name, labels, want); err != nil {
		t.Fatal(err)
	}
}

// awaitCounter waits until p's counter name over labels reaches want,
// scraping every 10ms, until ctx is done.
func awaitCounter(ctx context.Context, p *process.Process, name string, labels map[string]string, want float64) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		m, err := scrape.Get(ctx, p.Admin)
		if err != nil {
			return err
		}
		got := m.Sum(name, labels)
		if got >= want {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("%s: %s%v = %v, want %v: %w", p.Name, name, labels, got, want, ctx.Err())
		}
	}
}
