// Package prototest loads protos and builds their model for the
// generator's tests.
package prototest

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/new-service/new-service/generator/load"
	"github.com/new-service/new-service/generator/model"
)

// Files is a root holding srcs, import path to source, under "testdata".
func Files(srcs map[string]string) load.Root {
	fsys := fstest.MapFS{}
	for p, src := range srcs {
		fsys[p] = &fstest.MapFile{Data: []byte(src)}
	}
	return load.Root{FS: fsys, Dir: "testdata"}
}

// Build loads inputs from root and builds their App with opts; an error
// fails t.
func Build(t testing.TB, root load.Root, opts model.Options, inputs ...string) (*load.Result, *model.App) {
	t.Helper()
	res, err := load.Load(context.Background(), load.Input{Roots: []load.Root{root}, Files: inputs})
	if err != nil {
		t.Fatal(err)
	}
	app, err := model.Build(res, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res, app
}
