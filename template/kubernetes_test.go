package template_test

import (
	"bytes"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/new-service/new-service/generator/model"
)

// TestKubernetes builds the kustomize base and the production overlay of
// each rendered service, as `kubectl kustomize` would, decodes every object
// strictly into its API type, and checks what neither kustomize nor strict
// decoding can: that the objects agree with each other and with the
// service's settings.
func TestKubernetes(t *testing.T) {
	all := services(t)
	// The reference service again, serving mTLS from a Secret.
	all = append(all, ordersWith(t, "orders-mtls", func(s *model.Settings) {
		s.TLS = model.TLSSettings{Secret: "orders-tls", ClientCA: true}
	}))
	for _, svc := range all {
		t.Run(svc.name, func(t *testing.T) {
			dir := t.TempDir()
			svc.writeTo(t, dir)
			for _, target := range []string{"base", "overlays/production"} {
				t.Run(target, func(t *testing.T) {
					docs := kustomize(t, filepath.Join(dir, "deploy", "kubernetes", filepath.FromSlash(target)))
					k := decodeCluster(t, svc.app, docs)
					k.production = target != "base"
					for _, c := range clusterChecks {
						t.Run(c.name, func(t *testing.T) {
							var p problems
							c.check(k, &p)
							for _, msg := range p {
								t.Error(msg)
							}
						})
					}
				})
			}
		})
	}
}

// TestClusterChecksCatch proves that each check can fail: it breaks one
// rule in a good build and expects the check for that rule to say so.
func TestClusterChecksCatch(t *testing.T) {
	svc := services(t)[0]
	dir := t.TempDir()
	svc.writeTo(t, dir)
	docs := kustomize(t, filepath.Join(dir, "deploy", "kubernetes", "base"))
	// env returns the container's variable name. A missing one makes the
	// check fail on the good build already, before anything is broken.
	env := func(k *cluster, name string) *corev1.EnvVar {
		for i, e := range k.container().Env {
			if e.Name == name {
				return &k.container().Env[i]
			}
		}
		return &corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{}}
	}
	for _, tc := range []struct {
		name, check string
		breakIt     func(k *cluster)
	}{
		{"label missing", "labels", func(k *cluster) { delete(k.pdb.Labels, "app.kubernetes.io/name") }},
		{"two namespaces", "one namespace", func(k *cluster) { k.hpa.Namespace = "other" }},
		{"Service selects other pods", "selectors match the pods", func(k *cluster) {
			k.httpService().Spec.Selector = map[string]string{"app.kubernetes.io/name": "other"}
		}},
		{"PDB selects other pods", "selectors match the pods", func(k *cluster) {
			k.pdb.Spec.Selector.MatchLabels = map[string]string{"app": "other"}
		}},
		{"NetworkPolicy selects every pod", "selectors match the pods", func(k *cluster) { k.networkPolicy.Spec.PodSelector = metav1.LabelSelector{} }},
		{"two replicas", "replicas", func(k *cluster) { *k.deployment.Spec.Replicas = 2 }},
		{"TLS files with TLS off", "transport security", func(k *cluster) {
			k.container().Env = append(k.container().Env, corev1.EnvVar{Name: "TLS_CERT_FILE", Value: "/etc/tls/tls.crt"})
		}},
		{"reflection off in the base", "reflection", func(k *cluster) { env(k, "GRPC_REFLECTION").Value = "false" }},
		{"API docs off in the base", "reflection", func(k *cluster) { env(k, "API_DOCS").Value = "false" }},
		{"grpc port renamed", "container ports", func(k *cluster) { k.container().Ports[0].Name = "rpc" }},
		{"ClusterIP gRPC Service", "headless gRPC Service", func(k *cluster) { k.grpcService().Spec.ClusterIP = "" }},
		{"gRPC Service renamed", "headless gRPC Service", func(k *cluster) { k.grpcService().Name += "-grpc" }},
		{"no h2c", "headless gRPC Service", func(k *cluster) { k.grpcService().Spec.Ports[0].AppProtocol = nil }},
		{"headless REST Service", "REST Service", func(k *cluster) { k.httpService().Spec.ClusterIP = corev1.ClusterIPNone }},
		{"targetPort misspelt", "Service target ports", func(k *cluster) { k.httpService().Spec.Ports[0].TargetPort = intstr.FromString("htp") }},
		{"readiness on \"\"", "probes", func(k *cluster) { *k.container().ReadinessProbe.GRPC.Service = "" }},
		{"liveness on the main service", "probes", func(k *cluster) {
			k.container().LivenessProbe.GRPC.Service = &k.app.Main().FullName
		}},
		{"liveness service unset", "probes", func(k *cluster) { k.container().LivenessProbe.GRPC.Service = nil }},
		{"probe on the admin port", "probes", func(k *cluster) { k.container().StartupProbe.GRPC.Port = int32(k.app.Settings.AdminPort) }},
		{"grace period too short", "grace period covers the drain", func(k *cluster) { *k.pod().TerminationGracePeriodSeconds = 25 }},
		{"drain delay raised in env only", "grace period covers the drain", func(k *cluster) { env(k, "DRAIN_DELAY").Value = "1m" }},
		{"preStop sleep", "grace period covers the drain", func(k *cluster) {
			k.container().Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}}
		}},
		{"privilege escalation", "restricted pod security", func(k *cluster) { *k.container().SecurityContext.AllowPrivilegeEscalation = true }},
		{"capabilities kept", "restricted pod security", func(k *cluster) { k.container().SecurityContext.Capabilities.Drop = nil }},
		{"writable root", "restricted pod security", func(k *cluster) { *k.container().SecurityContext.ReadOnlyRootFilesystem = false }},
		{"no seccomp", "restricted pod security", func(k *cluster) { k.pod().SecurityContext.SeccompProfile = nil }},
		{"root user", "restricted pod security", func(k *cluster) { *k.pod().SecurityContext.RunAsUser = 0 }},
		{"token mounted", "restricted pod security", func(k *cluster) { k.pod().AutomountServiceAccountToken = nil }},
		{"no /tmp", "writable /tmp", func(k *cluster) { k.container().VolumeMounts = nil }},
		{"no ephemeral-storage limit", "resources", func(k *cluster) { delete(k.container().Resources.Limits, corev1.ResourceEphemeralStorage) }},
		{"request above limit", "resources", func(k *cluster) { k.container().Resources.Requests[corev1.ResourceMemory] = resource.MustParse("1Gi") }},
		{"GOMEMLIMIT fixed", "runtime env", func(k *cluster) { *env(k, "GOMEMLIMIT") = corev1.EnvVar{Name: "GOMEMLIMIT", Value: "200MiB"} }},
		{"GOMAXPROCS from requests", "runtime env", func(k *cluster) { env(k, "GOMAXPROCS").ValueFrom.ResourceFieldRef.Resource = "requests.cpu" }},
		{"GRPC_ADDR elsewhere", "runtime env", func(k *cluster) { env(k, "GRPC_ADDR").Value = ":1234" }},
		{"node name from elsewhere", "tracing env", func(k *cluster) { env(k, "NODE_NAME").ValueFrom.FieldRef.FieldPath = "status.hostIP" }},
		{"reference before definition", "env references", func(k *cluster) {
			e := k.container().Env
			i := slices.IndexFunc(e, func(v corev1.EnvVar) bool { return v.Name == "OTEL_RESOURCE_ATTRIBUTES" })
			e[0], e[i] = e[i], e[0]
		}},
		{"zones required", "topology spread", func(k *cluster) { k.pod().TopologySpreadConstraints[0].WhenUnsatisfiable = corev1.DoNotSchedule }},
		{"no node spread", "topology spread", func(k *cluster) { k.pod().TopologySpreadConstraints = k.pod().TopologySpreadConstraints[:1] }},
		{"image tagged in the base", "image", func(k *cluster) { k.container().Image += ":latest" }},
		{"service account token", "service account", func(k *cluster) { k.serviceAccount.AutomountServiceAccountToken = nil }},
		{"PDB blocks drains", "disruption budget", func(k *cluster) {
			k.pdb.Spec.MaxUnavailable = nil
			k.pdb.Spec.MinAvailable = new(intstr.FromString("100%"))
		}},
		{"HPA below 3", "autoscaler", func(k *cluster) { *k.hpa.Spec.MinReplicas = 2 }},
		{"HPA scales something else", "autoscaler", func(k *cluster) { k.hpa.Spec.ScaleTargetRef.Name = "other" }},
		{"metrics open to the namespace", "network policy ingress", func(k *cluster) {
			k.networkPolicy.Spec.Ingress[0].Ports = append(k.networkPolicy.Spec.Ingress[0].Ports, networkingv1.NetworkPolicyPort{Port: new(intstr.FromString("metrics"))})
		}},
		{"no ingress for REST", "network policy ingress", func(k *cluster) { k.networkPolicy.Spec.Ingress[0].Ports = k.networkPolicy.Spec.Ingress[0].Ports[:1] }},
		{"no DNS", "network policy egress", func(k *cluster) { k.networkPolicy.Spec.Egress = k.networkPolicy.Spec.Egress[1:] }},
		{"no self calls", "network policy egress", func(k *cluster) { k.networkPolicy.Spec.Egress = k.networkPolicy.Spec.Egress[:2] }},
		{"ServiceMonitor selects both Services", "service monitor", func(k *cluster) {
			k.serviceMonitor.Spec.Selector.MatchLabels = map[string]string{"app.kubernetes.io/name": k.app.Name}
		}},
		{"ServiceMonitor port missing", "service monitor", func(k *cluster) { k.serviceMonitor.Spec.Endpoints[0].Port = "admin" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := slices.IndexFunc(clusterChecks, func(c namedCheck) bool { return c.name == tc.check })
			if i < 0 {
				t.Fatalf("no check named %q", tc.check)
			}
			k := decodeCluster(t, svc.app, docs)
			var before problems
			clusterChecks[i].check(k, &before)
			if len(before) > 0 {
				t.Fatalf("check %q fails on the good build: %v", tc.check, before)
			}
			tc.breakIt(k)
			var p problems
			clusterChecks[i].check(k, &p)
			if len(p) == 0 {
				t.Errorf("check %q did not notice", tc.check)
			}
		})
	}
}

