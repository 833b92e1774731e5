package render

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/new-service/new-service/generator/model"
)

// Import names are allocated per rendered Go file, as protogen's
// GeneratedFile.QualifiedGoIdent does for protoc plugins: a template writes
// a package's model alias ({{.Go.Alias}}, {{.Input.Ref}}), and each file
// imports the package under the first name that nothing else in the file,
// and no package-level name of the file's package, uses. A template may
// then declare any identifier it likes without checking a list: a user's
// package named like it is imported under another name in that file.
//
// Go files are rendered from a copy of the App whose aliases are markers,
// identifiers no template writes (ǂ0ǂ, ǂ1ǂ, ...), so that the pass knows
// exactly which identifiers of the output are the package: the template's
// own identifiers are never renamed, even when they shadow the package's
// preferred name. The pass then picks each file's names and replaces the
// markers.

// mark delimits a marker. It is a letter, so a marker is an identifier and
// the rendered file parses. No template holds it and proto names are ASCII;
// only a proto comment copied into a Go comment could spell a marker, and
// would see it replaced by a package name.
const mark = "ǂ"

var markerRE = regexp.MustCompile(mark + `[0-9]+` + mark)

// markers is the App as Go templates see it: every GoPackage's Alias
// replaced by a marker, and the preferred name of each marker.
type markers struct {
	app       *model.App
	services  map[*model.Service]*model.Service
	methods   map[*model.Method]*model.Method
	preferred []string // by marker number: the model's alias
}

// markAliases returns a copy of app whose Go package aliases are markers.
// The model's own values are left as they are. Every GoPackage the App
// holds is copied here; TestMarkersCoverEveryPackage fails when a new field
// holds one that is not.
func markAliases(app *model.App) *markers {
	m := &markers{services: map[*model.Service]*model.Service{}, methods: map[*model.Method]*model.Method{}}
	byPath := map[string]string{}
	pkg := func(p model.GoPackage) model.GoPackage {
		if p.Alias == "" { // not imported by name: a third-party proto's
			return p
		}
		marker, ok := byPath[p.ImportPath]
		if !ok {
			marker = markerName(len(m.preferred))
			byPath[p.ImportPath] = marker
			m.preferred = append(m.preferred, p.Alias)
		}
		p.Alias = marker
		return p
	}
	a := *app
	a.Protos = make([]model.ProtoFile, len(app.Protos))
	for i, f := range app.Protos {
		f.Go = pkg(f.Go)
		a.Protos[i] = f
	}
	a.Services = make([]*model.Service, len(app.Services))
	for i, s := range app.Services {
		c := *s
		c.Go, c.Handler = pkg(s.Go), pkg(s.Handler)
		c.Methods = make([]*model.Method, len(s.Methods))
		for j, meth := range s.Methods {
			mc := *meth
			mc.Input.Package, mc.Output.Package = pkg(meth.Input.Package), pkg(meth.Output.Package)
			c.Methods[j] = &mc
			m.methods[meth] = &mc
		}
		a.Services[i] = &c
		m.services[s] = &c
	}
	m.app = &a
	return m
}

// data returns d as a Go template sees it: the same service and method of
// the marked App.
func (m *markers) data(d data) data {
	d.App = m.app
	if d.Service != nil {
		d.Service = m.services[d.Service]
	}
	if d.Method != nil {
		d.Method = m.methods[d.Method]
	}
	return d
}

// goFiles are the syntax trees of a render's Go files, parsed once: to be
// formatted, and to name the imports of the files that hold markers.
type goFiles struct {
	fset      *token.FileSet
	files     map[string]*ast.File
	marked    map[string]bool // files that hold markers
	preferred []string        // by marker number: the model's alias
}

// add parses a rendered Go file and returns it gofmt'd, or as it is if it
// holds markers: [goFiles.nameImports] formats it once named. Source that
// does not parse is a template bug; the error shows the numbered source.
func (g *goFiles) add(p string, src []byte) ([]byte, error) {
	f, err := parser.ParseFile(g.fset, p, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("render %q: rendered Go does not parse: %w\n%s", p, err, numbered(src))
	}
	g.files[p] = f
	if bytes.Contains(src, []byte(mark)) {
		g.marked[p] = true
		return src, nil
	}
	return g.format(p, f)
}

// format prints f as gofmt does: imports sorted, gofmt's printer settings.
// go/format.Node would print a file with an import block twice to sort a
// copy; the tree is ours to sort.
func (g *goFiles) format(p string, f *ast.File) ([]byte, error) {
	ast.SortImports(g.fset, f)
	var buf bytes.Buffer
	if err := gofmt.Fprint(&buf, g.fset, f); err != nil {
		return nil, fmt.Errorf("render %q: format: %w", p, err)
	}
	return buf.Bytes(), nil
}

// gofmt is go/format's printer configuration; 1<<30 is its (and gofmt's)
// unexported mode that normalizes number literals.
var gofmt = printer.Config{Mode: printer.UseSpaces | printer.TabIndent | 1<<30, Tabwidth: 8}

