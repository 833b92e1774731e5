package testcache_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/new-service/new-service/internal/testcache"
)

func TestConsultMissing(t *testing.T) {
	if err := testcache.Consult(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("Consult of a missing path: no error")
	}
}

// TestConsultInvalidatesCache runs go test twice on a module whose test
// consults a folder it does not otherwise read: the second run is cached;
// after a file below the folder changes, the third is not.
func TestConsultInvalidatesCache(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test three times")
	}
	// The package's own source, copied into a module of the test's (an
	// internal package cannot be imported from another module).
	src, err := os.ReadFile("testcache.go")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.26\n")
	write("testcache/testcache.go", string(src))
	write("m_test.go", `package m

import (
	"testing"

	"example.com/m/testcache"
)

func TestM(t *testing.T) {
	if err := testcache.Consult("src"); err != nil {
		t.Fatal(err)
	}
}
`)
	write("src/a/file.txt", "one")
	old := time.Now().Add(-time.Minute) // go test does not cache over files changed in the last seconds
	os.Chtimes(filepath.Join(dir, "src", "a", "file.txt"), old, old)
	gotest := func() string {
		t.Helper()
		cmd := exec.Command("go", "test", ".")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go test: %v\n%s", err, out)
		}
		return string(out)
	}
	gotest()
	if out := gotest(); !strings.Contains(out, "(cached)") {
		t.Fatalf("second run not cached:\n%s", out)
	}
	write("src/a/file.txt", "two, longer")
	os.Chtimes(filepath.Join(dir, "src", "a", "file.txt"), old.Add(time.Second), old.Add(time.Second))
	if out := gotest(); strings.Contains(out, "(cached)") {
		t.Fatalf("run after a consulted file changed was cached:\n%s", out)
	}
}
