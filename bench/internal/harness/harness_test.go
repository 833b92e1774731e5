package harness

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	benchv1 "github.com/new-service/new-service/bench/gen/bench/v1"
	"github.com/new-service/new-service/bench/internal/report"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    float64
		wantErr bool
	}{
		{
			name: "plain",
			stat: "1234 (bare) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 130 0 0 20 0 8 0 100 0 0",
			want: 3.8,
		},
		{
			name: "name with spaces and parentheses",
			stat: "1234 (a (b) c) R 1 1 1 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 0 0",
			want: 0.1,
		},
		{name: "truncated", stat: "1234 (x) S 1 2", wantErr: true},
		{name: "no name", stat: "garbage", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU(tt.stat)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && got != tt.want {
				t.Errorf("got %v s, want %v s", got, tt.want)
			}
		})
	}
}

func TestCPUSecondsOfSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := cpuSeconds(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}

func TestParseCounter(t *testing.T) {
	text := `# HELP go_memstats_mallocs_total Total number of heap objects allocated.
# TYPE go_memstats_mallocs_total counter
go_memstats_mallocs_total_other 5
go_memstats_mallocs_total 1.234567e+06
`
	got, err := parseCounter(strings.NewReader(text), "go_memstats_mallocs_total")
	if err != nil || got != 1234567 {
		t.Errorf("got %v, %v; want 1234567", got, err)
	}
	if _, err := parseCounter(strings.NewReader("up 1\n"), "go_memstats_mallocs_total"); err == nil {
		t.Error("no error for a missing counter")
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"ghz", "-d", `{"message":"it's"}`, "-z", "5s", "$WORK/bin/x", ""})
	want := `ghz -d '{"message":"it'\''s"}' -z 5s $WORK/bin/x ''`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestRotate(t *testing.T) {
	xs := []string{"a", "b", "c"}
	for round, want := range [][]string{{"a", "b", "c"}, {"b", "c", "a"}, {"c", "a", "b"}, {"a", "b", "c"}} {
		if got := rotate(xs, round); !slices.Equal(got, want) {
			t.Errorf("rotate(%d) = %v, want %v", round, got, want)
		}
	}
}

func TestHandlerFiles(t *testing.T) {
	files, err := handlerFiles()
	if err != nil {
		t.Fatal(err)
	}
	for rel, src := range files {
		if !strings.HasPrefix(src, "package benchservice\n") {
			t.Errorf("%s: does not start with package benchservice", rel)
		}
	}
	if !strings.Contains(files[filepath.Join(handlerDir, "logic.go")], "func Stream(") {
		t.Error("logic.go is not the shared handler logic")
	}
}

func TestProtoset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.protoset")
	if err := writeProtoset(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(data, &set); err != nil {
		t.Fatal(err)
	}
	// Self-contained: every import is in the set, before its importer.
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		t.Fatalf("protoset does not resolve: %v", err)
	}
	for _, method := range []string{"bench.v1.BenchService.Echo", "grpc.health.v1.Health.Check"} {
		if _, err := files.FindDescriptorByName(protoreflect.FullName(method)); err != nil {
			t.Error(err)
		}
	}
}

// testHarness is a harness whose work folder is a test's temporary one.
func testHarness(t *testing.T) *harness {
	t.Helper()
	work := t.TempDir()
	bench, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		opts:     Options{BenchDir: bench, RepoDir: filepath.Dir(bench), Log: io.Discard},
		work:     work,
		bin:      filepath.Join(work, "bin"),
		res:      &report.Results{},
		recorded: map[string]bool{},
	}
	return h
}

