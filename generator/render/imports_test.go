package render

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/new-service/new-service/generator/model"
)

// TestMarkersCoverEveryPackage walks the marked App by reflection: every
// GoPackage in it must carry a marker, or a template could write a model
// alias that the per-file pass does not see. A new field holding a
// GoPackage that markAliases does not copy fails here.
func TestMarkersCoverEveryPackage(t *testing.T) {
	app, _ := reference(t)
	m := markAliases(app)
	var seen int
	walkPackages(reflect.ValueOf(m.app), func(where string, p model.GoPackage) {
		seen++
		if p.Alias != "" && !markerRE.MatchString(p.Alias) {
			t.Errorf("%s: %s has alias %q, not a marker; markAliases must copy it", where, p.ImportPath, p.Alias)
		}
	})
	if seen < 4 {
		t.Fatalf("walked %d packages; is the walk broken?", seen)
	}
	walkPackages(reflect.ValueOf(app), func(where string, p model.GoPackage) {
		if markerRE.MatchString(p.Alias) {
			t.Errorf("%s: markAliases changed the model's own alias of %s", where, p.ImportPath)
		}
	})
}

func walkPackages(v reflect.Value, visit func(where string, p model.GoPackage)) {
	var walk func(v reflect.Value, where string)
	seen := map[uintptr]bool{}
	walk = func(v reflect.Value, where string) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			walk(v.Elem(), where)
		case reflect.Struct:
			if p, ok := v.Interface().(model.GoPackage); ok {
				visit(where, p)
				return
			}
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i), where+"."+v.Type().Field(i).Name)
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i), where+"["+strconv.Itoa(i)+"]")
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(v.MapIndex(k), where+"["+k.String()+"]")
			}
		}
	}
	walk(v, "App")
}

// TestImportNamesAvoidEveryIdentifier renders the reference service and,
// for every lower-case identifier its Go files use where they import the
// model's packages, names every one of those packages after it, as a
// user's package so named would be. Each file must then import them under
// names that nothing else in the file or its package declares. The
// identifiers are read from the rendered output, so an identifier a
// template starts using is covered without a change here.
func TestImportNamesAvoidEveryIdentifier(t *testing.T) {
	r, err := parsed()
	if err != nil {
		t.Fatal(err)
	}
	app, fx := reference(t)
	marked, gf, err := r.renderTemplates(app, fx)
	if err != nil {
		t.Fatal(err)
	}
	idents := markedFileIdents(t, marked)
	if len(idents) < 50 {
		t.Fatalf("found only %d identifiers in the rendered files; is the scan broken?", len(idents))
	}
	scanned, err := gf.scan()
	if err != nil {
		t.Fatal(err)
	}
	if len(scanned) < 3 {
		t.Fatalf("found only %d files importing the model's packages; is the scan broken?", len(scanned))
	}
	taken := takenNames(t, marked, nil)
	for _, ident := range idents {
		all := slices.Repeat([]string{ident}, len(gf.preferred))
		for _, f := range scanned {
			names := f.names(all)
			seen := map[string]bool{}
			for _, n := range f.markers {
				name := names[n]
				if why, ok := taken[f.path][name]; ok {
					t.Errorf("%s: %s imports a package as %s, which %s", ident, f.path, name, why)
				}
				if seen[name] {
					t.Errorf("%s: %s imports two packages as %s", ident, f.path, name)
				}
				seen[name] = true
			}
		}
	}
}

// forceAliases gives the App's packages the aliases names, in turn, as if
// the user's packages were so named.
func forceAliases(app *model.App, names []string) {
	alias := map[string]string{}
	for _, ps := range [][]model.GoPackage{app.Packages(), app.MessagePackages(), app.Handlers()} {
		for _, p := range ps {
			if _, ok := alias[p.ImportPath]; !ok {
				alias[p.ImportPath] = names[len(alias)%len(names)]
			}
		}
	}
	set := func(p *model.GoPackage) {
		if a, ok := alias[p.ImportPath]; ok {
			p.Alias = a
		}
	}
	for i := range app.Protos {
		set(&app.Protos[i].Go)
	}
	for _, s := range app.Services {
		set(&s.Go)
		set(&s.Handler)
		for _, m := range s.Methods {
			set(&m.Input.Package)
			set(&m.Output.Package)
		}
	}
}

