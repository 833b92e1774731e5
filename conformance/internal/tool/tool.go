// Package tool builds the real command-line tools the conformance suite
// drives (grpc-health-probe, grpcurl, ghz) at pinned versions.
package tool

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Tool is a Go command installable with `go install pkg@version`.
type Tool struct {
	// Name is the binary's name.
	Name string
	// Pkg is the main package's import path.
	Pkg string
	// Version is the module version; always a fixed one, never "latest"
	// (ghz's @latest resolves to an old v0.93.0).
	Version string
}

// The tools, at the versions the suite is written against.
var (
	// HealthProbe is the probe Kubernetes users run before the kubelet had
	// gRPC probes; its exit status says what it saw (see its README):
	// 0 SERVING, 1 bad arguments, 2 connection failed, 3 RPC failed,
	// 4 the service is not SERVING.
	HealthProbe = Tool{Name: "grpc-health-probe", Pkg: "github.com/grpc-ecosystem/grpc-health-probe", Version: "v0.4.62"}
	// GRPCurl lists services through server reflection and makes calls.
	GRPCurl = Tool{Name: "grpcurl", Pkg: "github.com/fullstorydev/grpcurl/cmd/grpcurl", Version: "v1.9.4"}
	// GHZ is a gRPC load generator.
	GHZ = Tool{Name: "ghz", Pkg: "github.com/bojand/ghz/cmd/ghz", Version: "v0.120.0"}
)

// All is every tool the suite uses.
var All = []Tool{HealthProbe, GRPCurl, GHZ}

// Build installs t into dir and returns the binary's path. It runs
// `go install pkg@version` with GOBIN=dir: the tool's own go.mod decides its
// dependencies, exactly as for anyone who installs it, and Go's build cache
// makes every build after the first take seconds. It needs the Go module
// proxy the first time only.
func Build(ctx context.Context, dir string, t Tool) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("build %s: the go command is not on PATH: %w", t.Name, err)
	}
	cmd := exec.CommandContext(ctx, gobin, "install", t.Pkg+"@"+t.Version)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: go install %s@%s: %w\n%s", t.Name, t.Pkg, t.Version, err, strings.TrimSpace(string(out)))
	}
	return filepath.Join(dir, t.Name), nil
}
