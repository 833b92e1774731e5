package template_test

import (
	"bytes"
	"cmp"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"golang.org/x/mod/modfile"
	"sigs.k8s.io/yaml"
)

const workflowPath = ".github/workflows/ci.yaml"

func TestCIWorkflowLints(t *testing.T) {
	for _, r := range services(t) {
		for _, workflowPath := range []string{workflowPath, ".github/workflows/ci-local.yaml"} {
			t.Run(r.name+"/"+workflowPath, func(t *testing.T) {
				content := r.file(t, workflowPath)
				// GitHub's ${{ }} has to pass through text/template escaped; a
				// bare {{ is a template action that leaked into the output.
				if i := regexp.MustCompile(`(^|[^$]){{`).FindIndex(content); i != nil {
					t.Errorf("%s: {{ without $ at byte %d: an unescaped template action", workflowPath, i[0])
				}
				opts := &actionlint.LinterOptions{}
				// shellcheck checks the run: scripts when it is installed.
				if p, err := exec.LookPath("shellcheck"); err == nil {
					opts.Shellcheck = p
				} else {
					t.Log("shellcheck not found: run: scripts are not checked")
				}
				var out bytes.Buffer
				l, err := actionlint.NewLinter(&out, opts)
				if err != nil {
					t.Fatal(err)
				}
				// A path that does not exist: no project, no config file.
				errs, err := l.Lint(workflowPath, content, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(errs) > 0 {
					t.Errorf("actionlint found %d errors:\n%s", len(errs), out.String())
				}
			})
		}
	}
}

// step is a workflow step with the job it belongs to.
type step struct {
	job  string
	uses string            // the action, for `uses:` steps
	with map[string]string // the action's inputs
	run  string            // the script, for `run:` steps
}

// workflowSteps parses the rendered workflow and returns it with its steps
// in job order (sorted by job ID) and step order.
func workflowSteps(t *testing.T, r rendered) (*actionlint.Workflow, []step) {
	t.Helper()
	w, errs := actionlint.Parse(r.file(t, workflowPath))
	if len(errs) > 0 {
		t.Fatalf("%s: parse: %v", workflowPath, errs)
	}
	var steps []step
	for _, id := range slices.Sorted(maps.Keys(w.Jobs)) {
		for _, s := range w.Jobs[id].Steps {
			st := step{job: id, with: map[string]string{}}
			switch e := s.Exec.(type) {
			case *actionlint.ExecAction:
				st.uses = e.Uses.Value
				for k, in := range e.Inputs {
					st.with[k] = in.Value.Value
				}
			case *actionlint.ExecRun:
				st.run = strings.TrimSpace(e.Run.Value)
			}
			steps = append(steps, st)
		}
	}
	return w, steps
}

func TestCIWorkflowJobs(t *testing.T) {
	for _, r := range services(t) {
		t.Run(r.name, func(t *testing.T) {
			w, steps := workflowSteps(t, r)

			// Least privilege: read the code, nothing else, in every job.
			if p := w.Permissions; p == nil || p.All != nil || len(p.Scopes) != 1 || p.Scopes["contents"] == nil || p.Scopes["contents"].Value.Value != "read" {
				t.Errorf("workflow permissions must be exactly contents: read")
			}
			for id, j := range w.Jobs {
				if j.Permissions != nil {
					t.Errorf("job %s widens permissions", id)
				}
				// A job that calls the team's workflow cannot set one; the
				// called workflow's jobs do.
				if j.TimeoutMinutes == nil && j.WorkflowCall == nil {
					t.Errorf("job %s has no timeout-minutes", id)
				}
			}
			if c := w.Concurrency; c == nil || c.Group == nil || !c.Group.ContainsExpression() || c.CancelInProgress == nil {
				t.Errorf("workflow needs a concurrency group per ref and cancel-in-progress")
			}
			var events []string
			for _, e := range w.On {
				events = append(events, e.EventName())
			}
			slices.Sort(events)
			if !slices.Equal(events, []string{"pull_request", "push"}) {
				t.Errorf("events %v, want pull_request and push", events)
			}

			// Actions pinned by major version, and each job starts from a
			// checkout without a persisted token.
			pinned := regexp.MustCompile(`^[\w.-]+/[\w.-]+@v\d+$`)
			first := map[string]step{}
			for _, s := range steps {
				if _, ok := first[s.job]; !ok {
					first[s.job] = s
				}
				if s.uses != "" && !pinned.MatchString(s.uses) {
					t.Errorf("job %s: %s is not pinned to a major version", s.job, s.uses)
				}
				if strings.HasPrefix(s.uses, "actions/checkout@") && s.with["persist-credentials"] != "false" {
					t.Errorf("job %s: checkout keeps the token in .git/config (persist-credentials)", s.job)
				}
			}
			for id, s := range first {
				if !strings.HasPrefix(s.uses, "actions/checkout@") {
					t.Errorf("job %s does not start with actions/checkout", id)
				}
			}

			checkSetupGo(t, r, steps)
			checkGoTools(t, r, steps)

			// The steps the service relies on, each in its job.
			want := []struct {
				name string
				run  string
			}{
				{"tests", "go test ./..."},
				{"known vulnerabilities", "go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 ./..."},
				{"proto lint", "go tool -modfile=tools.go.mod buf lint"},
				{"breaking changes", "go tool -modfile=tools.go.mod buf breaking --against '.git#branch=main'"},
				{"drift check", "go run github.com/new-service/new-service/cmd/new-service@latest check"},
			}
			for _, c := range want {
				i := slices.IndexFunc(steps, func(s step) bool { return s.run == c.run })
				if i < 0 {
					t.Errorf("%s: no step runs %q", c.name, c.run)
					continue
				}
				// setup-go comes before any go command in the same job.
				if !slices.ContainsFunc(steps[:i], func(s step) bool {
					return s.job == steps[i].job && strings.HasPrefix(s.uses, "actions/setup-go@")
				}) {
					t.Errorf("%s: job %s runs %q before actions/setup-go", c.name, steps[i].job, c.run)
				}
			}

			// buf breaking: full history, a local main to compare with, and
			// not on main itself.
			i := slices.IndexFunc(steps, func(s step) bool { return strings.Contains(s.run, "buf breaking") })
			if i >= 0 {
				job := steps[i].job
				if cond := w.Jobs[job].If; cond == nil || cond.Value != "github.ref != 'refs/heads/main'" {
					t.Errorf("job %s must be skipped on main (if: github.ref != 'refs/heads/main')", job)
				}
				if !slices.ContainsFunc(steps[:i], func(s step) bool {
					return s.job == job && strings.HasPrefix(s.uses, "actions/checkout@") && s.with["fetch-depth"] == "0"
				}) {
					t.Errorf("job %s: checkout needs fetch-depth: 0 for buf to read main", job)
				}
				if !slices.ContainsFunc(steps[:i], func(s step) bool {
					return s.job == job && strings.Contains(s.run, "git branch") && strings.Contains(s.run, "main origin/main")
				}) {
					t.Errorf("job %s: no local main branch before buf breaking: '.git#branch=main' would not resolve in a pull request's checkout", job)
				}
			}
		})
	}
}

// checkSetupGo checks that every setup-go reads its Go version and cache key
// from files the service has.
func checkSetupGo(t *testing.T, r rendered, steps []step) {
	t.Helper()
	n := 0
	for _, s := range steps {
		if !strings.HasPrefix(s.uses, "actions/setup-go@") {
			continue
		}
		n++
		v := s.with["go-version-file"]
		if v != "go.mod" && v != "tools.go.mod" {
			t.Errorf("job %s: setup-go go-version-file %q, want go.mod or tools.go.mod", s.job, v)
		}
		files := []string{v}
		for f := range strings.FieldsSeq(s.with["cache-dependency-path"]) {
			files = append(files, f)
		}
		for _, f := range files {
			if _, ok := r.files[f]; !ok {
				t.Errorf("job %s: setup-go reads %s, which the service does not have", s.job, f)
			}
		}
	}
	if n == 0 {
		t.Errorf("no actions/setup-go step")
	}
}

// checkGoTools checks that every `go tool` the workflow runs is declared in
// the module file it runs from, and every task it runs is in Taskfile.yml.
func checkGoTools(t *testing.T, r rendered, steps []step) {
	t.Helper()
	declared := map[string][]string{}
	for _, name := range []string{"go.mod", "tools.go.mod"} {
		f, err := modfile.Parse(name, r.file(t, name), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, tool := range f.Tool {
			declared[name] = append(declared[name], tool.Path[strings.LastIndex(tool.Path, "/")+1:])
		}
	}
	var taskfile struct {
		Tasks map[string]any `json:"tasks"`
	}
	if err := yaml.Unmarshal(r.file(t, "Taskfile.yml"), &taskfile); err != nil {
		t.Fatalf("Taskfile.yml: %v", err)
	}
	use := regexp.MustCompile(`go tool (-modfile=(\S+) )?([\w.-]+)(?: ([\w:-]+))?`)
	for _, s := range steps {
		for _, m := range use.FindAllStringSubmatch(s.run, -1) {
			modFile, tool, arg := cmp.Or(m[2], "go.mod"), m[3], m[4]
			if !slices.Contains(declared[modFile], tool) {
				t.Errorf("job %s runs `go tool %s`, which %s does not declare (it has %v)", s.job, tool, modFile, declared[modFile])
			}
			if tool == "task" && taskfile.Tasks[arg] == nil {
				t.Errorf("job %s runs task %q, which Taskfile.yml does not define", s.job, arg)
			}
		}
	}
}

// TestToolsOutOfGoMod checks that go.mod, which dependency scanners read,
// holds no development tool: buf and the task runner (with the cloud SDKs
// of its remote Taskfiles) are in tools.go.mod, and go.mod's tools are only
// the protoc plugins whose generated code must match its runtime libraries.
func TestToolsOutOfGoMod(t *testing.T) {
	plugins := []string{
		"github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway",
		"github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2",
		"google.golang.org/grpc/cmd/protoc-gen-go-grpc",
		"google.golang.org/protobuf/cmd/protoc-gen-go",
	}
	for _, svc := range services(t) {
		t.Run(svc.name, func(t *testing.T) {
			mod, err := modfile.Parse("go.mod", svc.file(t, "go.mod"), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, tool := range mod.Tool {
				if !slices.Contains(plugins, tool.Path) {
					t.Errorf("go.mod declares the tool %s; development tools go in tools.go.mod", tool.Path)
				}
			}
			for _, r := range mod.Require {
				for _, dev := range []string{"github.com/go-task/", "github.com/bufbuild/buf"} {
					if strings.HasPrefix(r.Mod.Path, dev) {
						t.Errorf("go.mod requires %s, a development tool's module; it belongs in tools.go.mod", r.Mod.Path)
					}
				}
			}
			tools, err := modfile.Parse("tools.go.mod", svc.file(t, "tools.go.mod"), nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range tools.Tool {
				names = append(names, tool.Path)
			}
			for _, want := range []string{"github.com/bufbuild/buf/cmd/buf", "github.com/go-task/task/v3/cmd/task"} {
				if !slices.Contains(names, want) {
					t.Errorf("tools.go.mod lacks the tool %s (it has %v)", want, names)
				}
			}
		})
	}
}
