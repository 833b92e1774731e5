package template_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/new-service/new-service/generator/model"
	"github.com/new-service/new-service/generator/pipeline"
	"github.com/new-service/new-service/generator/render"
)

const catalogPath = "catalog-info.yaml"

// entity is the part of a Backstage catalog entity the tests read.
type entity struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Description string            `json:"description"`
		Tags        []string          `json:"tags"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Type         string   `json:"type"`
		Lifecycle    string   `json:"lifecycle"`
		Owner        string   `json:"owner"`
		System       string   `json:"system"`
		ProvidesAPIs []string `json:"providesApis"`
		Definition   struct {
			Text string `json:"$text"`
		} `json:"definition"`
	} `json:"spec"`
}

// Backstage's rules for entity names and tags.
var (
	entityNameRE = regexp.MustCompile(`^([A-Za-z0-9]+[-_.])*[A-Za-z0-9]+$`)
	tagRE        = regexp.MustCompile(`^[a-z0-9+#]+(-[a-z0-9+#]+)*$`)
)

// catalogEntities parses the rendered catalog file, one entity per YAML
// document.
func catalogEntities(t *testing.T, r rendered) []entity {
	t.Helper()
	var out []entity
	for i, doc := range regexp.MustCompile(`(?m)^---[ \t]*$`).Split(string(r.file(t, catalogPath)), -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		// Strict: a duplicate key is an error, as it is for Backstage.
		js, err := yaml.YAMLToJSONStrict([]byte(doc))
		if err != nil {
			t.Fatalf("%s: document %d: %v", catalogPath, i, err)
		}
		var e entity
		if err := json.Unmarshal(js, &e); err != nil {
			t.Fatalf("%s: document %d: %v", catalogPath, i, err)
		}
		out = append(out, e)
	}
	return out
}

// catalogServices are the rendered services the catalog tests read: the
// reference and billing services, and the reference service on GitHub in a
// system, with the catalog settings set.
func catalogServices(t *testing.T) []rendered {
	all := services(t)
	all = append(all, ordersWith(t, "orders-in-system", func(s *model.Settings) {
		s.Owner = "group:default/team-orders"
		s.System = "shop"
		s.Lifecycle = "production"
		s.Description = "Takes and tracks orders."
	}))
	return append(all, renderModule(t, "orders-on-github", "github.com/acme/platform/services/orders"))
}

