// Package backstage_test runs the Backstage Software Template in
// template.yaml as far as it runs offline and compares what it makes with
// what `new-service new` makes from the same parameters.
package backstage_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rhysd/actionlint"
	"sigs.k8s.io/yaml"

	"github.com/new-service/new-service/generator/cli"
)

// templateFile is the Backstage Template's shape, as far as the test reads
// it.
type templateFile struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Parameters []struct {
			Required   []string `json:"required"`
			Properties map[string]struct {
				Default *string `json:"default"`
			} `json:"properties"`
		} `json:"parameters"`
		Steps []struct {
			ID     string         `json:"id"`
			If     string         `json:"if"`
			Action string         `json:"action"`
			Input  map[string]any `json:"input"`
		} `json:"steps"`
	} `json:"spec"`
}

// formValues are what a user types where the Template has no default; the
// rest of the form keeps the Template's defaults.
var formValues = map[string]string{
	"name":    "orders",
	"owner":   "group:default/team-orders",
	"repoUrl": "github.com?owner=acme&repo=orders",
}

// The repository the Template publishes, as GitHub names it in the
// workflow's GITHUB_REPOSITORY.
const githubRepository = "acme/orders"

func readTemplate(t *testing.T) templateFile {
	t.Helper()
	b, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tf templateFile
	if err := yaml.Unmarshal(b, &tf); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	if tf.APIVersion != "scaffolder.backstage.io/v1beta3" || tf.Kind != "Template" {
		t.Fatalf("template.yaml is %s %s, want a scaffolder.backstage.io/v1beta3 Template", tf.APIVersion, tf.Kind)
	}
	return tf
}

// parameters returns the form's values: the Template's defaults, and
// formValues for the required parameters without one.
func parameters(t *testing.T, tf templateFile) map[string]string {
	t.Helper()
	p := map[string]string{}
	for _, page := range tf.Spec.Parameters {
		for name, prop := range page.Properties {
			switch v, typed := formValues[name]; {
			case prop.Default != nil:
				p[name] = *prop.Default
			case typed:
				p[name] = v
			case slices.Contains(page.Required, name):
				t.Fatalf("required parameter %q has no default and the test types no value for it: add it to formValues", name)
			}
		}
	}
	for name := range formValues {
		if _, ok := p[name]; !ok {
			t.Errorf("formValues types %q, which the Template does not ask for", name)
		}
	}
	return p
}

// The template expressions the Template's steps may use: a parameter, a
// step output, and a choice on a parameter. Anything else fails the test,
// so that it cannot silently mean something else in Backstage.
var (
	exprRE   = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)
	paramRE  = regexp.MustCompile(`^parameters\.(\w+)$`)
	choiceRE = regexp.MustCompile(`^'([^']*)' if parameters\.(\w+) else '([^']*)'$`)
	stepRE   = regexp.MustCompile(`^steps\.[\w-]+\.output\.\w+$`)
)

// eval evaluates the expressions in a step input as the scaffolder would;
// step outputs, known only online, stay as they are.
func eval(t *testing.T, s string, params map[string]string) string {
	t.Helper()
	return exprRE.ReplaceAllStringFunc(s, func(m string) string {
		e := exprRE.FindStringSubmatch(m)[1]
		if sm := paramRE.FindStringSubmatch(e); sm != nil {
			v, ok := params[sm[1]]
			if !ok {
				t.Errorf("%s: no parameter %q", m, sm[1])
			}
			return v
		}
		if sm := choiceRE.FindStringSubmatch(e); sm != nil {
			if _, ok := params[sm[2]]; !ok {
				t.Errorf("%s: no parameter %q", m, sm[2])
			}
			if params[sm[2]] != "" {
				return sm[1]
			}
			return sm[3]
		}
		if stepRE.MatchString(e) {
			return m
		}
		t.Errorf("template.yaml: expression %s: the test does not know what it means", m)
		return m
	})
}

