package template_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/new-service/new-service/generator/model"
)

// manifestVariants are the renderings of the reference service whose
// manifests go to a real API server, each with its base and every overlay.
// A variant of the manifests (TLS on, ...) is one more row.
var manifestVariants = []struct {
	name string
	// settings changes the reference service's settings; nil for none.
	settings func(s *model.Settings)
}{
	{name: "default"},
	{name: "mtls", settings: func(s *model.Settings) { s.TLS = model.TLSSettings{Secret: "orders-tls", ClientCA: true} }},
}

// TestAPIServer applies the reference service's manifests to a real
// kube-apiserver (see [startControlPlane]): every built-in object is
// validated as a cluster would, the ServiceMonitor and PrometheusRule
// against prometheus-operator's CRD schemas, and a Pod made from the
// Deployment's template goes through Pod Security "restricted" admission,
// which for a Deployment would only warn. Nothing is scheduled: the
// objects are applied with --dry-run=server, so every check and admission
// runs and nothing is stored.
func TestAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs etcd and kube-apiserver")
	}
	kc := startControlPlane(t)
	for _, v := range manifestVariants {
		t.Run(v.name, func(t *testing.T) {
			svc := ordersWith(t, "orders", v.settings)
			dir := t.TempDir()
			svc.writeTo(t, dir)
			for _, target := range kustomizeTargets(svc) {
				t.Run(target, func(t *testing.T) {
					docs := kustomize(t, filepath.Join(dir, filepath.FromSlash(target)))
					ns := kc.restrictedNamespace(t, buildNamespace(t, docs, v.name+"-"+path.Base(target)))
					out := kc.mustRun(t, bytes.Join(docs, []byte("\n---\n")), "apply", "--server-side", "--dry-run=server", "-n", ns, "-f", "-")
					t.Logf("kubectl apply --dry-run=server:\n%s", out)

					// Pod admission needs the Pod's ServiceAccount: create it for real.
					k := decodeCluster(t, svc.app, docs)
					kc.mustRun(t, toYAML(t, "v1", "ServiceAccount", k.serviceAccount), "apply", "--server-side", "-n", ns, "-f", "-")
					kc.mustRun(t, podYAML(t, k.deployment), "create", "--dry-run=server", "-n", ns, "-f", "-")
				})
			}
		})
	}
	t.Run("rejects", func(t *testing.T) {
		testAPIServerRejects(t, kc)
	})
}

// testAPIServerRejects proves the API server check can fail: each case
// breaks one object of a good build and expects the server to refuse it
// for that reason, or to warn where a cluster would only warn.
func testAPIServerRejects(t *testing.T, kc *kubectl) {
	svc := ordersWith(t, "orders", nil)
	dir := t.TempDir()
	svc.writeTo(t, dir)
	docs := kustomize(t, filepath.Join(dir, "deploy", "kubernetes", "base"))
	ns := kc.restrictedNamespace(t, "rejects")
	kc.mustRun(t, toYAML(t, "v1", "ServiceAccount", decodeCluster(t, svc.app, docs).serviceAccount), "apply", "--server-side", "-n", ns, "-f", "-")
	for _, tc := range []struct {
		name string
		// object breaks one object of k and returns it as YAML.
		object func(t *testing.T, k *cluster) []byte
		// want are pieces of the server's refusal.
		want []string
	}{
		{"privileged container", func(t *testing.T, k *cluster) []byte {
			// Escalation goes with it: the server refuses a privileged
			// container that does not allow it before Pod Security looks.
			k.container().SecurityContext.Privileged = new(true)
			k.container().SecurityContext.AllowPrivilegeEscalation = new(true)
			return podYAML(t, k.deployment)
		}, []string{`violates PodSecurity "restricted:latest"`, `privileged (container "server" must not set securityContext.privileged=true)`}},
		{"runAsNonRoot unset", func(t *testing.T, k *cluster) []byte {
			k.pod().SecurityContext.RunAsNonRoot = nil
			k.container().SecurityContext.RunAsNonRoot = nil
			return podYAML(t, k.deployment)
		}, []string{`violates PodSecurity "restricted:latest"`, `runAsNonRoot != true`}},
		{"capabilities kept", func(t *testing.T, k *cluster) []byte {
			k.container().SecurityContext.Capabilities = nil
			return podYAML(t, k.deployment)
		}, []string{`violates PodSecurity "restricted:latest"`, `unrestricted capabilities`}},
		{"selector does not match the template", func(t *testing.T, k *cluster) []byte {
			k.deployment.Spec.Selector.MatchLabels = map[string]string{"app.kubernetes.io/name": "other"}
			return toYAML(t, "apps/v1", "Deployment", k.deployment)
		}, []string{"`selector` does not match template `labels`"}},
		{"alert duration not a duration", func(t *testing.T, k *cluster) []byte {
			r := &k.prometheusRule.Spec.Groups[0].Rules[0]
			r.For = new(monitoringv1.Duration("five minutes"))
			return toYAML(t, "monitoring.coreos.com/v1", "PrometheusRule", k.prometheusRule)
		}, []string{`spec.groups[0].rules[0].for: Invalid value: "five minutes"`}},
		{"PrometheusRule field misspelt", func(t *testing.T, k *cluster) []byte {
			return renameField(t, toYAML(t, "monitoring.coreos.com/v1", "PrometheusRule", k.prometheusRule), "expr", "expression")
		}, []string{`.rules[0].expression: field not declared in schema`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := tc.object(t, decodeCluster(t, svc.app, docs))
			verb := []string{"apply", "--server-side"}
			if bytes.Contains(obj, []byte("\nkind: Pod\n")) {
				verb = []string{"create"}
			}
			// The server must refuse it, not a kubectl that validates on
			// the client (up to 1.24).
			out, err := kc.run(t, obj, append(verb, "--validate=false", "--dry-run=server", "-n", ns, "-f", "-")...)
			if err == nil {
				t.Fatalf("the API server accepted it, want a refusal with %q:\n%s", tc.want, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the API server refused it, but not with %q: %v\n%s", w, err, out)
				}
			}
		})
	}
	// A Deployment is accepted whatever its pods; the server only warns,
	// and the warning is what fails the good builds' apply (mustRun).
	t.Run("Deployment with pods Pod Security refuses", func(t *testing.T) {
		k := decodeCluster(t, svc.app, docs)
		k.container().SecurityContext.Capabilities = nil
		out, err := kc.run(t, toYAML(t, "apps/v1", "Deployment", k.deployment), "apply", "--server-side", "--dry-run=server", "-n", ns, "-f", "-")
		if err != nil || !strings.Contains(out, `Warning: would violate PodSecurity "restricted:latest"`) {
			t.Errorf("want the Deployment accepted with a Pod Security warning, got: %v\n%s", err, out)
		}
	})
}

