// Package examples holds the reference service rendered by new-service and
// the tests proving it is what the generator renders today.
package examples

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/new-service/new-service/generator/cli"
	"github.com/new-service/new-service/generator/pipeline"
	"github.com/new-service/new-service/generator/render"
	"github.com/new-service/new-service/generator/write"
	svctemplate "github.com/new-service/new-service/template"

	"github.com/new-service/new-service/internal/testcache"
)

var update = flag.Bool("update", false, "rewrite the generated files of examples/orders with what the generator renders now")

// orders is how examples/orders was created:
//
//	new-service new --module github.com/new-service/new-service/examples/orders examples/orders
const ordersName, ordersModule = "orders", "github.com/new-service/new-service/examples/orders"

// renderOrders renders examples/orders as new-service new writes it: the
// template's files with the lock file and the base copies of the
// scaffolded files.
func renderOrders(t *testing.T) render.Files {
	t.Helper()
	in, err := pipeline.Reference(ordersName, ordersModule, cli.Version())
	if err != nil {
		t.Fatal(err)
	}
	out, err := pipeline.Generate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	lock := write.NewLock(write.Lock{Generator: cli.Version(), Template: svctemplate.Version, Name: ordersName, Module: ordersModule}, out.Files)
	return write.WithLock(out.Files, lock)
}

// TestGolden proves that every generated file of examples/orders is byte
// for byte what the generator renders now (the lock file and the base
// copies of scaffolded files included), that no stale generated file is
// left, and that every scaffolded file exists (its content is the example's
// own, written by hand).
func TestGolden(t *testing.T) {
	const dir = "orders"
	files := renderOrders(t)
	for _, p := range files.Paths() {
		f := files[p]
		path := filepath.Join(dir, filepath.FromSlash(p))
		got, err := os.ReadFile(path)
		if f.Owner.Users() {
			if err != nil {
				t.Errorf("missing scaffolded file %s: %v", path, err)
			}
			continue
		}
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, f.Content, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err != nil {
			t.Errorf("missing generated file %s: %v (run go test ./examples -update)", path, err)
			continue
		}
		if diff := cmp.Diff(lines(f.Content), lines(got)); diff != "" {
			t.Errorf("%s differs from what the generator renders (-want +got):\n%s\nrun go test ./examples -update and review the diff", path, diff)
		}
	}
	// A generated file that is no longer rendered must be gone.
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(path, dir+string(filepath.Separator)))
		if _, ok := files[rel]; ok {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(firstLine(b), []byte(render.Header)) {
			if *update {
				return os.Remove(path)
			}
			t.Errorf("unexpected generated file %s: the generator no longer renders it", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// lines splits a file into lines, so that a diff shows lines.
func lines(b []byte) []string { return strings.SplitAfter(string(b), "\n") }

func firstLine(b []byte) []byte {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return line
}

// TestGeneratedCode proves that examples/orders/gen is what the service's
// own pinned buf and plugins generate from its proto/ today, by generating
// into a copy and comparing the trees.
func TestGeneratedCode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs buf")
	}
	const dir = "orders"
	tmp := t.TempDir()
	for _, p := range []string{"proto", "third_party", "buf.yaml", "buf.gen.yaml", "buf.gen.gateway.yaml", "buf.gen.openapi.yaml", "go.mod", "go.sum", "tools.go.mod", "tools.go.sum", "internal/apidocs/openapi3"} {
		copyPath(t, filepath.Join(dir, p), filepath.Join(tmp, p))
	}
	// The steps of new and update that write gen/, in their order.
	for _, step := range write.PostSteps {
		if !slices.Contains(step.Args, "buf") && step.Name != "openapi 3" {
			continue
		}
		cmd := exec.Command(step.Args[0], step.Args[1:]...)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", step.Name, err, out)
		}
	}
	want := tree(t, filepath.Join(tmp, "gen"))
	got := tree(t, filepath.Join(dir, "gen"))
	for p, w := range want {
		if g, ok := got[p]; !ok {
			t.Errorf("missing gen/%s: run go tool task generate in examples/orders", p)
		} else if diff := cmp.Diff(lines(w), lines(g)); diff != "" {
			t.Errorf("gen/%s differs from what buf generates (-want +got):\n%s\nrun go tool task generate in examples/orders", p, diff)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("unexpected gen/%s: buf no longer generates it", p)
		}
	}
}

// copyPath copies a file or a folder tree.
func copyPath(t *testing.T, from, to string) {
	t.Helper()
	info, err := os.Stat(from)
	if err != nil {
		t.Fatal(err)
	}
	if info.IsDir() {
		err = os.CopyFS(to, os.DirFS(from))
	} else {
		var b []byte
		if b, err = os.ReadFile(from); err == nil {
			err = os.WriteFile(to, b, 0o644)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

func tree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(root, path)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInterceptorSignatureChecked proves that a service's own interceptor
// hook with the wrong signature fails the build where it says how to fix
// it, rather than being silently never called: it builds examples/orders
// with one more file in internal/deps (a go build -overlay, so nothing is
// written to the example).
func TestInterceptorSignatureChecked(t *testing.T) {
	if testing.Short() {
		t.Skip("builds examples/orders")
	}
	dir, err := filepath.Abs("orders")
	if err != nil {
		t.Fatal(err)
	}
	// The example reaches this test only through go build (see
	// internal/testcache).
	if err := testcache.Consult(dir); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "stream.go")
	src := "package deps\n\nimport \"google.golang.org/grpc\"\n\n// StreamInterceptors returns one interceptor, not a slice.\nfunc (d *Deps) StreamInterceptors() grpc.StreamServerInterceptor { return nil }\n"
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	overlay := filepath.Join(tmp, "overlay.json")
	content := `{"Replace": {` + strconv.Quote(filepath.Join(dir, "internal", "deps", "stream_bad.go")) + `: ` + strconv.Quote(bad) + `}}`
	if err := os.WriteFile(overlay, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-overlay", overlay, "-o", os.DevNull, "./internal/server")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("the build accepted StreamInterceptors with the wrong signature")
	}
	if !strings.Contains(string(out), "internal/server/hooks.go") || !strings.Contains(string(out), "StreamInterceptors") {
		t.Errorf("the build failed elsewhere or without naming the method:\n%s", out)
	}
}
