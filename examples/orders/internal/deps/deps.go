// Package deps holds what the handlers share: clients of other services,
// stores, caches, configuration.
//
// new-service wrote this file once; it is yours to edit and is never
// overwritten. The server calls [New] once at start-up, before anything
// listens, and [Deps.Close] after it stopped serving; every service's New
// receives the same *Deps.
//
// # Configuration
//
// New reads these environment variables besides the server's own:
//
//   - INVENTORY_TARGET is where InventoryService is reached (default
//     "dns:///localhost:50051"). In this example both services run in the
//     same process, so the default dials this process's own gRPC port; set
//     it when GRPC_ADDR moves the port. In production it is the inventory
//     Service's DNS name, "dns:///inventory.<namespace>.svc.cluster.local:50051",
//     which the dns:/// resolver and round_robin spread over every pod of a
//     headless Service.
//   - ORDERS_TLS_CA_FILE, ORDERS_TLS_CERT_FILE, ORDERS_TLS_KEY_FILE and
//     ORDERS_TLS_SERVER_NAME secure the inventory client when the service
//     it reaches serves TLS (see client.TLSFromEnv); unset, it dials
//     plaintext. Under mTLS its certificate is the caller identity the
//     inventory's authorization policy sees.
//   - ORDERS_WRITE_RATE is how many writes (CreateOrder, UpdateOrder,
//     CancelOrder, DeleteOrder) each caller may make: see [ParseRate] for
//     the format (default "20/s,burst=40"; "off" turns the limit off).
package deps

import (
	"context"
	"errors"
	"fmt"
	"google.golang.org/grpc"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/new-service/new-service/examples/orders/client"
	"github.com/new-service/new-service/examples/orders/internal/platform"
)

// DefaultInventoryTarget is this process's own gRPC port: the example
// serves InventoryService next to OrderService.
const DefaultInventoryTarget = "dns:///localhost:50051"

// DefaultWriteRate is each caller's write limit when ORDERS_WRITE_RATE is
// not set: 20 a second, in bursts of up to 40.
var DefaultWriteRate = Rate{Events: 20, Per: time.Second, Burst: 40}

// Deps is built once at start-up and passed to every service.
type Deps struct {
	// Runtime is what the server provides: Logger, Registry (Prometheus),
	// ClientMetrics (for clients of other services) and Readiness (report a
	// dependency that is down, and health turns NOT_SERVING until it is
	// back).
	platform.Runtime

	// Inventory is the generated client of InventoryService, which
	// CreateOrder calls to reserve stock. Nil means no inventory: CreateOrder
	// then reserves nothing, which is how unit tests build a Deps by hand.
	//
	// Its state is deliberately not reported to Readiness: an inventory
	// outage should fail CreateOrder fast with UNAVAILABLE while reads keep
	// working, not take every orders pod out of rotation. (Here it would
	// also never recover: the client health-checks this very process.)
	Inventory *client.Conn

	// WriteRate limits each caller's writes to OrderService. The zero
	// value means no limit, as in a Deps built by hand.
	WriteRate Rate

	// Chaos injects faults when the environment sets CHAOS (tests and game
	// days only); nil otherwise.
	Chaos *Chaos
}

// UnaryInterceptors are the service's own interceptors, which the server
// runs next to the handlers: here only the fault injection, when enabled.
func (d *Deps) UnaryInterceptors() []grpc.UnaryServerInterceptor {
	if d.Chaos == nil {
		return nil
	}
	return []grpc.UnaryServerInterceptor{d.Chaos.Unary}
}