// kustomize builds the kustomization in dir and returns its output split
// into one YAML document per object.
func kustomize(t *testing.T, dir string) [][]byte {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var docs [][]byte
	for doc := range bytes.SplitSeq(out, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
	return docs
}

// cluster is one kustomize build, decoded.
type cluster struct {
	app            *model.App
	deployment     *appsv1.Deployment
	services       []*corev1.Service
	serviceAccount *corev1.ServiceAccount
	pdb            *policyv1.PodDisruptionBudget
	hpa            *autoscalingv2.HorizontalPodAutoscaler
	networkPolicy  *networkingv1.NetworkPolicy
	serviceMonitor *monitoringv1.ServiceMonitor
	prometheusRule *monitoringv1.PrometheusRule
	// metas are every object's metadata, for checks that apply to all.
	metas []objectMeta
	// production is set for the production overlay's build.
	production bool
}

type objectMeta struct {
	kind string
	meta *metav1.ObjectMeta
}

// decodeCluster decodes each document strictly into the Go type of its
// kind, failing on unknown kinds, unknown fields and missing objects.
func decodeCluster(t *testing.T, app *model.App, docs [][]byte) *cluster {
	t.Helper()
	k := &cluster{app: app}
	for _, doc := range docs {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("decode object: %v\n%s", err, doc)
		}
		want, ok := apiVersions[tm.Kind]
		if !ok {
			t.Errorf("unexpected kind %q (%s) in the build: add it to apiVersions and check it", tm.Kind, tm.APIVersion)
			continue
		}
		if tm.APIVersion != want {
			t.Errorf("%s has apiVersion %q, want %q", tm.Kind, tm.APIVersion, want)
		}
		var err error
		switch tm.Kind {
		case "Deployment":
			if k.deployment, err = decodeOne(doc, k.deployment); err == nil {
				k.metas = append(k.metas, objectMeta{tm.Kind, &k.deployment.ObjectMeta})
			}
		case "Service":
			var s *corev1.Service
			if s, err = decodeOne(doc, s); err == nil {
				k.services = append(k.services, s)
				k.metas = append(k.metas, objectMeta{tm.Kind, &s.ObjectMeta})
			}
		case "ServiceAccount":
			if k.serviceAccount, err = decodeOne(doc, k.serviceAccount); err == nil {
				k.metas = append(k.metas, objectMeta{tm.Kind, &k.serviceAccount.ObjectMeta})
			}
		case "PodDisruptionBudget":
			if k.pdb, err = decodeOne(doc, k.pdb); err == nil {
				k.metas = append(k.metas, objectMeta{tm.Kind, &k.pdb.ObjectMeta})
			}
		case "HorizontalPodAutoscaler":
			if k.hpa, err = decodeOne(doc, k.hpa); err == nil {
				k.metas = append(k.metas, objectMeta{tm.Kind, &k.hpa.ObjectMeta})
			}
		case "NetworkPolicy":
			if k.networkPolicy, err = decodeOne(doc, k.networkPolicy); err == nil {
				k.metas = append(k.metas, objectMeta{tm.Kind, &k.networkPolicy.ObjectMeta})
			}
		case "ServiceMonitor":
			if k.serviceMonitor, err = decodeOne(doc, k.serviceMonitor); err == nil {
				k.metas = append(k.metas, objectMeta{tm.Kind, &k.serviceMonitor.ObjectMeta})
			}
		case "PrometheusRule":
			if k.prometheusRule, err = decodeOne(doc, k.prometheusRule); err == nil {
				k.metas = append(k.metas, objectMeta{tm.Kind, &k.prometheusRule.ObjectMeta})
			}
		}
		if err != nil {
			t.Errorf("%s: %v", tm.Kind, err)
		}
	}
	missing := map[string]bool{
		"Deployment":              k.deployment == nil,
		"ServiceAccount":          k.serviceAccount == nil,
		"PodDisruptionBudget":     k.pdb == nil,
		"HorizontalPodAutoscaler": k.hpa == nil,
		"NetworkPolicy":           k.networkPolicy == nil,
		"ServiceMonitor":          k.serviceMonitor == nil,
		"PrometheusRule":          k.prometheusRule == nil,
	}
	for _, kind := range sortedKeys(missing) {
		if missing[kind] {
			t.Errorf("the build has no %s", kind)
		}
	}
	if len(k.services) != 2 {
		t.Errorf("the build has %d Services, want 2 (headless gRPC and REST)", len(k.services))
	}
	if t.Failed() {
		t.FailNow()
	}
	if n := len(k.deployment.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("the Deployment's pod has %d containers, want 1", n)
	}
	return k
}

