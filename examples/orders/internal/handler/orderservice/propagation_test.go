package orderservice

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/new-service/new-service/examples/orders/apierr/apierrtest"
	"github.com/new-service/new-service/examples/orders/client"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
	"github.com/new-service/new-service/examples/orders/internal/deps"
)

// wireSlack is how much later than the caller's a deadline may arrive.
// gRPC sends the time remaining (grpc-timeout), not the instant, and the
// receiver counts from when the call arrives, so each hop moves the
// deadline later by the time in transit: microseconds on loopback, more on
// a loaded test machine. A deadline that did not propagate is the client's
// default, seconds later, and still fails the test.
const wireSlack = time.Second

// TestCreateOrderPropagation checks the path a call takes in production:
// a caller calls CreateOrder over gRPC, and CreateOrder calls
// InventoryService over gRPC through the generated client with its own
// context. The inventory must see the caller's deadline, and its call must
// end when the caller cancels, with nothing in CreateOrder written for it.
func TestCreateOrderPropagation(t *testing.T) {
	tests := []struct {
		name string
		// timeout is the caller's; 0 sets no deadline, and the generated
		// client's default applies.
		timeout time.Duration
		// cancel makes the inventory hold the call, and the caller cancel
		// once the inventory has it.
		cancel   bool
		wantCode codes.Code // what the caller and the orders handler see
	}{
		{name: "the caller's deadline reaches the inventory", timeout: 3 * time.Second},
		{name: "without one, the client's default deadline applies"},
		{name: "cancelling the caller cancels the inventory call", timeout: 5 * time.Second, cancel: true, wantCode: codes.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := startInventory(t, func(inv *inventory) { inv.hold = tt.cancel })
			inv.setStock(t, "s", "A", 5)
			s, _ := newTestServiceWith(t, &deps.Deps{Inventory: dialInventory(t, inv.addr)})
			orders, handled := serveOrders(t, s)

			test := testCtx(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.timeout > 0 {
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			callerDeadline, hasDeadline := ctx.Deadline()
			returned := make(chan error, 1)
			go func() {
				_, err := orders.CreateOrder(ctx, order("", "", item("A", 1, 1, 0)))
				returned <- err
			}()

			var seen reserveCall
			select {
			case seen = <-inv.entered:
			case <-test.Done():
				t.Fatal("CreateOrder did not call the inventory")
			}
			if tt.cancel {
				cancel()
				select {
				case err := <-inv.ended:
					if !errors.Is(err, context.Canceled) {
						t.Errorf("the inventory's call ended with %v, want context.Canceled", err)
					}
				case <-test.Done():
					t.Fatal("the inventory's call did not end when the caller cancelled")
				}
			}
			var callerErr, handlerErr error
			for _, wait := range []struct {
				what string
				ch   <-chan error
				err  *error
			}{{"the caller's call", returned, &callerErr}, {"the orders handler", handled, &handlerErr}} {
				select {
				case *wait.err = <-wait.ch:
				case <-test.Done():
					t.Fatalf("%s did not return", wait.what)
				}
			}
			apierrtest.Check(t, callerErr, tt.wantCode, "")
			apierrtest.Check(t, handlerErr, tt.wantCode, "")

			if !hasDeadline {
				// The client's default started no later than now.
				callerDeadline = time.Now().Add(client.DefaultTimeout)
			}
			switch {
			case !seen.hasDeadline:
				t.Errorf("the inventory saw no deadline, want one no later than %v", callerDeadline)
			case seen.deadline.After(callerDeadline.Add(wireSlack)):
				t.Errorf("the inventory saw a deadline %v after the caller's", seen.deadline.Sub(callerDeadline))
			}
			list, err := checked(s.ListOrders, t.Context(), &ordersv1.ListOrdersRequest{Shop: "s"})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list.GetOrders()), map[bool]int{true: 0, false: 1}[tt.cancel]; got != want {
				t.Errorf("%d orders stored, want %d", got, want)
			}
		})
	}
}
