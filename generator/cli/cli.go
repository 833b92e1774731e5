// Package cli is the new-service command line: it parses flags, runs the
// pipeline (load, model, render, write) and turns every failure into a
// message that starts with "new-service: " and an exit code: 0 done, 1 the
// input is wrong or a step failed, 2 usage.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"

	"github.com/new-service/new-service/generator/write"
	svctemplate "github.com/new-service/new-service/template"
)

// Exit codes.
const (
	exitOK    = 0
	exitInput = 1
	exitUsage = 2
)

const usage = `usage:
  new-service new [flags] DIR    create a service in DIR (absent or empty)
  new-service update [DIR]       re-render after the proto, the settings or the template changed
  new-service check [--json] [DIR]
                                 exit 1 if update would change anything; --json reports it
  new-service version            print the generator and template versions

Run 'new-service COMMAND -h' for the flags of a command.
`

// Main runs the command with the given arguments (without the program name)
// and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "new":
		err = runNew(ctx, args[1:], stdout)
	case "update":
		err = runUpdate(ctx, args[1:], stdout)
	case "check":
		err = runCheckCommand(ctx, args[1:], stdout)
	case "version":
		fmt.Fprintf(stdout, "new-service %s (template %d)\n", Version(), svctemplate.Version)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "new-service: unknown command %q\n%s", args[0], usage)
		return exitUsage
	}
	return report(err, stderr)
}

// usageError is a command line that cannot be run as given.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// report prints err, one "new-service: " line per line of it, and returns
// the exit code it calls for.
// warnOptional prints a warning for an optional post-step that failed:
// the service is created without what it makes.
func warnOptional(stdout io.Writer) func(*write.StepError) {
	return func(e *write.StepError) {
		reason := e.PluginFailure()
		if reason == "" {
			reason = e.Output
		}
		for i, line := range strings.Split(strings.TrimSpace(reason), "\n") {
			if i == 0 {
				fmt.Fprintf(stdout, "new-service: warning: %s: %s\n", e.Step.Name, line)
				continue
			}
			fmt.Fprintf(stdout, "new-service: warning:   %s\n", line)
		}
		fmt.Fprintf(stdout, "new-service: warning: %s: the service builds and serves without it; fix the proto and run 'go tool -modfile=tools.go.mod task generate'\n", e.Step.Name)
	}
}

func report(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	for line := range strings.SplitSeq(strings.TrimRight(err.Error(), "\n"), "\n") {
		fmt.Fprintf(stderr, "new-service: %s\n", line)
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitInput
}

// Version is the generator's version: the module version it was built at
// by go install, or "devel" when built from a checkout.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
