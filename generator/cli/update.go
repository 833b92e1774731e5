package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/new-service/new-service/generator/load"
	"github.com/new-service/new-service/generator/pipeline"
	settingsfile "github.com/new-service/new-service/generator/settings"
	"github.com/new-service/new-service/generator/write"
	svctemplate "github.com/new-service/new-service/template"
)

// lifecycleFlags are the flags of update and check.
type lifecycleFlags struct {
	force, noBuild bool
}

func parseLifecycle(cmd string, args []string, stdout io.Writer) (lifecycleFlags, string, error) {
	var f lifecycleFlags
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if cmd == "update" {
		fs.BoolVar(&f.force, "force", false, "overwrite generated files edited by hand (your edits are lost)")
		fs.BoolVar(&f.noBuild, "no-build", false, "write the files only; skip buf generate, go mod tidy and go build")
	}
	dirs, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "usage: new-service %s [flags] [DIR]\n\n", cmd)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return f, "", err
	}
	if err != nil {
		return f, "", &usageError{msg: err.Error() + "; run 'new-service " + cmd + " -h' for the flags"}
	}
	switch len(dirs) {
	case 0:
		return f, ".", nil
	case 1:
		return f, dirs[0], nil
	}
	return f, "", &usageError{msg: fmt.Sprintf("%s takes at most one folder, got %d", cmd, len(dirs))}
}

