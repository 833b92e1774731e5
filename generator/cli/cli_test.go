package cli_test

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/new-service/new-service/generator/cli"
)

var update = flag.Bool("update", false, "rewrite the cmp files of testdata/script/*.txtar with what the commands print")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"new-service": func() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI end-to-end scripts in testdata/script, one
// behaviour per script. Scripts that build a service skip themselves in
// -short mode.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
		Setup:               setupGo,
	})
}

// setupGo lets scripts run the go command against this machine's module and
// build caches, so that building a generated service does not start cold
// and needs no network beyond what the caches lack.
func setupGo(env *testscript.Env) error {
	for _, key := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOFLAGS", "GONOSUMDB", "GOPRIVATE", "GOTOOLCHAIN"} {
		out, err := exec.Command("go", "env", key).Output()
		if err != nil {
			return err
		}
		if v := strings.TrimSpace(string(out)); v != "" {
			env.Setenv(key, v)
		}
	}
	env.Setenv("BUF_CACHE_DIR", filepath.Join(env.WorkDir, ".cache", "buf"))
	env.Setenv("HOME", filepath.Join(env.WorkDir, ".home"))
	return nil
}