// apiVersions are the kinds a build may contain, with their apiVersion.
var apiVersions = map[string]string{
	"Deployment":              "apps/v1",
	"Service":                 "v1",
	"ServiceAccount":          "v1",
	"PodDisruptionBudget":     "policy/v1",
	"HorizontalPodAutoscaler": "autoscaling/v2",
	"NetworkPolicy":           "networking.k8s.io/v1",
	"ServiceMonitor":          "monitoring.coreos.com/v1",
	"PrometheusRule":          "monitoring.coreos.com/v1",
}

// decodeOne decodes doc strictly into a new T; prev must be nil (a second
// object of a kind the build should hold once is an error).
func decodeOne[T any](doc []byte, prev *T) (*T, error) {
	if prev != nil {
		return prev, fmt.Errorf("more than one in the build")
	}
	v := new(T)
	if err := yaml.UnmarshalStrict(doc, v); err != nil {
		return nil, fmt.Errorf("strict decode: %v\n%s", err, doc)
	}
	return v, nil
}

// problems collects what a check finds wrong.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

type namedCheck struct {
	name  string
	check func(k *cluster, p *problems)
}

// clusterChecks are the rules a build must follow, each a subtest.
var clusterChecks = []namedCheck{
	{"labels", checkLabels},
	{"one namespace", checkNamespace},
	{"selectors match the pods", checkSelectors},
	{"replicas", checkReplicas},
	{"container ports", checkContainerPorts},
	{"headless gRPC Service", checkGRPCService},
	{"REST Service", checkHTTPService},
	{"Service target ports", checkTargetPorts},
	{"probes", checkProbes},
	{"transport security", checkTransportSecurity},
	{"reflection", checkReflection},
	{"grace period covers the drain", checkGracePeriod},
	{"restricted pod security", checkRestricted},
	{"writable /tmp", checkTmp},
	{"resources", checkResources},
	{"runtime env", checkRuntimeEnv},
	{"tracing env", checkTracingEnv},
	{"env references", checkEnvReferences},
	{"topology spread", checkTopologySpread},
	{"image", checkImage},
	{"service account", checkServiceAccount},
	{"disruption budget", checkPDB},
	{"autoscaler", checkHPA},
	{"network policy ingress", checkIngress},
	{"network policy egress", checkEgress},
	{"service monitor", checkServiceMonitor},
}

func (k *cluster) pod() *corev1.PodSpec         { return &k.deployment.Spec.Template.Spec }
func (k *cluster) container() *corev1.Container { return &k.pod().Containers[0] }
func (k *cluster) podLabels() labels.Set        { return k.deployment.Spec.Template.Labels }

// grpcService is the headless Service: clients dial dns:///<name>, so it
// must carry the service's name.
func (k *cluster) grpcService() *corev1.Service {
	for _, s := range k.services {
		if s.Name == k.app.Name {
			return s
		}
	}
	return nil
}

// httpService is the other Service.
func (k *cluster) httpService() *corev1.Service {
	for _, s := range k.services {
		if s.Name != k.app.Name {
			return s
		}
	}
	return nil
}

func checkLabels(k *cluster, p *problems) {
	for _, o := range k.metas {
		if got := o.meta.Labels["app.kubernetes.io/name"]; got != k.app.Name {
			p.add("%s %s: label app.kubernetes.io/name is %q, want %q", o.kind, o.meta.Name, got, k.app.Name)
		}
	}
	if got := k.podLabels()["app.kubernetes.io/name"]; got != k.app.Name {
		p.add("pod template: label app.kubernetes.io/name is %q, want %q", got, k.app.Name)
	}
}

func checkNamespace(k *cluster, p *problems) {
	ns := k.metas[0].meta.Namespace
	for _, o := range k.metas {
		if o.meta.Namespace != ns {
			p.add("%s %s is in namespace %q, %s %s in %q: a build must target one namespace", o.kind, o.meta.Name, o.meta.Namespace, k.metas[0].kind, k.metas[0].meta.Name, ns)
		}
	}
}

// selects reports whether sel, a label selector, selects set; a nil or
// empty selector is reported as a problem, since it would select every pod.
func selects(p *problems, what string, sel *metav1.LabelSelector, set labels.Set) {
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		p.add("%s: empty selector, which selects every pod of the namespace", what)
		return
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		p.add("%s: %v", what, err)
		return
	}
	if !s.Matches(set) {
		p.add("%s: selector %s does not match the pod template's labels %s", what, s, set)
	}
}

func checkSelectors(k *cluster, p *problems) {
	pods := k.podLabels()
	selects(p, "Deployment", k.deployment.Spec.Selector, pods)
	for _, s := range k.services {
		if len(s.Spec.Selector) == 0 {
			p.add("Service %s: no selector", s.Name)
			continue
		}
		if sel := labels.SelectorFromSet(s.Spec.Selector); !sel.Matches(pods) {
			p.add("Service %s: selector %s does not match the pod template's labels %s", s.Name, sel, pods)
		}
	}
	selects(p, "PodDisruptionBudget", k.pdb.Spec.Selector, pods)
	selects(p, "NetworkPolicy podSelector", &k.networkPolicy.Spec.PodSelector, pods)
	for i, c := range k.pod().TopologySpreadConstraints {
		selects(p, fmt.Sprintf("topologySpreadConstraints[%d] (%s)", i, c.TopologyKey), c.LabelSelector, pods)
	}
}