// TestServers builds every server, starts it, and checks that it answers
// Echo, Stream and the health Check with the shared handler and exposes
// the allocation counter the harness reads; then that the traced
// scenario's instances, which sample every call, allocate more per health
// Check than the same servers sampling 10%: the sampling setting reached
// them. The generated service (rendered by new-service, about 10 s with
// warm caches) is left out with -short.
func TestServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h := testHarness(t)
	if err := h.run(ctx, h.opts.BenchDir, nil, "go", "build", "-o", h.bin+"/", "./cmd/bare", "./cmd/kratos", "./cmd/gozero"); err != nil {
		t.Fatal(err)
	}
	all, traced := testServers(t, h)
	isTraced := map[*server]bool{}
	for _, s := range traced {
		isTraced[s] = true
	}
	all = append(all, traced...)
	if testing.Short() {
		all = slices.DeleteFunc(all, func(s *server) bool { return s.name == Generated })
	} else {
		ns := filepath.Join(h.bin, "new-service")
		if err := h.run(ctx, h.opts.RepoDir, nil, "go", "build", "-o", ns, "./cmd/new-service"); err != nil {
			t.Fatal(err)
		}
		svc := filepath.Join(h.work, "svc")
		if _, err := h.newService(ctx, ns, svc); err != nil {
			t.Fatal(err)
		}
		if err := writeHandlers(svc); err != nil {
			t.Fatal(err)
		}
		if err := h.run(ctx, svc, nil, "go", "build", "-o", filepath.Join(h.bin, "generated"), "./cmd/"+ServiceName); err != nil {
			t.Fatal(err)
		}
		if ok, err := genMatches(svc, h.opts.BenchDir); err != nil || !ok {
			t.Errorf("bench/gen is not what new-service generates (%v); regenerate it as bench/README.md says", err)
		}
	}
	// checkAllocs is the allocations per health Check of every server, by
	// name and whether it samples every call.
	type instance struct {
		name   string
		traced bool
	}
	checkAllocs := map[instance]float64{}
	for _, s := range all {
		label := s.name
		if isTraced[s] {
			label += " sampling every call"
		}
		t.Run(label, func(t *testing.T) {
			if err := s.start(nil); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.stop)
			if err := s.waitReady(ctx, time.Minute); err != nil {
				t.Fatal(err)
			}
			before, err := s.mallocs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conn, err := grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			client := benchv1.NewBenchServiceClient(conn)
			resp, err := client.Echo(ctx, &benchv1.EchoRequest{Message: "ping"})
			if err != nil || resp.GetMessage() != "ping" {
				t.Fatalf("Echo(ping) = %v, %v; want ping", resp, err)
			}
			stream, err := client.Stream(ctx, &benchv1.StreamRequest{Message: "m", Count: 10})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for {
				msg, err := stream.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if msg.GetIndex() != int32(n) || msg.GetMessage() != "m" {
					t.Fatalf("message %d = %v", n, msg)
				}
				n++
			}
			if n != 10 {
				t.Errorf("stream sent %d messages, want 10", n)
			}
			after, err := s.mallocs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if after <= before {
				t.Errorf("allocation counter went from %v to %v over two calls", before, after)
			}
			if _, err := cpuSeconds(s.cmd.Process.Pid); err != nil {
				t.Errorf("server CPU: %v", err)
			}

			health := healthpb.NewHealthClient(conn)
			if _, err := health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
				t.Fatal(err)
			}
			// As the harness does: less one scrape's own allocations.
			const checks = 3000
			m0, err := s.mallocs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			before, err = s.mallocs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for range checks {
				resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
				if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
					t.Fatalf("Check() = %v, %v; want SERVING", resp, err)
				}
			}
			after, err = s.mallocs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checkAllocs[instance{s.name, isTraced[s]}] = (after - before - (before - m0)) / checks
		})
	}
	for _, s := range traced {
		sampled, ok1 := checkAllocs[instance{s.name, true}]
		tenth, ok2 := checkAllocs[instance{s.name, false}]
		if !ok1 || !ok2 {
			continue
		}
		t.Logf("%s: %.1f allocations per health Check sampling every call, %.1f sampling 10%%", s.name, sampled, tenth)
		// A recording span costs at least its own struct and its
		// attributes' storage over a non-recording one, 9 calls in 10
		// (kratos: 1.5 to 2.1 more per call, go-zero about 10); the
		// counters' noise over 3,000 calls is a few tenths.
		if sampled < tenth+0.5 {
			t.Errorf("%s: %.1f allocations per health Check sampling every call, %.1f sampling 10%%: the traced instance does not sample every call", s.name, sampled, tenth)
		}
	}
}

func TestParseMachineBusy(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	got, err := parseMachineBusy("cpu  100 5 50 1000 20 3 2 10 40 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
	if err != nil || got != 1.7 {
		t.Errorf("got %v, %v; want 1.7 s", got, err)
	}
	if _, err := parseMachineBusy("intr 1 2 3\n"); err == nil {
		t.Error("no error without a cpu line")
	}
}

// TestServerEnv checks that -server-env reaches every server, traced
// instances included, after the minimal environment and each server's own
// variables, so that it is the same for all four.
func TestServerEnv(t *testing.T) {
	h := testHarness(t)
	h.opts.ServerEnv = []string{"GOGC=400", "GODEBUG=gctrace=1"}
	all, traced := testServers(t, h)
	all = append(all, traced...)
	if len(all) != 7 {
		t.Fatalf("%d servers, want 4 and 3 traced instances", len(all))
	}
	for _, s := range all {
		n := len(s.env)
		if n < 4 || s.env[n-2] != "GOGC=400" || s.env[n-1] != "GODEBUG=gctrace=1" || !strings.HasPrefix(s.env[0], "PATH=") {
			t.Errorf("%s: env %q, want the minimal environment, its own, then GOGC=400 GODEBUG=gctrace=1", s.name, s.env)
		}
	}
	h.opts.ServerEnv = nil
	if bare, _ := h.servers(); len(bare[0].env) != 2 {
		t.Errorf("bare grpc-go without -server-env: env %q, want PATH and HOME only", bare[0].env)
	}
}

// testServers returns the four servers and the traced scenario's three
// instances, not started. The servers run one at a time: the traced
// instances may share ports with the others.
func testServers(t *testing.T, h *harness) (all, traced []*server) {
	t.Helper()
	all, err := h.servers()
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := freeAddrs(7)
	if err != nil {
		t.Fatal(err)
	}
	return all, h.instrumented(addrs, true)
}
