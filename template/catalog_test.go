package template_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/new-service/new-service/generator/render"
)

const catalogPath = "catalog-info.yaml"

// entity is the part of a Backstage catalog entity the tests read.
type entity struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Tags        []string `json:"tags"`
	} `json:"metadata"`
	Spec struct {
		Type         string   `json:"type"`
		Lifecycle    string   `json:"lifecycle"`
		Owner        string   `json:"owner"`
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

func TestCatalog(t *testing.T) {
	for _, r := range services(t) {
		t.Run(r.name, func(t *testing.T) {
			if f := r.files[catalogPath]; f.Owner != render.Scaffolded {
				t.Errorf("%s is %v, want scaffolded: the catalog entry is the team's to edit", catalogPath, f.Owner)
			}
			es := catalogEntities(t, r)
			if len(es) != 1+len(r.app.Services) {
				t.Fatalf("%d entities, want a Component and one API per proto service (%d)", len(es), len(r.app.Services))
			}
			owner := r.app.Settings.Owner
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
				if e.Spec.Owner != owner || e.Spec.Lifecycle == "" || e.Metadata.Description == "" {
					t.Errorf("%s %s: owner %q (want %q), lifecycle %q, description %q: all required", e.Kind, e.Metadata.Name, e.Spec.Owner, owner, e.Spec.Lifecycle, e.Metadata.Description)
				}
			}

			c := es[0]
			if c.Kind != "Component" || c.Metadata.Name != r.app.Name || c.Spec.Type != "service" {
				t.Errorf("first entity is %s %q of type %q, want the Component %q of type service", c.Kind, c.Metadata.Name, c.Spec.Type, r.app.Name)
			}
			var apis []string
			for i, s := range r.app.Services {
				a := es[i+1]
				if a.Kind != "API" || a.Spec.Type != "grpc" {
					t.Errorf("entity %d is %s of type %q, want an API of type grpc", i+1, a.Kind, a.Spec.Type)
				}
				if a.Metadata.Name != s.FullName {
					t.Errorf("API %q, want it named after the proto service %q", a.Metadata.Name, s.FullName)
				}
				apis = append(apis, a.Metadata.Name)
				// $text resolves against the catalog file, at the root of
				// the service: the proto must be rendered there.
				ref := a.Spec.Definition.Text
				path := strings.TrimPrefix(ref, "./")
				if _, ok := r.files[path]; !ok || path == ref {
					t.Errorf("API %s: definition $text %q is not a ./relative path to a rendered file", a.Metadata.Name, ref)
				}
				if want := "proto/" + s.File; path != want {
					t.Errorf("API %s: definition %q, want the file that declares the service, %q", a.Metadata.Name, path, want)
				}
				if content := r.files[path].Content; !strings.Contains(string(content), "service "+s.Name+" ") {
					t.Errorf("API %s: %s does not declare service %s", a.Metadata.Name, path, s.Name)
				}
			}
			if got := slices.Sorted(slices.Values(c.Spec.ProvidesAPIs)); !slices.Equal(got, slices.Sorted(slices.Values(apis))) {
				t.Errorf("Component provides %v, want every API entity %v", got, apis)
			}
		})
	}
}
