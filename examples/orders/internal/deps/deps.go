// Package deps holds what the handlers share: clients of other services,
// stores, caches, configuration.
//
// new-service wrote this file once; it is yours to edit and is never
// overwritten. cmd/orders calls [New] once at start-up and [Deps.Close]
// after the servers stopped; every service's New receives the same *Deps.
package deps

import (
	"context"
	"log/slog"
)

// Deps is built once at start-up and passed to every service.
type Deps struct {
	// Logger writes structured JSON logs to stderr.
	Logger *slog.Logger

	// Stopping is closed when the process is asked to stop. Long-lived
	// calls (WatchOrders) end when it closes: the graceful stop that
	// follows waits for in-flight calls, and an open stream would otherwise
	// hold it until the shutdown grace expires. A nil channel never closes,
	// which suits a Deps built by hand in tests.
	Stopping <-chan struct{}
}

// New builds the dependencies. An error stops start-up before anything
// listens; ctx is cancelled if the process is asked to stop meanwhile.
// cmd/orders passes the context that SIGTERM and SIGINT cancel, and it
// outlives New: [Deps.Stopping] follows it.
func New(ctx context.Context, logger *slog.Logger) (*Deps, error) {
	return &Deps{Logger: logger, Stopping: ctx.Done()}, nil
}

// Close releases what New acquired.
func (d *Deps) Close() error {
	return nil
}