// New builds the dependencies. An error stops start-up before anything
// listens; ctx is cancelled if the process is asked to stop meanwhile.
func New(ctx context.Context, rt platform.Runtime) (*Deps, error) {
	writeRate := DefaultWriteRate
	if v := rt.Getenv("ORDERS_WRITE_RATE"); v != "" {
		r, err := ParseRate(v)
		if err != nil {
			return nil, fmt.Errorf("ORDERS_WRITE_RATE=%q: %w", v, err)
		}
		writeRate = r
	}
	chaos, err := ParseChaos(rt.Getenv("CHAOS"))
	if err != nil {
		return nil, fmt.Errorf("CHAOS: %w", err)
	}
	if chaos != nil {
		rt.Logger.Warn("fault injection is on (CHAOS); never in production", "chaos", rt.Getenv("CHAOS"))
	}
	target := rt.Getenv("INVENTORY_TARGET")
	if target == "" {
		target = DefaultInventoryTarget
	}
	// The client does not connect until the first call, so an inventory
	// that is not up yet (or, here, this process not listening yet) does not
	// stop start-up.
	opts := []client.Option{client.WithMetrics(rt.ClientMetrics)}
	if t, ok := client.TLSFromEnv(rt.Getenv); ok {
		opts = append(opts, client.WithTLS(t))
	}
	inventory, err := client.New(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("inventory client: %w", err)
	}
	return &Deps{Runtime: rt, Inventory: inventory, WriteRate: writeRate, Chaos: chaos}, nil
}

// Close releases what New acquired.
func (d *Deps) Close() error {
	if d.Inventory == nil {
		return nil
	}
	if err := d.Inventory.Close(); err != nil {
		return fmt.Errorf("close inventory client: %w", err)
	}
	return nil
}

// Rate is a token-bucket limit: Events per Per on average, and up to Burst
// at once after a quiet spell. The zero Rate means no limit.
type Rate struct {
	Events float64
	Per    time.Duration
	Burst  int
}

// PerSecond returns the average rate in events a second; 0 for no limit.
func (r Rate) PerSecond() float64 {
	if r.Events == 0 || r.Per <= 0 {
		return 0
	}
	return r.Events / r.Per.Seconds()
}

// String returns the rate as [ParseRate] reads it: "20/s,burst=40", or
// "off".
func (r Rate) String() string {
	if r.PerSecond() == 0 {
		return "off"
	}
	per := r.Per.String()
	switch r.Per {
	case time.Second:
		per = "s"
	case time.Minute:
		per = "m"
	case time.Hour:
		per = "h"
	}
	return fmt.Sprintf("%s/%s,burst=%d", strconv.FormatFloat(r.Events, 'f', -1, 64), per, r.Burst)
}

// ParseRate reads a rate written as EVENTS/PERIOD[,burst=N]:
//
//	20/s             20 a second, bursts of 40
//	600/m,burst=50   600 a minute (10 a second), bursts of 50
//	5/10s            5 every 10 seconds, bursts of 10
//	off              no limit
//
// EVENTS is a positive number; PERIOD is s, m, h or a Go duration ("10s",
// "500ms"). The burst defaults to twice EVENTS, rounded up: a caller that
// was quiet for a while may make two periods' worth of calls at once.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return Rate{}, nil
	}
	spec, burstSpec, hasBurst := strings.Cut(s, ",")
	events, period, ok := strings.Cut(spec, "/")
	if !ok {
		return Rate{}, errors.New("want EVENTS/PERIOD[,burst=N], such as 20/s or 600/m,burst=50, or off")
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(events), 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) {
		return Rate{}, fmt.Errorf("events %q: want a positive number", events)
	}
	period = strings.TrimSpace(period)
	if period != "" && !strings.ContainsAny(period[:1], "0123456789.") {
		period = "1" + period // "s" is "1s"
	}
	per, err := time.ParseDuration(period)
	if err != nil || per <= 0 {
		return Rate{}, fmt.Errorf("period %q: want s, m, h or a positive duration such as 10s", period)
	}
	// The cap keeps the conversion defined for absurd rates, which are no
	// limit in practice anyway.
	r := Rate{Events: n, Per: per, Burst: int(min(math.Ceil(2*n), math.MaxInt32))}
	if hasBurst {
		v, ok := strings.CutPrefix(strings.TrimSpace(burstSpec), "burst=")
		b, err := strconv.Atoi(v)
		if !ok || err != nil || b < 1 {
			return Rate{}, fmt.Errorf("%q: want burst=N with N at least 1", burstSpec)
		}
		r.Burst = b
	}
	return r, nil
}
