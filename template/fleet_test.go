package template_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/new-service/new-service/internal/testcache"
)

// TestCIFleetReport runs the generated CI's fleet step as GitHub would, on a
// service with local drift rendered by an older template, with `go` on the
// PATH standing in for `go run new-service@latest`: the step writes the
// report, prints it, flags the old template and never fails the build; the
// next step uploads the file it wrote.
func TestCIFleetReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds new-service and renders a service")
	}
	orders := services(t)[0]
	_, steps := workflowSteps(t, orders)
	i := slices.IndexFunc(steps, func(s step) bool { return strings.Contains(s.run, "check --json") })
	if i < 0 {
		t.Fatal("no step runs new-service check --json")
	}
	report := steps[i]
	if !slices.ContainsFunc(steps[i:], func(s step) bool {
		return s.job == report.job && strings.HasPrefix(s.uses, "actions/upload-artifact@") && s.with["path"] == "new-service-check.json"
	}) {
		t.Errorf("job %s does not upload new-service-check.json after the report", report.job)
	}

	// The generator reaches this test only through go build (see
	// internal/testcache).
	if err := testcache.Consult("../cmd", "../generator", "../go.mod", "../go.sum"); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "new-service")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/new-service").CombinedOutput(); err != nil {
		t.Fatalf("build new-service: %v\n%s", err, out)
	}
	svc := filepath.Join(tmp, "svc")
	if out, err := exec.Command(bin, "new", "--no-build", svc).CombinedOutput(); err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	// Drift: a generated file edited, and a lock from template 1.
	if err := os.WriteFile(filepath.Join(svc, "internal/server/server.go"), []byte("package server\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(svc, "new-service.lock"))
	if err != nil {
		t.Fatal(err)
	}
	var l map[string]any
	if err := json.Unmarshal(lock, &l); err != nil {
		t.Fatal(err)
	}
	l["template"] = 1
	lock, _ = json.Marshal(l)
	if err := os.WriteFile(filepath.Join(svc, "new-service.lock"), lock, 0o644); err != nil {
		t.Fatal(err)
	}

	// go run github.com/new-service/new-service/cmd/new-service@latest ARGS
	// runs the binary just built.
	shim := filepath.Join(tmp, "shim")
	if err := os.Mkdir(shim, 0o755); err != nil {
		t.Fatal(err)
	}
	goShim := "#!/bin/sh\n[ \"$1 $2\" = 'run github.com/new-service/new-service/cmd/new-service@latest' ] || { echo \"unexpected: go $*\" >&2; exit 2; }\nshift 2\nexec " + bin + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shim, "go"), []byte(goShim), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-e", "-c", report.run)
	cmd.Dir = svc
	cmd.Env = append(os.Environ(), "PATH="+shim+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the fleet step failed the build: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(svc, "new-service-check.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Template int  `json:"template"`
		Current  bool `json:"current"`
		UpToDate bool `json:"up_to_date"`
		Changes  []struct {
			Kind, Path string
		} `json:"changes"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("new-service-check.json: %v\n%s", err, b)
	}
	if r.Template != 1 || r.Current || r.UpToDate || !slices.ContainsFunc(r.Changes, func(c struct{ Kind, Path string }) bool {
		return c.Kind == "edited" && c.Path == "internal/server/server.go"
	}) {
		t.Errorf("report %+v: want template 1, not current, not up to date, the edited server.go listed", r)
	}
	if !strings.Contains(string(out), `"up_to_date": false`) || !strings.Contains(string(out), "::notice::") {
		t.Errorf("the step's log does not show the report and a notice for the old template:\n%s", out)
	}
}
