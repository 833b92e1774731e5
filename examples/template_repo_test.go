package examples

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTemplateRepository follows the GitHub template repository path: a
// copy of this repository turned into a team's own service with one task,
// `go tool task init`. Everything but .git is replaced by the new service,
// which builds.
func TestTemplateRepository(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the repository and builds a service")
	}
	out, err := exec.Command("git", "-C", "..", "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	repo := filepath.Join(t.TempDir(), "widgets")
	for _, rel := range strings.Fields(string(out)) {
		if strings.HasPrefix(rel, "examples/orders/") {
			continue // a module of its own; not needed to run init
		}
		b, err := os.ReadFile(filepath.Join("..", rel))
		if err != nil {
			continue // listed but deleted in the working tree
		}
		full := filepath.Join(repo, rel)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The team's repository history, which init must leave alone.
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, ".git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("go", "tool", "task", "init", "--", "--module", "example.com/acme/widgets")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go tool task init: %v\n%s", err, out)
	}

	gomod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil || !strings.HasPrefix(string(gomod), "module example.com/acme/widgets\n") {
		t.Errorf("go.mod is not the new service's: %v %.60q", err, gomod)
	}
	for _, want := range []string{".git/HEAD", "new-service.lock", "new-service.yaml", "cmd/widgets/main.go", "gen/acme/orders/v1/orders.pb.go"} {
		if _, err := os.Stat(filepath.Join(repo, want)); err != nil {
			t.Errorf("missing %s: %v", want, err)
		}
	}
	for _, gone := range []string{"generator", "template", "examples", ".init", "cmd/new-service"} {
		if _, err := os.Stat(filepath.Join(repo, gone)); err == nil {
			t.Errorf("%s is still there", gone)
		}
	}
	vet := exec.Command("go", "vet", "./...")
	vet.Dir = repo
	vet.Env = append(os.Environ(), "GOWORK=off")
	if out, err := vet.CombinedOutput(); err != nil {
		t.Errorf("go vet in the new service: %v\n%s", err, out)
	}
}
