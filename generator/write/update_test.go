package write

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/modfile"

	"github.com/new-service/new-service/generator/render"
)

const gomod = "module example.com/svc\n\ngo 1.26\n\nrequire google.golang.org/grpc v1.70.0\n"

// TestPlanUpdate is the update plan's decisions, one owner and one state
// of the service's copy per case.
func TestPlanUpdate(t *testing.T) {
	gen := func(s string) render.File { return render.File{Content: []byte(s), Owner: render.Generated} }
	scaf := func(s string) render.File {
		return render.File{Content: []byte(s), Owner: render.Scaffolded, Note: "a new RPC: implement it here"}
	}
	tests := []struct {
		name string
		// disk is the service's file ("" absent); base its base copy.
		disk, base string
		// locked is the lock's record of the file's earlier rendering.
		locked string
		file   render.File
		force  bool
		want   []Change
		// writes is what the plan writes to the file's path.
		writes string
	}{
		{name: "generated, absent", file: gen("v2"), want: []Change{{Kind: Created, Path: "f"}}, writes: "v2"},
		{name: "generated, unchanged", disk: "v2", locked: "v1", file: gen("v2")},
		{name: "generated, template changed", disk: "v1", locked: "v1", file: gen("v2"), want: []Change{{Kind: Updated, Path: "f"}}, writes: "v2"},
		{name: "generated, edited by hand", disk: "mine", locked: "v1", file: gen("v2"),
			want: []Change{{Kind: HandEdited, Path: "f", Note: "edited by hand since new-service wrote it"}}},
		{name: "generated, edited by hand, forced", disk: "mine", locked: "v1", file: gen("v2"), force: true, want: []Change{{Kind: Updated, Path: "f"}}, writes: "v2"},
		{name: "generated, new, written by hand", disk: "mine", file: gen("v2"),
			want: []Change{{Kind: HandEdited, Path: "f", Note: "a file new-service now generates exists already, written by hand"}}},
		{name: "scaffolded, absent", file: scaf("v1"), want: []Change{{Kind: Created, Path: "f", Note: "a new RPC: implement it here"}}, writes: "v1"},
		{name: "scaffolded, deleted by the user", locked: "v1", file: scaf("v1")},
		{name: "scaffolded, template unchanged", disk: "mine", locked: "v1", base: "v1", file: scaf("v1")},
		{name: "scaffolded, untouched, template changed", disk: "v1\n", base: "v1\n", locked: "v1\n", file: scaf("v2\n"),
			want: []Change{{Kind: Proposed, Path: "f.proposed", Note: "unchanged since new-service wrote it: this is the template's new version; move it over"}}},
		{name: "scaffolded, edited, template changed", disk: "a\nmine\nc\nd\ne\n", base: "a\nb\nc\nd\ne\n", locked: "a\nb\nc\nd\ne\n", file: scaf("a\nb\nc\nd\ne2\n"),
			want: []Change{{Kind: Proposed, Path: "f.proposed", Note: "the template's change merged cleanly into your version: review it and move it over"}}},
		{name: "input, present", disk: "mine", file: render.File{Content: []byte("theirs"), Owner: render.Input}},
		{name: "input, absent", file: render.File{Content: []byte("theirs"), Owner: render.Input}, want: []Change{{Kind: Created, Path: "f"}}, writes: "theirs"},
		{name: "module checksums, present", disk: "mine", file: render.File{Content: []byte("theirs"), Owner: render.ModuleSum}},
		{name: "module, older requirement", disk: gomod, file: render.File{Content: []byte(strings.Replace(gomod, "v1.70.0", "v1.71.0", 1)), Owner: render.Module},
			want: []Change{{Kind: Raised, Path: "f", Note: "google.golang.org/grpc@v1.71.0"}}},
		{name: "module, newer requirement kept", disk: gomod, file: render.File{Content: []byte(strings.Replace(gomod, "v1.70.0", "v1.60.0", 1)), Owner: render.Module}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			put := func(rel, content string) {
				full := filepath.Join(dir, filepath.FromSlash(rel))
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.disk != "" {
				put("f", tt.disk)
			}
			if tt.base != "" {
				put(BaseDir+"/f", tt.base)
			}
			old := &Lock{Generated: map[string]string{}, Scaffolded: map[string]string{}}
			if tt.locked != "" {
				if tt.file.Owner == render.Generated {
					old.Generated["f"] = Hash([]byte(tt.locked))
				} else {
					old.Scaffolded["f"] = Hash([]byte(tt.locked))
				}
			}
			files := render.Files{"f": tt.file}
			p, err := PlanUpdate(dir, files, old, NewLock(Lock{}, files), tt.force)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Changes); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if got := string(p.Writes["f"]); got != tt.writes {
				t.Errorf("writes f = %q, want %q", got, tt.writes)
			}
		})
	}
}

