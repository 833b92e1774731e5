package orderservice

import (
	"sync"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// broker fans each shop's changes out to the shop's watchers. publish never
// waits: a watcher whose buffer is full is dropped, its channel closed, so a
// slow client costs its own stream and never a writer's latency.
type broker struct {
	mu   sync.Mutex
	subs map[string]map[*subscription]struct{} // by shop
}

// subscription is one watcher of one shop.
type subscription struct {
	shop string
	// events delivers the shop's changes in the order they were made. The
	// broker closes it when the watcher fell behind by more than its buffer;
	// the events from before the gap can still be received.
	events chan *ordersv1.OrderEvent
}

// subscribe starts delivering the shop's changes to a new subscription that
// may fall behind by at most buffer events.
func (b *broker) subscribe(shop string, buffer int) *subscription {
	sub := &subscription{shop: shop, events: make(chan *ordersv1.OrderEvent, buffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[string]map[*subscription]struct{}{}
	}
	if b.subs[shop] == nil {
		b.subs[shop] = map[*subscription]struct{}{}
	}
	b.subs[shop][sub] = struct{}{}
	return sub
}

// unsubscribe stops deliveries to sub; it is a no-op for a subscription the
// broker already dropped.
func (b *broker) unsubscribe(sub *subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.removeLocked(sub)
}

// publish delivers ev to every subscription of the shop. Subscribers share
// ev and must not modify it. Callers publish while holding the store's
// lock, so subscribers see changes in the order they were made.
func (b *broker) publish(shop string, ev *ordersv1.OrderEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs[shop] {
		select {
		case sub.events <- ev:
		default:
			// Closing tells the watcher it missed events: it delivers what it
			// has, then ends, and its client must re-read before watching again.
			close(sub.events)
			b.removeLocked(sub)
		}
	}
}

func (b *broker) removeLocked(sub *subscription) {
	subs := b.subs[sub.shop]
	delete(subs, sub)
	if len(subs) == 0 {
		delete(b.subs, sub.shop)
	}
}
