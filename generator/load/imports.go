package load

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bufbuild/protocompile/ast"
	"github.com/bufbuild/protocompile/parser"
	"github.com/bufbuild/protocompile/reporter"
)

// checkImports follows the inputs' imports through the roots before
// anything is compiled, so that every import that cannot be resolved is
// reported in one run (the compiler stops at the first), and so that a
// --proto folder below the files' real import root is named as the cause
// instead of a screen of "already defined" errors. Files that do not parse
// are left to the compiler, which reports them with their positions.
func checkImports(in Input) ErrorList {
	where := (&resolver{roots: in.Roots}).where()
	// byAbs maps a file on disk to the import path it was first reached by.
	byAbs := map[string]string{}
	inputs := map[string]file{} // by absolute path: the input files on disk
	var errs ErrorList
	seen := map[string]bool{}
	queue := []string{}
	find := func(path string) (file, []byte, bool) {
		for _, r := range in.Roots {
			b, err := fs.ReadFile(r.FS, path)
			if err == nil {
				return file{root: r, path: path}, b, true
			}
		}
		return file{}, nil, false
	}
	for _, p := range in.Files {
		if f, _, ok := find(p); ok && f.root.abs != "" {
			inputs[f.abs()] = f
		}
		seen[p] = true
		queue = append(queue, p)
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		f, src, ok := find(p)
		if !ok {
			continue // an input that is missing, or a built-in: Load reports it
		}
		if f.root.abs != "" {
			abs := f.abs()
			if other, dup := byAbs[abs]; dup && other != p {
				errs = append(errs, &Error{File: f.display(), Msg: fmt.Sprintf(
					"this file is reached both as %q and as %q, and one file cannot have two import paths: %s; %s",
					other, p, hint(inputs, abs, p), "then every file is known by the path its imports use")})
				continue
			}
			byAbs[abs] = p
		}
		node, err := parser.Parse(p, bytes.NewReader(src), reporter.NewHandler(nil))
		if err != nil {
			continue
		}
		for _, decl := range node.Decls {
			imp, ok := decl.(*ast.ImportNode)
			if !ok {
				continue
			}
			name := imp.Name.AsString()
			if seen[name] {
				continue
			}
			seen[name] = true
			if IsBuiltin(name) {
				continue
			}
			if _, _, ok := find(name); ok {
				queue = append(queue, name)
				continue
			}
			pos := node.NodeInfo(imp.Name).Start()
			msg := notFoundError{path: name, where: where}.Error()
			// Sorted, so that the same input gets the same message.
			for _, abs := range slices.Sorted(maps.Keys(inputs)) {
				if strings.HasSuffix(filepath.ToSlash(abs), "/"+name) {
					msg = fmt.Sprintf("import %q not found, but it is %s, an input: %s", name, inputs[abs].display(), hint(inputs, abs, name))
					break
				}
			}
			errs = append(errs, &Error{File: f.display(), Line: pos.Line, Col: pos.Col, Msg: msg})
		}
	}
	return errs
}

// hint says how to pass a file that imports know as importPath, when it
// was given below another root: the folder that importPath is relative to
// is the import root.
func hint(inputs map[string]file, abs, importPath string) string {
	slashed := filepath.ToSlash(abs)
	if !strings.HasSuffix(slashed, "/"+importPath) {
		return "pass the folder the imports are relative to with -I DIR and the files below it with --proto"
	}
	root := displayPath(filepath.FromSlash(strings.TrimSuffix(slashed, "/"+importPath)))
	given := ""
	if f, ok := inputs[abs]; ok {
		given = fmt.Sprintf(" instead of --proto %s", f.root.Dir)
	}
	return fmt.Sprintf("the files' import root is %s, a folder above the one given: pass --proto %s (or -I %s with --proto FILE)%s",
		root, root, root, given)
}

// file is a .proto file found in a root.
type file struct {
	root Root
	path string
}

func (f file) abs() string { return filepath.Join(f.root.abs, filepath.FromSlash(f.path)) }

func (f file) display() string {
	return Source{Path: f.path, Root: f.root}.DisplayPath()
}
