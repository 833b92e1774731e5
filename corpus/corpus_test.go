// Package corpus proves that new-service works on APIs no one here wrote:
// real public protos, used exactly as their projects publish them, inside
// Go modules pinned by version and checksum. For each entry the test runs
// `new-service new` as a user would (the --proto files and -I roots named
// in the table, from the module's root) and then the rendered service's
// own `go vet ./...` and `go test ./...`.
//
// Where a Go module ships the protos, they are not copied into this
// repository: the go command fetches the module from the module proxy into
// the module cache and verifies it against the checksum in the table, which
// is the provenance and the proof that nothing was modified. Google's own
// APIs (googleapis) ship in no Go module, so the files one of them needs are
// checked into testdata/googleapis byte for byte, as a partial checkout of
// that repository. PROVENANCE.md lists repository, commit or version, path
// and license of every entry.
//
// It builds and tests a dozen services, so it is skipped with -short.
package corpus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/new-service/new-service/internal/testcache"
)

// entry is one API of the corpus.
type entry struct {
	name string
	// module, version and sum pin the Go module that ships the protos; the
	// download fails if its content does not match sum. An entry without a
	// module is a folder of this package's testdata, named by version.
	module, version, sum string
	// args are the flags of `new` a user would pass from the module's (or
	// the folder's) root.
	args []string
}

const (
	gateway       = "github.com/grpc-ecosystem/grpc-gateway/v2"
	gatewayV      = "v2.33.0"
	gatewaySum    = "h1:5T5Ns3kMpWr+z3s5ZA0e7ljVyWNVNxK76sHPAxi5D1k="
	gatewayProtos = "examples/internal/proto/examplepb/"
)

var corpus = []entry{
	// grpc-gateway's own examples, in their own tree below internal/: every
	// rule kind, enums and well-known types in paths and bodies, openapiv2
	// options, streaming.
	{"gateway-a-bit-of-everything", gateway, gatewayV, gatewaySum,
		[]string{"--proto", gatewayProtos + "a_bit_of_everything.proto", "-I", "."}},
	{"gateway-echo", gateway, gatewayV, gatewaySum,
		[]string{"--proto", gatewayProtos + "echo_service.proto", "-I", "."}},
	{"gateway-response-body", gateway, gatewayV, gatewaySum,
		[]string{"--proto", gatewayProtos + "response_body_service.proto", "-I", "."}},
	{"gateway-stream", gateway, gatewayV, gatewaySum,
		[]string{"--proto", gatewayProtos + "stream.proto", "-I", "."}},
	// Bazel's Remote Asset API: Google-authored, google.api.http with
	// {instance_name=**} paths, google/rpc/status.
	{"remote-asset", "github.com/bazelbuild/remote-apis", "v0.0.0-20260908115904-76ddd98e1f92", "h1:31BbwlTos7Zvq2Or2F5FbkOEuA/sYQ3442myQF9yHGE=",
		[]string{"--proto", "build/bazel/remote/asset/v1/remote_asset.proto", "-I", "."}},
	// Trillian's log API: one file of a larger API, importing a sibling
	// file of another package from the same root.
	{"trillian-log", "github.com/google/trillian", "v1.8.0", "h1:AnbjOFFMQyvqpPAARj97CKEXmoSpCy2hZw0T7Y1Y0BA=",
		[]string{"--proto", "trillian_log_api.proto", "-I", "."}},
	// Kubernetes' Container Runtime Interface: 43 RPCs, no HTTP rules, its
	// root found from the package path (runtime.v1 in pkg/apis/runtime/v1).
	{"cri-api", "k8s.io/cri-api", "v0.37.2", "h1:UMvN3s6yoG3SVbxX9Mw6yVmVmaLwVAjy0hXUpJzXogo=",
		[]string{"--proto", "pkg/apis/runtime/v1/api.proto"}},
	// containerd's API: 19 services, 133 RPCs, streaming of all kinds.
	{"containerd", "github.com/containerd/containerd/api", "v1.12.0", "h1:kuQm82SbDrCuO4n7hf2L8zsBtZLuympyq5X/VotfX2A=",
		append(protoFlags("services/containers/v1/containers.proto", "services/content/v1/content.proto",
			"services/diff/v1/diff.proto", "services/events/v1/events.proto", "services/images/v1/images.proto",
			"services/introspection/v1/introspection.proto", "services/leases/v1/leases.proto", "services/mounts/v1/mounts.proto",
			"services/namespaces/v1/namespace.proto", "services/sandbox/v1/sandbox.proto",
			"services/snapshots/v1/snapshots.proto", "services/streaming/v1/streaming.proto",
			"services/tasks/v1/tasks.proto", "services/transfer/v1/transfer.proto",
			"services/version/v1/version.proto", "runtime/sandbox/v1/sandbox.proto",
			"runtime/task/v2/shim.proto", "runtime/task/v3/shim.proto", "services/ttrpc/events/v1/events.proto",
		), "-I", ".")},
	// Dapr's runtime API: one service of 58 RPCs, streaming.
	{"dapr", "github.com/dapr/dapr", "v1.14.0", "h1:SIQsNX1kH31JRDIS4k8IZ6eomM/BAcOP844PhQIT+BQ=",
		[]string{"--proto", "dapr/proto/runtime/v1/dapr.proto", "-I", "."}},
	// gRPC's route guide: every streaming kind, no HTTP rules.
	{"route-guide", "google.golang.org/grpc/examples", "v0.0.0-20260825154716-030ee8becb20", "h1:QaNb+nCEoRD91p9ZE1pSGGqdLc3s1AvF7yraBQmg6I8=",
		[]string{"--proto", "route_guide/routeguide/route_guide.proto"}},
	// protoc-gen-validate's gRPC test service: validate.rules annotations.
	{"pgv-greeter", "github.com/envoyproxy/protoc-gen-validate", "v1.3.3", "h1:MVQghNeW+LZcmXe7SY1V36Z+WFMDjpqGAGacLe2T0ds=",
		[]string{"--proto", "java/pgv-java-grpc/src/test/proto/hello.proto", "-I", "java/pgv-java-grpc/src/test/proto"}},
	// CEL's conformance service: imports whose Go package (cel.dev/expr) is
	// also linked into every gRPC binary.
	{"cel-conformance", "cel.dev/expr", "v0.26.0", "h1:oLXvOF0jiYA5A/tmzU91pLEWZkKynhLJlC9Gw7PrKvs=",
		[]string{"--proto", "proto/cel/expr/conformance/conformance_service.proto", "-I", "proto"}},
	// Google Cloud's Policy Simulator, one service file of googleapis as a
	// user with a checkout passes it: a google.* package, resource and
	// client annotations, a long-running operation, a file of its own
	// package and one of a sibling package (google/iam/v1) whose Go code is
	// published in another module.
	{"googleapis-policysimulator", "", "testdata/googleapis", "",
		[]string{"--proto", "google/cloud/policysimulator/v1/simulator.proto", "-I", "."}},
}

