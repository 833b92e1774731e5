package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	benchv1 "github.com/new-service/new-service/bench/gen/bench/v1"
)

// GhzModule is the ghz the harness installs: name the version, since
// @latest resolves to an old v0.93.0.
const GhzModule = "github.com/bojand/ghz/cmd/ghz@v0.120.0"

// installGhz builds ghz into the harness's bin folder (go install with a
// version uses ghz's own go.mod, not the bench module's) and returns the
// path, or returns h.opts.Ghz when one was given. It also returns the
// module version the binary was built from.
func (h *harness) installGhz(ctx context.Context) (string, string, error) {
	path := h.opts.Ghz
	if path == "" {
		path = filepath.Join(h.bin, "ghz")
		if err := h.run(ctx, h.opts.BenchDir, []string{"GOBIN=" + h.bin}, "go", "install", GhzModule); err != nil {
			return "", "", err
		}
	}
	out, err := h.output(ctx, h.opts.BenchDir, "go", "version", "-m", path)
	if err != nil {
		return "", "", err
	}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "mod" && f[1] == "github.com/bojand/ghz" {
			return path, "github.com/bojand/ghz " + f[2], nil
		}
	}
	return path, "unknown ghz", nil
}

// writeProtoset writes the bench API, grpc.health.v1 and their imports as
// a FileDescriptorSet, so that ghz needs neither the .proto files nor
// reflection (which not every server registers).
func writeProtoset(path string) error {
	var set descriptorpb.FileDescriptorSet
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := range imports.Len() {
			add(imports.Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
	}
	add(benchv1.File_bench_v1_bench_proto)
	add(healthpb.File_grpc_health_v1_health_proto)
	data, err := proto.Marshal(&set)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// ghzResult is the part of ghz's JSON report the harness reads. Durations
// are in nanoseconds.
type ghzResult struct {
	Count               int64            `json:"count"`
	Total               int64            `json:"total"`
	RPS                 float64          `json:"rps"`
	ErrorDistribution   map[string]int64 `json:"errorDistribution"`
	StatusCodes         map[string]int64 `json:"statusCodeDistribution"`
	LatencyDistribution []struct {
		Percentage int   `json:"percentage"`
		Latency    int64 `json:"latency"`
	} `json:"latencyDistribution"`
}

func (r ghzResult) percentileMs(p int) float64 {
	for _, l := range r.LatencyDistribution {
		if l.Percentage == p {
			return float64(l.Latency) / float64(time.Millisecond)
		}
	}
	return 0
}

func (r ghzResult) errors() int64 {
	var n int64
	for code, c := range r.StatusCodes {
		if code != "OK" {
			n += c
		}
	}
	return n
}

// ghzCall is the method ghz loads and the request it sends, as JSON.
type ghzCall struct {
	method, data string
}

// echo is Echo with the run's message.
func (h *harness) echo() ghzCall {
	data, _ := json.Marshal(map[string]string{"message": h.opts.Message})
	return ghzCall{"bench.v1.BenchService/Echo", string(data)}
}

// healthCheck asks for the health of the whole server (service ""), which
// every server of the comparison answers.
var healthCheck = ghzCall{"grpc.health.v1.Health/Check", "{}"}

// ghzArgs is the ghz command line for call on target for d.
func (h *harness) ghzArgs(call ghzCall, target string, d time.Duration) []string {
	args := append([]string{}, h.pinLoad...)
	return append(args, h.ghz,
		"--insecure",
		"--protoset", h.protoset,
		"--call", call.method,
		"-d", call.data,
		"-c", fmt.Sprint(h.opts.Concurrency),
		"--connections", fmt.Sprint(h.opts.Connections),
		"-z", d.String(),
		"--duration-stop", "wait",
		"--format", "json",
		target,
	)
}

// runGhz runs ghz with call against target for d and returns its report
// and the CPU time it used.
func (h *harness) runGhz(ctx context.Context, call ghzCall, target string, d time.Duration) (ghzResult, float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d+time.Minute)
	defer cancel()
	out, cpu, err := h.outputCPU(ctx, h.work, h.ghzArgs(call, target, d)...)
	if err != nil {
		return ghzResult{}, 0, err
	}
	var r ghzResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		return ghzResult{}, 0, fmt.Errorf("ghz report: %w", err)
	}
	if r.Count == 0 {
		return r, 0, fmt.Errorf("ghz made no calls to %s", target)
	}
	return r, cpu, nil
}
