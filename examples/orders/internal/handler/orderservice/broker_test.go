package orderservice

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

func TestBroker(t *testing.T) {
	deleted := func(id string) *ordersv1.OrderEvent {
		return &ordersv1.OrderEvent{Change: &ordersv1.OrderEvent_DeletedOrderId{DeletedOrderId: id}}
	}
	tests := []struct {
		name     string
		buffer   int
		publish  map[string][]string // shop -> deleted IDs, published shop by shop
		want     []string            // what a subscriber of shop "s" receives
		wantOpen bool                // whether it is still subscribed
	}{
		{
			name:     "events arrive in order",
			buffer:   3,
			publish:  map[string][]string{"s": {"a", "b", "c"}},
			want:     []string{"a", "b", "c"},
			wantOpen: true,
		},
		{
			name:     "other shops are not delivered",
			buffer:   1,
			publish:  map[string][]string{"t": {"x", "y"}, "s": {"a"}},
			want:     []string{"a"},
			wantOpen: true,
		},
		{
			name:    "a full buffer drops the subscriber after the events it holds",
			buffer:  2,
			publish: map[string][]string{"s": {"a", "b", "c", "d"}},
			want:    []string{"a", "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b broker
			sub := b.subscribe("s", tt.buffer)
			for _, shop := range []string{"t", "s"} {
				for _, id := range tt.publish[shop] {
					b.publish(shop, deleted(id))
				}
			}
			var got []string
			open := true
		drain:
			for {
				select {
				case ev, ok := <-sub.events:
					if !ok {
						open = false
						break drain
					}
					got = append(got, ev.GetDeletedOrderId())
				default:
					break drain
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events mismatch (-want +got):\n%s", diff)
			}
			if open != tt.wantOpen {
				t.Errorf("subscription open = %v, want %v", open, tt.wantOpen)
			}
			b.unsubscribe(sub)
			if len(b.subs) != 0 {
				t.Errorf("broker keeps %d shops after unsubscribe, want 0", len(b.subs))
			}
		})
	}
}