func protoFlags(files ...string) []string {
	var out []string
	for _, f := range files {
		out = append(out, "--proto", f)
	}
	return out
}

func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("renders, builds and tests a service per entry")
	}
	// The generator reaches this test only through go build: without this,
	// go test would keep its cached result after a generator change.
	if err := testcache.Consult("../cmd", "../generator", "../template", "../go.mod", "../go.sum"); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "new-service")
	run(t, "..", nil, "go", "build", "-o", bin, "./cmd/new-service")
	for _, e := range corpus {
		t.Run(e.name, func(t *testing.T) {
			dir := e.version
			if e.module != "" {
				dir = download(t, e)
			}
			svc := filepath.Join(t.TempDir(), "svc")
			start := time.Now()
			out := run(t, dir, nil, bin, append([]string{"new", "--module", "example.com/" + e.name}, append(e.args, svc)...)...)
			t.Logf("new: %v", time.Since(start).Round(100*time.Millisecond))
			// new's own lines give the time of each step.
			t.Logf("%s", out)
			start = time.Now()
			run(t, svc, nil, "go", "vet", "./...")
			run(t, svc, nil, "go", "test", "-count=1", "./...")
			t.Logf("vet and test: %v", time.Since(start).Round(100*time.Millisecond))
		})
	}
}

// download fetches the entry's module into the module cache, checks its
// checksum and returns its folder.
func download(t *testing.T, e entry) string {
	t.Helper()
	// A module of its own, so that this repository's go.mod is not touched.
	tmp := t.TempDir()
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte("module corpus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, tmp, []string{"GOFLAGS=-mod=mod"}, "go", "mod", "download", "-json", e.module+"@"+e.version)
	var m struct{ Dir, Sum, Error string }
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("go mod download: %v: %s", err, out)
	}
	if m.Error != "" {
		t.Fatalf("go mod download %s@%s: %s", e.module, e.version, m.Error)
	}
	if m.Sum != e.sum {
		t.Fatalf("%s@%s has checksum %s, want %s: not the published module", e.module, e.version, m.Sum, e.sum)
	}
	return m.Dir
}

// run runs a command in dir and returns its standard output; on failure it
// fails the test with the command's output.
func run(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s%s", name, strings.Join(args, " "), dir, err, stdout.Bytes(), tail(stderr.String(), 6000))
	}
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "...\n" + s[len(s)-n:]
}
