package template_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"

	// Every @type the rendered envoy.yaml uses that the packages above do
	// not register: protojson needs them to read the Any fields, and the
	// tests to validate what is inside.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/resource_monitors/downstream_connections/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"

	"github.com/new-service/new-service/generator/model"
)

// No Envoy binary runs here, so the rendered bootstrap is checked the way
// Envoy reads it: YAML to JSON to the v3 Bootstrap proto (unknown fields
// and wrong types fail), then protoc-gen-validate's rules on the bootstrap
// and on every typed_config inside it, then the behaviour the rules cannot
// see, against the proto and the generated client.

const envoyPath = "deploy/envoy/envoy.yaml"

// envoyBootstrap parses a service's rendered Envoy config.
func envoyBootstrap(t *testing.T, r rendered) *bootstrapv3.Bootstrap {
	t.Helper()
	js, err := yaml.YAMLToJSONStrict(r.file(t, envoyPath))
	if err != nil {
		t.Fatalf("%s: %s: %v", r.name, envoyPath, err)
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(js, &b); err != nil {
		t.Fatalf("%s: %s is not an Envoy v3 bootstrap: %v", r.name, envoyPath, err)
	}
	return &b
}

func TestEnvoyValidates(t *testing.T) {
	for _, r := range services(t) {
		t.Run(r.name, func(t *testing.T) {
			b := envoyBootstrap(t, r)
			if err := b.ValidateAll(); err != nil {
				t.Errorf("bootstrap: %v", err)
			}
			types := map[string]bool{}
			walkMessages(t, b.ProtoReflect(), "bootstrap", func(path string, m protoreflect.Message) {
				if err := deprecatedFields(m); err != nil {
					t.Errorf("%s: %v", path, err)
				}
				if a, ok := m.Interface().(*anypb.Any); ok {
					types[a.GetTypeUrl()] = true
				}
			})
			// Each typed_config is validated by walkMessages; the list
			// guards against a walk that silently sees nothing.
			for _, want := range []string{
				"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
				"envoy.extensions.filters.http.router.v3.Router",
				"envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
				"envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
				"envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
				"envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig",
			} {
				if !types["type.googleapis.com/"+want] {
					t.Errorf("no %s found; walked %v", want, slices.Sorted(maps.Keys(types)))
				}
			}
		})
	}
}

// walkMessages calls visit on m and on every message below it, depth first,
// in a stable order. A google.protobuf.Any is unpacked with the global
// registry, and the message inside is validated (ValidateAll does not look
// inside an Any) and walked in turn.
func walkMessages(t *testing.T, m protoreflect.Message, path string, visit func(string, protoreflect.Message)) {
	t.Helper()
	visit(path, m)
	if a, ok := m.Interface().(*anypb.Any); ok {
		inner, err := anypb.UnmarshalNew(a, proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes})
		if err != nil {
			t.Errorf("%s: unpack %s (blank-import its package): %v", path, a.GetTypeUrl(), err)
			return
		}
		v, ok := inner.(interface{ ValidateAll() error })
		if !ok {
			t.Errorf("%s: %s has no validation rules", path, a.GetTypeUrl())
		} else if err := v.ValidateAll(); err != nil {
			t.Errorf("%s (%s): %v", path, a.GetTypeUrl(), err)
		}
		walkMessages(t, inner.ProtoReflect(), path+"<"+a.GetTypeUrl()+">", visit)
		return
	}
	var fields []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		fields = append(fields, fd)
		return true
	})
	slices.SortFunc(fields, func(a, b protoreflect.FieldDescriptor) int { return int(a.Number() - b.Number()) })
	for _, fd := range fields {
		v, p := m.Get(fd), path+"."+string(fd.Name())
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() == nil {
				continue
			}
			var keys []protoreflect.MapKey
			v.Map().Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
				keys = append(keys, k)
				return true
			})
			slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return strings.Compare(a.String(), b.String()) })
			for _, k := range keys {
				walkMessages(t, v.Map().Get(k).Message(), p+"["+k.String()+"]", visit)
			}
		case fd.IsList():
			if fd.Message() == nil {
				continue
			}
			for i := range v.List().Len() {
				walkMessages(t, v.List().Get(i).Message(), fmt.Sprintf("%s[%d]", p, i), visit)
			}
		case fd.Message() != nil:
			walkMessages(t, v.Message(), p, visit)
		}
	}
}