func checkReplicas(k *cluster, p *problems) {
	r := k.deployment.Spec.Replicas
	switch {
	case r == nil:
		p.add("Deployment: replicas not set (defaults to 1)")
	case *r < 3:
		p.add("Deployment: replicas = %d, want at least 3 so one zone or node can fail and a rollout can proceed", *r)
	case int(*r) != k.app.Settings.Replicas:
		p.add("Deployment: replicas = %d, settings say %d", *r, k.app.Settings.Replicas)
	}
	if s := k.deployment.Spec.Strategy.RollingUpdate; s == nil || s.MaxUnavailable == nil || s.MaxUnavailable.IntValue() != 0 {
		p.add("Deployment: a rolling update must keep maxUnavailable at 0 so capacity never drops during a rollout")
	}
}

func checkContainerPorts(k *cluster, p *problems) {
	s := k.app.Settings
	want := map[string]int{"grpc": s.GRPCPort, "http": s.HTTPPort, "metrics": s.AdminPort}
	seen := map[string]bool{}
	for _, port := range k.container().Ports {
		if seen[port.Name] {
			p.add("container port name %q used twice", port.Name)
		}
		seen[port.Name] = true
		if port.HostPort != 0 {
			p.add("container port %s: hostPort %d is not allowed", port.Name, port.HostPort)
		}
	}
	for _, name := range sortedKeys(want) {
		port, ok := containerPort(k.container(), intstr.FromString(name))
		switch {
		case !ok:
			p.add("container has no port named %q", name)
		case int(port.ContainerPort) != want[name]:
			p.add("container port %q is %d, settings say %d", name, port.ContainerPort, want[name])
		}
	}
}

func checkGRPCService(k *cluster, p *problems) {
	s := k.grpcService()
	if s == nil {
		p.add("no Service named %q: the generated client dials dns:///%s:%d", k.app.Name, k.app.Name, k.app.Settings.GRPCPort)
		return
	}
	if s.Spec.ClusterIP != corev1.ClusterIPNone {
		p.add("Service %s: clusterIP is %q, want None (headless), or DNS returns one virtual IP and round_robin has one backend", s.Name, s.Spec.ClusterIP)
	}
	grpc := servicePort(s, "grpc")
	switch {
	case grpc == nil:
		p.add("Service %s: no port named grpc", s.Name)
	case int(grpc.Port) != k.app.Settings.GRPCPort:
		p.add("Service %s: port grpc is %d, the client dials %d", s.Name, grpc.Port, k.app.Settings.GRPCPort)
	case grpc.AppProtocol == nil || *grpc.AppProtocol != "kubernetes.io/h2c":
		p.add("Service %s: port grpc needs appProtocol kubernetes.io/h2c so proxies speak HTTP/2", s.Name)
	}
	if servicePort(s, "metrics") == nil {
		p.add("Service %s: no port named metrics to scrape", s.Name)
	}
}

func checkHTTPService(k *cluster, p *problems) {
	s := k.httpService()
	if s == nil {
		p.add("no REST Service")
		return
	}
	if s.Spec.Type != "" && s.Spec.Type != corev1.ServiceTypeClusterIP {
		p.add("Service %s: type %s, want ClusterIP", s.Name, s.Spec.Type)
	}
	if s.Spec.ClusterIP == corev1.ClusterIPNone {
		p.add("Service %s: the REST Service should have a cluster IP", s.Name)
	}
	if servicePort(s, "http") == nil {
		p.add("Service %s: no port named http", s.Name)
	}
}

func checkTargetPorts(k *cluster, p *problems) {
	for _, s := range k.services {
		for _, sp := range s.Spec.Ports {
			target := sp.TargetPort
			if target == (intstr.IntOrString{}) {
				target = intstr.FromInt32(sp.Port)
			}
			cp, ok := containerPort(k.container(), target)
			switch {
			case !ok:
				p.add("Service %s port %s: targetPort %s is no container port", s.Name, sp.Name, target.String())
			case protocol(sp.Protocol) != protocol(cp.Protocol):
				p.add("Service %s port %s: protocol %s, container port %s is %s", s.Name, sp.Name, protocol(sp.Protocol), cp.Name, protocol(cp.Protocol))
			}
		}
	}
}

func checkProbes(k *cluster, p *problems) {
	c := k.container()
	if k.app.Settings.TLS.Enabled() {
		checkAdminProbes(k, p)
		return
	}
	grpcPort, _ := containerPort(c, intstr.FromString("grpc"))
	main := k.app.Main().FullName
	for _, probe := range []struct {
		name    string
		probe   *corev1.Probe
		service string
		why     string
	}{
		{"startupProbe", c.StartupProbe, "", `"" is SERVING once the process runs`},
		{"livenessProbe", c.LivenessProbe, "", `"" is the process's liveness`},
		{"readinessProbe", c.ReadinessProbe, main, "the main service's status follows its dependencies"},
	} {
		switch {
		case probe.probe == nil:
			p.add("%s: not set", probe.name)
		case probe.probe.GRPC == nil:
			p.add("%s: not a grpc probe (the health protocol answers what an open port cannot)", probe.name)
		case probe.probe.GRPC.Port != grpcPort.ContainerPort:
			p.add("%s: port %d, the container's grpc port is %d", probe.name, probe.probe.GRPC.Port, grpcPort.ContainerPort)
		case probe.probe.GRPC.Service == nil || *probe.probe.GRPC.Service != probe.service:
			got := "unset"
			if probe.probe.GRPC.Service != nil {
				got = strconv.Quote(*probe.probe.GRPC.Service)
			}
			p.add("%s: service %s, want %q: %s", probe.name, got, probe.service, probe.why)
		}
	}
}

// checkAdminProbes checks the probes of a service serving TLS: the
// kubelet's grpc probes speak plaintext only, so they ask the admin
// port's /healthz and /readyz instead.
func checkAdminProbes(k *cluster, p *problems) {
	c := k.container()
	admin, _ := containerPort(c, intstr.FromString("metrics"))
	for _, probe := range []struct {
		name, path string
		probe      *corev1.Probe
	}{
		{"startupProbe", "/healthz", c.StartupProbe},
		{"livenessProbe", "/healthz", c.LivenessProbe},
		{"readinessProbe", "/readyz", c.ReadinessProbe},
	} {
		switch {
		case probe.probe == nil:
			p.add("%s: not set", probe.name)
		case probe.probe.HTTPGet == nil:
			p.add("%s: not an httpGet probe; with TLS on, grpc probes (plaintext only) would fail", probe.name)
		case probe.probe.HTTPGet.Path != probe.path:
			p.add("%s: path %q, want %q", probe.name, probe.probe.HTTPGet.Path, probe.path)
		case probe.probe.HTTPGet.Scheme != "" && probe.probe.HTTPGet.Scheme != corev1.URISchemeHTTP:
			p.add("%s: scheme %s, the admin port is plaintext", probe.name, probe.probe.HTTPGet.Scheme)
		default:
			if cp, ok := containerPort(c, probe.probe.HTTPGet.Port); !ok || cp.ContainerPort != admin.ContainerPort {
				p.add("%s: port %s, want the admin port (metrics)", probe.name, probe.probe.HTTPGet.Port.String())
			}
		}
	}
}

