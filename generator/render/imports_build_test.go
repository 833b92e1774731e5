package render_test

import (
	"context"
	"os/exec"
	"testing"

	"github.com/new-service/new-service/generator/pipeline"
	"github.com/new-service/new-service/generator/render"
	"github.com/new-service/new-service/generator/write"
)

// TestImportNamesCompile builds and vets (so compiles the tests too) the
// reference service with its generated and handler packages named ctx,
// err, server, metrics, grpc, status, runtime and deps: identifiers the
// rendered files declare or import themselves. Each file must import the
// packages under names of their own.
func TestImportNamesCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a service")
	}
	ctx := context.Background()
	in, err := pipeline.Reference("orders", "example.com/orders", "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pipeline.Generate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	render.ForceAliases(out.App, []string{"ctx", "err", "server", "metrics", "grpc", "status", "runtime", "deps"})
	files, err := render.Render(out.App, out.Fixtures)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() + "/orders"
	if err := write.Create(ctx, dir, files, write.Options{Steps: write.PostSteps}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "go", "vet", "./...")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet ./...: %v\n%s", err, b)
	}
}
