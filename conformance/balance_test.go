package conformance

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/new-service/new-service/conformance/internal/process"
	"github.com/new-service/new-service/examples/orders/client"
)

// balanceCalls is how many calls a balancing measurement makes.
const balanceCalls = 3000

// TestL4Pitfall shows why gRPC needs per-call balancing: a client with one
// connection (pick_first, what an L4 load balancer or a ClusterIP Service
// gives you) puts every call on one replica, while the generated client
// (dns:/// + round_robin over every address) spreads them evenly. Calls are
// counted where they landed, in each replica's grpc_server_started_total.
func TestL4Pitfall(t *testing.T) {
	for _, sv := range services {
		t.Run(sv.name, func(t *testing.T) {
			svc := sv.get(t)
			c := newCluster(t, svc, 3)
			tests := []struct {
				name string
				dial func(target string) (*grpc.ClientConn, error)
				// connected is how many replicas the client reaches once
				// connected; measuring starts then, so that connecting
				// does not count as imbalance.
				connected int
				check     func(t *testing.T, counts []float64)
			}{
				{
					name:      "pick_first, one connection",
					connected: 1,
					dial:      func(target string) (*grpc.ClientConn, error) { return dialPlain(t, target), nil },
					check: func(t *testing.T, counts []float64) {
						if n := len(slices.DeleteFunc(slices.Clone(counts), func(c float64) bool { return c == 0 })); n != 1 {
							t.Errorf("calls per replica %v: %d replicas served calls, want every call on one", counts, n)
						}
					},
				},
				{
					name:      "generated client, round_robin",
					connected: 3,
					dial:      svc.dial,
					check: func(t *testing.T, counts []float64) {
						if _, maxOverMean := spread(counts); maxOverMean > 1.05 {
							t.Errorf("calls per replica %v: max/mean = %.3f, want <= 1.05", counts, maxOverMean)
						}
					},
				},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					conn, err := tt.dial(c.target())
					if err != nil {
						t.Fatal(err)
					}
					defer conn.Close()
					warm := startLoad(t, 1, 1000, 10*time.Second, svc.balanced(conn))
					warm.wait(t, 10*time.Second, "connected", func(s tally) bool { return len(s.byPeer) >= tt.connected })
					warm.finish()
					before := c.counts("grpc_server_started_total", svc.series)
					got := runCalls(t, 4, balanceCalls, time.Minute, svc.balanced(conn))
					counts := deltas(before, c.counts("grpc_server_started_total", svc.series))
					total, maxOverMean := spread(counts)
					t.Logf("%s: calls per replica (server-side) %v, max/mean %.3f; client saw %v", tt.name, counts, maxOverMean, got)
					if got.failures > 0 {
						t.Errorf("%d calls failed: %v", got.failures, got.errs)
					}
					if total != balanceCalls {
						t.Errorf("replicas counted %v calls, want %d", total, balanceCalls)
					}
					tt.check(t, counts)
				})
			}
		})
	}
}

// Scale-up settings: replicas close every connection after maxAge (±10%
// jitter), with scaleGrace for calls in flight.
const (
	maxAge     = 3 * time.Second
	scaleGrace = 1 * time.Second
)

// TestScaleUp adds a fourth replica to DNS while the generated client is
// under load and measures how long until it gets its share. A client only
// re-resolves when a connection closes, so it is MaxConnectionAge that
// makes it look, within [rediscovery] of the change.
func TestScaleUp(t *testing.T) {
	svc := orders(t)
	c := newCluster(t, svc, 3, "MAX_CONNECTION_AGE="+maxAge.String(),
		"SHUTDOWN_GRACE="+scaleGrace.String(), "DRAIN_DELAY=1s")
	conn, err := client.New(c.target())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	bound := rediscovery(maxAge, scaleGrace)

	l := startLoad(t, 4, 200_000, 2*time.Minute, svc.balanced(conn))
	l.wait(t, 10*time.Second, "every replica served calls", func(s tally) bool { return len(s.byPeer) == 3 })

	fourth := c.start(3)
	c.dns.Add(c.ip(3))
	added := time.Now()
	lookups := c.dns.Lookups()
	first := l.wait(t, bound+5*time.Second, "the fourth replica served a call", servedBy(fourth, 1))
	found := time.Since(added)
	t.Logf("the fourth replica got its first call %v after it was added to DNS (bound %v; the client resolved the name %d times meanwhile)",
		found.Round(time.Millisecond), bound, c.dns.Lookups()-lookups)
	if found > bound {
		t.Errorf("the fourth replica was found after %v, want within %v", found, bound)
	}

	// Its share: over the next calls, as many as the others get.
	window := l.wait(t, time.Minute, fmt.Sprintf("%d more calls", balanceCalls), func(s tally) bool { return s.calls >= first.calls+balanceCalls })
	counts := make([]float64, 4)
	for i, p := range c.replicas {
		counts[i] = float64(window.byPeer[p.GRPC] - first.byPeer[p.GRPC])
	}
	got := l.finish()
	_, maxOverMean := spread(counts)
	mean := float64(balanceCalls) / 4
	t.Logf("next %d calls per replica %v (max/mean %.3f); %v", balanceCalls, counts, maxOverMean, got)
	if got.failures > 0 {
		t.Errorf("%d calls failed: %v", got.failures, got.errs)
	}
	if counts[3] < 0.8*mean {
		t.Errorf("the fourth replica got %v of the next %d calls, want at least 80%% of the mean %v", counts[3], balanceCalls, mean)
	}
}

// servedBy returns a condition on a load's tally: p served at least n
// calls.
func servedBy(p *process.Process, n int) func(tally) bool {
	return func(s tally) bool { return s.byPeer[p.GRPC] >= n }
}