func TestCatalog(t *testing.T) {
	for _, r := range catalogServices(t) {
		t.Run(r.name, func(t *testing.T) {
			if f := r.files[catalogPath]; f.Owner != render.Scaffolded {
				t.Errorf("%s is %v, want scaffolded: the catalog entry is the team's to edit", catalogPath, f.Owner)
			}
			es := catalogEntities(t, r)
			var rest int
			for _, s := range r.app.Services {
				if s.HasHTTP() {
					rest++
				}
			}
			if len(es) != 1+len(r.app.Services)+rest {
				t.Fatalf("%d entities, want a Component, a gRPC API per proto service (%d) and a REST API per service with HTTP bindings (%d)", len(es), len(r.app.Services), rest)
			}
			set := r.app.Settings
			for _, e := range es {
				if e.APIVersion != "backstage.io/v1alpha1" {
					t.Errorf("%s %s: apiVersion %q", e.Kind, e.Metadata.Name, e.APIVersion)
				}
				if n := e.Metadata.Name; len(n) > 63 || !entityNameRE.MatchString(n) {
					t.Errorf("%s: name %q is not a valid Backstage entity name", e.Kind, n)
				}
				for _, tag := range e.Metadata.Tags {
					if len(tag) > 63 || !tagRE.MatchString(tag) {
						t.Errorf("%s %s: tag %q is not a valid Backstage tag", e.Kind, e.Metadata.Name, tag)
					}
				}
				if e.Spec.Owner != set.Owner || e.Spec.Lifecycle != set.Lifecycle || e.Spec.System != set.System || e.Metadata.Description == "" {
					t.Errorf("%s %s: owner %q lifecycle %q system %q, want the settings' %q %q %q; description %q required",
						e.Kind, e.Metadata.Name, e.Spec.Owner, e.Spec.Lifecycle, e.Spec.System, set.Owner, set.Lifecycle, set.System, e.Metadata.Description)
				}
			}

			c := es[0]
			if c.Kind != "Component" || c.Metadata.Name != r.app.Name || c.Spec.Type != "service" {
				t.Errorf("first entity is %s %q of type %q, want the Component %q of type service", c.Kind, c.Metadata.Name, c.Spec.Type, r.app.Name)
			}
			if set.Description != "" && c.Metadata.Description != set.Description {
				t.Errorf("Component description %q, want the setting's %q", c.Metadata.Description, set.Description)
			}
			var apis []string
			next := 1
			for _, s := range r.app.Services {
				a := es[next]
				next++
				if a.Kind != "API" || a.Spec.Type != "grpc" || a.Metadata.Name != s.FullName {
					t.Errorf("entity %d is %s %q of type %q, want the API %q of type grpc", next-1, a.Kind, a.Metadata.Name, a.Spec.Type, s.FullName)
				}
				apis = append(apis, a.Metadata.Name)
				// $text resolves against the catalog file, at the root of
				// the service: the proto must be rendered there.
				if want := "./proto/" + s.File; a.Spec.Definition.Text != want {
					t.Errorf("API %s: definition $text %q, want the file that declares the service, %q", a.Metadata.Name, a.Spec.Definition.Text, want)
				} else if content := r.files[strings.TrimPrefix(want, "./")].Content; !strings.Contains(string(content), "service "+s.Name+" ") {
					t.Errorf("API %s: %s does not declare service %s", a.Metadata.Name, want, s.Name)
				}
				if !s.HasHTTP() {
					continue
				}
				a = es[next]
				next++
				if a.Kind != "API" || a.Spec.Type != "openapi" || a.Metadata.Name != s.FullName+"-rest" {
					t.Errorf("entity %d is %s %q of type %q, want the API %q of type openapi", next-1, a.Kind, a.Metadata.Name, a.Spec.Type, s.FullName+"-rest")
				}
				apis = append(apis, a.Metadata.Name)
				// buf.gen.openapi.yaml writes below gen/openapiv2 one
				// document per input file; examples/orders proves the path.
				if want := "./gen/openapiv2/" + strings.TrimSuffix(s.File, ".proto") + ".swagger.json"; a.Spec.Definition.Text != want {
					t.Errorf("API %s: definition $text %q, want %q", a.Metadata.Name, a.Spec.Definition.Text, want)
				}
			}
			if !strings.Contains(string(r.file(t, "buf.gen.openapi.yaml")), "out: gen/openapiv2\n") {
				t.Errorf("buf.gen.openapi.yaml does not write gen/openapiv2, where the REST APIs' definitions point")
			}
			if got := slices.Sorted(slices.Values(c.Spec.ProvidesAPIs)); !slices.Equal(got, slices.Sorted(slices.Values(apis))) {
				t.Errorf("Component provides %v, want every API entity %v", got, apis)
			}
			checkAnnotations(t, r, c.Metadata.Annotations)
		})
	}
}

