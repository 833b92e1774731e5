package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/new-service/new-service/generator/write"
	svctemplate "github.com/new-service/new-service/template"
)

// CheckReport is what `new-service check --json` prints: one service's
// place in the fleet. The field names are stable; a field is added, never
// renamed or removed, and Format is raised only if one must change meaning.
// docs/platform.md shows how a platform team collects them.
type CheckReport struct {
	// Format is the report's format version, 1.
	Format int `json:"format"`
	// Dir is the service folder checked, as given.
	Dir string `json:"dir"`
	// Name and Module are the service's name and Go module path (from
	// new-service.lock).
	Name   string `json:"name,omitempty"`
	Module string `json:"module,omitempty"`
	// Template and Generator are the template version and the new-service
	// version that last rendered the service (new-service.lock).
	Template  int    `json:"template"`
	Generator string `json:"generator,omitempty"`
	// CurrentTemplate and CurrentGenerator are those of the new-service that
	// ran the check.
	CurrentTemplate  int    `json:"current_template"`
	CurrentGenerator string `json:"current_generator"`
	// Current reports whether the service is on the checking new-service's
	// template (Template == CurrentTemplate).
	Current bool `json:"current"`
	// UpToDate reports whether check passes: update would change nothing.
	// It is false when a generated file was edited, the protos or
	// new-service.yaml changed without update, or the template is not
	// current.
	UpToDate bool `json:"up_to_date"`
	// Changes are what update would do, as check lists them; empty when
	// UpToDate.
	Changes []CheckChange `json:"changes"`
	// Error says why the service could not be checked (no lock file, a
	// proto or settings error); the other fields are then partial.
	Error string `json:"error,omitempty"`
}

// CheckChange is one change update would make, or one hand edit it would
// refuse to overwrite.
type CheckChange struct {
	// Kind is create, update, remove, propose, orphan, edited or upgrade.
	Kind string `json:"kind"`
	Path string `json:"path"`
	Note string `json:"note,omitempty"`
}

// runCheckCommand runs check, as JSON with --json: the report goes to
// stdout whatever it says, and the exit code is check's (1 when update
// would change anything or the service cannot be checked).
func runCheckCommand(ctx context.Context, args []string, stdout io.Writer) error {
	rest := slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		return a == "-json" || a == "--json" || a == "-json=true" || a == "--json=true"
	})
	if len(rest) == len(args) {
		err := runCheck(ctx, args, stdout)
		if slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" }) {
			fmt.Fprint(stdout, "  -json\n    \tprint a machine-readable report (docs/platform.md) on stdout; the exit code is the same\n")
		}
		return err
	}
	_, dir, err := parseLifecycle("check", rest, stdout)
	if err != nil {
		return err
	}
	r := checkReport(ctx, dir)
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", b)
	switch {
	case r.Error != "":
		return fmt.Errorf("%s", r.Error)
	case !r.UpToDate:
		return fmt.Errorf("%s differs from what new-service update would write; run new-service update", dir)
	}
	return nil
}

// checkReport plans an update of the service in dir, as check does, and
// reports it.
func checkReport(ctx context.Context, dir string) CheckReport {
	r := CheckReport{
		Format: 1, Dir: dir, Changes: []CheckChange{},
		CurrentTemplate: svctemplate.Version, CurrentGenerator: Version(),
	}
	lock, err := write.ReadLock(dir)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Name, r.Module, r.Template, r.Generator = lock.Name, lock.Module, lock.Template, lock.Generator
	r.Current = lock.Template == svctemplate.Version
	p, err := plan(ctx, dir, false)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	for _, c := range p.Changes {
		r.Changes = append(r.Changes, CheckChange{Kind: string(c.Kind), Path: c.Path, Note: c.Note})
	}
	if _, ok := p.Writes[write.LockFile]; ok && len(p.Changes) == 0 {
		r.Changes = append(r.Changes, CheckChange{Kind: string(write.Updated), Path: write.LockFile, Note: "a newer generator or template"})
	}
	r.UpToDate = p.Empty() && len(p.Edited()) == 0
	return r
}