// parseInterspersed parses flags given before or after the positional
// arguments, and returns those.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// plan renders the service in dir from its lock, settings and protos, and
// plans the update.
func plan(ctx context.Context, dir string, force bool) (*write.Plan, error) {
	lock, err := write.ReadLock(dir)
	if err != nil {
		return nil, err
	}
	settingsPath := filepath.Join(dir, settingsfile.File)
	content, err := os.ReadFile(settingsPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	s, err := pipeline.ReadSettings(lock.Name, lock.Module, settingsPath, content)
	if err != nil {
		return nil, err
	}
	root, err := load.DirRoot(filepath.Join(dir, "proto"))
	if err != nil {
		return nil, err
	}
	in := load.Input{Roots: []load.Root{root}}
	err = filepath.WalkDir(filepath.Join(dir, "proto"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".proto") {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(dir, "proto"), p)
		if rel = filepath.ToSlash(rel); !slices.Contains(lock.ImportsOnly, rel) {
			in.Files = append(in.Files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the service's protos: %w", err)
	}
	if len(in.Files) == 0 {
		return nil, fmt.Errorf("%s: no .proto files; the service's API lives there", filepath.Join(dir, "proto"))
	}
	out, err := pipeline.Generate(ctx, pipeline.Input{
		Protos: in, Name: lock.Name, Module: lock.Module, Generator: Version(),
		Settings: &s, SettingsFile: settingsPath, SettingsContent: content,
	})
	if err != nil {
		return nil, err
	}
	files := out.Files
	next := write.NewLock(write.Lock{
		Generator: Version(), Template: svctemplate.Version,
		Name: lock.Name, Module: lock.Module, ImportsOnly: lock.ImportsOnly,
	}, files)
	return write.PlanUpdate(dir, files, lock, next, force)
}

func runUpdate(ctx context.Context, args []string, stdout io.Writer) error {
	f, dir, err := parseLifecycle("update", args, stdout)
	if err != nil {
		return err
	}
	p, err := plan(ctx, dir, f.force)
	if err != nil {
		return err
	}
	if edited := p.Edited(); len(edited) > 0 {
		return editedError(edited)
	}
	opts := write.Options{Progress: stdout, Warn: warnOptional(stdout)}
	if !f.noBuild {
		opts.Steps = write.PostSteps
	}
	if p.Empty() && f.noBuild {
		fmt.Fprintf(stdout, "new-service: %s is up to date\n", dir)
		return nil
	}
	if err := write.Apply(ctx, dir, p, opts); err != nil {
		msg := fmt.Sprintf("%v\nnothing in %s was changed", err, dir)
		if orphans := kinds(p, write.Orphaned); len(orphans) > 0 {
			msg += "\nthese files of yours belong to RPCs or services no longer in the proto; delete them (keep what you need elsewhere) and run update again:"
			for _, c := range orphans {
				msg += "\n  " + filepath.Join(dir, c.Path)
			}
		}
		return errors.New(msg)
	}
	reportPlan(stdout, dir, p)
	return nil
}

func runCheck(ctx context.Context, args []string, stdout io.Writer) error {
	_, dir, err := parseLifecycle("check", args, stdout)
	if err != nil {
		return err
	}
	p, err := plan(ctx, dir, false)
	if err != nil {
		return err
	}
	if p.Empty() && len(p.Edited()) == 0 {
		fmt.Fprintf(stdout, "new-service: %s is up to date\n", dir)
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s differs from what new-service update would write:", dir)
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "\n  %-8s %s", c.Kind, c.Path)
		if c.Note != "" {
			fmt.Fprintf(&b, " (%s)", c.Note)
		}
	}
	if _, ok := p.Writes[write.LockFile]; ok && len(p.Changes) == 0 {
		fmt.Fprintf(&b, "\n  update   %s (a newer generator or template)", write.LockFile)
	}
	b.WriteString("\nrun new-service update")
	return errors.New(b.String())
}

// editedError refuses an update that would overwrite hand edits.
func editedError(edited []write.Change) error {
	var b strings.Builder
	b.WriteString("update refused: generated files were edited by hand, and update would overwrite them:")
	for _, c := range edited {
		fmt.Fprintf(&b, "\n  %s (%s)", c.Path, c.Note)
	}
	b.WriteString("\nto keep a change, move it into a file that is yours (a handler, internal/deps, a kustomize overlay, new-service.yaml) and restore the generated file (git checkout -- FILE);")
	b.WriteString("\nto discard the edits, run new-service update --force")
	return errors.New(b.String())
}

func kinds(p *write.Plan, k write.Kind) []write.Change {
	var out []write.Change
	for _, c := range p.Changes {
		if c.Kind == k {
			out = append(out, c)
		}
	}
	return out
}

// reportPlan prints what update did, one line a file.
func reportPlan(w io.Writer, dir string, p *write.Plan) {
	if len(p.Changes) == 0 {
		fmt.Fprintf(w, "new-service: %s is up to date\n", dir)
		return
	}
	fmt.Fprintf(w, "new-service: updated %s:\n", dir)
	for _, c := range p.Changes {
		line := fmt.Sprintf("  %-8s %s", c.Kind, c.Path)
		if c.Note != "" {
			line += " (" + c.Note + ")"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "new-service: %s\n", summary(p))
	if n := p.Count(write.Proposed); n > 0 {
		fmt.Fprintf(w, "new-service: to review: merge each .proposed file into the file beside it, then delete it; the generated files are marked in .gitattributes so review tools collapse them\n")
	}
}

// summary is one line for a pull request's description: which template
// the service moved from and to, and what a reviewer must look at.
func summary(p *write.Plan) string {
	var b strings.Builder
	if p.From.Template == p.To.Template {
		fmt.Fprintf(&b, "template %d (unchanged)", p.To.Template)
	} else {
		fmt.Fprintf(&b, "template %d -> %d", p.From.Template, p.To.Template)
	}
	if p.From.Generator != p.To.Generator {
		fmt.Fprintf(&b, ", new-service %s -> %s", p.From.Generator, p.To.Generator)
	}
	plural := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	fmt.Fprintf(&b, ": %s, %s, %s; %s to merge by hand",
		plural(p.Count(write.Updated), "file regenerated", "files regenerated"),
		plural(p.Count(write.Created), "created", "created"),
		plural(p.Count(write.Removed), "removed", "removed"),
		plural(p.Count(write.Proposed), "proposal", "proposals"))
	if n := p.Count(write.Orphaned); n > 0 {
		fmt.Fprintf(&b, ", %s", plural(n, "orphaned file of yours", "orphaned files of yours"))
	}
	return b.String()
}