// TestImportNamesRendered renders the reference service with its packages
// named like identifiers the template uses, and checks the rendered files
// by parsing them: each file imports them under names of their own.
// TestImportNamesCompile builds such a service.
func TestImportNamesRendered(t *testing.T) {
	for _, names := range [][]string{
		{"ctx", "err", "server", "metrics"},
		{"grpc", "status", "runtime", "deps"},
		{"s", "d", "req", "stream"},
	} {
		t.Run(strings.Join(names, ","), func(t *testing.T) {
			app, fx := reference(t)
			forceAliases(app, names)
			files, err := Render(app, fx)
			if err != nil {
				t.Fatal(err)
			}
			ours := map[string]bool{}
			for _, ps := range [][]model.GoPackage{app.Packages(), app.MessagePackages(), app.Handlers()} {
				for _, p := range ps {
					ours[p.ImportPath] = true
				}
			}
			taken := takenNames(t, files, ours)
			for _, p := range files.Paths() {
				if path.Ext(p) != ".go" {
					continue
				}
				if markerRE.Match(files[p].Content) {
					t.Errorf("%s still holds a marker", p)
				}
				seen := map[string]bool{}
				for _, imp := range parseGo(t, p, files[p].Content).Imports {
					ip, _ := strconv.Unquote(imp.Path.Value)
					if !ours[ip] {
						continue
					}
					name := imp.Name.Name
					if why, ok := taken[p][name]; ok {
						t.Errorf("%s imports %s as %s, which %s", p, ip, name, why)
					}
					if seen[name] {
						t.Errorf("%s imports two packages as %s", p, name)
					}
					seen[name] = true
				}
			}
		})
	}
	// The reference service's own names are kept where nothing clashes.
	files, err := Render(reference(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(files["internal/server/register.go"].Content); !strings.Contains(got, "ordersv1.RegisterOrderServiceServer(s, orderservice.New(d))") {
		t.Errorf("register.go does not import the packages under their model aliases:\n%s", got)
	}
}

// takenNames returns, for each Go file, the names an import of the model's
// packages must not have, and why: found by declarations, not by the
// pass's own rule. A name is taken when the file declares it anywhere (so
// it would shadow the import), another import binds it, or a file of the
// package declares it at package level.
func takenNames(t *testing.T, files Files, ours map[string]bool) map[string]map[string]string {
	t.Helper()
	type pkgKey struct{ dir, name string }
	topLevel := map[pkgKey]map[string]string{}
	parsed := map[string]*ast.File{}
	for _, p := range files.Paths() {
		if path.Ext(p) != ".go" {
			continue
		}
		f := parseGo(t, p, files[p].Content)
		parsed[p] = f
		k := pkgKey{path.Dir(p), f.Name.Name}
		if topLevel[k] == nil {
			topLevel[k] = map[string]string{}
		}
		for _, name := range packageLevel(f) {
			topLevel[k][name] = p + " declares at package level"
		}
	}
	out := map[string]map[string]string{}
	for p, f := range parsed {
		taken := maps.Clone(topLevel[pkgKey{path.Dir(p), f.Name.Name}])
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Obj != nil && id.Obj.Kind != ast.Pkg && !markerRE.MatchString(id.Name) {
				taken[id.Obj.Name] = "the file declares"
			}
			return true
		})
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case ours[ip]:
			case imp.Name == nil:
				taken[path.Base(ip)] = "another import binds"
			case !markerRE.MatchString(imp.Name.Name):
				taken[imp.Name.Name] = "another import binds"
			}
		}
		out[p] = taken
	}
	return out
}

// markedFileIdents returns the lower-case identifiers of the Go files that
// hold import markers, and the package-level names of their packages.
func markedFileIdents(t *testing.T, files Files) []string {
	t.Helper()
	names := map[string]bool{}
	dirs := map[string]bool{}
	for _, p := range files.Paths() {
		if path.Ext(p) == ".go" && markerRE.Match(files[p].Content) {
			dirs[path.Dir(p)] = true
			f := parseGo(t, p, files[p].Content)
			ast.Inspect(f, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && id != f.Name && unicode.IsLower([]rune(id.Name)[0]) && !markerRE.MatchString(id.Name) {
					names[id.Name] = true
				}
				return true
			})
		}
	}
	for _, p := range files.Paths() {
		if path.Ext(p) == ".go" && dirs[path.Dir(p)] {
			for _, name := range packageLevel(parseGo(t, p, files[p].Content)) {
				if unicode.IsLower([]rune(name)[0]) {
					names[name] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(names))
}

func parseGo(t *testing.T, p string, src []byte) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), p, src, 0)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return f
}
