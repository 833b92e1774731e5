package model

import (
	"fmt"
	"strings"
	"time"

	modulepath "golang.org/x/mod/module"
)

// Settings are the service's operational choices that do not come from the
// protos: objectives and thresholds for alerts, sizes and ports for the
// manifests, timings for the runtime. One value feeds every place that needs
// it (the runtime's defaults, the Deployment, the alert rules), so they
// cannot drift apart.
type Settings struct {
	// Objective is the availability SLO in percent of calls that must not
	// fail by the server's fault (default 99.9).
	Objective float64 `json:"objective" yaml:"objective"`
	// LatencyP99 is the per-method p99 latency above which the latency alert
	// fires (default 500ms).
	LatencyP99 Duration `json:"latency_p99" yaml:"latency_p99"`
	// ErrorRate is the share of a method's calls failing by the server's fault
	// above which the method error-rate alert fires (default 0.05).
	ErrorRate float64 `json:"error_rate" yaml:"error_rate"`
	// DeadlineExceededRate is the share of a method's calls ending in
	// DEADLINE_EXCEEDED above which the deadline alert fires (default 0.01).
	DeadlineExceededRate float64 `json:"deadline_exceeded_rate" yaml:"deadline_exceeded_rate"`

	// Replicas is the minimum number of pods (default 3); MaxReplicas bounds
	// the autoscaler (default 10).
	Replicas    int `json:"replicas" yaml:"replicas"`
	MaxReplicas int `json:"max_replicas" yaml:"max_replicas"`
	// CPUTarget is the autoscaler's target CPU utilisation in percent of the
	// request (default 70).
	CPUTarget int `json:"cpu_target" yaml:"cpu_target"`
	// Requests and limits of the container, as Kubernetes quantities.
	CPURequest       string `json:"cpu_request" yaml:"cpu_request"`
	CPULimit         string `json:"cpu_limit" yaml:"cpu_limit"`
	MemoryRequest    string `json:"memory_request" yaml:"memory_request"`
	MemoryLimit      string `json:"memory_limit" yaml:"memory_limit"`
	EphemeralRequest string `json:"ephemeral_storage_request" yaml:"ephemeral_storage_request"`
	EphemeralLimit   string `json:"ephemeral_storage_limit" yaml:"ephemeral_storage_limit"`

	// Ports of the three listeners.
	GRPCPort  int `json:"grpc_port" yaml:"grpc_port"`
	HTTPPort  int `json:"http_port" yaml:"http_port"`
	AdminPort int `json:"admin_port" yaml:"admin_port"`

	// DrainDelay and ShutdownGrace are the shutdown timings (defaults 5s and
	// 20s); the pod's terminationGracePeriodSeconds is derived from them.
	DrainDelay    Duration `json:"drain_delay" yaml:"drain_delay"`
	ShutdownGrace Duration `json:"shutdown_grace" yaml:"shutdown_grace"`
	// MaxConnectionAge closes client connections so clients find new pods
	// (default 5m).
	MaxConnectionAge Duration `json:"max_connection_age" yaml:"max_connection_age"`
	// DefaultDeadline is the budget of unary calls without a deadline
	// (default 10s); MethodDeadlines overrides it per method, keyed by
	// "pkg.Service/Method".
	DefaultDeadline Duration            `json:"default_deadline" yaml:"default_deadline"`
	MethodDeadlines map[string]Duration `json:"method_deadlines,omitempty" yaml:"method_deadlines,omitempty"`

	// MainService is the full name of the proto service whose health is the
	// pods' readiness and the clients' health check (default: the first
	// service).
	MainService string `json:"main_service,omitempty" yaml:"main_service,omitempty"`
	// BufPlugins are the team's own protoc plugins, run by buf generate
	// after the template's (appended to buf.gen.yaml's plugins), so adding
	// one needs no edit of a generated file. None by default.
	BufPlugins []BufPlugin `json:"buf_plugins,omitempty" yaml:"buf_plugins,omitempty"`
	// Namespace is the Kubernetes namespace the service runs in, for the
	// addresses that need it (the Envoy cluster); default "default".
	Namespace string `json:"namespace" yaml:"namespace"`
	// Image is the container image without a tag (default: the service's
	// name; overlays set the registry and tag).
	Image string `json:"image" yaml:"image"`
	// Owner is the team that owns the service, for the Backstage catalog and
	// alert labels (default "team-unknown").
	Owner string `json:"owner" yaml:"owner"`
	// System, Lifecycle and Description describe the service in the
	// Backstage catalog: the system it is part of (default: none), its
	// lifecycle stage (default "experimental") and one line on what it
	// does (default: derived from the name).
	System      string `json:"system,omitempty" yaml:"system,omitempty"`
	Lifecycle   string `json:"lifecycle" yaml:"lifecycle"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// MonitoringNamespace runs Prometheus: its pods may scrape the admin port
	// (default "monitoring").
	MonitoringNamespace string `json:"monitoring_namespace" yaml:"monitoring_namespace"`
	// OTLPEndpoint is the OpenTelemetry collector spans are sent to
	// (default "http://otel-collector.observability.svc:4318"), and
	// OTLPNamespace its namespace, for the NetworkPolicy.
	OTLPEndpoint  string `json:"otlp_endpoint" yaml:"otlp_endpoint"`
	OTLPNamespace string `json:"otlp_namespace" yaml:"otlp_namespace"`
	// RunbookURL is where the service's docs/runbook.md is served; each
	// alert's runbook_url is it plus the alert's anchor (default: the
	// module path on the web, .../blob/main/docs/runbook.md).
	RunbookURL string `json:"runbook_url" yaml:"runbook_url"`

	// TLS turns on the service's own transport security in the manifests:
	// the certificate Secret is mounted and its files passed to the runtime
	// (default off: plaintext, for a mesh whose sidecars do mTLS).
	TLS TLSSettings `json:"tls" yaml:"tls"`
	// Authz is the example authorization policy (internal/auth): for each
	// method, keyed by "pkg.Service/Method", the caller identities (SPIFFE
	// IDs or certificate common names) allowed to call it. Methods not
	// listed are open to every caller (default: none listed).
	Authz map[string][]string `json:"authz,omitempty" yaml:"authz,omitempty"`
}

// TLSSettings are the manifests' transport security settings.
type TLSSettings struct {
	// Secret names a kubernetes.io/tls Secret (tls.crt, tls.key and, with
	// ClientCA, ca.crt), such as cert-manager writes; "" leaves TLS off.
	Secret string `json:"secret" yaml:"secret"`
	// ClientCA requires gRPC callers to present a certificate issued by the
	// Secret's ca.crt (mTLS).
	ClientCA bool `json:"client_ca" yaml:"client_ca"`
}

// Enabled reports whether the service serves TLS.
func (t TLSSettings) Enabled() bool { return t.Secret != "" }

// TLSMountPath is where the Deployment mounts the TLS Secret.
const TLSMountPath = "/etc/tls"

// MountPath is where the Deployment mounts the TLS Secret; the runtime
// reads tls.crt, tls.key and ca.crt there.
func (TLSSettings) MountPath() string { return TLSMountPath }

// DefaultSettings returns the settings of a service with the given module
// path when nothing is configured.
func DefaultSettings(name, module string) Settings {
	return Settings{
		Objective:            99.9,
		LatencyP99:           Duration(500 * time.Millisecond),
		ErrorRate:            0.05,
		DeadlineExceededRate: 0.01,
		Replicas:             3,
		MaxReplicas:          10,
		CPUTarget:            70,
		CPURequest:           "100m",
		CPULimit:             "1",
		MemoryRequest:        "128Mi",
		MemoryLimit:          "256Mi",
		EphemeralRequest:     "64Mi",
		EphemeralLimit:       "128Mi",
		GRPCPort:             50051,
		HTTPPort:             8080,
		AdminPort:            9090,
		DrainDelay:           Duration(5 * time.Second),
		ShutdownGrace:        Duration(20 * time.Second),
		MaxConnectionAge:     Duration(5 * time.Minute),
		DefaultDeadline:      Duration(10 * time.Second),
		Namespace:            "default",
		Image:                name,
		Owner:                "team-unknown",
		Lifecycle:            "experimental",
		MonitoringNamespace:  "monitoring",
		OTLPEndpoint:         "http://otel-collector.observability.svc:4318",
		OTLPNamespace:        "observability",
		RunbookURL:           defaultRunbookURL(module),
	}
}

// defaultRunbookURL guesses where docs/runbook.md is browsable from the
// module path. On github.com the repository is the first three elements
// and the rest is the module's folder in it (a monorepo's service), less
// a trailing major-version suffix (/v2), which names no folder. Elsewhere
// the module path is taken as the repository.
func defaultRunbookURL(module string) string {
	const file = "docs/runbook.md"
	parts := strings.Split(module, "/")
	if parts[0] != "github.com" || len(parts) < 3 {
		return "https://" + module + "/blob/main/" + file
	}
	majorless, _, _ := modulepath.SplitPathVersion(module)
	dir := strings.TrimPrefix(strings.TrimPrefix(majorless, strings.Join(parts[:3], "/")), "/")
	if dir != "" {
		dir += "/"
	}
	return "https://" + strings.Join(parts[:3], "/") + "/blob/main/" + dir + file
}

// ErrorBudget is the share of calls that may fail: 1 - Objective/100.
func (s Settings) ErrorBudget() float64 { return 1 - s.Objective/100 }

// TerminationGracePeriod is the pod's terminationGracePeriodSeconds: the
// drain delay and the shutdown grace, plus a margin of 5s for the process
// to exit, rounded up to whole seconds.
func (s Settings) TerminationGracePeriod() int {
	d := time.Duration(s.DrainDelay) + time.Duration(s.ShutdownGrace) + 5*time.Second
	return int((d + time.Second - 1) / time.Second)
}

// Duration is a time.Duration that reads and writes as "5s" in settings
// files.
type Duration time.Duration

// BufPlugin is one entry of buf.gen.yaml's plugins, as buf reads it.
type BufPlugin struct {
	// Local is the plugin's command line, e.g. [go, tool,
	// -modfile=tools.go.mod, protoc-gen-doc] for a plugin pinned as a tool.
	Local []string `json:"local" yaml:"local"`
	// Out is the folder it writes to, relative to the service root.
	Out string `json:"out" yaml:"out"`
	// Opt are the plugin's options.
	Opt []string `json:"opt,omitempty" yaml:"opt,omitempty"`
}

// String returns the duration as Go prints it ("5s", "1m30s").
func (d Duration) String() string { return time.Duration(d).String() }

// Seconds returns the duration in seconds, as Prometheus thresholds take it.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

// GoExpr returns the duration as a Go expression: 5 * time.Second.
func (d Duration) GoExpr() string {
	td := time.Duration(d)
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "time.Hour"}, {time.Minute, "time.Minute"}, {time.Second, "time.Second"}, {time.Millisecond, "time.Millisecond"}} {
		if td != 0 && td%u.unit == 0 {
			return fmt.Sprintf("%d * %s", td/u.unit, u.name)
		}
	}
	return fmt.Sprintf("%d", int64(td))
}

// MarshalText writes the duration as "5s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a duration such as "5s" or "1m30s".
func (d *Duration) UnmarshalText(b []byte) error {
	td, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(td)
	return nil
}

// LatencyBuckets are the upper bounds, in seconds, of the runtime's
// grpc_server_handling_seconds and grpc_client_handling_seconds
// histograms: 1ms to 10s, dense where RPC latency objectives usually sit.
// The latency alert's threshold should be one of them or between two.
var LatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// LatencyBuckets returns the histogram bounds the runtime uses.
func (a *App) LatencyBuckets() []float64 { return LatencyBuckets }
