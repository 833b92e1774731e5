package conformance

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/new-service/new-service/conformance/internal/nameserver"
	"github.com/new-service/new-service/conformance/internal/process"
	"github.com/new-service/new-service/conformance/internal/scrape"
)

// startTimeout bounds how long a process may take to report serving.
const startTimeout = 20 * time.Second

// start runs one process of svc on 127.0.0.1 with free ports and the given
// environment (KEY=value; later entries win), and kills it at the end of
// the test if it still runs.
func start(t *testing.T, svc service, name string, env ...string) *process.Process {
	t.Helper()
	return startOn(t, svc, name, "127.0.0.1:0", env...)
}

// startOn is start with the gRPC address given: HTTP and admin listen on
// free ports of the same IP.
func startOn(t *testing.T, svc service, name, grpcAddr string, env ...string) *process.Process {
	t.Helper()
	host, _, err := net.SplitHostPort(grpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	full := append([]string{
		"GRPC_ADDR=" + grpcAddr,
		"HTTP_ADDR=" + net.JoinHostPort(host, "0"),
		"ADMIN_ADDR=" + net.JoinHostPort(host, "0"),
	}, env...)
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	p, err := process.Start(ctx, name, svc.bin, full)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("log of %s (last 30 lines):\n%s", name, tail(p.Log.Lines(), 30))
		}
	})
	return p
}

func tail(lines []string, n int) string {
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cluster is replicas of one service behind a DNS name, as pods behind a
// headless Kubernetes Service: replica i listens on 127.0.0.(i+2) with the
// same gRPC port as the others, and the name resolves to the replicas that
// are ready.
type cluster struct {
	t        *testing.T
	svc      service
	env      []string
	dns      *nameserver.Server
	port     string
	replicas []*process.Process
}

// newCluster starts n replicas of svc with the environment env and lists
// them in DNS.
func newCluster(t *testing.T, svc service, n int, env ...string) *cluster {
	t.Helper()
	ns, err := nameserver.Start(svc.name + ".conformance.test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	c := &cluster{t: t, svc: svc, env: env, dns: ns, port: "0"}
	for i := range n {
		c.start(i)
		c.dns.Add(c.ip(i))
	}
	return c
}

// ip returns replica slot's address.
func (c *cluster) ip(slot int) netip.Addr {
	return netip.AddrFrom4([4]byte{127, 0, 0, byte(slot + 2)})
}

// start starts a replica in slot (a new one, or the replacement of one that
// exited) and returns it; it is not in DNS until the test adds it, as a pod
// is not in its Service's endpoints until it is ready.
func (c *cluster) start(slot int) *process.Process {
	c.t.Helper()
	addr := net.JoinHostPort(c.ip(slot).String(), c.port)
	p := startOn(c.t, c.svc, fmt.Sprintf("%s-%d", c.svc.name, slot), addr, c.env...)
	if c.port == "0" {
		_, c.port, _ = net.SplitHostPort(p.GRPC)
	}
	for len(c.replicas) <= slot {
		c.replicas = append(c.replicas, nil)
	}
	c.replicas[slot] = p
	return p
}

// target is the dns:/// target of the cluster, served by its own DNS
// server: grpc's real dns resolver, asking 127.0.0.1:PORT.
func (c *cluster) target() string {
	return fmt.Sprintf("dns://%s/%s.conformance.test:%s", c.dns.Addr(), c.svc.name, c.port)
}

// rediscovery is the longest a client may take to notice a change in DNS
// (a replica added, or replaced at a new address) when the servers close
// connections at maxAge with grace for calls in flight: the longest a
// connection may live (maxAge plus grpc-go's 10% jitter), plus the grace,
// plus the resolver's minimum interval between resolutions, plus a second
// for connecting and the first health check.
func rediscovery(maxAge, grace time.Duration) time.Duration {
	return maxAge*11/10 + grace + minResolution + time.Second
}

// counts scrapes every replica and returns, per replica, the sum of the
// counter name over the series with labels.
func (c *cluster) counts(name string, labels map[string]string) []float64 {
	c.t.Helper()
	out := make([]float64, len(c.replicas))
	for i, p := range c.replicas {
		out[i] = counter(c.t, p, name, labels)
	}
	return out
}

// counter scrapes one process and returns the sum of the counter name over
// the series with labels.
func counter(t *testing.T, p *process.Process, name string, labels map[string]string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	m, err := scrape.Get(ctx, p.Admin)
	if err != nil {
		t.Fatal(err)
	}
	return m.Sum(name, labels)
}

// dialPlain connects without any service config: grpc's default,
// pick_first, one connection to the first address.
func dialPlain(t *testing.T, target string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(target, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// deltas returns after[i] - before[i].
func deltas(before, after []float64) []float64 {
	out := make([]float64, len(after))
	for i := range after {
		out[i] = after[i]
		if i < len(before) {
			out[i] -= before[i]
		}
	}
	return out
}

// spread returns the total, and the largest count over the mean.
func spread(counts []float64) (total, maxOverMean float64) {
	var largest float64
	for _, c := range counts {
		total += c
		largest = max(largest, c)
	}
	if total == 0 {
		return 0, 0
	}
	return total, largest / (total / float64(len(counts)))
}
