package conformance

import (
	"context"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/new-service/new-service/conformance/internal/tool"
	"github.com/new-service/new-service/examples/orders/client"
	inventoryv1 "github.com/new-service/new-service/examples/orders/gen/acme/inventory/v1"
)

// TestGRPCurl uses the real grpcurl against each service: it lists the
// services through server reflection (on by default) and makes calls
// described only by what reflection returned.
func TestGRPCurl(t *testing.T) {
	grpcurl := needTool(t, tool.GRPCurl)
	tests := []struct {
		service string
		list    []string
		calls   []grpcurlCall
	}{
		{
			service: "orders",
			list:    []string{"acme.inventory.v1.InventoryService", "acme.orders.v1.OrderService", "grpc.health.v1.Health"},
			calls: []grpcurlCall{
				{method: "acme.inventory.v1.InventoryService/SetStock", data: `{"shop": "conformance", "sku": "SKU-1", "onHand": "5"}`, want: map[string]any{"shop": "conformance", "sku": "SKU-1", "onHand": "5"}},
				{method: "acme.inventory.v1.InventoryService/GetStock", data: `{"shop": "conformance", "sku": "SKU-1"}`, want: map[string]any{"shop": "conformance", "sku": "SKU-1", "onHand": "5"}},
			},
		},
		{
			service: "billing",
			list:    []string{"acme.billing.v1.InvoiceService", "acme.billing.v1.PaymentService", "grpc.health.v1.Health"},
			calls: []grpcurlCall{
				{method: "grpc.health.v1.Health/Check", data: `{"service": "acme.billing.v1.InvoiceService"}`, want: map[string]any{"status": "SERVING"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			var svc service
			for _, sv := range services {
				if sv.name == tt.service {
					svc = sv.get(t)
				}
			}
			p := start(t, svc, svc.name)
			out := runTool(t, grpcurl, "-plaintext", p.GRPC, "list")
			listed := strings.Fields(out)
			for _, want := range tt.list {
				if !strings.Contains(" "+strings.Join(listed, " ")+" ", " "+want+" ") {
					t.Errorf("grpcurl list = %q, want %s in it", listed, want)
				}
			}
			for _, c := range tt.calls {
				out := runTool(t, grpcurl, "-plaintext", "-d", c.data, p.GRPC, c.method)
				var got map[string]any
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatalf("grpcurl %s: %v in %q", c.method, err, out)
				}
				for k, v := range c.want {
					if !cmp.Equal(got[k], v) {
						t.Errorf("grpcurl %s: %s = %v, want %v (response %s)", c.method, k, got[k], v, out)
					}
				}
			}
		})
	}
}

// grpcurlCall is one call made with grpcurl: method, JSON request, and
// fields the JSON response must have.
type grpcurlCall struct {
	method, data string
	want         map[string]any
}

// ghzCalls is the size of the ghz run.
const ghzCalls = 2000

// TestGHZ runs a bounded load with the real ghz against the reference
// service (the method found through reflection) and requires zero errors,
// which the service's own grpc_server_started_total confirms.
func TestGHZ(t *testing.T) {
	ghz := needTool(t, tool.GHZ)
	svc := orders(t)
	p := start(t, svc, "orders")
	conn, err := client.New("dns:///" + p.GRPC)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.InventoryService.SetStock(t.Context(), &inventoryv1.SetStockRequest{Shop: "conformance", Sku: "SKU-1", OnHand: 5}); err != nil {
		t.Fatal(err)
	}
	before := counter(t, p, "grpc_server_started_total", getStockSeries)

	out := runTool(t, ghz, "--insecure", "--format=json",
		"--call=acme.inventory.v1.InventoryService.GetStock", `--data={"shop": "conformance", "sku": "SKU-1"}`,
		"--total="+strconv.Itoa(ghzCalls), "--concurrency=8", "--connections=2", "--timeout=5s", p.GRPC)
	var report struct {
		Count     int                `json:"count"`
		RPS       float64            `json:"rps"`
		Average   time.Duration      `json:"average"`
		Errors    map[string]int     `json:"errorDistribution"`
		Statuses  map[string]int     `json:"statusCodeDistribution"`
		Latencies []ghzLatencyBucket `json:"latencyDistribution"`
		EndReason string             `json:"endReason"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("ghz's JSON report: %v", err)
	}
	served := counter(t, p, "grpc_server_started_total", getStockSeries) - before
	var p99 time.Duration
	for _, b := range report.Latencies {
		if b.Percentage == 99 {
			p99 = b.Latency
		}
	}
	t.Logf("ghz: %d calls (%s), %.0f calls/s, average %v, p99 %v, statuses %v; the service counted %v",
		report.Count, report.EndReason, report.RPS, report.Average.Round(time.Microsecond), p99.Round(time.Microsecond), report.Statuses, served)
	if report.Count != ghzCalls || len(report.Errors) != 0 || !cmp.Equal(report.Statuses, map[string]int{"OK": ghzCalls}) {
		t.Errorf("ghz: %d calls, errors %v, statuses %v; want %d calls, all OK", report.Count, report.Errors, report.Statuses, ghzCalls)
	}
	if served != ghzCalls {
		t.Errorf("the service counted %v GetStock calls, want %d", served, ghzCalls)
	}
}

// ghzLatencyBucket is one entry of ghz's latencyDistribution.
type ghzLatencyBucket struct {
	Percentage int           `json:"percentage"`
	Latency    time.Duration `json:"latency"`
}

// runTool runs a tool for at most two minutes and returns its standard
// output; it fails the test with the output if the tool fails.
func runTool(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", bin, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}