// checkTransportSecurity checks that the TLS Secret is mounted and its
// files passed to the runtime exactly when the settings turn TLS on.
func checkTransportSecurity(k *cluster, p *problems) {
	tls := k.app.Settings.TLS
	env := envMap(k.container())
	var volume *corev1.Volume
	for i, v := range k.pod().Volumes {
		if v.Secret != nil {
			volume = &k.pod().Volumes[i]
		}
	}
	if !tls.Enabled() {
		for _, name := range []string{"TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CLIENT_CA_FILE"} {
			if _, ok := env[name]; ok {
				p.add("env %s set, but the settings leave TLS off", name)
			}
		}
		if volume != nil {
			p.add("Secret volume %s mounted, but the settings leave TLS off", volume.Name)
		}
		return
	}
	if volume == nil || volume.Secret.SecretName != tls.Secret {
		p.add("no volume of the Secret %q", tls.Secret)
		return
	}
	var mount *corev1.VolumeMount
	for i, m := range k.container().VolumeMounts {
		if m.Name == volume.Name {
			mount = &k.container().VolumeMounts[i]
		}
	}
	switch {
	case mount == nil:
		p.add("the Secret volume %s is not mounted", volume.Name)
		return
	case mount.SubPath != "":
		p.add("the Secret is mounted with subPath, which the kubelet never updates: rotation would not reach the pod")
	case !mount.ReadOnly:
		p.add("the Secret is mounted read-write")
	}
	want := map[string]string{"TLS_CERT_FILE": "tls.crt", "TLS_KEY_FILE": "tls.key"}
	if tls.ClientCA {
		want["TLS_CLIENT_CA_FILE"] = "ca.crt"
	} else if _, ok := env["TLS_CLIENT_CA_FILE"]; ok {
		p.add("env TLS_CLIENT_CA_FILE set, but client_ca is off")
	}
	for name, file := range want {
		if got := env[name].Value; got != mount.MountPath+"/"+file {
			p.add("env %s=%q, want %q (the Secret's %s)", name, got, mount.MountPath+"/"+file, file)
		}
	}
}

// checkReflection checks that server reflection (for grpcurl) and the REST
// API's description (/openapi.json, /docs) are on in the base and off in
// the production overlay.
func checkReflection(k *cluster, p *problems) {
	want := "true"
	if k.production {
		want = "false"
	}
	for _, name := range []string{"GRPC_REFLECTION", "API_DOCS"} {
		if got := envMap(k.container())[name].Value; got != want {
			p.add("env %s=%q, want %q", name, got, want)
		}
	}
}

func checkGracePeriod(k *cluster, p *problems) {
	// margin is the time the process needs after the graceful stop: the
	// hard stop, flushing traces (up to 2s), exiting.
	const margin = 5 * time.Second
	pod := k.pod()
	if pod.TerminationGracePeriodSeconds == nil {
		p.add("terminationGracePeriodSeconds not set (defaults to 30s, whatever the drain needs)")
		return
	}
	env := envMap(k.container())
	var total time.Duration
	for _, name := range []string{"DRAIN_DELAY", "SHUTDOWN_GRACE"} {
		v, ok := env[name]
		if !ok || v.Value == "" {
			p.add("env %s not set: the grace period can only cover what the manifest states", name)
			continue
		}
		d, err := time.ParseDuration(v.Value)
		if err != nil {
			p.add("env %s=%q: %v", name, v.Value, err)
			continue
		}
		total += d
	}
	if got, want := time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second, total+margin; got < want {
		p.add("terminationGracePeriodSeconds is %s, less than DRAIN_DELAY + SHUTDOWN_GRACE + %s = %s: the kubelet would SIGKILL mid-drain", got, margin, want)
	}
	if h := k.container().Lifecycle; h != nil && h.PreStop != nil {
		p.add("preStop hook set: the process drains by itself, and the distroless image cannot run a sleep")
	}
}

func checkRestricted(k *cluster, p *problems) {
	pod := k.pod()
	psc := pod.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	for _, f := range []struct {
		field string
		ok    bool
	}{
		{"pod securityContext.runAsNonRoot: true", isTrue(psc.RunAsNonRoot)},
		{"pod securityContext.runAsUser: 65532 (distroless nonroot)", psc.RunAsUser != nil && *psc.RunAsUser == 65532},
		{"pod securityContext.runAsGroup: 65532", psc.RunAsGroup != nil && *psc.RunAsGroup == 65532},
		{"pod securityContext.fsGroup", psc.FSGroup != nil && *psc.FSGroup != 0},
		{"pod securityContext.seccompProfile.type: RuntimeDefault", psc.SeccompProfile != nil && psc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault},
		{"pod automountServiceAccountToken: false", pod.AutomountServiceAccountToken != nil && !*pod.AutomountServiceAccountToken},
		{"no hostNetwork, hostPID or hostIPC", !pod.HostNetwork && !pod.HostPID && !pod.HostIPC},
	} {
		if !f.ok {
			p.add("want %s", f.field)
		}
	}
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			p.add("volume %s: hostPath volumes are not allowed", v.Name)
		}
	}
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		sc := c.SecurityContext
		if sc == nil {
			p.add("container %s: no securityContext", c.Name)
			continue
		}
		for _, f := range []struct {
			field string
			ok    bool
		}{
			{"allowPrivilegeEscalation: false", sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation},
			{"capabilities.drop: [ALL]", sc.Capabilities != nil && slices.Contains(sc.Capabilities.Drop, "ALL")},
			{"no capabilities added", sc.Capabilities == nil || len(sc.Capabilities.Add) == 0},
			{"readOnlyRootFilesystem: true", isTrue(sc.ReadOnlyRootFilesystem)},
			{"runAsNonRoot: true", isTrue(sc.RunAsNonRoot)},
			{"not privileged", !isTrue(sc.Privileged)},
			{"no runAsUser 0", sc.RunAsUser == nil || *sc.RunAsUser != 0},
			{"seccompProfile unset or RuntimeDefault", sc.SeccompProfile == nil || sc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault},
		} {
			if !f.ok {
				p.add("container %s: want securityContext %s", c.Name, f.field)
			}
		}
	}
}

