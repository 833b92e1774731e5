package render

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/new-service/new-service/generator/fixtures"
	"github.com/new-service/new-service/generator/internal/prototest"
	"github.com/new-service/new-service/generator/load"
	"github.com/new-service/new-service/generator/model"
	refproto "github.com/new-service/new-service/proto"
	svctemplate "github.com/new-service/new-service/template"
)

// tree copies the embedded template tree into memory, for a test to break.
func tree(t *testing.T) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(svctemplate.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(svctemplate.FS, p)
		out[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func reference(t *testing.T) (*model.App, *fixtures.Fixtures) {
	t.Helper()
	res, app := prototest.Build(t, load.Root{FS: refproto.FS, Dir: refproto.Dir}, model.Options{Name: "orders", Module: "example.com/orders"}, refproto.Files()...)
	fx, err := fixtures.For(res, app)
	if err != nil {
		t.Fatal(err)
	}
	return app, fx
}

// TestBrokenTree proves that a broken template tree is an error that
// names the template and the problem, at parse or at render, never a
// panic.
func TestBrokenTree(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(fstest.MapFS)
		// atParse is whether parse reports it; otherwise render does.
		atParse bool
		want    []string
	}{
		{"syntax error", func(m fstest.MapFS) { m["files/Dockerfile.tmpl"].Data = []byte("FROM {{.App.Name") }, true,
			[]string{"Dockerfile.tmpl:1", "unclosed action"}},
		{"missing template", func(m fstest.MapFS) { delete(m, "files/Dockerfile.tmpl") }, true,
			[]string{"template Dockerfile.tmpl"}},
		{"template not in the table", func(m fstest.MapFS) { m["files/extra.yaml.tmpl"] = &fstest.MapFile{Data: []byte("x")} }, true,
			[]string{"template extra.yaml.tmpl is not in the render table"}},
		{"unknown field", func(m fstest.MapFS) { m["files/Dockerfile.tmpl"].Data = []byte("FROM {{.App.NoSuchField}}") }, false,
			[]string{`render "Dockerfile"`, "NoSuchField"}},
		{"Go that does not parse", func(m fstest.MapFS) {
			m["files/internal/certs/certs.go.tmpl"].Data = []byte("package certs\n\nfunc {\n")
		}, false, []string{`render "internal/certs/certs.go": rendered Go does not parse`, "   3  func {"}},
	}
	app, fx := reference(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tree(t)
			tt.break_(m)
			r, err := parse(m)
			if !tt.atParse {
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				_, err = r.render(app, fx)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestOwners proves every rendered path has the owner the table gives it,
// and that only generated files carry the header.
func TestOwners(t *testing.T) {
	files, err := Render(reference(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path string
		want Owner
	}{
		{"go.mod", Module},
		{"go.sum", ModuleSum},
		{"proto/acme/orders/v1/orders.proto", Input},
		{"internal/server/server.go", Generated},
		{"internal/handler/orderservice/service.go", Scaffolded},
		{"new-service.yaml", Scaffolded},
		{"third_party/proto/google/api/annotations.proto", Generated},
	} {
		f, ok := files[tt.path]
		if !ok {
			t.Errorf("%s: not rendered", tt.path)
			continue
		}
		if f.Owner != tt.want {
			t.Errorf("%s: owner %v, want %v", tt.path, f.Owner, tt.want)
		}
	}
	for p, f := range files {
		if has := strings.Contains(string(f.Content[:min(len(f.Content), 200)]), Header); f.Owner != Generated && has {
			t.Errorf("%s: %v, but carries the generated-file header", p, f.Owner)
		}
		// The renderer adds the header; a template that writes its own
		// makes it appear twice.
		if n := strings.Count(string(f.Content), "// "+Header); n > 1 {
			t.Errorf("%s: the generated-file header appears %d times", p, n)
		}
	}
}

// TestGitAttributes proves .gitattributes marks every generated file and
// none of the user's.
func TestGitAttributes(t *testing.T) {
	files, err := Render(reference(t))
	if err != nil {
		t.Fatal(err)
	}
	marked := map[string]bool{}
	for _, line := range strings.Split(string(files[GitAttributes].Content), "\n") {
		if p, ok := strings.CutSuffix(line, " linguist-generated"); ok {
			marked[strings.TrimPrefix(p, "/")] = true
		}
	}
	for p, f := range files {
		covered := marked[p] || (strings.HasPrefix(p, thirdParty) && marked[thirdParty+"**"])
		if f.Owner == Generated && !covered {
			t.Errorf("%s is generated but not marked", p)
		}
		if f.Owner != Generated && marked[p] {
			t.Errorf("%s is %v but marked generated", p, f.Owner)
		}
	}
}

func TestModuleDir(t *testing.T) {
	app := &model.App{Module: "example.com/orders"}
	tests := []struct {
		name, importPath, want string
		wantErr                bool
	}{
		{name: "handler", importPath: "example.com/orders/internal/handler/orderservice", want: "internal/handler/orderservice"},
		{name: "other module", importPath: "example.com/ordersv2/internal/handler/x", wantErr: true},
		{name: "the module itself", importPath: "example.com/orders", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := moduleDir(app, model.GoPackage{ImportPath: tt.importPath})
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("moduleDir(%q) = %q, %v; want %q (error: %v)", tt.importPath, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
