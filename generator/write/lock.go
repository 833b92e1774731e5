package write

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/new-service/new-service/generator/render"
)

// LockFile is the lock file's name at the service root.
const LockFile = render.LockFile

// BaseDir holds, for every scaffolded file the lock tracks, the template's
// rendering of it when it was last written: the base of the 3-way merge
// that proposes a template change to a file the user has edited.
const BaseDir = render.BaseDir

// Lock records how a service was generated: by which generator and template,
// from which inputs, and a hash of every file new-service wrote, so that
// update can tell a hand-edited generated file from one it may rewrite, and
// check can tell whether anything would change.
type Lock struct {
	// Generator is the version of new-service that wrote the lock.
	Generator string `json:"generator"`
	// Template is the template's version (template.Version).
	Template int `json:"template"`
	// Name and Module are the service's name and Go module path.
	Name   string `json:"name"`
	Module string `json:"module"`
	// ImportsOnly are the .proto files below proto/ whose services are not
	// served: they were imported from an -I root. Every other .proto file
	// below proto/ is an input.
	ImportsOnly []string `json:"imports_only,omitempty"`
	// Generated maps each generated file to the hash of its content.
	Generated map[string]string `json:"generated"`
	// Scaffolded maps each tracked user-owned file to the hash of the
	// template's rendering of it when it was last written or proposed.
	Scaffolded map[string]string `json:"scaffolded"`
}

// Hash is the content hash the lock records.
func Hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hashString(sum[:])
}

func hashString(sum []byte) string { return "sha256:" + hex.EncodeToString(sum) }

// NewLock records the rendered files: a hash of every generated file and of
// every tracked scaffolded file's rendering.
func NewLock(meta Lock, files render.Files) Lock {
	l := meta
	l.Generated = map[string]string{}
	l.Scaffolded = map[string]string{}
	for p, f := range files {
		switch {
		case f.Owner == render.Generated:
			l.Generated[p] = Hash(f.Content)
		case f.Owner.Tracked():
			l.Scaffolded[p] = Hash(f.Content)
		}
	}
	return l
}

// Marshal returns the lock as indented JSON with sorted keys: the same lock,
// the same bytes.
func (l Lock) Marshal() []byte {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		// A Lock holds strings, ints and maps of strings only.
		panic(err)
	}
	return append(b, '\n')
}

// ReadLock reads a service's lock file.
func ReadLock(dir string) (*Lock, error) {
	b, err := os.ReadFile(filepath.Join(dir, LockFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no %s: this is not a service made by new-service (create one with new-service new), or it predates the lock file", dir, LockFile)
	}
	if err != nil {
		return nil, err
	}
	var l Lock
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%s: %v; restore it from version control", filepath.Join(dir, LockFile), err)
	}
	if l.Generated == nil {
		l.Generated = map[string]string{}
	}
	if l.Scaffolded == nil {
		l.Scaffolded = map[string]string{}
	}
	return &l, nil
}

// WithLock returns files plus the lock file and the base copies of the
// tracked scaffolded files, as new writes them.
func WithLock(files render.Files, l Lock) render.Files {
	out := render.Files{}
	for p, f := range files {
		out[p] = f
		if f.Owner.Tracked() {
			out[path.Join(BaseDir, p)] = render.File{Content: f.Content, Owner: render.Generated}
		}
	}
	out[LockFile] = render.File{Content: l.Marshal(), Owner: render.Generated}
	return out
}