func checkTmp(k *cluster, p *problems) {
	c := k.container()
	if c.SecurityContext == nil || !isTrue(c.SecurityContext.ReadOnlyRootFilesystem) {
		return
	}
	for _, m := range c.VolumeMounts {
		if m.MountPath != "/tmp" {
			continue
		}
		if m.ReadOnly {
			p.add("/tmp is mounted read-only")
		}
		for _, v := range k.pod().Volumes {
			if v.Name == m.Name {
				if v.EmptyDir == nil {
					p.add("/tmp is volume %s, want an emptyDir", v.Name)
				} else if v.EmptyDir.SizeLimit == nil {
					p.add("/tmp emptyDir has no sizeLimit")
				}
				return
			}
		}
		p.add("/tmp mounts volume %s, which the pod does not have", m.Name)
		return
	}
	p.add("the root filesystem is read-only and nothing writable is mounted at /tmp (os.TempDir)")
}

func checkResources(k *cluster, p *problems) {
	s := k.app.Settings
	r := k.container().Resources
	for _, want := range []struct {
		name           corev1.ResourceName
		request, limit string
	}{
		{corev1.ResourceCPU, s.CPURequest, s.CPULimit},
		{corev1.ResourceMemory, s.MemoryRequest, s.MemoryLimit},
		{corev1.ResourceEphemeralStorage, s.EphemeralRequest, s.EphemeralLimit},
	} {
		req, hasReq := r.Requests[want.name]
		lim, hasLim := r.Limits[want.name]
		if !hasReq {
			p.add("no %s request", want.name)
		}
		if !hasLim {
			p.add("no %s limit", want.name)
		}
		if !hasReq || !hasLim {
			continue
		}
		if req.Cmp(lim) > 0 {
			p.add("%s request %s is above the limit %s", want.name, req.String(), lim.String())
		}
		if w := resource.MustParse(want.request); req.Cmp(w) != 0 {
			p.add("%s request is %s, settings say %s", want.name, req.String(), want.request)
		}
		if w := resource.MustParse(want.limit); lim.Cmp(w) != 0 {
			p.add("%s limit is %s, settings say %s", want.name, lim.String(), want.limit)
		}
	}
}

func checkRuntimeEnv(k *cluster, p *problems) {
	c := k.container()
	env := envMap(c)
	for _, a := range []struct{ env, port string }{{"GRPC_ADDR", "grpc"}, {"HTTP_ADDR", "http"}, {"ADMIN_ADDR", "metrics"}} {
		cp, _ := containerPort(c, intstr.FromString(a.port))
		if got, want := env[a.env].Value, fmt.Sprintf(":%d", cp.ContainerPort); got != want {
			p.add("env %s=%q, want %q (the container port %s)", a.env, got, want, a.port)
		}
	}
	for _, d := range []struct {
		env  string
		want model.Duration
	}{{"DRAIN_DELAY", k.app.Settings.DrainDelay}, {"SHUTDOWN_GRACE", k.app.Settings.ShutdownGrace}} {
		if got, err := time.ParseDuration(env[d.env].Value); err != nil || got != time.Duration(d.want) {
			p.add("env %s=%q, settings say %s", d.env, env[d.env].Value, d.want)
		}
	}
	for _, f := range []struct{ env, resource string }{{"GOMEMLIMIT", "limits.memory"}, {"GOMAXPROCS", "limits.cpu"}} {
		v, ok := env[f.env]
		switch {
		case !ok:
			p.add("env %s not set: the Go runtime would not know the container's %s", f.env, f.resource)
		case v.ValueFrom == nil || v.ValueFrom.ResourceFieldRef == nil:
			p.add("env %s: want valueFrom.resourceFieldRef, so it follows the limit when an overlay changes it", f.env)
		case v.ValueFrom.ResourceFieldRef.Resource != f.resource:
			p.add("env %s: from %s, want %s", f.env, v.ValueFrom.ResourceFieldRef.Resource, f.resource)
		case v.ValueFrom.ResourceFieldRef.ContainerName != "" && v.ValueFrom.ResourceFieldRef.ContainerName != c.Name:
			p.add("env %s: from container %q, not its own (%q)", f.env, v.ValueFrom.ResourceFieldRef.ContainerName, c.Name)
		}
	}
	if v, ok := env["GOMAXPROCS"]; ok && v.ValueFrom != nil && v.ValueFrom.ResourceFieldRef != nil {
		// GOMAXPROCS must be a whole number of CPUs, not millicores.
		if d := v.ValueFrom.ResourceFieldRef.Divisor; !d.IsZero() && d.Cmp(resource.MustParse("1")) != 0 {
			p.add("env GOMAXPROCS: divisor %s, want 1 (whole CPUs)", d.String())
		}
	}
}

func checkTracingEnv(k *cluster, p *problems) {
	env := envMap(k.container())
	if got := env["OTEL_SERVICE_NAME"].Value; got != k.app.Name {
		p.add("env OTEL_SERVICE_NAME=%q, want %q", got, k.app.Name)
	}
	if got := env["OTEL_EXPORTER_OTLP_ENDPOINT"].Value; got != k.app.Settings.OTLPEndpoint {
		p.add("env OTEL_EXPORTER_OTLP_ENDPOINT=%q, settings say %q", got, k.app.Settings.OTLPEndpoint)
	}
	attrs := map[string]string{}
	for kv := range strings.SplitSeq(env["OTEL_RESOURCE_ATTRIBUTES"].Value, ",") {
		key, value, _ := strings.Cut(kv, "=")
		attrs[key] = value
	}
	for _, a := range []struct{ attr, fieldPath string }{
		{"k8s.pod.name", "metadata.name"},
		{"k8s.namespace.name", "metadata.namespace"},
		{"k8s.node.name", "spec.nodeName"},
	} {
		ref, ok := strings.CutPrefix(attrs[a.attr], "$(")
		ref, ok2 := strings.CutSuffix(ref, ")")
		if !ok || !ok2 {
			p.add("OTEL_RESOURCE_ATTRIBUTES: %s is %q, want a $(VAR) from the downward API", a.attr, attrs[a.attr])
			continue
		}
		v := env[ref]
		if v.ValueFrom == nil || v.ValueFrom.FieldRef == nil || v.ValueFrom.FieldRef.FieldPath != a.fieldPath {
			p.add("OTEL_RESOURCE_ATTRIBUTES: %s refers to $(%s), which is not the downward API's %s", a.attr, ref, a.fieldPath)
		}
	}
}

// envRef matches the $(VAR) references Kubernetes expands in env values.
var envRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

func checkEnvReferences(k *cluster, p *problems) {
	// Kubernetes expands $(VAR) only for variables defined earlier in the
	// list; a later or missing one stays literal text.
	defined := map[string]bool{}
	for _, e := range k.container().Env {
		if defined[e.Name] {
			p.add("env %s defined twice", e.Name)
		}
		for _, m := range envRef.FindAllStringSubmatch(e.Value, -1) {
			if !defined[m[1]] {
				p.add("env %s refers to $(%s), which is not defined before it", e.Name, m[1])
			}
		}
		defined[e.Name] = true
	}
}

