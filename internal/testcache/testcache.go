// Package testcache makes go test's result cache see the files a test uses
// only through a child process. go test reuses a package's cached result
// until its test binary changes or a file or environment variable the test
// process itself read changes; a test that runs `go build ./cmd/new-service`
// or builds a rendered service reads this repository's sources in the
// child, so a change to the generator would leave its result cached, and
// the test skipped, on any machine whose build cache is warm.
//
// go test ignores files outside the calling package's module, so this
// works for this module's tests only; the conformance module, whose
// inputs live outside it, runs with -count=1 instead (Taskfile.yml).
package testcache

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Consult reads the metadata of every file and folder below each of paths
// (a file or a folder; folders named bin, or starting with a dot, are
// skipped), so that go test records them: a file added, removed or changed
// below them makes the calling package's next run a real one. go test logs
// a folder the test opens with every entry's size and modification time, so
// opening each folder is enough; a file given itself is stat'ed.
func Consult(paths ...string) error {
	for _, root := range paths {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case path == root && !d.IsDir():
				_, err = os.Stat(path)
				return err
			case path != root && d.IsDir() && (d.Name() == "bin" || strings.HasPrefix(d.Name(), ".")):
				return filepath.SkipDir
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("testcache: %w", err)
		}
	}
	return nil
}
