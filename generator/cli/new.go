package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/mod/module"

	"github.com/new-service/new-service/generator/load"
	"github.com/new-service/new-service/generator/pipeline"
	"github.com/new-service/new-service/generator/write"
	svctemplate "github.com/new-service/new-service/template"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// newFlags are the flags of `new`.
type newFlags struct {
	protos, includes stringList
	module, name     string
	settingsFile     string
	noBuild          bool
}

// parseNew parses the arguments of new. With -h it prints the usage to
// stdout and returns [flag.ErrHelp]; a command line it cannot run is a
// *usageError, printed by the caller like every other error.
func parseNew(args []string, stdout io.Writer) (newFlags, string, error) {
	var f newFlags
	fs := flag.NewFlagSet("new", flag.ContinueOnError)
	// The flag package would print its error and the whole usage to stderr;
	// report prints the error once, with the "new-service: " prefix.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.Var(&f.protos, "proto", "`PATH` of a .proto file or a folder of them (an import root); repeatable; default: the embedded reference API")
	fs.Var(&f.includes, "I", "extra import root `DIR`, as protoc's -I; repeatable")
	fs.Var(&f.includes, "proto-path", "same as -I `DIR`")
	fs.StringVar(&f.module, "module", "", "Go module `PATH` (default example.com/<name>)")
	fs.StringVar(&f.name, "name", "", "service `NAME` used in binaries, manifests and metrics (default: DIR's base name)")
	fs.StringVar(&f.settingsFile, "settings", "", "`FILE` of settings to start from, as new-service.yaml (default: every setting's default)")
	fs.BoolVar(&f.noBuild, "no-build", false, "render only; skip buf generate, go mod tidy and go build")

	// Flags may come before or after DIR.
	var dirs []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				fs.SetOutput(stdout)
				fmt.Fprint(stdout, "usage: new-service new [flags] DIR\n\nCreate a service in DIR (absent or empty) from a .proto API.\n\nFlags:\n")
				fs.PrintDefaults()
				return f, "", err
			}
			return f, "", &usageError{msg: err.Error() + "; run 'new-service new -h' for the flags"}
		}
		if fs.NArg() == 0 {
			break
		}
		dirs = append(dirs, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(dirs) != 1 {
		return f, "", &usageError{msg: fmt.Sprintf("new takes exactly one folder, got %d; usage: new-service new [flags] DIR", len(dirs))}
	}
	return f, dirs[0], nil
}

func runNew(ctx context.Context, args []string, stdout io.Writer) error {
	f, dir, err := parseNew(args, stdout)
	if err != nil {
		return err
	}
	opts, err := settings(f, dir)
	if err != nil {
		return err
	}
	if err := write.CheckTarget(dir); err != nil {
		return err
	}
	in, err := pipeline.Reference(opts.Name, opts.Module, Version())
	if err != nil {
		return err
	}
	if len(f.protos) > 0 {
		if in.Protos, err = load.Resolve(f.protos, f.includes); err != nil {
			return err
		}
		in.Settings, in.SettingsFile, in.SettingsContent = nil, "", nil
	}
	if f.settingsFile != "" {
		if in.Settings, in.SettingsContent, err = startSettings(f.settingsFile, in.Settings, opts); err != nil {
			return err
		}
		in.SettingsFile = f.settingsFile
	}
	out, err := pipeline.Generate(ctx, in)
	if err != nil {
		return err
	}
	app, files := out.App, out.Files
	for _, w := range app.Warnings {
		fmt.Fprintf(stdout, "new-service: warning: %v\n", w)
	}
	var importsOnly []string
	for _, p := range app.Protos {
		if !slices.Contains(in.Protos.Files, p.Path) {
			importsOnly = append(importsOnly, p.Path)
		}
	}
	lock := write.NewLock(write.Lock{
		Generator: Version(), Template: svctemplate.Version,
		Name: opts.Name, Module: opts.Module, ImportsOnly: importsOnly,
	}, files)
	files = write.WithLock(files, lock)
	wopts := write.Options{Progress: stdout, Warn: warnOptional(stdout)}
	if !f.noBuild {
		wopts.Steps = write.PostSteps
	}
	if err := write.Create(ctx, dir, files, wopts); err != nil {
		return fmt.Errorf("%w\nnothing was written to %s", err, dir)
	}
	fmt.Fprintf(stdout, "new-service: created %s (%s, module %s)\n", dir, opts.Name, opts.Module)
	if f.noBuild {
		fmt.Fprintf(stdout, "next: cd %s && go tool -modfile=tools.go.mod task generate && go mod tidy && go tool -modfile=tools.go.mod task test\n", dir)
	} else {
		fmt.Fprintf(stdout, "next: cd %s && go tool -modfile=tools.go.mod task test && go tool -modfile=tools.go.mod task run\n", dir)
	}
	return nil
}

// names are a new service's name and Go module path.
type names struct{ Name, Module string }

// dnsLabel is a Kubernetes DNS-1035 label: what a Service name must be.
var dnsLabel = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// settings checks --name and --module, deriving defaults from DIR.
func settings(f newFlags, dir string) (names, error) {
	name := f.name
	if name == "" {
		base := filepath.Base(filepath.Clean(dir))
		name = strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(base), "-"), "-")
		if !dnsLabel.MatchString(name) || len(name) > 63 {
			return names{}, fmt.Errorf("cannot derive a service name from folder %q; pass --name, a lower-case DNS label such as orders", base)
		}
	} else if !dnsLabel.MatchString(name) || len(name) > 63 {
		return names{}, fmt.Errorf("--name %q: not a DNS label; use at most 63 lower-case letters, digits and '-', starting with a letter (e.g. orders-api)", name)
	}
	mod := f.module
	if mod == "" {
		mod = "example.com/" + name
	}
	if err := module.CheckImportPath(mod); err != nil {
		return names{}, fmt.Errorf("--module %q: invalid Go module path: %v; pass a path like github.com/acme/%s", mod, err, name)
	}
	return names{Name: name, Module: mod}, nil
}
