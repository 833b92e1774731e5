package load

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Root is an import root: .proto files are found below it by their import
// path, as with protoc's -I.
type Root struct {
	// FS holds the files, rooted at the import root.
	FS fs.FS
	// Dir is how the root is shown in messages: the path the user typed, or a
	// name such as "(embedded reference API)".
	Dir string
	// abs identifies a root on disk so that the same folder given twice is
	// searched once; empty for roots that are not on disk.
	abs string
}

// DirRoot returns the import root for a folder on disk.
func DirRoot(dir string) (Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Root{}, err
	}
	return Root{FS: os.DirFS(abs), Dir: filepath.Clean(dir), abs: abs}, nil
}

// Input is a set of files to load and the roots their imports are found in.
type Input struct {
	// Roots are searched in order for every import.
	Roots []Root
	// Files are the import paths of the files whose services are rendered.
	Files []string
}

// packageRE finds a file's package statement without parsing the file, so
// that its import root can be guessed before anything is compiled.
var packageRE = regexp.MustCompile(`(?m)^\s*package\s+([A-Za-z_][\w.]*)\s*;`)

// Resolve turns --proto and -I arguments into an Input, as DESIGN.md's CLI
// contract says: a folder given to --proto is an import root whose every
// .proto file is an input; a file's root is the -I root that holds it, else
// the folder its package path says (acme/orders/v1/x.proto with package
// acme.orders.v1 has the root above acme), else the file's own folder.
func Resolve(protos, includes []string) (Input, error) {
	var in Input
	addRoot := func(r Root) Root {
		for _, have := range in.Roots {
			if have.abs == r.abs {
				return have
			}
		}
		in.Roots = append(in.Roots, r)
		return r
	}
	for _, dir := range includes {
		info, err := os.Stat(dir)
		if err != nil || !info.IsDir() {
			return Input{}, fmt.Errorf("-I %s: not a folder; pass the folder your imports are relative to", dir)
		}
		r, err := DirRoot(dir)
		if err != nil {
			return Input{}, err
		}
		addRoot(r)
	}
	addFile := func(path string) {
		if !slices.Contains(in.Files, path) {
			in.Files = append(in.Files, path)
		}
	}
	for _, p := range protos {
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return Input{}, fmt.Errorf("--proto %s: no such file or folder; pass a .proto file or a folder of them", p)
		}
		if err != nil {
			return Input{}, fmt.Errorf("--proto %s: %w", p, err)
		}
		if info.IsDir() {
			r, err := DirRoot(p)
			if err != nil {
				return Input{}, err
			}
			r = addRoot(r)
			files, err := protoFiles(r.FS)
			if err != nil {
				return Input{}, fmt.Errorf("--proto %s: %w", p, err)
			}
			if len(files) == 0 {
				return Input{}, fmt.Errorf("--proto %s: no .proto files in this folder; pass the folder that holds your API", p)
			}
			// Copies of built-in protos vendored in the folder are not
			// inputs: imports of them resolve to the built-in ones.
			if files = slices.DeleteFunc(files, IsBuiltin); len(files) == 0 {
				return Input{}, fmt.Errorf("--proto %s: every .proto file in this folder is a copy of one built into new-service; pass the folder that holds your API", p)
			}
			for _, f := range files {
				addFile(f)
			}
			continue
		}
		if filepath.Ext(p) != ".proto" {
			return Input{}, fmt.Errorf("--proto %s: not a .proto file; pass a .proto file or a folder of them", p)
		}
		r, rel, err := rootOf(p, in.Roots)
		if err != nil {
			return Input{}, fmt.Errorf("--proto %s: %w", p, err)
		}
		if IsBuiltin(rel) {
			return Input{}, fmt.Errorf("--proto %s: %s is built into new-service (its Go code comes from its published module); pass the files of your API that import it", p, rel)
		}
		addRoot(r)
		addFile(rel)
	}
	return in, nil
}

// rootOf finds the import root of one file and its import path below it.
func rootOf(file string, roots []Root) (Root, string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return Root{}, "", err
	}
	for _, r := range roots {
		if rel, err := filepath.Rel(r.abs, abs); err == nil && filepath.IsLocal(rel) {
			return r, filepath.ToSlash(rel), nil
		}
	}
	dir := filepath.Dir(file)
	rel := filepath.Base(file)
	src, err := os.ReadFile(file)
	if err != nil {
		return Root{}, "", err
	}
	if m := packageRE.FindSubmatch(src); m != nil {
		pkgDir := filepath.FromSlash(strings.ReplaceAll(string(m[1]), ".", "/"))
		absDir := filepath.Dir(abs)
		if root, ok := strings.CutSuffix(absDir, string(filepath.Separator)+pkgDir); ok {
			dir = displayPath(root)
			rel = filepath.ToSlash(filepath.Join(pkgDir, rel))
		}
	}
	r, err := DirRoot(dir)
	return r, rel, err
}

// displayPath shows an absolute path relative to the working folder when it
// is below it, so messages name files the way the user typed them.
func displayPath(abs string) string {
	wd, err := os.Getwd()
	if err != nil {
		return abs
	}
	if rel, err := filepath.Rel(wd, abs); err == nil && filepath.IsLocal(rel) || rel == "." {
		return rel
	}
	return abs
}

// protoFiles lists the .proto files below the root of fsys, skipping hidden
// folders, in lexical order.
func protoFiles(fsys fs.FS) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".proto") {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}