// TestTemplateMatchesNew runs the Template's steps with its default
// parameters as far as they run offline: fetch:plain of this repository
// (its files as git lists them), fetch:template of the skeleton, and the
// init step of the workflow the Template dispatches, run by bash as GitHub
// Actions would. The result must be the tree `new-service new` renders from
// the same parameters, file for file (.git aside).
func TestTemplateMatchesNew(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the repository and builds two services")
	}
	tf := readTemplate(t)
	params := parameters(t, tf)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	repo := filepath.Join(tmp, "template-run", "orders")

	var skeleton string
	var copyVerbatim []string
	var values, workflowInputs map[string]string
	workflowID := ""
	var actions []string
	for _, st := range tf.Spec.Steps {
		actions = append(actions, st.Action)
		if st.If != "" && eval(t, st.If, params) == "" {
			continue
		}
		switch st.Action {
		case "fetch:plain":
			if st.Input["url"] != ".." || st.Input["targetPath"] != nil {
				t.Fatalf("step %s: fetch:plain of %v into %v; the test knows only the template repository (url: ..) into the workspace", st.ID, st.Input["url"], st.Input["targetPath"])
			}
			copyRepository(t, root, repo)
		case "fetch:template":
			skeleton = filepath.Join(".", filepath.FromSlash(st.Input["url"].(string)))
			for _, g := range st.Input["copyWithoutTemplating"].([]any) {
				copyVerbatim = append(copyVerbatim, g.(string))
			}
			values = evalMap(t, st.Input["values"], params)
			renderSkeleton(t, skeleton, repo, values, copyVerbatim)
		case "github:actions:dispatch":
			workflowID = st.Input["workflowId"].(string)
			workflowInputs = evalMap(t, st.Input["workflowInputs"], params)
		}
	}
	if want := []string{"fetch:plain", "fetch:plain", "fetch:template", "publish:github", "github:actions:dispatch", "catalog:register"}; !slices.Equal(actions, want) {
		t.Errorf("the Template's actions are %v, want %v: update the test with the Template", actions, want)
	}
	if workflowID == "" || skeleton == "" {
		t.Fatal("the Template dispatches no workflow, or adds no skeleton")
	}

	// The dispatched workflow is in the published repository, put there by
	// the skeleton.
	wfPath := filepath.Join(repo, ".github", "workflows", workflowID)
	initScript, initEnv := initStep(t, wfPath, workflowInputs)
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, ".git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command("bash", "-e", "-c", initScript)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), append(initEnv, "GITHUB_REPOSITORY="+githubRepository, "GOWORK=off")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the init step: %v\n%s", err, out)
	}
	t.Logf("the init step took %v", time.Since(start).Round(time.Second))

	// new-service new with the same parameters: the settings the form sets,
	// as a settings file.
	settings := filepath.Join(tmp, "settings.yaml")
	var sb strings.Builder
	for _, k := range []string{"owner", "system", "lifecycle", "description"} {
		fmt.Fprintf(&sb, "%s: %q\n", k, params[k])
	}
	if err := os.WriteFile(settings, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	module := params["module"]
	if module == "" {
		module = "github.com/" + githubRepository
	}
	direct := filepath.Join(tmp, "new", "orders")
	args := []string{"new", "--name", params["name"], "--module", module, "--settings", settings}
	if params["protoUrl"] != "" {
		t.Fatalf("the default protoUrl %q is not empty: the test runs the default parameters offline, with the reference API", params["protoUrl"])
	}
	var out bytes.Buffer
	start = time.Now()
	if code := cli.Main(append(args, direct), nil, &out, &out); code != 0 {
		t.Fatalf("new-service %s: exit %d\n%s", strings.Join(args, " "), code, out.String())
	}
	t.Logf("new took %v", time.Since(start).Round(time.Second))

	compareTrees(t, repo, direct)
}

func evalMap(t *testing.T, v any, params map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	m, _ := v.(map[string]any)
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("input %s: %v is not a string", k, v)
		}
		out[k] = eval(t, s, params)
	}
	return out
}

