package conformance

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/resolver/dns"

	"github.com/new-service/new-service/conformance/internal/scrape"
	"github.com/new-service/new-service/conformance/internal/tool"
	"github.com/new-service/new-service/examples/orders/client"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// minResolution is the floor between two DNS resolutions of one grpc
// channel, lowered for the suite from grpc's default of 30s (see TestMain).
const minResolution = 200 * time.Millisecond

// built is what TestMain built, once per run.
var built struct {
	orders, billing service
	tools           map[string]string // tool name -> binary
	toolErrs        map[string]error  // tool name -> why it did not build
}

// TestMain builds the services and tools the tests need, concurrently, then
// runs the tests.
func TestMain(m *testing.M) {
	flag.Parse()
	// grpc's dns resolver resolves again only when the channel asks (a
	// connection closed or failed) and at most once per
	// MinResolutionInterval, 30s by default: a request sooner waits. The
	// suite lowers the floor to 200ms so that it sees DNS changes within the
	// time its servers' MaxConnectionAge promises without waiting 30s for
	// each; production clients keep 30s, which MaxConnectionAge (5m by
	// default) dwarfs anyway. It must be set before any channel exists.
	dns.SetMinResolutionInterval(minResolution)

	code := func() int {
		if testing.Short() {
			return m.Run() // the process-level tests skip themselves
		}
		dir, err := os.MkdirTemp("", "conformance-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "conformance:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		setUp(dir)
		return m.Run()
	}()
	os.Exit(code)
}

// setUp builds everything into dir. Failures are recorded, not fatal: each
// test that needs what failed reports why.
func setUp(dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	built.tools, built.toolErrs = map[string]string{}, map[string]error{}
	for _, tl := range tool.All {
		wg.Go(func() {
			bin, err := tool.Build(ctx, filepath.Join(dir, "tools"), tl)
			mu.Lock()
			defer mu.Unlock()
			built.tools[tl.Name], built.toolErrs[tl.Name] = bin, err
		})
	}
	wg.Go(func() { built.orders = buildOrders(ctx, dir) })
	wg.Go(func() { built.billing = renderBilling(ctx, dir) })
	wg.Wait()
	fmt.Fprintf(os.Stderr, "conformance: built the services and tools in %v\n", time.Since(start).Round(100*time.Millisecond))
}

// service is a generated service under test.
type service struct {
	// name is the service's name, also its binary's.
	name string
	// bin is its binary.
	bin string
	// serviceConfig is the gRPC service config its generated client uses.
	serviceConfig string
	// main is the service the generated client health-checks and the
	// Kubernetes readiness probe asks about.
	main string
	// rest describes routes of its REST gateway, for the routing tests.
	rest restRoutes
	// dial connects with the service's generated client.
	dial func(target string) (*grpc.ClientConn, error)
	// balanced is the unary call balancing tests make, and series the
	// labels of grpc_server_started_total that count it on the server.
	balanced func(conn grpc.ClientConnInterface) call
	series   map[string]string
	// err says why the service could not be built.
	err error
}

// restRoutes are a service's REST routes the generic tests use.
type restRoutes struct {
	// param is a unary GET route with one path parameter, as a fmt
	// pattern; post a POST route whose body is a message with the string
	// field bigField; query is a query parameter the GET route reads, ""
	// when it reads none.
	param, post, bigField, query string
}

// get returns the GET route with its parameter set to v.
func (r restRoutes) get(v string) string { return fmt.Sprintf(r.param, v) }

// need returns the service, or fails the test if it could not be built.
func (s service) need(t *testing.T) service {
	t.Helper()
	if testing.Short() {
		t.Skip("runs real processes; not in -short mode")
	}
	if s.err != nil {
		t.Fatalf("%s could not be built: %v", s.name, s.err)
	}
	return s
}

// needTool returns the path of a tool's binary, or fails the test with the
// reason it could not be built.
func needTool(t *testing.T, tl tool.Tool) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs real processes; not in -short mode")
	}
	if err := built.toolErrs[tl.Name]; err != nil {
		t.Fatalf("%s@%s could not be built: %v", tl.Name, tl.Version, err)
	}
	return built.tools[tl.Name]
}

// services are the generated services the generic tests run against.
var services = []struct {
	name string
	get  func(*testing.T) service
}{{"orders", orders}, {"billing", billing}}

// orders returns the reference service, examples/orders.
func orders(t *testing.T) service {
	t.Helper()
	return built.orders.need(t)
}

// billing returns the second service, rendered from
// template/testdata/billing; its handlers are stubs.
func billing(t *testing.T) service {
	t.Helper()
	return built.billing.need(t)
}

