package model_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"github.com/new-service/new-service/generator/load"
	"github.com/new-service/new-service/generator/model"
	"github.com/new-service/new-service/generator/pipeline"
)

// TestAliasesAvoidTemplateIdentifiers renders the reference service, lists
// the identifiers that could clash with the import name of a generated or
// handler package, and checks that a proto package or service named like
// any of them is imported under another name, so the rendered service still
// compiles.
func TestAliasesAvoidTemplateIdentifiers(t *testing.T) {
	for _, ident := range templateIdentifiers(t) {
		t.Run(ident, func(t *testing.T) {
			src := fmt.Sprintf("syntax = \"proto3\";\npackage %s;\nservice %s { rpc Get(Req) returns (Req); }\nmessage Req {}\n", ident, ident)
			app := build(t, map[string]string{"api.proto": src}, "api.proto")
			var pkgs []model.GoPackage
			pkgs = append(pkgs, app.Packages()...)
			pkgs = append(pkgs, app.MessagePackages()...)
			pkgs = append(pkgs, app.Handlers()...)
			for _, p := range pkgs {
				if p.Alias == ident {
					t.Errorf("%s is imported as %s, an identifier the template declares", p.ImportPath, ident)
				}
			}
		})
	}
}

// templateIdentifiers returns the lower-case identifiers in scope where the
// reference service's Go files use the packages the model names: every
// identifier declared or imported in a file that imports one of them, and
// every package-level identifier of that file's package.
func templateIdentifiers(t *testing.T) []string {
	t.Helper()
	in, err := pipeline.Reference("orders", "example.com/orders", "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := pipeline.Generate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	app, files := r.App, r.Files
	ours := map[string]bool{} // import paths the model aliases
	for _, ps := range [][]model.GoPackage{app.Packages(), app.MessagePackages(), app.Handlers()} {
		for _, p := range ps {
			ours[`"`+p.ImportPath+`"`] = true
		}
	}
	type pkg struct{ dir, name string }
	parsed := map[pkg][]*ast.File{}
	fset := token.NewFileSet()
	for _, p := range files.Paths() {
		if path.Ext(p) != ".go" {
			continue
		}
		f, err := parser.ParseFile(fset, p, files[p].Content, 0)
		if err != nil {
			t.Fatal(err)
		}
		k := pkg{path.Dir(p), f.Name.Name}
		parsed[k] = append(parsed[k], f)
	}
	names := map[string]bool{}
	add := func(id *ast.Ident) {
		if id != nil && id.Name != "_" && unicode.IsLower(rune(id.Name[0])) {
			names[id.Name] = true
		}
	}
	for _, fs := range parsed {
		usesOurs := false
		for _, f := range fs {
			if !slices.ContainsFunc(f.Imports, func(imp *ast.ImportSpec) bool { return ours[imp.Path.Value] }) {
				continue
			}
			usesOurs = true
			for _, imp := range f.Imports {
				if ours[imp.Path.Value] {
					continue
				}
				if imp.Name != nil {
					add(imp.Name)
				} else {
					add(ast.NewIdent(path.Base(strings.Trim(imp.Path.Value, `"`))))
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				for _, id := range declared(n) {
					add(id)
				}
				return true
			})
		}
		if !usesOurs {
			continue
		}
		for _, f := range fs {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Recv == nil {
						add(d.Name)
					}
				case *ast.GenDecl:
					for _, spec := range d.Specs {
						for _, id := range declared(spec) {
							add(id)
						}
					}
				}
			}
		}
	}
	if len(names) < 20 {
		t.Fatalf("found only %d identifiers in the rendered files; is the scan broken?", len(names))
	}
	var out []string
	for n := range names {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// declared returns the identifiers a node declares.
func declared(n ast.Node) []*ast.Ident {
	switch n := n.(type) {
	case *ast.Field:
		return n.Names
	case *ast.ValueSpec:
		return n.Names
	case *ast.TypeSpec:
		return []*ast.Ident{n.Name}
	case *ast.FuncDecl:
		if n.Recv == nil {
			return []*ast.Ident{n.Name}
		}
	case *ast.AssignStmt:
		if n.Tok == token.DEFINE {
			return idents(n.Lhs...)
		}
	case *ast.RangeStmt:
		if n.Tok == token.DEFINE {
			return idents(n.Key, n.Value)
		}
	}
	return nil
}

func idents(exprs ...ast.Expr) []*ast.Ident {
	var out []*ast.Ident
	for _, e := range exprs {
		if id, ok := e.(*ast.Ident); ok {
			out = append(out, id)
		}
	}
	return out
}

// build loads the given files (import path to source) and builds the App
// of the inputs.
func build(t *testing.T, srcs map[string]string, inputs ...string) *model.App {
	t.Helper()
	fsys := fstest.MapFS{}
	for p, src := range srcs {
		fsys[p] = &fstest.MapFile{Data: []byte(src)}
	}
	res, err := load.Load(context.Background(), load.Input{Roots: []load.Root{{FS: fsys, Dir: "testdata"}}, Files: inputs})
	if err != nil {
		t.Fatal(err)
	}
	app, err := model.Build(res, model.Options{Name: "svc", Module: "example.com/svc"})
	if err != nil {
		t.Fatal(err)
	}
	return app
}