// TestPlanUpdateMovedTools checks that update drops from go.mod the tools
// the template moved to tools.go.mod, keeps the tools the user added, and
// that check then sees nothing to do.
func TestPlanUpdateMovedTools(t *testing.T) {
	dir := t.TempDir()
	have := gomod + "\ntool (\n\tgithub.com/go-task/task/v3/cmd/task\n\tgolang.org/x/tools/cmd/stringer\n\tgoogle.golang.org/protobuf/cmd/protoc-gen-go\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(have), 0o644); err != nil {
		t.Fatal(err)
	}
	files := render.Files{
		"go.mod":       {Content: []byte(gomod + "\ntool google.golang.org/protobuf/cmd/protoc-gen-go\n"), Owner: render.Module},
		"tools.go.mod": {Content: []byte("module example.com/svc\n\ngo 1.26\n\ntool github.com/go-task/task/v3/cmd/task\n"), Owner: render.Generated},
	}
	old := &Lock{Generated: map[string]string{}, Scaffolded: map[string]string{}}
	p, err := PlanUpdate(dir, files, old, NewLock(Lock{}, files), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{{Kind: MovedTool, Path: "go.mod", Note: "github.com/go-task/task/v3/cmd/task: now in tools.go.mod"}}
	var changes []Change
	for _, c := range p.Changes {
		if c.Path == "go.mod" {
			changes = append(changes, c)
		}
	}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if err := requireAll(filepath.Join(dir, "go.mod"), p.Requires, p.DropTools); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse("go.mod", got, nil)
	if err != nil {
		t.Fatal(err)
	}
	var tools []string
	for _, tool := range f.Tool {
		tools = append(tools, tool.Path)
	}
	if diff := cmp.Diff([]string{"golang.org/x/tools/cmd/stringer", "google.golang.org/protobuf/cmd/protoc-gen-go"}, tools); diff != "" {
		t.Errorf("go.mod's tools after the update (-want +got):\n%s", diff)
	}
	if moved, err := movedTools(got, files["tools.go.mod"].Content); err != nil || len(moved) > 0 {
		t.Errorf("after the update, movedTools = %v, %v; want none", moved, err)
	}
}

// TestPlanUpdateNoLongerRendered covers what the lock has and the
// rendering lacks: generated files go unless edited, the user's stay.
func TestPlanUpdateNoLongerRendered(t *testing.T) {
	dir := t.TempDir()
	for rel, content := range map[string]string{"gone.go": "v1", "edited.go": "mine", "handler.go": "mine", "notes.md": "mine"} {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := &Lock{
		Generated:  map[string]string{"gone.go": Hash([]byte("v1")), "edited.go": Hash([]byte("v1"))},
		Scaffolded: map[string]string{"handler.go": Hash([]byte("v1")), "notes.md": Hash([]byte("v1"))},
	}
	p, err := PlanUpdate(dir, render.Files{}, old, NewLock(Lock{}, render.Files{}), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Kind: HandEdited, Path: "edited.go", Note: "no longer generated, and edited by hand"},
		{Kind: Removed, Path: "gone.go"},
		{Kind: Orphaned, Path: "handler.go", Note: "its RPC or service is gone from the proto: delete it (move what you need elsewhere), or the build fails"},
		{Kind: Orphaned, Path: "notes.md", Note: "yours, so it is kept; nothing renders it any more"},
	}
	if diff := cmp.Diff(want, p.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"gone.go"}, p.Removes); diff != "" {
		t.Errorf("removes (-want +got):\n%s", diff)
	}
}