// buildOrders builds examples/orders's binary with that module's own
// go.mod, exactly as its Dockerfile does.
func buildOrders(ctx context.Context, dir string) service {
	s := service{
		name:          "orders",
		bin:           filepath.Join(dir, "bin", "orders"),
		serviceConfig: client.ServiceConfig,
		rest:          restRoutes{param: "/v1/shops/%s/orders", post: "/v1/shops/conformance/orders", bigField: "note", query: "pageToken"},
		dial: func(target string) (*grpc.ClientConn, error) {
			conn, err := client.New(target)
			if err != nil {
				return nil, err
			}
			return conn.ClientConn, nil
		},
		balanced: func(conn grpc.ClientConnInterface) call {
			c := ordersv1.NewOrderServiceClient(conn)
			return func(ctx context.Context, opts ...grpc.CallOption) error {
				_, err := c.ListOrders(ctx, &ordersv1.ListOrdersRequest{Shop: "conformance"}, opts...)
				return err
			}
		},
		series: scrape.Method("acme.orders.v1.OrderService", "ListOrders"),
	}
	s.main, s.err = healthCheckService(s.serviceConfig)
	if s.err == nil {
		s.err = run(ctx, filepath.Join("..", "examples", "orders"), "go", "build", "-o", s.bin, "./cmd/orders")
	}
	return s
}

// renderBilling renders a service from template/testdata/billing with the
// real generator, which also runs buf generate, go mod tidy and go build
// in it, and builds its binary.
func renderBilling(ctx context.Context, dir string) service {
	s := service{
		name: "billing",
		bin:  filepath.Join(dir, "bin", "billing"),
		rest: restRoutes{param: "/v1/invoices/%s", post: "/v1/invoices", bigField: "invoiceId"},
		// Its handlers are stubs (UNIMPLEMENTED): balancing is shown with
		// health checks, which the runtime serves and counts like any call.
		series: scrape.Method("grpc.health.v1.Health", "Check"),
	}
	root, err := filepath.Abs("..")
	if err != nil {
		s.err = err
		return s
	}
	svcDir := filepath.Join(dir, "billing")
	s.err = run(ctx, root, "go", "run", "github.com/new-service/new-service/cmd/new-service", "new",
		"--proto", filepath.Join(root, "template", "testdata", "billing"),
		"--module", "example.com/billing", svcDir)
	if s.err != nil {
		return s
	}
	if s.err = run(ctx, svcDir, "go", "build", "-o", s.bin, "./cmd/billing"); s.err != nil {
		return s
	}
	if s.serviceConfig, s.err = constString(filepath.Join(svcDir, "client", "client.go"), "ServiceConfig"); s.err != nil {
		return s
	}
	if s.main, s.err = healthCheckService(s.serviceConfig); s.err != nil {
		return s
	}
	// The rendered client package cannot be compiled into this module; a
	// channel with its service config is what it builds.
	sc, main := s.serviceConfig, s.main
	s.dial = func(target string) (*grpc.ClientConn, error) {
		return grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultServiceConfig(sc))
	}
	s.balanced = func(conn grpc.ClientConnInterface) call {
		c := healthpb.NewHealthClient(conn)
		return func(ctx context.Context, opts ...grpc.CallOption) error {
			_, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: main}, opts...)
			return err
		}
	}
	return s
}

// run runs a command in dir and returns its output in the error when it
// fails.
func run(ctx context.Context, dir string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s (in %s): %w\n%s", name, strings.Join(args, " "), dir, err, out)
	}
	return nil
}

// constString returns the value of the string constant name declared in a
// Go file: how the suite reads a rendered service's client settings
// without compiling that service into itself.
func constString(file, name string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		return "", err
	}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, id := range vs.Names {
				if id.Name != name || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					return strconv.Unquote(lit.Value)
				}
			}
		}
	}
	return "", fmt.Errorf("%s: no string constant %s", file, name)
}

// healthCheckService returns the service a service config's client-side
// health checking asks about.
func healthCheckService(serviceConfig string) (string, error) {
	var sc struct {
		HealthCheckConfig struct {
			ServiceName string `json:"serviceName"`
		} `json:"healthCheckConfig"`
	}
	if err := json.Unmarshal([]byte(serviceConfig), &sc); err != nil {
		return "", fmt.Errorf("the generated client's service config: %w", err)
	}
	if sc.HealthCheckConfig.ServiceName == "" {
		return "", fmt.Errorf("the generated client's service config has no healthCheckConfig.serviceName:\n%s", serviceConfig)
	}
	return sc.HealthCheckConfig.ServiceName, nil
}
