package write

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/new-service/new-service/generator/merge"
	"github.com/new-service/new-service/generator/render"
)

// Kind is what update does to one file.
type Kind string

// The kinds of change, in the order reports list them.
const (
	// Created writes a file that does not exist: a generated file, or a
	// scaffolded one for something new in the proto (a handler for a new
	// RPC).
	Created Kind = "create"
	// Updated rewrites a generated file whose rendering changed.
	Updated Kind = "update"
	// Removed deletes a generated file that is no longer rendered.
	Removed Kind = "remove"
	// Proposed writes <file>.proposed beside a user-owned file whose
	// template rendering changed: a 3-way merge of the change into the
	// user's version. The user's file is not touched.
	Proposed Kind = "propose"
	// Orphaned reports a user-owned file that is no longer rendered (its RPC
	// or service left the proto). It is kept.
	Orphaned Kind = "orphan"
	// HandEdited reports a generated file edited by hand; update refuses to
	// overwrite it without --force.
	HandEdited Kind = "edited"
	// Raised raises a requirement of go.mod to the template's version.
	Raised Kind = "upgrade"
	// MovedTool drops a tool from go.mod that the template now declares in
	// tools.go.mod (the task runner, since template 3), so that go.mod lists
	// only what the service is built from.
	MovedTool Kind = "untool"
)

// Change is one thing update does or reports.
type Change struct {
	Kind Kind
	Path string
	// Note says why, or what the user should do.
	Note string
}

// Plan is what update would do to a service: the changes, and the files'
// new contents. It is computed without writing anything, so check is a plan
// that must be empty.
type Plan struct {
	Changes []Change
	// Writes maps a path to its new content; Removes are paths to delete.
	Writes  map[string][]byte
	Removes []string
	// Requires are requirements (module@version) of the module file
	// ModFile (the file the render table owns as [render.Module]) to raise.
	Requires []string
	// DropTools are tools of ModFile to drop (see [MovedTool]).
	DropTools []string
	ModFile   string
	// From and To are the lock before and after the update: the generator
	// and template versions a summary reports.
	From, To Lock
	// Seen maps every file the plan read to the [Hash] of what it read (""
	// when absent): [Apply] stops if one changed before it copied them.
	Seen map[string]string
}

// Edited returns the hand-edited generated files that block the update.
func (p *Plan) Edited() []Change {
	var out []Change
	for _, c := range p.Changes {
		if c.Kind == HandEdited {
			out = append(out, c)
		}
	}
	return out
}

// Count returns how many changes of kind k the plan holds.
func (p *Plan) Count(k Kind) int {
	n := 0
	for _, c := range p.Changes {
		if c.Kind == k {
			n++
		}
	}
	return n
}

// Empty reports whether applying the plan would change nothing.
func (p *Plan) Empty() bool {
	return len(p.Writes) == 0 && len(p.Removes) == 0 && len(p.Requires) == 0 && len(p.DropTools) == 0
}

// PlanUpdate compares what the generator renders now with the service in
// dir and its lock, and plans the update that new-service's ownership rules
// allow: generated files are rewritten (unless edited by hand, which force
// overrides) and removed when no longer rendered; scaffolded files are
// created when new and never overwritten, a template change to them is
// proposed beside them; go.mod's requirements are raised to the
// template's, never lowered.
func PlanUpdate(dir string, files render.Files, old *Lock, next Lock, force bool) (*Plan, error) {
	p := &Plan{Writes: map[string][]byte{}, Seen: map[string]string{}, From: *old, To: next}
	read := p.reader(dir)
	for _, rel := range files.Paths() {
		f := files[rel]
		disk, exists, err := read(rel)
		if err != nil {
			return nil, err
		}
		switch f.Owner {
		case render.Generated:
			switch {
			case !exists:
				p.add(Change{Kind: Created, Path: rel}, rel, f.Content)
			case bytes.Equal(disk, f.Content):
			case !force && Hash(disk) != old.Generated[rel]:
				note := "edited by hand since new-service wrote it"
				if old.Generated[rel] == "" {
					note = "a file new-service now generates exists already, written by hand"
				}
				p.Changes = append(p.Changes, Change{Kind: HandEdited, Path: rel, Note: note})
			default:
				p.add(Change{Kind: Updated, Path: rel}, rel, f.Content)
			}
		case render.Module:
			if exists {
				reqs, err := raise(disk, f.Content)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", rel, err)
				}
				for _, r := range reqs {
					p.Changes = append(p.Changes, Change{Kind: Raised, Path: rel, Note: r})
				}
				moved, err := movedTools(disk, files[toolsModFile].Content)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", rel, err)
				}
				for _, tool := range moved {
					p.Changes = append(p.Changes, Change{Kind: MovedTool, Path: rel, Note: tool + ": now in " + toolsModFile})
				}
				p.Requires, p.DropTools, p.ModFile = reqs, moved, rel
			} else {
				p.add(Change{Kind: Created, Path: rel}, rel, f.Content)
			}
		case render.Input, render.ModuleSum:
			if !exists {
				p.add(Change{Kind: Created, Path: rel}, rel, f.Content)
			}
		case render.Scaffolded:
			if err := p.scaffold(dir, rel, f, disk, exists, old); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("render %q: owner %v has no update rule", rel, f.Owner)
		}
	}
	// What the lock has that is no longer rendered.
	for _, rel := range sortedKeys(old.Generated) {
		if _, ok := files[rel]; ok {
			continue
		}
		disk, exists, err := read(rel)
		if err != nil {
			return nil, err
		}
		switch {
		case !exists:
		case !force && Hash(disk) != old.Generated[rel]:
			p.Changes = append(p.Changes, Change{Kind: HandEdited, Path: rel, Note: "no longer generated, and edited by hand"})
		default:
			p.Changes = append(p.Changes, Change{Kind: Removed, Path: rel})
			p.Removes = append(p.Removes, rel)
		}
	}
	for _, rel := range sortedKeys(old.Scaffolded) {
		if _, ok := files[rel]; ok {
			continue
		}
		_, exists, err := read(rel)
		if err != nil {
			return nil, err
		}
		if exists {
			note := "yours, so it is kept; nothing renders it any more"
			if strings.HasSuffix(rel, ".go") {
				note = "its RPC or service is gone from the proto: delete it (move what you need elsewhere), or the build fails"
			}
			p.Changes = append(p.Changes, Change{Kind: Orphaned, Path: rel, Note: note})
		}
		base := path.Join(BaseDir, rel)
		if _, exists, err := read(base); err != nil {
			return nil, err
		} else if exists {
			p.Removes = append(p.Removes, base)
		}
	}
	// The lock itself, when anything it records changed.
	lock := next.Marshal()
	disk, _, err := read(LockFile)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(disk, lock) {
		p.Writes[LockFile] = lock
	}
	return p, nil
}

