package conformance

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"
)

// callTimeout is the deadline of each call a load makes.
const callTimeout = 5 * time.Second

// call makes one RPC; opts carry grpc.Peer, which tells the load which
// replica served it.
type call func(ctx context.Context, opts ...grpc.CallOption) error

// load is calls from a few goroutines, bounded in count and in time, each
// tallied by the replica (peer address) that served it.
type load struct {
	stop   chan struct{}
	done   chan struct{}
	issued atomic.Int64

	mu      sync.Mutex
	t       tally
	changed chan struct{} // closed and replaced after each call
}

// tally is what a load saw.
type tally struct {
	calls, failures int
	byPeer          map[string]int
	errs            []string // the first few failures
}

func (t tally) clone() tally {
	t.byPeer = maps.Clone(t.byPeer)
	t.errs = slices.Clone(t.errs)
	return t
}

// String lists calls per replica in address order.
func (t tally) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d calls, %d failed;", t.calls, t.failures)
	for _, addr := range slices.Sorted(maps.Keys(t.byPeer)) {
		fmt.Fprintf(&b, " %s: %d", addr, t.byPeer[addr])
	}
	return b.String()
}

// startLoad starts workers goroutines calling fn until [load.finish], until
// max calls were made or until limit passed, whichever comes first.
func startLoad(t *testing.T, workers, maxCalls int, limit time.Duration, fn call) *load {
	t.Helper()
	l := &load{stop: make(chan struct{}), done: make(chan struct{}), changed: make(chan struct{}), t: tally{byPeer: map[string]int{}}}
	end := time.Now().Add(limit)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(end) && l.issued.Add(1) <= int64(maxCalls) {
				select {
				case <-l.stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
				var p peer.Peer
				err := fn(ctx, grpc.Peer(&p))
				cancel()
				l.record(&p, err)
			}
		})
	}
	go func() {
		wg.Wait()
		close(l.done)
	}()
	t.Cleanup(func() { l.finish() })
	return l
}

func (l *load) record(p *peer.Peer, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.calls++
	if err != nil {
		l.t.failures++
		if len(l.t.errs) < 5 {
			l.t.errs = append(l.t.errs, err.Error())
		}
	} else if p.Addr != nil {
		l.t.byPeer[p.Addr.String()]++
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// snapshot returns the tally so far.
func (l *load) snapshot() tally {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.t.clone()
}

// wait waits until cond holds for the tally, the load ends, or timeout
// passes; it fails the test in the last two cases, naming what it waited
// for.
func (l *load) wait(t *testing.T, timeout time.Duration, what string, cond func(tally) bool) tally {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		l.mu.Lock()
		snap, changed := l.t.clone(), l.changed
		l.mu.Unlock()
		if cond(snap) {
			return snap
		}
		select {
		case <-changed:
		case <-l.done:
			if s := l.snapshot(); cond(s) {
				return s
			}
			t.Fatalf("the load ended (bounded in calls and time) before %s: %v", what, l.snapshot())
		case <-timer.C:
			t.Fatalf("not %s within %v: %v", what, timeout, l.snapshot())
		}
	}
}

// finish stops the load, waits for the calls in flight and returns the
// tally.
func (l *load) finish() tally {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
	return l.snapshot()
}

// runCalls makes n calls from workers goroutines (within limit) and returns
// the tally; it fails the test if fewer than n were made.
func runCalls(t *testing.T, workers, n int, limit time.Duration, fn call) tally {
	t.Helper()
	l := startLoad(t, workers, n, limit, fn)
	<-l.done
	got := l.snapshot()
	if got.calls < n {
		t.Fatalf("made %d calls of %d within %v", got.calls, n, limit)
	}
	return got
}