// kustomizeTargets returns the service's kustomize base and every overlay
// it has, as folders of the rendered tree.
func kustomizeTargets(svc rendered) []string {
	var dirs []string
	for p := range svc.files {
		if path.Base(p) == "kustomization.yaml" && strings.HasPrefix(p, "deploy/kubernetes/") {
			dirs = append(dirs, path.Dir(p))
		}
	}
	slices.Sort(dirs)
	return dirs
}

// buildNamespace returns the namespace the build's objects name, or
// fallback when they name none (the base).
func buildNamespace(t *testing.T, docs [][]byte, fallback string) string {
	t.Helper()
	for _, doc := range docs {
		var m struct {
			Metadata metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		if m.Metadata.Namespace != "" {
			return m.Metadata.Namespace
		}
	}
	return strings.ToLower(strings.ReplaceAll(fallback, "_", "-"))
}

// podYAML returns a Pod made from the Deployment's template, as the
// Deployment's ReplicaSet would create it.
func podYAML(t *testing.T, d *appsv1.Deployment) []byte {
	t.Helper()
	pod := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        d.Name + "-admission-check",
			Labels:      d.Spec.Template.Labels,
			Annotations: d.Spec.Template.Annotations,
		},
		Spec: d.Spec.Template.Spec,
	}
	return toYAML(t, "v1", "Pod", &pod)
}

// toYAML encodes obj as one YAML document of the given type: the Go API
// types leave apiVersion and kind empty.
func toYAML(t *testing.T, apiVersion, kind string, obj any) []byte {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["apiVersion"], m["kind"] = apiVersion, kind
	delete(m, "status")
	out, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// renameField renames the first field called from, at any depth, to to:
// a misspelling no Go type could produce.
func renameField(t *testing.T, doc []byte, from, to string) []byte {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	var rename func(v any) bool
	rename = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			if x, ok := v[from]; ok {
				delete(v, from)
				v[to] = x
				return true
			}
			for _, k := range sortedKeys(v) {
				if rename(v[k]) {
					return true
				}
			}
		case []any:
			if slices.ContainsFunc(v, rename) {
				return true
			}
		}
		return false
	}
	if !rename(m) {
		t.Fatalf("no field %q to rename", from)
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// binary returns the path of a program the test needs: $env if set (a path,
// or a name looked up in PATH), else name in PATH. A missing one fails the
// test with how to get it, so a full run cannot pass without the check.
func binary(t *testing.T, env, name, howTo string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		p = name
	}
	found, err := exec.LookPath(p)
	if err != nil {
		t.Fatalf("%s not found (%v): set %s to its path, or %s; `go test -short` skips this test", name, err, env, howTo)
	}
	return found
}

// crdDir returns the folder of prometheus-operator's CRDs, from the Go module
// cache (the proxy serves this version; newer ones are refused).
func crdDir(t *testing.T) string {
	t.Helper()
	const mod = "github.com/prometheus-operator/prometheus-operator@v0.85.0"
	out, err := exec.Command("go", "mod", "download", "-json", mod).Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", mod, err)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		t.Fatalf("go mod download %s: no folder (%v): %s", mod, err, m.Error)
	}
	return filepath.Join(m.Dir, "example", "prometheus-operator-crd")
}
