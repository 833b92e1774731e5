package backstage_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/new-service/new-service/generator/cli"
)

// nodeModules returns the folder of the pinned Backstage packages
// (tools/backstage/package-lock.json): $BACKSTAGE_NODE_PATH (the test task
// installs them into bin/backstage first), else bin/backstage if present.
// Without them the test skips in -short mode, and otherwise installs them
// now with npm ci.
func nodeModules(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BACKSTAGE_NODE_PATH"); p != "" {
		return p
	}
	if p, err := filepath.Abs("../bin/backstage/node_modules"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if testing.Short() {
		t.Skip("the Backstage validators are not installed: go tool task backstage:tools")
	}
	npmOnce.Do(func() {
		dir, err := os.MkdirTemp("", "backstage-validators")
		if err != nil {
			npmErr = err
			return
		}
		for _, f := range []string{"package.json", "package-lock.json"} {
			b, err := os.ReadFile(filepath.Join("..", "tools", "backstage", f))
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, f), b, 0o644)
			}
			if err != nil {
				npmErr = err
				return
			}
		}
		cmd := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			npmErr = err
			npmOut = string(out)
			return
		}
		npmDir = filepath.Join(dir, "node_modules")
	})
	if npmErr != nil {
		t.Fatalf("npm ci tools/backstage (or run go tool task backstage:tools): %v\n%s", npmErr, npmOut)
	}
	return npmDir
}

var (
	npmOnce                sync.Once
	npmDir, npmOut         string
	npmErr                 error
	validLine, invalidLine = regexp.MustCompile(`(?m)^(.*): document \d+ \(.*\): valid$`), regexp.MustCompile(`(?m)^(.*): document \d+ \(.*\): invalid: (.*)$`)
)

// validate runs Backstage's own validators (tools/backstage/validate.cjs)
// on the files and returns what it printed and whether all were valid.
func validate(t *testing.T, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join("..", "tools", "backstage", "validate.cjs")}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodeModules(t))
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return string(out), false
	}
	if err != nil {
		t.Fatalf("node validate.cjs: %v\n%s", err, out)
	}
	return string(out), true
}

// TestBackstageSchemas validates the Template and every catalog entity new
// renders with Backstage's published validators, pinned by
// tools/backstage/package-lock.json: the entity envelope and kind schemas
// and the catalog's field rules of @backstage/catalog-model, and the
// Template v1beta3 schema of @backstage/plugin-scaffolder-common. It then
// breaks a copy of each in a way Backstage refuses, and checks the same
// validation rejects it.
func TestBackstageSchemas(t *testing.T) {
	tmp := t.TempDir()
	// The billing API on GitHub, in a system, as the Template would set it
	// up; rendered without the build, so gen/ is empty.
	settings := filepath.Join(tmp, "settings.yaml")
	if err := os.WriteFile(settings, []byte("owner: group:default/team-billing\nsystem: payments\nlifecycle: production\ndescription: Bills customers.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	billing := filepath.Join(tmp, "billing")
	var out bytes.Buffer
	args := []string{"new", "--no-build", "--proto", "../template/testdata/billing", "--module", "github.com/acme/billing", "--settings", settings, billing}
	if code := cli.Main(args, nil, &out, &out); code != 0 {
		t.Fatalf("new-service %s: exit %d\n%s", strings.Join(args, " "), code, out.String())
	}

	// The reference service is built: every definition file must exist.
	// Billing is not: its gen/ files read as a note.
	files := []string{
		"template.yaml",
		filepath.Join("..", "examples", "orders", "catalog-info.yaml"),
		filepath.Join(billing, "catalog-info.yaml"),
	}
	report, ok := validate(t, files[:2]...)
	unbuilt, ok2 := validate(t, "--unbuilt", "gen/", files[2])
	report += unbuilt
	if !ok || !ok2 {
		t.Errorf("Backstage rejects what new-service ships:\n%s", report)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs := len(regexp.MustCompile(`(?m)^---[ \t]*$`).FindAllIndex(b, -1)) + 1
		if n := strings.Count(report, f+": document "); n != docs {
			t.Errorf("%s: %d documents validated, want %d:\n%s", f, n, docs, report)
		}
	}
	t.Logf("%d entities valid", len(validLine.FindAllString(report, -1)))

	// Broken copies, each in one way Backstage refuses, in a folder of their
	// own (never in the repository, which other tests read) where proto/ and
	// gen/ lead to the reference service's, so that relative placeholders
	// resolve as they do beside the original.
	orders := filepath.Join("..", "examples", "orders", "catalog-info.yaml")
	brokenDir := filepath.Join(tmp, "broken")
	if err := os.Mkdir(brokenDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"proto", "gen"} {
		target, err := filepath.Abs(filepath.Join("..", "examples", "orders", d))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(brokenDir, d)); err != nil {
			t.Fatal(err)
		}
	}
	broken := []struct {
		name, from, old, new, want string
	}{
		{"no owner", orders, "\n  owner: \"team-unknown\"\n", "\n", "must have required property 'owner'"},
		{"bad entity name", orders, "\n  name: orders\n", "\n  name: orders service\n", `"metadata.name" is not valid`},
		{"type not a string", orders, "\n  type: service\n", "\n  type: [service]\n", "/spec/type must be string"},
		{"missing definition file", orders, "$text: ./proto/acme/orders/v1/orders.proto", "$text: ./proto/acme/orders/v1/gone.proto", "ENOENT"},
		{"template step without action", "template.yaml", "action: fetch:template", "uses: fetch:template", "must have required property 'action'"},
		{"template without steps", "template.yaml", "\n  steps:\n", "\n  stages:\n", "must have required property 'steps'"},
	}
	var paths []string
	for i, b := range broken {
		content, err := os.ReadFile(b.from)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(content, []byte(b.old)) {
			t.Fatalf("%s: %s no longer contains %q: update the case", b.name, b.from, b.old)
		}
		p := filepath.Join(brokenDir, strings.ReplaceAll(b.name, " ", "-")+".yaml")
		if err := os.WriteFile(p, bytes.Replace(content, []byte(b.old), []byte(b.new), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		broken[i].from = p
		paths = append(paths, p)
	}
	report, ok = validate(t, paths...)
	if ok {
		t.Errorf("every broken file passed:\n%s", report)
	}
	for _, b := range broken {
		found := false
		for _, m := range invalidLine.FindAllStringSubmatch(report, -1) {
			if m[1] == b.from && strings.Contains(m[2], b.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: not rejected with %q:\n%s", b.name, b.want, report)
		}
	}
}