// copyRepository copies the files git lists in root (committed, or new and
// not ignored), as fetch:plain copies the repository's tree.
func copyRepository(t *testing.T, root, dst string) {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	for rel := range strings.SplitSeq(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, filepath.FromSlash(rel))
		info, err := os.Lstat(src)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the working tree, or not a file
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		full := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// valueRE is the one nunjucks form the skeleton uses: a value as a JSON
// string (dump), which is also a YAML string.
var valueRE = regexp.MustCompile(`\$\{\{\s*values\.(\w+)\s*\|\s*dump\s*\}\}`)

// renderSkeleton copies the skeleton into the workspace as fetch:template
// does: files matching copyVerbatim as they are, the others with their
// values substituted.
func renderSkeleton(t *testing.T, skeleton, dst string, values map[string]string, copyVerbatim []string) {
	t.Helper()
	err := filepath.WalkDir(skeleton, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(skeleton, p)
		rel = filepath.ToSlash(rel)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		verbatim := slices.ContainsFunc(copyVerbatim, func(g string) bool { ok, _ := path.Match(g, rel); return ok })
		if !verbatim {
			s := valueRE.ReplaceAllStringFunc(string(b), func(m string) string {
				name := valueRE.FindStringSubmatch(m)[1]
				v, ok := values[name]
				if !ok {
					t.Errorf("skeleton/%s: %s: the Template passes no value %q", rel, m, name)
				}
				js, _ := json.Marshal(v)
				return string(js)
			})
			if strings.Contains(s, "${{") || strings.Contains(s, "{%") {
				t.Errorf("skeleton/%s: a template expression the test does not know; use ${{ values.NAME | dump }}", rel)
			}
			b = []byte(s)
		}
		full := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		return os.WriteFile(full, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// initStep lints the dispatched workflow and returns its init step's script
// and environment, with ${{ inputs.NAME }} replaced by the inputs the
// Template dispatches it with, as GitHub Actions would.
func initStep(t *testing.T, wfPath string, inputs map[string]string) (string, []string) {
	t.Helper()
	b, err := os.ReadFile(wfPath)
	if err != nil {
		t.Fatalf("the dispatched workflow: %v", err)
	}
	var lint bytes.Buffer
	l, err := actionlint.NewLinter(&lint, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if errs, err := l.Lint(wfPath, b, nil); err != nil || len(errs) > 0 {
		t.Errorf("actionlint: %v\n%s", err, lint.String())
	}
	w, errs := actionlint.Parse(b)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", wfPath, errs)
	}
	declared := map[string]bool{}
	for _, e := range w.On {
		if d, ok := e.(*actionlint.WorkflowDispatchEvent); ok {
			for name := range d.Inputs {
				declared[name] = true
			}
		}
	}
	for name := range inputs {
		if !declared[name] {
			t.Errorf("the Template dispatches input %q, which %s does not declare", name, filepath.Base(wfPath))
		}
	}
	inputRE := regexp.MustCompile(`^\$\{\{\s*inputs\.(\w+)\s*\}\}$`)
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			run, ok := s.Exec.(*actionlint.ExecRun)
			if !ok || s.ID == nil || s.ID.Value != "init" {
				continue
			}
			var env []string
			if s.Env != nil {
				for _, v := range s.Env.Vars {
					m := inputRE.FindStringSubmatch(v.Value.Value)
					if m == nil {
						t.Fatalf("init step: env %s = %s; the test knows only ${{ inputs.NAME }}", v.Name.Value, v.Value.Value)
					}
					env = append(env, v.Name.Value+"="+inputs[m[1]])
				}
			}
			if strings.Contains(run.Run.Value, "${{") {
				t.Errorf("init step: its script holds an expression; pass inputs through env")
			}
			return run.Run.Value, env
		}
	}
	t.Fatalf("%s: no step with id init", wfPath)
	return "", nil
}

// compareTrees fails the test for every file that is in one tree and not
// the other, or differs; .git aside.
func compareTrees(t *testing.T, got, want string) {
	t.Helper()
	list := func(root string) map[string][]byte {
		files := map[string][]byte{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if d.IsDir() {
				if rel == ".git" {
					return filepath.SkipDir
				}
				return nil
			}
			b, err := os.ReadFile(p)
			files[filepath.ToSlash(rel)] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	g, w := list(got), list(want)
	var missing, unexpected, differ []string
	for p, b := range w {
		gb, ok := g[p]
		switch {
		case !ok:
			missing = append(missing, p)
		case !bytes.Equal(gb, b):
			differ = append(differ, p)
		}
	}
	for p := range g {
		if _, ok := w[p]; !ok {
			unexpected = append(unexpected, p)
		}
	}
	slices.Sort(missing)
	slices.Sort(unexpected)
	slices.Sort(differ)
	for _, p := range missing {
		t.Errorf("missing file %s: new renders it, the Template's run does not", p)
	}
	for _, p := range unexpected {
		t.Errorf("unexpected file %s: the Template's run leaves it, new does not render it", p)
	}
	for _, p := range differ {
		t.Errorf("%s differs between the Template's run and new", p)
	}
	if !t.Failed() {
		t.Logf("identical trees: %d files", len(w))
	}
}
