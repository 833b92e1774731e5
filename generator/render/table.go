package render

// scope says how many times a template renders.
type scope int

const (
	once       scope = iota // once per service
	perService              // once per proto service
	perMethod               // once per RPC
)

// expand returns the template data for each rendering of a template: d,
// once or with each service or method of d.App.
func (s scope) expand(d data) []data {
	switch s {
	case perService:
		var out []data
		for _, svc := range d.App.Services {
			d.Service = svc
			out = append(out, d)
		}
		return out
	case perMethod:
		var out []data
		for _, svc := range d.App.Services {
			for _, m := range svc.Methods {
				d.Service, d.Method = svc, m
				out = append(out, d)
			}
		}
		return out
	}
	return []data{d}
}

// entry is one template: its source below template/files, the path it
// renders to (itself a template), how often, who owns the result and what
// update says when it creates it.
type entry struct {
	tmpl  string
	path  string
	scope scope
	owner Owner
	note  string
}

// table is every template of the service. A template file that is not listed
// here is an error at start-up, so the table is the one place to read what a
// service consists of.
var table = []entry{
	// Build, code generation and tasks.
	// go.mod and go.sum come fully resolved, so that buf's plugins and the
	// build run without resolving anything; `go mod tidy` then only adds what
	// the service's own imports need.
	{"go.mod.tmpl", "go.mod", once, Module, ""},
	{"go.sum.tmpl", "go.sum", once, ModuleSum, ""},
	{"tools.go.mod.tmpl", "tools.go.mod", once, Generated, ""},
	{"tools.go.sum.tmpl", "tools.go.sum", once, Generated, ""},
	{"buf.yaml.tmpl", "buf.yaml", once, Generated, ""},
	{"buf.gen.yaml.tmpl", "buf.gen.yaml", once, Generated, ""},
	{"buf.gen.gateway.yaml.tmpl", "buf.gen.gateway.yaml", once, Generated, ""},
	{"buf.gen.openapi.yaml.tmpl", "buf.gen.openapi.yaml", once, Generated, ""},
	{"Taskfile.yml.tmpl", "Taskfile.yml", once, Generated, ""},
	{"gitignore.tmpl", ".gitignore", once, Scaffolded, ""},
	{"README.md.tmpl", "README.md", once, Scaffolded, ""},
	{"new-service.yaml.tmpl", "new-service.yaml", once, Scaffolded, ""},

	// The runtime: owned by new-service, upgraded with the template.
	{"cmd/main.go.tmpl", "cmd/{{.App.Name}}/main.go", once, Generated, ""},
	{"cmd/main_test.go.tmpl", "cmd/{{.App.Name}}/main_test.go", once, Generated, ""},
	{"internal/server/server.go.tmpl", "internal/server/server.go", once, Generated, ""},
	{"internal/server/config.go.tmpl", "internal/server/config.go", once, Generated, ""},
	{"internal/server/gateway.go.tmpl", "internal/server/gateway.go", once, Generated, ""},
	{"internal/server/admin.go.tmpl", "internal/server/admin.go", once, Generated, ""},
	{"internal/server/observability.go.tmpl", "internal/server/observability.go", once, Generated, ""},
	{"internal/server/grpcmetrics.go.tmpl", "internal/server/grpcmetrics.go", once, Generated, ""},
	{"internal/server/interceptors.go.tmpl", "internal/server/interceptors.go", once, Generated, ""},
	{"internal/server/chain.go.tmpl", "internal/server/chain.go", once, Generated, ""},
	{"internal/server/tracing.go.tmpl", "internal/server/tracing.go", once, Generated, ""},
	{"internal/server/tracing_test.go.tmpl", "internal/server/tracing_test.go", once, Generated, ""},
	{"internal/server/tls.go.tmpl", "internal/server/tls.go", once, Generated, ""},
	{"internal/server/callers.go.tmpl", "internal/server/callers.go", once, Generated, ""},
	{"internal/server/security_test.go.tmpl", "internal/server/security_test.go", once, Generated, ""},
	{"internal/certs/certs.go.tmpl", "internal/certs/certs.go", once, Generated, ""},
	{"internal/auth/auth.go.tmpl", "internal/auth/auth.go", once, Generated, ""},
	{"internal/auth/auth_test.go.tmpl", "internal/auth/auth_test.go", once, Generated, ""},
	{"internal/server/limits.go.tmpl", "internal/server/limits.go", once, Generated, ""},
	{"internal/platform/platform.go.tmpl", "internal/platform/platform.go", once, Generated, ""},
	{"internal/platform/logwriter.go.tmpl", "internal/platform/logwriter.go", once, Generated, ""},
	{"internal/platform/caller.go.tmpl", "internal/platform/caller.go", once, Generated, ""},
	{"internal/server/register.go.tmpl", "internal/server/register.go", once, Generated, ""},
	{"internal/apidocs/apidocs.go.tmpl", "internal/apidocs/apidocs.go", once, Generated, ""},
	{"internal/apidocs/openapi3/main.go.tmpl", "internal/apidocs/openapi3/main.go", once, Generated, ""},
	{"internal/server/server_test.go.tmpl", "internal/server/server_test.go", once, Generated, ""},
	{"internal/server/harness_test.go.tmpl", "internal/server/harness_test.go", once, Generated, ""},
	{"internal/server/errors_test.go.tmpl", "internal/server/errors_test.go", once, Generated, ""},
	{"internal/server/observability_test.go.tmpl", "internal/server/observability_test.go", once, Generated, ""},
	{"internal/server/deadline_test.go.tmpl", "internal/server/deadline_test.go", once, Generated, ""},
	{"internal/server/drain_test.go.tmpl", "internal/server/drain_test.go", once, Generated, ""},
	{"internal/server/bench_test.go.tmpl", "internal/server/bench_test.go", once, Generated, ""},
	{"internal/server/cpuclock_unix_test.go.tmpl", "internal/server/cpuclock_unix_test.go", once, Generated, ""},
	{"internal/server/cpuclock_other_test.go.tmpl", "internal/server/cpuclock_other_test.go", once, Generated, ""},
	{"internal/server/rules_test.go.tmpl", "internal/server/rules_test.go", once, Generated, ""},
	{"internal/server/fuzz_test.go.tmpl", "internal/server/fuzz_test.go", once, Generated, ""},
	{"internal/server/limits_test.go.tmpl", "internal/server/limits_test.go", once, Generated, ""},
	{"internal/validation/validation.go.tmpl", "internal/validation/validation.go", once, Generated, ""},
	{"internal/validation/validation_test.go.tmpl", "internal/validation/validation_test.go", once, Generated, ""},
	{"internal/server/validate_test.go.tmpl", "internal/server/validate_test.go", once, Generated, ""},
	{"internal/server/apidocs_test.go.tmpl", "internal/server/apidocs_test.go", once, Generated, ""},
	{"internal/platform/hooks.go.tmpl", "internal/platform/hooks.go", once, Generated, ""},
	{"internal/server/hooks.go.tmpl", "internal/server/hooks.go", once, Generated, ""},

	// Packages for the service's callers too: its errors and its client.
	{"apierr/apierr.go.tmpl", "apierr/apierr.go", once, Generated, ""},
	{"apierr/apierr_test.go.tmpl", "apierr/apierr_test.go", once, Generated, ""},
	{"apierr/apierrtest/apierrtest.go.tmpl", "apierr/apierrtest/apierrtest.go", once, Generated, ""},
	{"apierr/apierrtest/apierrtest_test.go.tmpl", "apierr/apierrtest/apierrtest_test.go", once, Generated, ""},
	{"client/client.go.tmpl", "client/client.go", once, Generated, ""},
	{"client/client_test.go.tmpl", "client/client_test.go", once, Generated, ""},

	// Deployment: Kubernetes (a kustomize base), alert rules with their
	// tests, the L7 proxy alternative, the dashboard, the runbook.
	{"deploy/kubernetes/base/kustomization.yaml.tmpl", "deploy/kubernetes/base/kustomization.yaml", once, Generated, ""},
	{"deploy/kubernetes/base/deployment.yaml.tmpl", "deploy/kubernetes/base/deployment.yaml", once, Generated, ""},
	{"deploy/kubernetes/base/service-grpc.yaml.tmpl", "deploy/kubernetes/base/service-grpc.yaml", once, Generated, ""},
	{"deploy/kubernetes/base/service-http.yaml.tmpl", "deploy/kubernetes/base/service-http.yaml", once, Generated, ""},
	{"deploy/kubernetes/base/serviceaccount.yaml.tmpl", "deploy/kubernetes/base/serviceaccount.yaml", once, Generated, ""},
	{"deploy/kubernetes/base/pdb.yaml.tmpl", "deploy/kubernetes/base/pdb.yaml", once, Generated, ""},
	{"deploy/kubernetes/base/hpa.yaml.tmpl", "deploy/kubernetes/base/hpa.yaml", once, Generated, ""},
	{"deploy/kubernetes/base/networkpolicy.yaml.tmpl", "deploy/kubernetes/base/networkpolicy.yaml", once, Generated, ""},
	{"deploy/kubernetes/base/servicemonitor.yaml.tmpl", "deploy/kubernetes/base/servicemonitor.yaml", once, Generated, ""},
	{"deploy/kubernetes/base/prometheusrule.yaml.tmpl", "deploy/kubernetes/base/prometheusrule.yaml", once, Generated, ""},
	{"deploy/kubernetes/overlays/production/kustomization.yaml.tmpl", "deploy/kubernetes/overlays/production/kustomization.yaml", once, Scaffolded, ""},
	{"deploy/prometheus/rules.yaml.tmpl", "deploy/prometheus/rules.yaml", once, Generated, ""},
	{"deploy/prometheus/rules_test.yaml.tmpl", "deploy/prometheus/rules_test.yaml", once, Generated, ""},
	{"deploy/envoy/envoy.yaml.tmpl", "deploy/envoy/envoy.yaml", once, Generated, ""},
	{"deploy/grafana/dashboard.json.tmpl", "deploy/grafana/dashboard.json", once, Generated, ""},
	{"docs/runbook.md.tmpl", "docs/runbook.md", once, Generated, ""},

	// Around it: the image, the catalog entry, CI.
	{"Dockerfile.tmpl", "Dockerfile", once, Scaffolded, ""},
	{"dockerignore.tmpl", ".dockerignore", once, Scaffolded, ""},
	{"catalog-info.yaml.tmpl", "catalog-info.yaml", once, Scaffolded, ""},
	{"mkdocs.yml.tmpl", "mkdocs.yml", once, Scaffolded, ""},
	{"github/workflows/ci.yaml.tmpl", ".github/workflows/ci.yaml", once, Generated, ""},
	{"github/workflows/ci-local.yaml.tmpl", ".github/workflows/ci-local.yaml", once, Scaffolded, ""},

	// The user's code: written once, never again.
	{"internal/deps/deps.go.tmpl", "internal/deps/deps.go", once, Scaffolded, ""},
	{"internal/auth/policy.go.tmpl", "internal/auth/policy.go", once, Scaffolded, ""},
	{"internal/handler/service.go.tmpl", "{{moduleDir .App .Service.Handler}}/service.go", perService, Scaffolded, ""},
	{"internal/handler/method.go.tmpl", "{{moduleDir .App .Service.Handler}}/{{.Method.HandlerFile}}", perMethod, Scaffolded, "a new RPC: implement it here"},
}