func checkTopologySpread(k *cluster, p *problems) {
	want := map[string]corev1.UnsatisfiableConstraintAction{
		// Preferred: clusters without zone labels must still schedule, and a
		// zone outage must not hold replacements pending.
		"topology.kubernetes.io/zone": corev1.ScheduleAnyway,
		// Required: one node's failure takes at most its share.
		"kubernetes.io/hostname": corev1.DoNotSchedule,
	}
	seen := map[string]bool{}
	for _, c := range k.pod().TopologySpreadConstraints {
		seen[c.TopologyKey] = true
		w, ok := want[c.TopologyKey]
		if !ok {
			p.add("topology spread on %s: not a key this check knows", c.TopologyKey)
			continue
		}
		if c.WhenUnsatisfiable != w {
			p.add("topology spread on %s: whenUnsatisfiable %s, want %s", c.TopologyKey, c.WhenUnsatisfiable, w)
		}
		if c.MaxSkew != 1 {
			p.add("topology spread on %s: maxSkew %d, want 1", c.TopologyKey, c.MaxSkew)
		}
		if c.WhenUnsatisfiable == corev1.DoNotSchedule && (c.NodeTaintsPolicy == nil || *c.NodeTaintsPolicy != corev1.NodeInclusionPolicyHonor) {
			p.add("topology spread on %s: a required spread needs nodeTaintsPolicy Honor, or an empty cordoned node blocks scheduling", c.TopologyKey)
		}
	}
	for _, key := range sortedKeys(want) {
		if !seen[key] {
			p.add("no topology spread across %s", key)
		}
	}
}

func checkImage(k *cluster, p *problems) {
	image := k.container().Image
	name, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	if k.deployment.Namespace == "" {
		// The base: the settings' image, the tag left to overlays.
		if image != k.app.Settings.Image {
			p.add("image %q, want the settings' %q without a tag (overlays set it)", image, k.app.Settings.Image)
		}
		return
	}
	if name == image || name == k.app.Settings.Image {
		p.add("image %q: an overlay should set the registry and a tag or digest", image)
	}
}

func checkServiceAccount(k *cluster, p *problems) {
	if got := k.pod().ServiceAccountName; got != k.serviceAccount.Name {
		p.add("pod uses service account %q, the build has %q", got, k.serviceAccount.Name)
	}
	if a := k.serviceAccount.AutomountServiceAccountToken; a == nil || *a {
		p.add("ServiceAccount %s: want automountServiceAccountToken: false", k.serviceAccount.Name)
	}
}

func checkPDB(k *cluster, p *problems) {
	spec := k.pdb.Spec
	replicas := int(*k.deployment.Spec.Replicas)
	switch {
	case spec.MaxUnavailable != nil && spec.MinAvailable != nil:
		p.add("PodDisruptionBudget: both minAvailable and maxUnavailable set")
	case spec.MaxUnavailable != nil:
		n, err := intstr.GetScaledValueFromIntOrPercent(spec.MaxUnavailable, replicas, false)
		if err != nil || n < 1 {
			p.add("PodDisruptionBudget: maxUnavailable %s allows no eviction at %d replicas: node drains would hang", spec.MaxUnavailable.String(), replicas)
		}
	case spec.MinAvailable != nil:
		n, err := intstr.GetScaledValueFromIntOrPercent(spec.MinAvailable, replicas, true)
		if err != nil || n >= replicas {
			p.add("PodDisruptionBudget: minAvailable %s allows no eviction at %d replicas: node drains would hang", spec.MinAvailable.String(), replicas)
		}
	default:
		p.add("PodDisruptionBudget: neither minAvailable nor maxUnavailable set")
	}
}

func checkHPA(k *cluster, p *problems) {
	spec := k.hpa.Spec
	ref := spec.ScaleTargetRef
	if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != k.deployment.Name {
		p.add("HorizontalPodAutoscaler scales %s %s %s, want apps/v1 Deployment %s", ref.APIVersion, ref.Kind, ref.Name, k.deployment.Name)
	}
	switch {
	case spec.MinReplicas == nil || *spec.MinReplicas < 3:
		p.add("HorizontalPodAutoscaler: minReplicas %v, want at least 3", deref(spec.MinReplicas))
	case *spec.MinReplicas != *k.deployment.Spec.Replicas:
		p.add("HorizontalPodAutoscaler: minReplicas %d, the Deployment has %d replicas", *spec.MinReplicas, *k.deployment.Spec.Replicas)
	}
	if spec.MaxReplicas < deref(spec.MinReplicas) {
		p.add("HorizontalPodAutoscaler: maxReplicas %d below minReplicas %d", spec.MaxReplicas, deref(spec.MinReplicas))
	}
	if int(spec.MaxReplicas) != k.app.Settings.MaxReplicas {
		p.add("HorizontalPodAutoscaler: maxReplicas %d, settings say %d", spec.MaxReplicas, k.app.Settings.MaxReplicas)
	}
	var cpu *autoscalingv2.MetricTarget
	for _, m := range spec.Metrics {
		if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU {
			cpu = &m.Resource.Target
		}
	}
	switch {
	case cpu == nil:
		p.add("HorizontalPodAutoscaler: no CPU metric")
	case cpu.Type != autoscalingv2.UtilizationMetricType || cpu.AverageUtilization == nil:
		p.add("HorizontalPodAutoscaler: CPU target is not a utilisation")
	case int(*cpu.AverageUtilization) != k.app.Settings.CPUTarget:
		p.add("HorizontalPodAutoscaler: CPU target %d%%, settings say %d%%", *cpu.AverageUtilization, k.app.Settings.CPUTarget)
	}
	if _, ok := k.container().Resources.Requests[corev1.ResourceCPU]; !ok {
		p.add("HorizontalPodAutoscaler: CPU utilisation needs a CPU request")
	}
}

func checkIngress(k *cluster, p *problems) {
	np := k.networkPolicy
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
		p.add("NetworkPolicy: policyTypes lacks Ingress")
	}
	c := k.container()
	monitoring := k.app.Settings.MonitoringNamespace
	// open maps each container port name to whether a rule admits the same
	// namespace, and whether it admits the monitoring namespace.
	sameNS, fromMonitoring := map[string]bool{}, map[string]bool{}
	for i, rule := range np.Spec.Ingress {
		if len(rule.From) == 0 {
			p.add("NetworkPolicy ingress[%d]: no from, which admits every source", i)
		}
		if len(rule.Ports) == 0 {
			p.add("NetworkPolicy ingress[%d]: no ports, which admits every port", i)
		}
		for _, port := range rule.Ports {
			name, ok := policyPort(c, port)
			if !ok {
				p.add("NetworkPolicy ingress[%d]: port %s is no container port", i, port.Port.String())
				continue
			}
			for _, peer := range rule.From {
				switch {
				case peer.IPBlock != nil:
					p.add("NetworkPolicy ingress[%d]: ipBlock peers admit traffic from outside the cluster", i)
				case peer.NamespaceSelector == nil && peer.PodSelector != nil:
					sameNS[name] = true
				case namespaceIs(peer.NamespaceSelector, monitoring):
					fromMonitoring[name] = true
				}
			}
		}
	}
	for _, name := range []string{"grpc", "http"} {
		if !sameNS[name] {
			p.add("NetworkPolicy: nothing admits the same namespace's pods on port %s", name)
		}
	}
	if !fromMonitoring["metrics"] {
		p.add("NetworkPolicy: nothing admits namespace %s (Prometheus) on port metrics", monitoring)
	}
	if sameNS["metrics"] {
		p.add("NetworkPolicy: the admin port is open to every pod of the namespace; admit only %s", monitoring)
	}
}