// deprecatedFields reports fields or enum values set in m that Envoy's API
// marks deprecated: recent Envoy versions refuse some of them at start-up.
func deprecatedFields(m protoreflect.Message) error {
	var found []string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if opts, ok := fd.Options().(*descriptorpb.FieldOptions); ok && opts.GetDeprecated() {
			found = append(found, string(fd.Name()))
		}
		if fd.Kind() == protoreflect.EnumKind && !fd.IsList() && !fd.IsMap() {
			ev := fd.Enum().Values().ByNumber(v.Enum())
			if ev != nil {
				if opts, ok := ev.Options().(*descriptorpb.EnumValueOptions); ok && opts.GetDeprecated() {
					found = append(found, string(fd.Name())+": "+string(ev.Name()))
				}
			}
		}
		return true
	})
	if len(found) > 0 {
		return fmt.Errorf("deprecated fields set: %s", strings.Join(found, ", "))
	}
	return nil
}

// retryPolicy is one method's retry policy in the generated client's gRPC
// service config.
type retryPolicy struct {
	MaxAttempts          int      `json:"maxAttempts"`
	InitialBackoff       string   `json:"initialBackoff"`
	MaxBackoff           string   `json:"maxBackoff"`
	RetryableStatusCodes []string `json:"retryableStatusCodes"`
}

// clientServiceConfig is the part of client.ServiceConfig Envoy mirrors.
type clientServiceConfig struct {
	HealthCheckConfig struct {
		ServiceName string `json:"serviceName"`
	} `json:"healthCheckConfig"`
	MethodConfig []struct {
		Name []struct {
			Service string `json:"service"`
			Method  string `json:"method"`
		} `json:"name"`
		RetryPolicy retryPolicy `json:"retryPolicy"`
	} `json:"methodConfig"`
}

// clientConfig reads the service config from the rendered client package.
func clientConfig(t *testing.T, r rendered) (clientServiceConfig, map[string]retryPolicy) {
	t.Helper()
	src := string(r.file(t, "client/client.go"))
	_, rest, ok := strings.Cut(src, "const ServiceConfig = `")
	if !ok {
		t.Fatalf("%s: client/client.go has no ServiceConfig constant", r.name)
	}
	text, _, _ := strings.Cut(rest, "`")
	var sc clientServiceConfig
	if err := json.Unmarshal([]byte(text), &sc); err != nil {
		t.Fatalf("%s: client.ServiceConfig: %v", r.name, err)
	}
	byMethod := map[string]retryPolicy{}
	for _, mc := range sc.MethodConfig {
		for _, n := range mc.Name {
			byMethod["/"+n.Service+"/"+n.Method] = mc.RetryPolicy
		}
	}
	return sc, byMethod
}

// grpcRetryConditions are the retry_on values Envoy checks against the
// grpc-status of a response; the others are transport conditions.
var grpcRetryConditions = map[string]bool{
	"cancelled": true, "deadline-exceeded": true, "internal": true,
	"resource-exhausted": true, "unavailable": true,
}

// splitRetryOn splits a retry_on value into its gRPC status conditions and
// its transport conditions, each sorted.
func splitRetryOn(retryOn string) (grpcConds, transport []string) {
	for c := range strings.SplitSeq(retryOn, ",") {
		c = strings.TrimSpace(c)
		if grpcRetryConditions[c] {
			grpcConds = append(grpcConds, c)
		} else {
			transport = append(transport, c)
		}
	}
	slices.Sort(grpcConds)
	slices.Sort(transport)
	return grpcConds, transport
}

func TestEnvoyRoutes(t *testing.T) {
	for _, r := range services(t) {
		t.Run(r.name, func(t *testing.T) {
			b := envoyBootstrap(t, r)
			_, clientPolicies := clientConfig(t, r)
			routes := envoyRoutes(t, b)

			var methods []*model.Method
			for _, s := range r.app.Services {
				methods = append(methods, s.Methods...)
			}
			if len(routes) != len(methods)+1 {
				t.Fatalf("%d routes, want one per method (%d) and a catch-all", len(routes), len(methods))
			}
			for i, rt := range routes {
				var name string
				var idempotent, stream bool
				if i < len(methods) {
					m := methods[i]
					name, idempotent, stream = m.FullMethod, m.Idempotent(), m.Streaming != model.Unary
					if got := rt.GetMatch().GetPath(); got != m.FullMethod {
						t.Errorf("route %d matches path %q, want %q (methods in proto order, before the catch-all)", i, got, m.FullMethod)
						continue
					}
				} else {
					name = "catch-all"
					if got := rt.GetMatch().GetPrefix(); got != "/" {
						t.Errorf("last route matches prefix %q, want the catch-all \"/\"", got)
					}
				}
				checkRoute(t, name, rt, idempotent, stream)
				if cp, ok := clientPolicies[name]; ok {
					checkLikeClient(t, name, rt.GetRoute().GetRetryPolicy(), cp)
				} else if i < len(methods) {
					t.Errorf("%s: not in the client's service config", name)
				}
			}
		})
	}
}

