// Package deps holds what the handlers share: clients of other services,
// stores, caches, configuration.
//
// new-service wrote this file once; it is yours to edit and is never
// overwritten. The server calls [New] once at start-up, before anything
// listens, and [Deps.Close] after it stopped serving; every service's New
// receives the same *Deps.
//
// To run interceptors of your own (authentication, per-caller limits),
// give Deps the methods
//
//	UnaryInterceptors() []grpc.UnaryServerInterceptor
//	StreamInterceptors() []grpc.StreamServerInterceptor
//
// and the server runs them innermost, next to the handlers, after its own
// metrics, tracing, logging, recovery and deadlines.
package deps

import (
	"context"

	"github.com/new-service/new-service/examples/orders/internal/platform"
)

// Deps is built once at start-up and passed to every service.
type Deps struct {
	// Runtime is what the server provides: Logger, Registry (Prometheus),
	// ClientMetrics (for clients of other services) and Readiness (report a
	// dependency that is down, and health turns NOT_SERVING until it is
	// back).
	platform.Runtime
}

// New builds the dependencies. An error stops start-up before anything
// listens; ctx is cancelled if the process is asked to stop meanwhile.
func New(ctx context.Context, rt platform.Runtime) (*Deps, error) {
	return &Deps{Runtime: rt}, nil
}

// Close releases what New acquired.
func (d *Deps) Close() error {
	return nil
}
