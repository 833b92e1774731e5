package process

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLogLines(t *testing.T) {
	l := NewLog()
	for _, chunk := range []string{"first li", "ne\nsecond line\nthi", "rd"} {
		fmt.Fprint(l, chunk)
	}
	if diff := cmp.Diff([]string{"first line", "second line"}, l.Lines()); diff != "" {
		t.Errorf("Lines() (-want +got):\n%s", diff)
	}
}

func TestLogWaitEntry(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		want    map[string]string
		wantErr bool
	}{
		{name: "already written", lines: []string{`{"msg":"serving","grpc":"127.0.0.1:1"}`}, want: map[string]string{"msg": "serving"}},
		{name: "numbers compare as text", lines: []string{"not json", `{"msg":"finished call","grpc.time_ms":12.5}`}, want: map[string]string{"grpc.time_ms": "12.5"}},
		{name: "never written", lines: []string{`{"msg":"draining"}`}, want: map[string]string{"msg": "serving"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLog()
			for _, line := range tt.lines {
				fmt.Fprintln(l, line)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			e, err := l.WaitEntry(ctx, tt.want)
			if (err != nil) != tt.wantErr {
				t.Fatalf("WaitEntry(%v) = %v, %v; want error %v", tt.want, e, err, tt.wantErr)
			}
			if err == nil && !e.Matches(tt.want) {
				t.Errorf("WaitEntry(%v) = %v", tt.want, e)
			}
		})
	}
}

// TestLogWaitForLater checks that Wait sees a line written after it began
// waiting.
func TestLogWaitForLater(t *testing.T) {
	l := NewLog()
	got := make(chan string, 1)
	go func() {
		line, _ := l.Wait(t.Context(), func(line string) bool { return line == "later" })
		got <- line
	}()
	fmt.Fprintln(l, "earlier")
	fmt.Fprintln(l, "later")
	if line := <-got; line != "later" {
		t.Errorf("Wait returned %q, want %q", line, "later")
	}
}
