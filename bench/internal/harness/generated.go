package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/new-service/new-service/bench/internal/handler"
)

// Module is the Go module path the generated service is rendered with: the
// bench module's own, so that its gen/ is byte for byte the bench module's
// gen/ (checked by [genMatches]) and the shared handler file needs no
// rewriting of imports. The service is a module of its own in a temporary
// folder; the two are never built together.
const Module = "github.com/new-service/new-service/bench"

// ServiceName is the generated service's name (--name), hence its binary,
// cmd/benchsvc.
const ServiceName = "benchsvc"

// handlerDir is where new-service scaffolds the BenchService handlers.
const handlerDir = "internal/handler/benchservice"

// echoSource and streamSource replace the scaffolded handler files; they
// call the shared logic, written beside them as logic.go.
const echoSource = `package benchservice

import (
	"context"

	benchv1 "github.com/new-service/new-service/bench/gen/bench/v1"
)

// Echo returns the request's message, with the peer benchmark's shared
// handler logic (logic.go), which every server of the benchmark runs.
//
//	POST /v1/echo
func (s *Service) Echo(ctx context.Context, req *benchv1.EchoRequest) (*benchv1.EchoResponse, error) {
	return Echo(ctx, req)
}
`

const streamSource = `package benchservice

import (
	"google.golang.org/grpc"

	benchv1 "github.com/new-service/new-service/bench/gen/bench/v1"
)

// Stream sends count messages, with the peer benchmark's shared handler
// logic (logic.go), which every server of the benchmark runs.
func (s *Service) Stream(req *benchv1.StreamRequest, stream grpc.ServerStreamingServer[benchv1.StreamResponse]) error {
	return Stream(req, stream.Send)
}
`

// handlerFiles returns the files that replace the scaffolded handlers of
// the generated service, by path relative to the service's root.
func handlerFiles() (map[string]string, error) {
	logic, ok := strings.CutPrefix(handler.LogicSource, "package handler\n")
	if !ok {
		return nil, fmt.Errorf("handler/logic.go does not start with its package clause")
	}
	return map[string]string{
		filepath.Join(handlerDir, "echo.go"):   echoSource,
		filepath.Join(handlerDir, "stream.go"): streamSource,
		filepath.Join(handlerDir, "logic.go"):  "package benchservice\n" + logic,
	}, nil
}

// writeHandlers writes [handlerFiles] into the service at dir, replacing
// the scaffolded ones (which new-service never overwrites afterwards).
func writeHandlers(dir string) error {
	files, err := handlerFiles()
	if err != nil {
		return err
	}
	for rel, src := range files {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(src), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// genMatches reports whether the Go code new-service generated in svcDir
// is the bench module's committed gen/ at benchDir.
func genMatches(svcDir, benchDir string) (bool, error) {
	for _, f := range []string{"bench.pb.go", "bench_grpc.pb.go"} {
		rel := filepath.Join("gen", "bench", "v1", f)
		a, err := os.ReadFile(filepath.Join(svcDir, rel))
		if err != nil {
			return false, err
		}
		b, err := os.ReadFile(filepath.Join(benchDir, rel))
		if err != nil {
			return false, err
		}
		if !bytes.Equal(a, b) {
			return false, nil
		}
	}
	return true, nil
}

// timed runs a command and returns its wall time.
func (h *harness) timed(ctx context.Context, dir string, argv ...string) (float64, error) {
	t0 := time.Now()
	if err := h.run(ctx, dir, nil, argv...); err != nil {
		return 0, err
	}
	return time.Since(t0).Seconds(), nil
}

// generate builds new-service, times `new` (h.opts.GenRuns times) and
// `update` on the bench proto, replaces the handlers and builds the
// service's binary. It returns the service's folder.
func (h *harness) generate(ctx context.Context) (string, error) {
	ns := filepath.Join(h.bin, "new-service")
	if err := h.run(ctx, h.opts.RepoDir, nil, "go", "build", "-o", ns, "./cmd/new-service"); err != nil {
		return "", err
	}
	var svc string
	for i := range h.opts.GenRuns {
		dir := filepath.Join(h.work, fmt.Sprintf("svc-%d", i+1))
		secs, err := h.newService(ctx, ns, dir)
		if err != nil {
			return "", err
		}
		h.res.Generator.New = append(h.res.Generator.New, secs)
		h.logf("new-service new: %.2f s", secs)
		if i == 0 {
			svc = dir
		} else if err := os.RemoveAll(dir); err != nil {
			return "", err
		}
	}
	if err := writeHandlers(svc); err != nil {
		return "", err
	}
	for range h.opts.GenRuns {
		secs, err := h.timed(ctx, h.opts.RepoDir, ns, "update", svc)
		if err != nil {
			return "", err
		}
		h.res.Generator.Update = append(h.res.Generator.Update, secs)
		h.logf("new-service update: %.2f s", secs)
	}
	for range h.opts.GenRuns {
		secs, err := h.timed(ctx, h.opts.RepoDir, ns, "update", "--no-build", svc)
		if err != nil {
			return "", err
		}
		h.res.Generator.UpdateNoBuild = append(h.res.Generator.UpdateNoBuild, secs)
		h.logf("new-service update --no-build: %.2f s", secs)
	}
	// The handlers must have survived update: they are the service's own.
	files, err := handlerFiles()
	if err != nil {
		return "", err
	}
	for rel, want := range files {
		got, err := os.ReadFile(filepath.Join(svc, rel))
		if err != nil {
			return "", err
		}
		if string(got) != want {
			return "", fmt.Errorf("new-service update rewrote %s, a scaffolded file", rel)
		}
	}
	ok, err := genMatches(svc, h.opts.BenchDir)
	if err != nil {
		return "", err
	}
	h.res.Setup.GenMatches = ok
	if !ok {
		h.logf("warning: bench/gen differs from what new-service generates now; regenerate it (see bench/README.md)")
	}
	if err := h.run(ctx, svc, nil, "go", "build", "-o", filepath.Join(h.bin, "generated"), "./cmd/"+ServiceName); err != nil {
		return "", err
	}
	return svc, nil
}

// newService renders the service from the bench proto into dir with
// new-service binary ns, and returns the wall time.
func (h *harness) newService(ctx context.Context, ns, dir string) (float64, error) {
	// Run from the repository with a relative --proto, as a user would.
	proto, err := filepath.Rel(h.opts.RepoDir, filepath.Join(h.opts.BenchDir, "proto"))
	if err != nil {
		return 0, err
	}
	return h.timed(ctx, h.opts.RepoDir, ns, "new", "--proto", proto, "--module", Module, "--name", ServiceName, dir)
}
