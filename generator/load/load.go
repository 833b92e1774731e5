// Package load compiles .proto files in process (with
// github.com/bufbuild/protocompile) into linked descriptors, so that every
// problem is reported as file:line:col against the user's own file.
//
// Imports are searched in the input's roots, in order. Well-known types
// (google/protobuf/...) and the Google API protos that generated services
// link against (google/api/..., google/rpc/..., google/type/...) are always
// available: they come from the descriptors compiled into new-service, so no
// download or Buf Schema Registry is needed.
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
	"google.golang.org/protobuf/reflect/protoregistry"

	// The Google API protos a service may import, registered in
	// protoregistry.GlobalFiles for the resolver below.
	_ "google.golang.org/genproto/googleapis/api/annotations"
	_ "google.golang.org/genproto/googleapis/api/httpbody"
	_ "google.golang.org/genproto/googleapis/rpc/code"
	_ "google.golang.org/genproto/googleapis/rpc/errdetails"
	_ "google.golang.org/genproto/googleapis/rpc/status"
	_ "google.golang.org/genproto/googleapis/type/calendarperiod"
	_ "google.golang.org/genproto/googleapis/type/color"
	_ "google.golang.org/genproto/googleapis/type/date"
	_ "google.golang.org/genproto/googleapis/type/datetime"
	_ "google.golang.org/genproto/googleapis/type/dayofweek"
	_ "google.golang.org/genproto/googleapis/type/decimal"
	_ "google.golang.org/genproto/googleapis/type/expr"
	_ "google.golang.org/genproto/googleapis/type/fraction"
	_ "google.golang.org/genproto/googleapis/type/interval"
	_ "google.golang.org/genproto/googleapis/type/latlng"
	_ "google.golang.org/genproto/googleapis/type/localized_text"
	_ "google.golang.org/genproto/googleapis/type/money"
	_ "google.golang.org/genproto/googleapis/type/month"
	_ "google.golang.org/genproto/googleapis/type/phone_number"
	_ "google.golang.org/genproto/googleapis/type/postaladdress"
	_ "google.golang.org/genproto/googleapis/type/timeofday"
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

// IsGoogle reports whether an import path belongs to Google's shared protos
// (google/protobuf, google/api, google/rpc, google/type, ...). Those are never
// the service's own: their Go code comes from google.golang.org/protobuf and
// google.golang.org/genproto.
func IsGoogle(path string) bool {
	return strings.HasPrefix(path, "google/")
}

func (r *resolver) FindFileByPath(path string) (protocompile.SearchResult, error) {
	if IsGoogle(path) {
		// Compiled descriptors win over copies vendored in a root: they are
		// what the service's Go code links against.
		if fd, err := protoregistry.GlobalFiles.FindFileByPath(path); err == nil {
			return protocompile.SearchResult{Desc: fd}, nil
		}
		if strings.HasPrefix(path, "google/protobuf/") {
			// Leave the well-known types to protocompile's standard imports.
			return protocompile.SearchResult{}, notFoundError{path: path, where: r.where()}
		}
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
	dirs = append(dirs, "the well-known types (google/protobuf/*)", "the Google API protos (google/api, google/rpc, google/type)")
	return strings.Join(dirs, ", ")
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
