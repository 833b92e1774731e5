package process

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// Log collects a process's output line by line and lets tests wait for a
// line, instead of sleeping and hoping it was written.
type Log struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
	changed chan struct{} // closed and replaced when a line arrives
}

// NewLog returns an empty log.
func NewLog() *Log { return &Log{changed: make(chan struct{})} }

// Write implements [io.Writer]; complete lines are kept, a partial line is
// held until its newline arrives.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
		added = true
	}
	if added {
		close(l.changed)
		l.changed = make(chan struct{})
	}
	return len(p), nil
}

// Lines returns the complete lines so far.
func (l *Log) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// Wait returns the first line for which match is true, waiting for more
// lines until ctx is done.
func (l *Log) Wait(ctx context.Context, match func(line string) bool) (string, error) {
	seen := 0
	for {
		l.mu.Lock()
		lines, changed := l.lines[seen:], l.changed
		seen = len(l.lines)
		l.mu.Unlock()
		for _, line := range lines {
			if match(line) {
				return line, nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return "", fmt.Errorf("no matching log line: %w", context.Cause(ctx))
		}
	}
}

// Entry is one JSON log line, as the generated services write them with
// log/slog's JSON handler.
type Entry map[string]any

// String returns the value of a string field, "" when absent.
func (e Entry) String(key string) string {
	s, _ := e[key].(string)
	return s
}

// Number returns the value of a numeric field, 0 when absent.
func (e Entry) Number(key string) float64 {
	f, _ := e[key].(float64)
	return f
}

// Matches reports whether every field in want has that value (compared as
// strings).
func (e Entry) Matches(want map[string]string) bool {
	for k, v := range want {
		if fmt.Sprint(e[k]) != v {
			return false
		}
	}
	return true
}

// ParseEntry parses a JSON log line; ok is false for a line that is not a
// JSON object.
func ParseEntry(line string) (e Entry, ok bool) {
	if json.Unmarshal([]byte(line), &e) != nil {
		return nil, false
	}
	return e, true
}

// WaitEntry returns the first JSON entry with every field in want, waiting
// until ctx is done.
func (l *Log) WaitEntry(ctx context.Context, want map[string]string) (Entry, error) {
	line, err := l.Wait(ctx, func(line string) bool {
		e, ok := ParseEntry(line)
		return ok && e.Matches(want)
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for a log entry with %v: %w", want, err)
	}
	e, _ := ParseEntry(line)
	return e, nil
}