// reader returns a function that reads a file of the service in dir and
// records what it read in p.Seen.
func (p *Plan) reader(dir string) func(rel string) ([]byte, bool, error) {
	return func(rel string) ([]byte, bool, error) {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if errors.Is(err, fs.ErrNotExist) {
			p.Seen[rel] = ""
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		p.Seen[rel] = Hash(b)
		return b, true, nil
	}
}

func (p *Plan) add(c Change, rel string, content []byte) {
	p.Changes = append(p.Changes, c)
	p.Writes[rel] = content
}

// scaffold plans a user-owned file: create it when new, propose a template
// change beside it, never overwrite it.
func (p *Plan) scaffold(dir, rel string, f render.File, disk []byte, exists bool, old *Lock) error {
	rendered := f.Content
	base := path.Join(BaseDir, rel)
	recorded, known := old.Scaffolded[rel]
	switch {
	case !exists && known:
		// The user deleted it; that is their call. Keep the lock's record.
		return nil
	case !exists:
		p.add(Change{Kind: Created, Path: rel, Note: f.Note}, rel, rendered)
		p.Writes[base] = rendered
		return nil
	case known && recorded == Hash(rendered):
		return nil
	case bytes.Equal(disk, rendered):
		// Already what the template renders: just track it.
		p.Writes[base] = rendered
		return nil
	}
	prev, _, err := p.reader(dir)(base)
	if err != nil {
		return err
	}
	merged, conflict := merge.Merge(prev, disk, rendered, merge.Labels{Ours: "yours", Base: "template before", Theirs: "template now"})
	note := "the template's change merged cleanly into your version: review it and move it over"
	if conflict {
		note = "the template's change conflicts with yours: resolve the <<<<<<< markers and move it over"
	}
	switch {
	case prev == nil:
		merged, note = rendered, "the template's version (no earlier rendering to merge from): compare it with yours"
	case bytes.Equal(disk, prev):
		note = "unchanged since new-service wrote it: this is the template's new version; move it over"
	}
	p.add(Change{Kind: Proposed, Path: rel + ".proposed", Note: note}, rel+".proposed", merged)
	p.Writes[base] = rendered
	return nil
}

// raise returns the requirements of the template's go.mod (its direct,
// non-indirect ones) that the service's go.mod lacks or has at a lower
// version, as module@version.
func raise(have, want []byte) ([]string, error) {
	hf, err := modfile.Parse("go.mod", have, nil)
	if err != nil {
		return nil, err
	}
	wf, err := modfile.Parse("template go.mod", want, nil)
	if err != nil {
		return nil, err
	}
	current := map[string]string{}
	for _, r := range hf.Require {
		current[r.Mod.Path] = r.Mod.Version
	}
	var out []string
	for _, r := range wf.Require {
		if r.Indirect {
			continue
		}
		if v, ok := current[r.Mod.Path]; !ok || semver.Compare(v, r.Mod.Version) < 0 {
			out = append(out, r.Mod.Path+"@"+r.Mod.Version)
		}
	}
	return out, nil
}

// toolsModFile is the module file of the service's development tools.
const toolsModFile = "tools.go.mod"

// movedTools returns the tools the service's go.mod declares that the
// template's tools.go.mod (tools, nil when not rendered) declares: they
// moved there, and go.mod keeps only the tools the user added.
func movedTools(have, tools []byte) ([]string, error) {
	if tools == nil {
		return nil, nil
	}
	hf, err := modfile.Parse("go.mod", have, nil)
	if err != nil {
		return nil, err
	}
	tf, err := modfile.Parse("template "+toolsModFile, tools, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range hf.Tool {
		if slices.ContainsFunc(tf.Tool, func(x *modfile.Tool) bool { return x.Path == t.Path }) {
			out = append(out, t.Path)
		}
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// requireAll raises go.mod's requirements to the given module@versions and
// drops the given tools. The post-steps' go mod tidy then settles the rest
// of the graph and go.sum.
func requireAll(gomod string, reqs, dropTools []string) error {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return err
	}
	f, err := modfile.Parse(gomod, b, nil)
	if err != nil {
		return err
	}
	for _, r := range reqs {
		mod, version, _ := strings.Cut(r, "@")
		if err := f.AddRequire(mod, version); err != nil {
			return err
		}
	}
	for _, tool := range dropTools {
		if err := f.DropTool(tool); err != nil {
			return err
		}
	}
	f.Cleanup()
	out, err := f.Format()
	if err != nil {
		return err
	}
	return os.WriteFile(gomod, out, 0o644)
}
