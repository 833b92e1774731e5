// Package load compiles .proto files in process (with
// github.com/bufbuild/protocompile) into linked descriptors, so that every
// problem is reported as file:line:col against the user's own file.
//
// Imports are searched in the input's roots, in order. The well-known types
// and the shared protos real APIs import (googleapis' google/api, google/rpc,
// google/type and google/longrunning, grpc-gateway's openapiv2 options,
// protovalidate's and protoc-gen-validate's rules; see [Builtin]) are always
// available: they come from the descriptors compiled into new-service, so no
// download or Buf Schema Registry is needed. What the user names as an input
// is the user's, whatever its path: Google's own APIs live under google/.
package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxErrors bounds how many problems one run reports; past it the rest are
// usually follow-on errors of the first ones.
const maxErrors = 20

// Source is a .proto file read from one of the roots.
type Source struct {
	// Path is the import path, relative to Root.
	Path string
	// Root is where the file was found.
	Root Root
	// Content is the file as read.
	Content []byte
}

// DisplayPath is the file's path as the user would open it.
func (s Source) DisplayPath() string {
	if s.Root.abs == "" {
		return s.Root.Dir + "/" + s.Path
	}
	return filepath.Join(s.Root.Dir, filepath.FromSlash(s.Path))
}

// Result is a loaded set of files.
type Result struct {
	// Files are the input files, linked, in the order of Input.Files.
	Files []protoreflect.FileDescriptor
	// Sources holds every file that was read from a root (the inputs and
	// what they import from the roots), by import path.
	Sources map[string]Source
}

// DisplayPath returns how the file with the given import path is shown to
// the user: its path on disk when it came from a root.
func (r *Result) DisplayPath(importPath string) string {
	if s, ok := r.Sources[importPath]; ok {
		return s.DisplayPath()
	}
	return importPath
}

// Load compiles the input's files and everything they import.
func Load(ctx context.Context, in Input) (*Result, error) {
	if len(in.Files) == 0 {
		return nil, errors.New("no .proto files to load")
	}
	if errs := checkImports(in); len(errs) > 0 {
		return nil, errs
	}
	res := &resolver{roots: in.Roots, sources: map[string]Source{}}
	var errs ErrorList
	var mu sync.Mutex
	rep := reporter.NewReporter(func(err reporter.ErrorWithPos) error {
		mu.Lock()
		defer mu.Unlock()
		pos := err.GetPosition()
		errs = append(errs, &Error{
			File: res.displayPath(pos.Filename),
			Line: pos.Line,
			Col:  pos.Col,
			Msg:  message(err.Unwrap()),
		})
		if len(errs) >= maxErrors {
			return err
		}
		return nil
	}, nil)
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(res),
		SourceInfoMode: protocompile.SourceInfoStandard,
		Reporter:       rep,
	}
	files, err := c.Compile(ctx, in.Files...)
	if len(errs) > 0 {
		return nil, errs
	}
	if err != nil {
		// An import that cannot be resolved is returned, not reported: it
		// carries the position of the import statement.
		var ewp reporter.ErrorWithPos
		if errors.As(err, &ewp) {
			pos := ewp.GetPosition()
			return nil, ErrorList{{
				File: res.displayPath(pos.Filename),
				Line: pos.Line,
				Col:  pos.Col,
				Msg:  message(ewp.Unwrap()),
			}}
		}
		var nf notFoundError
		if errors.As(err, &nf) {
			// An input file that is missing: there is no import line to blame.
			return nil, fmt.Errorf("%s: not found in %s", nf.path, res.where())
		}
		return nil, err
	}
	out := &Result{Sources: res.sources}
	for _, f := range files {
		out.Files = append(out.Files, f)
	}
	return out, nil
}

// message rewrites protocompile's wording where a user needs to know what to
// do next.
func message(err error) string {
	var nf notFoundError
	if errors.As(err, &nf) {
		return nf.Error()
	}
	return err.Error()
}

// resolver finds files in the roots, then among the Google API protos
// compiled into this program. It remembers what it read.
type resolver struct {
	roots   []Root
	mu      sync.Mutex
	sources map[string]Source
}

func (r *resolver) FindFileByPath(path string) (protocompile.SearchResult, error) {
	// Built-in files win over copies vendored in a root: they are what the
	// service's Go code links against.
	if fd, ok := Builtin(path); ok {
		return protocompile.SearchResult{Desc: fd}, nil
	}
	if isWellKnown(path) {
		// protocompile's standard imports serve these, never a root's copy.
		return protocompile.SearchResult{}, notFoundError{path: path, where: r.where()}
	}
	for _, root := range r.roots {
		b, err := fs.ReadFile(root.FS, path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return protocompile.SearchResult{}, fmt.Errorf("read %s: %w", path, err)
		}
		r.mu.Lock()
		r.sources[path] = Source{Path: path, Root: root, Content: b}
		r.mu.Unlock()
		return protocompile.SearchResult{Source: io.NopCloser(bytes.NewReader(b))}, nil
	}
	return protocompile.SearchResult{}, notFoundError{path: path, where: r.where()}
}

// where says which places were searched, for a not-found message.
func (r *resolver) where() string {
	var dirs []string
	for _, root := range r.roots {
		dirs = append(dirs, root.Dir)
	}
	return strings.Join(dirs, ", ") + " and the built-in protos (" + strings.Join(builtinNames(), ", ") + ")"
}

func (r *resolver) displayPath(importPath string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.sources[importPath]; ok {
		return s.DisplayPath()
	}
	return importPath
}

// notFoundError is a file that is in none of the places searched.
type notFoundError struct {
	path  string
	where string
}

func (e notFoundError) Error() string {
	return fmt.Sprintf("import %q not found; looked in: %s; add the folder it is relative to with -I DIR", e.path, e.where)
}
