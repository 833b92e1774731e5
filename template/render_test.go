package template_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/new-service/new-service/generator/load"
	"github.com/new-service/new-service/generator/model"
	"github.com/new-service/new-service/generator/pipeline"
	"github.com/new-service/new-service/generator/render"
)

// The tests in this package render services from the template and check
// what no compiler checks: manifests, alert rules, proxy and CI
// configuration. Each runs on the reference API and on a second API of
// another shape (testdata/billing), so nothing holds only for the example.

// rendered is a rendered service, with its model.
type rendered struct {
	name  string
	app   *model.App
	files render.Files
}

// services renders the reference API and the billing API.
func services(t *testing.T) []rendered {
	t.Helper()
	billing, err := load.DirRoot("testdata/billing")
	if err != nil {
		t.Fatal(err)
	}
	orders, err := pipeline.Reference("orders", "example.com/orders", "")
	if err != nil {
		t.Fatal(err)
	}
	inputs := []pipeline.Input{
		orders,
		{Protos: load.Input{Roots: []load.Root{billing}, Files: []string{"acme/billing/v1/billing.proto"}}, Name: "billing", Module: "example.com/billing"},
	}
	var out []rendered
	for _, in := range inputs {
		r, err := pipeline.Generate(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rendered{name: in.Name, app: r.App, files: r.Files})
	}
	return out
}

// ordersWith renders the reference API as name, with its settings changed
// by edit (nil for none).
func ordersWith(t *testing.T, name string, edit func(*model.Settings)) rendered {
	t.Helper()
	in, err := pipeline.Reference("orders", "example.com/orders", "")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(in.Settings)
	}
	r, err := pipeline.Generate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return rendered{name: name, app: r.App, files: r.Files}
}

// file returns a rendered file's content, failing the test if it is not
// rendered.
func (r rendered) file(t *testing.T, path string) []byte {
	t.Helper()
	f, ok := r.files[path]
	if !ok {
		t.Fatalf("%s: %s is not rendered", r.name, path)
	}
	return f.Content
}

// writeTo writes the rendered files below dir, for tools that read files.
func (r rendered) writeTo(t *testing.T, dir string) {
	t.Helper()
	for p, f := range r.files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
