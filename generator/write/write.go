// Package write puts a rendered service on disk, all or nothing: the files
// go into a temporary folder beside the target, the post-steps (buf
// generate, go mod tidy, go build) run there, and the folder is moved into
// place only when every step succeeded. On any failure, including an
// interrupt, nothing is left behind that was not there before.
package write

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/new-service/new-service/generator/render"
)

// Step is one command run in the rendered service after its files are
// written.
type Step struct {
	// Name is what the progress line shows.
	Name string
	// Args is the command line; Args[0] is looked up in PATH.
	Args []string
}

// PostSteps turn the rendered files into a service that builds: generate the
// protobuf, gRPC and gateway code with the service's own pinned buf and
// plugins, let go mod tidy add what the user's protos import, and build
// everything once so that problems surface now rather than on first use.
var PostSteps = []Step{
	{Name: "buf generate", Args: []string{"go", "tool", "-modfile=tools.go.mod", "buf", "generate"}},
	{Name: "go mod tidy", Args: []string{"go", "mod", "tidy"}},
	{Name: "go build", Args: []string{"go", "build", "./..."}},
}

// Options control [Create].
type Options struct {
	// Steps run in the service's folder after the files are written; nil
	// runs none.
	Steps []Step
	// Progress receives one line per step, with its duration.
	Progress io.Writer
}

// NotEmptyError reports a target folder that already has files in it.
type NotEmptyError struct{ Dir string }

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("%s: folder is not empty; new-service new creates a service in a new or empty folder", e.Dir)
}

// StepError reports a post-step that failed, with the tail of its output.
type StepError struct {
	Step   Step
	Output string
	Err    error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("%s failed: %v\n%s", e.Step.Name, e.Err, e.Output)
}

func (e *StepError) Unwrap() error { return e.Err }

// CheckTarget reports whether dir can receive a new service: it must not
// exist, or be an empty folder.
func CheckTarget(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		if info, serr := os.Stat(dir); serr == nil && !info.IsDir() {
			return fmt.Errorf("%s: is a file; pass a new folder for the service", dir)
		}
		return err
	case len(entries) > 0:
		return &NotEmptyError{Dir: dir}
	}
	return nil
}

// Create writes files into the new folder dir and runs the post-steps there.
func Create(ctx context.Context, dir string, files render.Files, opts Options) (err error) {
	if err := CheckTarget(dir); err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// Missing parent folders are created, and removed again on failure.
	parent := filepath.Dir(abs)
	created, err := mkdirAll(parent)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(abs)+".new-service-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			if created != "" {
				os.RemoveAll(created)
			}
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := WriteFiles(tmp, files); err != nil {
		return err
	}
	for _, step := range opts.Steps {
		if err := run(ctx, tmp, step, opts.Progress); err != nil {
			return err
		}
	}
	// An empty target folder is replaced; rename cannot replace it portably.
	if err := os.Remove(abs); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.Rename(tmp, abs)
}

// WriteFiles writes files below root, creating folders as needed.
func WriteFiles(root string, files render.Files) error {
	for _, p := range files.Paths() {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, files[p].Content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// mkdirAll creates dir and its missing parents, returning the topmost
// folder it created ("" when dir existed).
func mkdirAll(dir string) (string, error) {
	top := ""
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		top = d
		if filepath.Dir(d) == d {
			break
		}
	}
	if top == "" {
		return "", nil
	}
	return top, os.MkdirAll(dir, 0o755)
}

// maxOutput bounds how much of a failed step's output is shown.
const maxOutput = 4000

// run runs one step in dir and prints its progress line.
func run(ctx context.Context, dir string, step Step, progress io.Writer) error {
	if progress == nil {
		progress = io.Discard
	}
	fmt.Fprintf(progress, "new-service: %s ...", step.Name)
	start := time.Now()
	cmd := exec.CommandContext(ctx, step.Args[0], step.Args[1:]...)
	cmd.Dir = dir
	// A go.work above the target must not pull the new module into a
	// workspace it does not belong to.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	d := time.Since(start).Round(100 * time.Millisecond)
	if err != nil {
		fmt.Fprintf(progress, " failed after %v\n", d)
		text := strings.TrimSpace(string(out))
		if len(text) > maxOutput {
			text = "...\n" + text[len(text)-maxOutput:]
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return &StepError{Step: step, Output: text, Err: err}
	}
	fmt.Fprintf(progress, " %v\n", d)
	return nil
}
