package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/new-service/new-service/generator/load"
	"github.com/new-service/new-service/generator/pipeline"
)

// The benchmarks time the pure stages of `new` (load, model, render) with
// nothing written: docs/benchmarks.md has the figures and the command.

func BenchmarkReference(b *testing.B) {
	in, err := pipeline.Reference("bench", "example.com/bench", "")
	if err != nil {
		b.Fatal(err)
	}
	benchGenerate(b, in.Protos)
}

// BenchmarkSynthetic renders APIs of growing size, services x methods, to
// show how the cost scales with the number of RPCs.
func BenchmarkSynthetic(b *testing.B) {
	for _, size := range []struct{ services, methods int }{{1, 1}, {1, 10}, {5, 10}, {10, 10}, {50, 10}} {
		b.Run(fmt.Sprintf("%dx%d", size.services, size.methods), func(b *testing.B) {
			benchGenerate(b, syntheticAPI(size.services, size.methods))
		})
	}
}

func benchGenerate(b *testing.B, in load.Input) {
	b.ReportAllocs()
	for b.Loop() {
		out, err := pipeline.Generate(context.Background(), pipeline.Input{Protos: in, Name: "bench", Module: "example.com/bench"})
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Files) == 0 {
			b.Fatal("nothing rendered")
		}
	}
}

// syntheticAPI is one proto file with the given number of services, each
// with the given number of methods, every method bound to its own REST
// route with a path variable.
func syntheticAPI(services, methods int) load.Input {
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\npackage bench.v1;\nimport \"google/api/annotations.proto\";\n")
	for s := range services {
		fmt.Fprintf(&b, "service Service%d {\n", s)
		for m := range methods {
			fmt.Fprintf(&b, "  rpc Method%d(Request) returns (Response) { option (google.api.http) = {post: \"/v1/s%d/things/{id}:m%d\" body: \"*\"}; }\n", m, s, m)
		}
		b.WriteString("}\n")
	}
	b.WriteString("message Request { string id = 1; int32 n = 2; }\nmessage Response { string id = 1; }\n")
	fsys := fstest.MapFS{"bench/v1/api.proto": {Data: []byte(b.String())}}
	return load.Input{Roots: []load.Root{{FS: fsys, Dir: "(synthetic)"}}, Files: []string{"bench/v1/api.proto"}}
}
