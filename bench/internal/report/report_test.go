package report_test

import (
	"encoding/xml"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/new-service/new-service/bench/internal/report"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with what the renderers produce")

var servers = []string{"bare grpc-go", "new-service", "kratos", "go-zero"}

// fixture reads testdata/results.json (3 rounds; in round r every figure
// of every server is scaled by the same factor, so ratios are constant)
// and summarises it as the harness does.
func fixture(t *testing.T) *report.Results {
	t.Helper()
	r, err := report.Read(filepath.Join("testdata", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	r.Summary = append(r.Summary, report.Summarize(r.Samples, report.Unary, "bare grpc-go", servers)...)
	r.Summary = append(r.Summary, report.Summarize(r.Samples, report.Stream, "bare grpc-go", servers)...)
	r.Summary = append(r.Summary, report.Summarize(r.Samples, report.Gateway, "gRPC", []string{"gRPC", "REST (gateway)"})...)
	r.Summary = append(r.Summary, report.Summarize(r.Samples, report.Traced, "bare grpc-go", servers)...)
	return r
}

func TestSummarize(t *testing.T) {
	r := fixture(t)
	tests := []struct {
		name     string
		scenario string
		server   string
		field    func(report.Summary) float64
		want     float64
	}{
		{"baseline throughput ratio", report.Unary, "bare grpc-go", func(s report.Summary) float64 { return s.Throughput }, 1},
		{"throughput ratio", report.Unary, "new-service", func(s report.Summary) float64 { return s.Throughput }, 0.9},
		{"p99 ratio", report.Unary, "go-zero", func(s report.Summary) float64 { return s.P99 }, 1.4},
		{"cpu ratio", report.Unary, "kratos", func(s report.Summary) float64 { return s.CPU }, 3},
		{"allocs ratio", report.Gateway, "REST (gateway)", func(s report.Summary) float64 { return s.Allocs }, 446.0 / 121},
		{"median req/s", report.Unary, "bare grpc-go", func(s report.Summary) float64 { return s.PerSecond }, 10000},
		{"server busy", report.Unary, "new-service", func(s report.Summary) float64 { return s.ServerBusy }, 0.45},
		{"load busy", report.Stream, "kratos", func(s report.Summary) float64 { return s.LoadBusy }, 1},
		{"traced baseline cpu ratio", report.Traced, "bare grpc-go", func(s report.Summary) float64 { return s.CPU }, 1},
		{"traced throughput ratio", report.Traced, "kratos", func(s report.Summary) float64 { return s.Throughput }, 0.8},
		{"traced cpu ratio", report.Traced, "new-service", func(s report.Summary) float64 { return s.CPU }, 3},
		{"traced allocs ratio", report.Traced, "go-zero", func(s report.Summary) float64 { return s.Allocs }, 4.2},
		{"traced median p99", report.Traced, "go-zero", func(s report.Summary) float64 { return s.P99Ms }, 4.8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := r.Find(tt.scenario, tt.server)
			if !ok {
				t.Fatalf("no summary of %s under %s", tt.server, tt.scenario)
			}
			if got := tt.field(s); math.Abs(got-tt.want) > 0.01*tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if s.Rounds != 3 {
				t.Errorf("rounds = %d, want 3", s.Rounds)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"none", nil, 0},
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := report.Median(tt.xs); got != tt.want {
			t.Errorf("%s: Median(%v) = %v, want %v", tt.name, tt.xs, got, tt.want)
		}
	}
}

func TestSVG(t *testing.T) {
	svg := report.SVG(fixture(t))
	// Well-formed XML, and one bar per server and ratio.
	dec := xml.NewDecoder(strings.NewReader(svg))
	bars := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "title" {
			bars++
		}
	}
	if want := len(servers) * 3; bars != want {
		t.Errorf("%d bars, want %d", bars, want)
	}
	golden(t, "chart.svg.golden", svg)
}

func TestMarkdown(t *testing.T) {
	golden(t, "tables.md.golden", report.Markdown(fixture(t)))
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what the renderer produces now; run go test -update and review the diff", path)
	}
}

func TestWriteRead(t *testing.T) {
	r := fixture(t)
	path := filepath.Join(t.TempDir(), "r.json")
	if err := report.Write(path, r); err != nil {
		t.Fatal(err)
	}
	back, err := report.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if report.SVG(back) != report.SVG(r) || len(back.Samples) != len(r.Samples) {
		t.Error("results read back differ from those written")
	}
}
