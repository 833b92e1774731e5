package write

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// watcher is a progress writer that creates a file once the progress
// shows a line matching want, which releases the step waiting for it.
type watcher struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	want    *regexp.Regexp
	release string
}

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.want.Match(w.buf.Bytes()) {
		if err := os.WriteFile(w.release, nil, 0o644); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (w *watcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestRunSaysItIsAlive proves that a slow step prints, while it runs, a
// line with its elapsed time and its last line of output (the module go is
// downloading), issue 9's cold-machine case. The step waits until that
// line was printed, so the test needs no timing of its own.
func TestRunSaysItIsAlive(t *testing.T) {
	defer func(d time.Duration) { tick = d }(tick)
	tick = 10 * time.Millisecond
	dir := t.TempDir()
	w := &watcher{
		want:    regexp.MustCompile(`(?m)^new-service: go mod tidy: still running after \d+s: go: downloading example.com/m v1.0.0$`),
		release: filepath.Join(dir, "released"),
	}
	step := Step{
		Name:  "go mod tidy",
		Args:  []string{"sh", "-c", `echo "go: downloading example.com/m v1.0.0"; while [ ! -e released ]; do sleep 0.01; done`},
		Doing: "resolving modules",
	}
	// A step that never shows its progress would wait forever: fail instead.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, dir, step, w); err != nil {
		t.Fatalf("run: %v\nprogress:\n%s", err, w)
	}
	got := w.String()
	if !strings.HasPrefix(got, "new-service: go mod tidy ...\n") {
		t.Errorf("progress does not start with the step's name on a line of its own:\n%s", got)
	}
	if !regexp.MustCompile(`\nnew-service: go mod tidy \.\.\. [0-9.]+m?s\n$`).MatchString(got) {
		t.Errorf("progress does not end with the step's duration:\n%s", got)
	}
}

// TestRunQuietStep proves that a step shorter than a tick prints one line.
func TestRunQuietStep(t *testing.T) {
	var progress bytes.Buffer
	if err := run(context.Background(), t.TempDir(), Step{Name: "go build", Args: []string{"true"}}, &progress); err != nil {
		t.Fatal(err)
	}
	if got := progress.String(); !regexp.MustCompile(`^new-service: go build \.\.\. [0-9.]+m?s\n$`).MatchString(got) {
		t.Errorf("progress = %q, want one line with the duration", got)
	}
}
