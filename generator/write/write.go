// Package write puts a rendered service on disk, all or nothing: the files
// go into a temporary folder beside the target, the post-steps (buf
// generate, go mod tidy, go build) run there, and the folder is moved into
// place only when every step succeeded. On any failure, including an
// interrupt, nothing is left behind that was not there before.
package write

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
	// Doing says what the step does while it prints nothing, for the
	// progress line of a slow step.
	Doing string
	// Optional steps produce something the service can do without: their
	// failure is a warning, and the service is created all the same.
	Optional bool
}

// PostSteps turn the rendered files into a service that builds: generate the
// protobuf, gRPC and gateway code with the service's own pinned buf and
// plugins, then the OpenAPI 3 document (from a best-effort Swagger 2.0
// one), let go mod tidy add what the user's protos import, and build
// everything once so that problems surface now rather than on first use.
var PostSteps = []Step{
	{Name: "buf generate", Args: []string{"go", "tool", "-modfile=tools.go.mod", "buf", "generate"},
		Doing: "building buf and the protoc plugins (first run only), then generating gen/"},
	{Name: "buf generate gateway", Args: []string{"go", "tool", "-modfile=tools.go.mod", "buf", "generate", "--template", "buf.gen.gateway.yaml"},
		Doing: "generating the REST gateway"},
	{Name: "openapi", Args: []string{"go", "tool", "-modfile=tools.go.mod", "buf", "generate", "--template", "buf.gen.openapi.yaml"},
		Doing: "describing the REST API (Swagger 2.0)", Optional: true},
	// Always, even when the step above failed: the binary embeds the
	// document, which then says why it lists no operations. -mod=mod lets
	// a service created before the converter existed gain its modules
	// (go.mod is the user's).
	{Name: "openapi 3", Args: []string{"go", "run", "-mod=mod", "./internal/apidocs/openapi3"}, Doing: "converting it to the OpenAPI 3 document gen/openapi/openapi.json"},
	{Name: "go mod tidy", Args: []string{"go", "mod", "tidy"}, Doing: "resolving modules"},
	{Name: "go build", Args: []string{"go", "build", "./..."}, Doing: "compiling"},
}

// Options control [Create].
type Options struct {
	// Steps run in the service's folder after the files are written; nil
	// runs none.
	Steps []Step
	// Progress receives one line per step, with its duration.
	Progress io.Writer
	// Warn is told of an optional step that failed.
	Warn func(*StepError)
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
	if reason := e.PluginFailure(); reason != "" {
		return fmt.Sprintf("%s failed: %s", e.Step.Name, reason)
	}
	return fmt.Sprintf("%s failed: %v\n%s", e.Step.Name, e.Err, e.Output)
}

// PluginFailure is the reason buf gives when a protoc plugin refused the
// protos ("plugin protoc-gen-openapiv2: ...: <reason>"), without buf's
// framing; "" when the output holds none.
func (e *StepError) PluginFailure() string {
	_, rest, ok := strings.Cut(e.Output, "Failure: plugin ")
	if !ok {
		return ""
	}
	// "go tool protoc-gen-openapiv2: reason": the plugin's name, then why.
	name, reason, ok := strings.Cut(rest, ": ")
	if !ok {
		return strings.TrimSpace(rest)
	}
	name = name[strings.LastIndexByte(name, ' ')+1:]
	return fmt.Sprintf("%s refused the protos: %s", name, strings.TrimSpace(reason))
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
	if err := runSteps(ctx, tmp, opts); err != nil {
		return err
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

// runSteps runs opts.Steps in dir in order, stopping at the first failure
// of a step that is not optional.
func runSteps(ctx context.Context, dir string, opts Options) error {
	for _, step := range opts.Steps {
		err := run(ctx, dir, step, opts.Progress)
		var se *StepError
		if err != nil && step.Optional && errors.As(err, &se) && ctx.Err() == nil {
			if opts.Warn != nil {
				opts.Warn(se)
			}
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// maxOutput bounds how much of a failed step's output is shown.
const maxOutput = 4000

// tick is how often a slow step says that it is still running; a
// variable so that a test can shorten it.
var tick = 10 * time.Second

// run runs one step in dir and prints its progress: "name ... 1.2s" for a
// quick step; for a slow one, a line every [tick] with the elapsed time and
// what it is doing (its last line of output, such as the module go is
// downloading), then "name ... 23.4s".
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
	out := &output{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(progress, " failed")
		return &StepError{Step: step, Err: err}
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	slow := false
	var err error
wait:
	for {
		select {
		case err = <-exited:
			break wait
		case <-ticker.C:
			if !slow {
				fmt.Fprintln(progress)
				slow = true
			}
			doing := cmp.Or(out.last(), step.Doing)
			fmt.Fprintf(progress, "new-service: %s: still running after %v: %s\n", step.Name, time.Since(start).Round(time.Second), doing)
		}
	}
	d := time.Since(start).Round(100 * time.Millisecond)
	if slow {
		fmt.Fprintf(progress, "new-service: %s ...", step.Name)
	}
	if err != nil {
		fmt.Fprintf(progress, " failed after %v\n", d)
		text := strings.TrimSpace(out.String())
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

// output collects a step's output as it runs, safe for the progress
// ticker to read.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// last is the last non-empty line of output so far, shortened.
func (o *output) last() string {
	text := strings.TrimSpace(o.String())
	line := text[strings.LastIndexByte(text, '\n')+1:]
	if len(line) > 120 {
		line = line[:117] + "..."
	}
	return line
}