func checkEgress(k *cluster, p *problems) {
	np := k.networkPolicy
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		p.add("NetworkPolicy: policyTypes lacks Egress")
	}
	otlp, err := url.Parse(k.app.Settings.OTLPEndpoint)
	if err != nil {
		p.add("settings OTLPEndpoint %q: %v", k.app.Settings.OTLPEndpoint, err)
		return
	}
	otlpPort := otlp.Port()
	if otlpPort == "" {
		otlpPort = map[string]string{"http": "80", "https": "443"}[otlp.Scheme]
	}
	grpcPort, _ := containerPort(k.container(), intstr.FromString("grpc"))
	type need struct {
		what     string
		peer     func(networkingv1.NetworkPolicyPeer) bool
		port     string
		protocol corev1.Protocol
	}
	inNamespace := func(ns string) func(networkingv1.NetworkPolicyPeer) bool {
		return func(peer networkingv1.NetworkPolicyPeer) bool { return namespaceIs(peer.NamespaceSelector, ns) }
	}
	ownPods := func(peer networkingv1.NetworkPolicyPeer) bool {
		if peer.NamespaceSelector != nil || peer.PodSelector == nil {
			return false
		}
		s, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
		return err == nil && !s.Empty() && s.Matches(k.podLabels())
	}
	for _, n := range []need{
		{"DNS in kube-system over UDP", inNamespace("kube-system"), "53", corev1.ProtocolUDP},
		{"DNS in kube-system over TCP", inNamespace("kube-system"), "53", corev1.ProtocolTCP},
		{"the OTLP collector in " + k.app.Settings.OTLPNamespace, inNamespace(k.app.Settings.OTLPNamespace), otlpPort, corev1.ProtocolTCP},
		{"the service's own pods on gRPC", ownPods, strconv.Itoa(int(grpcPort.ContainerPort)), corev1.ProtocolTCP},
	} {
		found := false
		for _, rule := range np.Spec.Egress {
			if !slices.ContainsFunc(rule.To, n.peer) {
				continue
			}
			for _, port := range rule.Ports {
				number := port.Port.String()
				if port.Port != nil && port.Port.Type == intstr.String {
					// A named port is the destination pod's; only the
					// service's own pods are known here.
					if cp, ok := containerPort(k.container(), *port.Port); ok {
						number = strconv.Itoa(int(cp.ContainerPort))
					}
				}
				if number == n.port && protocol(deref(port.Protocol)) == n.protocol {
					found = true
				}
			}
		}
		if !found {
			p.add("NetworkPolicy: no egress to %s (port %s/%s)", n.what, n.port, n.protocol)
		}
	}
	for i, rule := range np.Spec.Egress {
		if len(rule.To) == 0 {
			p.add("NetworkPolicy egress[%d]: no to, which allows every destination", i)
		}
	}
}

func checkServiceMonitor(k *cluster, p *problems) {
	sm := k.serviceMonitor
	sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil || sel.Empty() {
		p.add("ServiceMonitor: selector %v is empty or invalid: %v", sm.Spec.Selector, err)
		return
	}
	var selected []*corev1.Service
	for _, s := range k.services {
		if sel.Matches(labels.Set(s.Labels)) {
			selected = append(selected, s)
		}
	}
	grpc := k.grpcService()
	if len(selected) != 1 || selected[0] != grpc {
		var names []string
		for _, s := range selected {
			names = append(names, s.Name)
		}
		p.add("ServiceMonitor selects Services %v, want only the headless %s", names, k.app.Name)
		return
	}
	if ns := sm.Spec.NamespaceSelector; !ns.Any && len(ns.MatchNames) > 0 && !slices.Contains(ns.MatchNames, grpc.Namespace) {
		p.add("ServiceMonitor: namespaceSelector %v leaves out the Service's namespace %q", ns.MatchNames, grpc.Namespace)
	}
	if len(sm.Spec.Endpoints) == 0 {
		p.add("ServiceMonitor: no endpoints")
	}
	for i, e := range sm.Spec.Endpoints {
		sp := servicePort(grpc, e.Port)
		if sp == nil {
			p.add("ServiceMonitor endpoints[%d]: port %q is not a port of Service %s", i, e.Port, grpc.Name)
			continue
		}
		if cp, ok := containerPort(k.container(), sp.TargetPort); !ok || cp.Name != "metrics" {
			p.add("ServiceMonitor endpoints[%d]: port %q does not reach the container's metrics port", i, e.Port)
		}
		if e.Path != "" && e.Path != "/metrics" {
			p.add("ServiceMonitor endpoints[%d]: path %q, the admin server serves /metrics", i, e.Path)
		}
	}
}

// containerPort returns the port of c that p names or numbers.
func containerPort(c *corev1.Container, p intstr.IntOrString) (corev1.ContainerPort, bool) {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp, true
		}
	}
	return corev1.ContainerPort{}, false
}

// policyPort returns the name of the container port a NetworkPolicy port
// refers to.
func policyPort(c *corev1.Container, port networkingv1.NetworkPolicyPort) (string, bool) {
	if port.Port == nil {
		return "", false
	}
	cp, ok := containerPort(c, *port.Port)
	if !ok || protocol(deref(port.Protocol)) != protocol(cp.Protocol) {
		return "", false
	}
	return cp.Name, true
}

func servicePort(s *corev1.Service, name string) *corev1.ServicePort {
	for i := range s.Spec.Ports {
		if s.Spec.Ports[i].Name == name {
			return &s.Spec.Ports[i]
		}
	}
	return nil
}

// namespaceIs reports whether sel selects exactly the namespace ns, by the
// label the API server sets on every namespace.
func namespaceIs(sel *metav1.LabelSelector, ns string) bool {
	return sel != nil && len(sel.MatchExpressions) == 0 && len(sel.MatchLabels) == 1 &&
		sel.MatchLabels["kubernetes.io/metadata.name"] == ns
}

func envMap(c *corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

// protocol returns p, or TCP, the default, when p is empty.
func protocol(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

func isTrue(b *bool) bool { return b != nil && *b }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