// checkAnnotations checks the Component's annotations against what they
// point at: the manifests' labels, the alert rules, the TechDocs site.
func checkAnnotations(t *testing.T, r rendered, ann map[string]string) {
	t.Helper()
	sel, err := labels.Parse(ann["backstage.io/kubernetes-label-selector"])
	if err != nil || sel.Empty() {
		t.Errorf("backstage.io/kubernetes-label-selector %q: %v", ann["backstage.io/kubernetes-label-selector"], err)
	} else {
		var d appsv1.Deployment
		if err := yaml.Unmarshal(r.file(t, "deploy/kubernetes/base/deployment.yaml"), &d); err != nil {
			t.Fatal(err)
		}
		// The Kubernetes plugin lists the objects the selector matches: the
		// Deployment and its pods.
		if !sel.Matches(labels.Set(d.Labels)) || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("label selector %q matches neither the Deployment's labels %v nor its pods' %v", sel, d.Labels, d.Spec.Template.Labels)
		}
	}
	if got := ann["backstage.io/kubernetes-namespace"]; got != r.app.Settings.Namespace {
		t.Errorf("backstage.io/kubernetes-namespace %q, want the namespace setting %q", got, r.app.Settings.Namespace)
	}

	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert, Record string
			}
		}
	}
	if err := yaml.Unmarshal(r.file(t, "deploy/prometheus/rules.yaml"), &rules); err != nil {
		t.Fatal(err)
	}
	var alerts, records []string
	for _, g := range rules.Groups {
		for _, rule := range g.Rules {
			if rule.Alert != "" {
				alerts = append(alerts, rule.Alert)
			} else {
				records = append(records, rule.Record)
			}
		}
	}
	// The Prometheus plugin splits on ","; each alert name must be one of
	// the service's alerts.
	if got := strings.Split(ann["prometheus.io/alert"], ","); !slices.Equal(got, alerts) {
		t.Errorf("prometheus.io/alert lists %v, want the alerts of deploy/prometheus/rules.yaml %v", got, alerts)
	}
	// prometheus.io/rule: comma-separated "query|grouping label" pairs; a
	// query may hold neither "," nor "|" and must read the service's own
	// series.
	for _, g := range strings.Split(ann["prometheus.io/rule"], ",") {
		query, dim, ok := strings.Cut(g, "|")
		if !ok || dim == "" || strings.Contains(dim, "|") {
			t.Errorf("prometheus.io/rule %q: want query|grouping-label", g)
			continue
		}
		job := `job="` + r.app.Name + `"`
		svc := `service="` + r.app.Name + `"`
		name, _, _ := strings.Cut(query, "{")
		if !strings.Contains(query, job) && !(slices.Contains(records, name) && strings.Contains(query, svc)) {
			t.Errorf("prometheus.io/rule %q selects neither %s nor one of the service's recording rules with %s", query, job, svc)
		}
	}

	if ann["backstage.io/techdocs-ref"] != "dir:." {
		t.Errorf("backstage.io/techdocs-ref %q, want dir:. (mkdocs.yml beside the catalog file)", ann["backstage.io/techdocs-ref"])
	}
	var mk struct {
		DocsDir string              `json:"docs_dir"`
		Nav     []map[string]string `json:"nav"`
		Plugins []string            `json:"plugins"`
	}
	if err := yaml.Unmarshal(r.file(t, "mkdocs.yml"), &mk); err != nil {
		t.Fatalf("mkdocs.yml: %v", err)
	}
	if !slices.Contains(mk.Plugins, "techdocs-core") {
		t.Errorf("mkdocs.yml plugins %v: TechDocs needs techdocs-core", mk.Plugins)
	}
	for _, page := range mk.Nav {
		for _, p := range page {
			if _, ok := r.files[mk.DocsDir+"/"+p]; !ok {
				t.Errorf("mkdocs.yml nav names %s/%s, which is not rendered", mk.DocsDir, p)
			}
		}
	}

	slug, _, onGitHub := r.app.GitHubRepo()
	want := ""
	if onGitHub {
		want = "url:https://github.com/" + slug + "/tree/main/"
		if r.app.Module == "github.com/acme/platform/services/orders" {
			want += "services/orders/"
		}
	}
	if got := ann["backstage.io/source-location"]; got != want {
		t.Errorf("backstage.io/source-location %q, want %q (none off GitHub: Backstage derives it from where the file is registered)", got, want)
	}
	if got := ann["github.com/project-slug"]; got != slug {
		t.Errorf("github.com/project-slug %q, want %q", got, slug)
	}
}

// renderModule renders the reference API as the service orders with the
// given module path, as the name of the test case.
func renderModule(t *testing.T, name, module string) rendered {
	t.Helper()
	in, err := pipeline.Reference("orders", module, "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pipeline.Generate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	app, files := out.App, out.Files
	return rendered{name: name, app: app, files: files}
}