// envoyRoutes returns the routes of the only listener's only virtual host.
func envoyRoutes(t *testing.T, b *bootstrapv3.Bootstrap) []*routev3.Route {
	t.Helper()
	hcm := connectionManager(t, b)
	if got := hcm.GetCodecType(); got != hcmv3.HttpConnectionManager_AUTO {
		t.Errorf("codec_type %v, want AUTO", got)
	}
	filters := hcm.GetHttpFilters()
	if len(filters) == 0 || filters[len(filters)-1].GetTypedConfig().GetTypeUrl() != "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" {
		t.Errorf("the last HTTP filter must be the router")
	}
	vhs := hcm.GetRouteConfig().GetVirtualHosts()
	if len(vhs) != 1 {
		t.Fatalf("%d virtual hosts, want 1", len(vhs))
	}
	return vhs[0].GetRoutes()
}

// connectionManager returns the only listener's HTTP connection manager.
func connectionManager(t *testing.T, b *bootstrapv3.Bootstrap) *hcmv3.HttpConnectionManager {
	t.Helper()
	ls := b.GetStaticResources().GetListeners()
	if len(ls) != 1 || len(ls[0].GetFilterChains()) != 1 || len(ls[0].GetFilterChains()[0].GetFilters()) != 1 {
		t.Fatalf("want one listener with one filter chain holding one filter")
	}
	var hcm hcmv3.HttpConnectionManager
	if err := ls[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(&hcm); err != nil {
		t.Fatalf("listener filter is not an HTTP connection manager: %v", err)
	}
	return &hcm
}

// checkRoute checks one route against the proto's idempotency and streaming
// kind (the catch-all is neither idempotent nor a stream).
func checkRoute(t *testing.T, name string, rt *routev3.Route, idempotent, stream bool) {
	t.Helper()
	if rt.GetMatch().GetGrpc() == nil {
		t.Errorf("%s: match lacks `grpc: {}`", name)
	}
	action := rt.GetRoute()
	if action == nil {
		t.Fatalf("%s: not a route action", name)
	}
	if action.GetTimeout() == nil || action.GetTimeout().AsDuration() != 0 {
		t.Errorf("%s: timeout %v, want an explicit 0s (defer to the caller's deadline)", name, action.GetTimeout())
	}
	if stream && (action.GetIdleTimeout() == nil || action.GetIdleTimeout().AsDuration() != 0) {
		t.Errorf("%s: a stream's route needs idle_timeout 0s, got %v", name, action.GetIdleTimeout())
	}
	if !stream && action.GetIdleTimeout() != nil {
		t.Errorf("%s: unary route sets idle_timeout %v, want the connection manager's", name, action.GetIdleTimeout())
	}
	rp := action.GetRetryPolicy()
	if rp == nil {
		t.Fatalf("%s: no retry policy", name)
	}
	grpcConds, transport := splitRetryOn(rp.GetRetryOn())
	want := []string{"resource-exhausted", "unavailable"}
	if idempotent {
		want = []string{"deadline-exceeded", "resource-exhausted", "unavailable"}
	}
	if !slices.Equal(grpcConds, want) {
		t.Errorf("%s (idempotent: %v): retries on gRPC codes %v, want exactly %v", name, idempotent, grpcConds, want)
	}
	if want := []string{"connect-failure", "refused-stream"}; !slices.Equal(transport, want) {
		t.Errorf("%s: retries on transport conditions %v, want exactly %v (calls no pod has seen)", name, transport, want)
	}
	if len(rp.GetRetryHostPredicate()) == 0 {
		t.Errorf("%s: retries may land on the pod that just failed (no previous_hosts predicate)", name)
	}
}

// checkLikeClient checks that Envoy retries a method as often and as
// patiently as the generated client does, on the same status codes.
func checkLikeClient(t *testing.T, name string, rp *routev3.RetryPolicy, cp retryPolicy) {
	t.Helper()
	var codes []string
	for _, c := range cp.RetryableStatusCodes {
		codes = append(codes, strings.ReplaceAll(strings.ToLower(c), "_", "-"))
	}
	slices.Sort(codes)
	if grpcConds, _ := splitRetryOn(rp.GetRetryOn()); !slices.Equal(grpcConds, codes) {
		t.Errorf("%s: Envoy retries %v, the client retries %v", name, grpcConds, codes)
	}
	if got, want := int(rp.GetNumRetries().GetValue()), cp.MaxAttempts-1; got != want {
		t.Errorf("%s: num_retries %d, want %d (the client's maxAttempts %d less the first try)", name, got, want, cp.MaxAttempts)
	}
	for _, d := range []struct {
		what   string
		envoy  time.Duration
		client string
	}{
		{"base_interval", rp.GetRetryBackOff().GetBaseInterval().AsDuration(), cp.InitialBackoff},
		{"max_interval", rp.GetRetryBackOff().GetMaxInterval().AsDuration(), cp.MaxBackoff},
	} {
		want, err := time.ParseDuration(d.client)
		if err != nil {
			t.Fatalf("%s: client backoff %q: %v", name, d.client, err)
		}
		if d.envoy != want {
			t.Errorf("%s: retry_back_off.%s %v, the client's is %v", name, d.what, d.envoy, want)
		}
	}
}

func TestEnvoyCluster(t *testing.T) {
	for _, r := range services(t) {
		t.Run(r.name, func(t *testing.T) {
			b := envoyBootstrap(t, r)
			sc, _ := clientConfig(t, r)
			if a := b.GetAdmin().GetAddress().GetSocketAddress().GetAddress(); a != "127.0.0.1" {
				t.Errorf("admin listens on %q, want 127.0.0.1 only", a)
			}
			clusters := b.GetStaticResources().GetClusters()
			if len(clusters) != 1 {
				t.Fatalf("%d clusters, want 1", len(clusters))
			}
			c := clusters[0]
			for _, rt := range envoyRoutes(t, b) {
				if got := rt.GetRoute().GetCluster(); got != c.GetName() {
					t.Errorf("route %v goes to cluster %q, want %q", rt.GetMatch(), got, c.GetName())
				}
			}
			if got := c.GetType(); got != clusterv3.Cluster_STRICT_DNS {
				t.Errorf("type %v, want STRICT_DNS (one host per pod behind the headless Service)", got)
			}
			if got := c.GetLbPolicy(); got != clusterv3.Cluster_LEAST_REQUEST {
				t.Errorf("lb_policy %v, want LEAST_REQUEST", got)
			}

			var addrs []string
			for _, e := range c.GetLoadAssignment().GetEndpoints() {
				for _, le := range e.GetLbEndpoints() {
					sa := le.GetEndpoint().GetAddress().GetSocketAddress()
					addrs = append(addrs, fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue()))
				}
			}
			want := fmt.Sprintf("%s.%s.svc.cluster.local:%d", r.app.Name, r.app.Settings.Namespace, r.app.Settings.GRPCPort)
			if !slices.Equal(addrs, []string{want}) {
				t.Errorf("endpoints %v, want the headless Service's gRPC port %s", addrs, want)
			}

			const key = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
			var po upstreamhttpv3.HttpProtocolOptions
			if err := c.GetTypedExtensionProtocolOptions()[key].UnmarshalTo(&po); err != nil {
				t.Errorf("typed_extension_protocol_options[%s]: %v", key, err)
			} else if po.GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil {
				t.Errorf("upstream protocol is not explicitly HTTP/2")
			}

			main := r.app.Main().FullName
			hcs := c.GetHealthChecks()
			if len(hcs) != 1 {
				t.Fatalf("%d health checks, want 1", len(hcs))
			}
			hc := hcs[0]
			if hc.GetGrpcHealthCheck() == nil {
				t.Fatalf("health check is not the gRPC health protocol")
			}
			if got := hc.GetGrpcHealthCheck().GetServiceName(); got != main || got != sc.HealthCheckConfig.ServiceName {
				t.Errorf("health checks service %q, want the main service %q, as the client does (%q)", got, main, sc.HealthCheckConfig.ServiceName)
			}
			// A pod turns NOT_SERVING on SIGTERM and serves on for the drain
			// delay: Envoy must have stopped sending it calls by then.
			eject := time.Duration(hc.GetUnhealthyThreshold().GetValue())*hc.GetInterval().AsDuration() + hc.GetTimeout().AsDuration()
			if drain := time.Duration(r.app.Settings.DrainDelay); eject >= drain {
				t.Errorf("a draining pod leaves rotation after up to %v, not within the drain delay %v", eject, drain)
			}

			od := c.GetOutlierDetection()
			if od == nil {
				t.Errorf("no outlier detection")
			} else if od.GetMaxEjectionPercent().GetValue() == 0 || od.GetMaxEjectionPercent().GetValue() > 50 {
				t.Errorf("max_ejection_percent %v, want a bound of at most 50", od.GetMaxEjectionPercent())
			}
			if !slices.ContainsFunc(c.GetCircuitBreakers().GetThresholds(), func(th *clusterv3.CircuitBreakers_Thresholds) bool {
				return th.GetRetryBudget() != nil
			}) {
				t.Errorf("no retry budget in circuit_breakers")
			}
		})
	}
}