// nameImports names the imports of every Go file that holds markers,
// replaces the markers with the names (in identifiers, comments and
// strings) and formats the file.
func (g *goFiles) nameImports(files Files) error {
	scanned, err := g.scan()
	if err != nil {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(g.marked)) {
		names := scanned[p].names(g.preferred)
		rename := func(s string) string {
			if !strings.Contains(s, mark) {
				return s
			}
			return markerRE.ReplaceAllStringFunc(s, func(m string) string {
				n, _ := strconv.Atoi(strings.Trim(m, mark))
				if name, ok := names[n]; ok {
					return name
				}
				// A package the file does not import: the build will say
				// so, under the package's preferred name.
				return g.preferred[n]
			})
		}
		f := g.files[p]
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Ident:
				n.Name = rename(n.Name)
			case *ast.BasicLit:
				n.Value = rename(n.Value)
			}
			return true
		})
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				c.Text = rename(c.Text)
			}
		}
		content, err := g.format(p, f)
		if err != nil {
			return err
		}
		rf := files[p]
		if rf.Owner == Generated {
			content = withHeader(p, content)
		}
		rf.Content = content
		files[p] = rf
	}
	return nil
}

func markerName(n int) string { return mark + strconv.Itoa(n) + mark }

// markedFile is a rendered Go file that imports packages under markers.
type markedFile struct {
	path string
	// used are the names its imports may not take (see usedNames), and the
	// package-level names of its package.
	used map[string]bool
	// markers are the marker numbers of its imports, in source order.
	markers []int
}

// names allocates the file's import names: each marker its preferred name,
// or the first numbered one (ordersv12, ordersv13) nothing else takes.
func (f markedFile) names(preferred []string) map[int]string {
	used := maps.Clone(f.used)
	out := map[int]string{}
	for _, n := range f.markers {
		name := freeName(preferred[n], used)
		used[name] = true
		out[n] = name
	}
	return out
}

// scan returns, by path, the Go files that import packages under markers,
// with the names their imports may not take.
func (g *goFiles) scan() (map[string]markedFile, error) {
	type pkgKey struct{ dir, name string }
	paths := slices.Sorted(maps.Keys(g.files))
	// Package-level names, by package: a file's import name may not be one
	// of them, in whichever file of the package it is declared.
	topLevel := map[pkgKey][]string{}
	for _, p := range paths {
		f := g.files[p]
		k := pkgKey{path.Dir(p), f.Name.Name}
		topLevel[k] = append(topLevel[k], packageLevel(f)...)
	}
	out := map[string]markedFile{}
	for _, p := range paths {
		f := g.files[p]
		var markers []int
		for _, imp := range f.Imports {
			if imp.Name == nil || !markerRE.MatchString(imp.Name.Name) {
				continue
			}
			n, err := strconv.Atoi(strings.Trim(imp.Name.Name, mark))
			if err != nil || n >= len(g.preferred) {
				return nil, fmt.Errorf("render %q: unknown import marker %s", p, imp.Name.Name)
			}
			markers = append(markers, n)
		}
		if markers == nil {
			continue
		}
		mf := markedFile{path: p, used: usedNames(f), markers: markers}
		for _, name := range topLevel[pkgKey{path.Dir(p), f.Name.Name}] {
			mf.used[name] = true
		}
		out[p] = mf
	}
	return out, nil
}

// freeName returns preferred, or preferred2, preferred3, ... if that is
// used.
func freeName(preferred string, used map[string]bool) string {
	name := preferred
	for n := 2; used[name]; n++ {
		name = preferred + strconv.Itoa(n)
	}
	return name
}

// usedNames returns every name an import of f may not take: each
// identifier f spells other than a marker and its package clause (which
// declares nothing in scope), the names its other imports bind, Go's
// keywords and predeclared identifiers. Counting every identifier, even a
// field or method name that could not clash, keeps the rule simple and
// safe; the cost is at most a numbered name.
func usedNames(f *ast.File) map[string]bool {
	used := map[string]bool{}
	for _, name := range types.Universe.Names() {
		used[name] = true
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			if n != f.Name && !markerRE.MatchString(n.Name) {
				used[n.Name] = true
			}
		case *ast.ImportSpec:
			if n.Name == nil {
				p, _ := strconv.Unquote(n.Path.Value)
				for _, name := range impliedNames(p) {
					used[name] = true
				}
			}
		}
		return true
	})
	return used
}

// impliedNames returns the names an import without a name may bind: the
// last path element, the one before a major version suffix (/v2), and
// those with a gopkg.in version (.v3) or a "go-" prefix removed. Over-
// counting is safe: a package's real name is among them.
func impliedNames(importPath string) []string {
	elems := strings.Split(importPath, "/")
	last := elems[len(elems)-1]
	out := []string{last}
	if len(elems) > 1 && versionSuffix.MatchString(last) {
		out = append(out, elems[len(elems)-2])
	}
	for _, e := range slices.Clone(out) {
		if i := strings.Index(e, ".v"); i > 0 {
			out = append(out, e[:i])
		}
		out = append(out, strings.TrimPrefix(e, "go-"), strings.ReplaceAll(e, "-", "_"))
	}
	return out
}

var versionSuffix = regexp.MustCompile(`^v[0-9]+$`)

// packageLevel returns the names f declares at package level: its
// functions (not methods), types, variables and constants.
func packageLevel(f *ast.File) []string {
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				out = append(out, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					out = append(out, s.Name.Name)
				case *ast.ValueSpec:
					for _, id := range s.Names {
						out = append(out, id.Name)
					}
				}
			}
		}
	}
	return out
}
