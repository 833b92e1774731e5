package model

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/new-service/new-service/generator/load"
)

// goPackages gives each of the service's own files its Go package: the
// folder of the file below <module>/gen (see [goDir]), named as the file's
// go_package says, else as a file of the same folder that has a go_package
// says, else after the proto package. Files of one folder must agree on the
// name.
func (b *builder) goPackages(own []protoreflect.FileDescriptor) map[string]GoPackage {
	declared := map[string]protoreflect.FileDescriptor{} // by folder: the first file with a go_package
	for _, fd := range own {
		if dir := path.Dir(fd.Path()); hasGoPackage(fd) && declared[dir] == nil {
			declared[dir] = fd
		}
	}
	goPkgs := map[string]GoPackage{} // by import path of the .proto file
	first := map[string]protoreflect.FileDescriptor{}
	for _, fd := range own {
		dir := path.Dir(fd.Path())
		named := fd
		if !hasGoPackage(fd) && declared[dir] != nil {
			named = declared[dir]
		}
		gp := GoPackage{ImportPath: b.opts.Module + "/gen", Name: goPackageName(named)}
		if dir != "." {
			gp.ImportPath += "/" + goDir(dir)
		}
		if f, ok := first[dir]; !ok {
			first[dir] = fd
		} else if goPkgs[f.Path()].Name != gp.Name {
			b.goPackageErrorf(fd, "Go package %q differs from %q of %s in the same folder; files in one folder share a Go package: give them the same go_package name or move this file to its own folder",
				gp.Name, goPkgs[f.Path()].Name, b.res.DisplayPath(f.Path()))
		}
		goPkgs[fd.Path()] = gp
	}
	return goPkgs
}

// goDir is the folder below gen/ that holds the Go code of a proto folder:
// the same path, except that an element the go command would not build as
// an ordinary importable package gets an underscore after it (internal_,
// vendor_, testdata_: internal/ is importable only from below its parent,
// the others are skipped), or in place of a leading "." or "_" (skipped by
// ./...): examples/internal/proto -> examples/internal_/proto. Characters
// a Go import path cannot hold become "_".
func goDir(dir string) string {
	elems := strings.Split(dir, "/")
	for i, elem := range elems {
		elem = strings.Map(func(r rune) rune {
			if r < 0x80 && (r == '-' || r == '.' || r == '_' || r == '~' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return r
			}
			return '_'
		}, elem)
		switch {
		case elem == "internal", elem == "vendor", elem == "testdata":
			elem += "_"
		case strings.HasPrefix(elem, "."), strings.HasPrefix(elem, "_"):
			elem = strings.TrimLeft(elem, "._") + "_"
		}
		elems[i] = elem
	}
	return strings.Join(elems, "/")
}

func hasGoPackage(fd protoreflect.FileDescriptor) bool {
	return fd.Options().(*descriptorpb.FileOptions).GetGoPackage() != ""
}

// goPackageErrorf records a problem with a file's Go package, at its
// go_package option when it has one.
func (b *builder) goPackageErrorf(fd protoreflect.FileDescriptor, format string, args ...any) {
	// FileDescriptorProto.options (8), FileOptions.go_package (11).
	loc := fd.SourceLocations().ByPath(protoreflect.SourcePath{8, 11})
	if !hasGoPackage(fd) || loc.StartLine == 0 && loc.StartColumn == 0 {
		b.errorf(fd, format, args...)
		return
	}
	b.add(position{file: b.res.DisplayPath(fd.Path()), line: loc.StartLine + 1, col: loc.StartColumn + 1}, fmt.Sprintf(format, args...))
}

// checkImportCycles reports Go import cycles between the service's own
// folders. Proto imports never cycle between files, but the Go packages
// they become are whole folders: when a file of folder A imports one of
// folder B and a file of B imports one of A, Go refuses to build either.
func (b *builder) checkImportCycles(own []protoreflect.FileDescriptor) {
	type edge struct {
		from protoreflect.FileDescriptor
		to   string // the imported file's path
		idx  int    // the import's index in from
	}
	// edges[a][b] is the first file import that makes folder a import folder b.
	edges := map[string]map[string]edge{}
	var dirs []string
	for _, fd := range own {
		from := path.Dir(fd.Path())
		if edges[from] == nil {
			edges[from] = map[string]edge{}
			dirs = append(dirs, from)
		}
		imports := fd.Imports()
		for i := range imports.Len() {
			imp := imports.Get(i).Path()
			to := path.Dir(imp)
			if _, seen := edges[from][to]; to != from && !load.IsBuiltin(imp) && !seen {
				edges[from][to] = edge{from: fd, to: imp, idx: i}
			}
		}
	}
	slices.Sort(dirs)
	// A depth-first search; a folder on the stack reached again closes a
	// cycle, reported once at the import that closes it.
	const (
		unvisited = iota
		onStack
		done
	)
	state := map[string]int{}
	var stack []edge
	var visit func(dir string)
	visit = func(dir string) {
		state[dir] = onStack
		targets := make([]string, 0, len(edges[dir]))
		for to := range edges[dir] {
			targets = append(targets, to)
		}
		slices.Sort(targets)
		for _, to := range targets {
			e := edges[dir][to]
			switch state[to] {
			case unvisited:
				stack = append(stack, e)
				visit(to)
				stack = stack[:len(stack)-1]
			case onStack:
				cycle := []edge{e}
				for i := len(stack) - 1; i >= 0 && path.Dir(cycle[0].from.Path()) != to; i-- {
					cycle = append([]edge{stack[i]}, cycle...)
				}
				var chain []string
				for _, c := range cycle {
					chain = append(chain, fmt.Sprintf("%s imports %s", c.from.Path(), c.to))
				}
				imp := fmt.Sprintf("import %q", e.to)
				b.importErrorf(e.from, e.idx, "%s: the Go packages of folders %s/ and %s/ would import each other (%s), and Go forbids import cycles; move the files that %s/ needs from %s/ to a folder of their own, so that they become a Go package of their own",
					imp, dir, to, strings.Join(chain, ", "), dir, to)
			}
		}
		state[dir] = done
	}
	for _, dir := range dirs {
		if state[dir] == unvisited {
			visit(dir)
		}
	}
}

// importErrorf records a problem at a file's import statement.
func (b *builder) importErrorf(fd protoreflect.FileDescriptor, idx int, format string, args ...any) {
	// FileDescriptorProto.dependency (3).
	loc := fd.SourceLocations().ByPath(protoreflect.SourcePath{3, int32(idx)})
	if loc.StartLine == 0 && loc.StartColumn == 0 {
		b.errorf(fd, format, args...)
		return
	}
	b.add(position{file: b.res.DisplayPath(fd.Path()), line: loc.StartLine + 1, col: loc.StartColumn + 1}, fmt.Sprintf(format, args...))
}
