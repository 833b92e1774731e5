package auth

import (
	"context"

	"github.com/new-service/new-service/examples/orders/internal/platform"
)

// New returns the service's authorization policy, or nil to let every call
// through (the server then logs once, at start-up, that no policy is
// configured). The server calls it once, after deps.New.
//
// new-service wrote this file once; it is yours. By default it returns the
// allow-list of new-service.yaml's authz setting ([Configured]) when that
// lists any method. Write your own [Policy] here to decide otherwise, for
// example from a token in the call's metadata (grpc metadata
// "authorization"; REST callers' Authorization header arrives as
// "grpcgateway-authorization"), or by asking a policy engine.
func New(ctx context.Context, rt platform.Runtime) (Policy, error) {
	if len(Configured) > 0 {
		return Configured, nil
	}
	return nil, nil
}
