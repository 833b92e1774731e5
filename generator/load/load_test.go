package load_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/new-service/new-service/generator/load"
	refproto "github.com/new-service/new-service/proto"
)

func TestLoadReference(t *testing.T) {
	in := load.Input{
		Roots: []load.Root{{FS: refproto.FS, Dir: refproto.Dir}},
		Files: []string{"acme/orders/v1/orders.proto"},
	}
	res, err := load.Load(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Files[0].Services().Get(0).FullName(); got != "acme.orders.v1.OrderService" {
		t.Errorf("service = %s", got)
	}
	t.Log(res.Sources)
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{
			name: "syntax error",
			src:  "syntax = \"proto3\";\npackage a;\nmessage M { string s = 1 }\n",
			want: "testdata/a.proto:3:26: syntax error: expecting ';'",
		},
		{
			name: "missing import",
			src:  "syntax = \"proto3\";\npackage a;\nimport \"b/c.proto\";\n",
			want: `testdata/a.proto:3:8: import "b/c.proto" not found; looked in: testdata and the built-in protos (google/protobuf, google/api, google/rpc, google/type, google/longrunning, protoc-gen-openapiv2/options, buf/validate, validate/validate.proto); add the folder it is relative to with -I DIR`,
		},
		{
			name: "every missing import in one run",
			src:  "syntax = \"proto3\";\npackage a;\nimport \"b/c.proto\";\nimport \"google/api/annotations.proto\";\nimport \"d/e.proto\";\n",
			want: `testdata/a.proto:3:8: import "b/c.proto" not found; looked in: testdata and the built-in protos (google/protobuf, google/api, google/rpc, google/type, google/longrunning, protoc-gen-openapiv2/options, buf/validate, validate/validate.proto); add the folder it is relative to with -I DIR
testdata/a.proto:5:8: import "d/e.proto" not found; looked in: testdata and the built-in protos (google/protobuf, google/api, google/rpc, google/type, google/longrunning, protoc-gen-openapiv2/options, buf/validate, validate/validate.proto); add the folder it is relative to with -I DIR`,
		},
		{
			name: "undefined type",
			src:  "syntax = \"proto3\";\npackage a;\nmessage M { N n = 1; }\n",
			want: `testdata/a.proto:3:13: field a.M.n: unknown type N`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := load.Input{
				Roots: []load.Root{{FS: fstest.MapFS{"a.proto": {Data: []byte(tt.src)}}, Dir: "testdata"}},
				Files: []string{"a.proto"},
			}
			_, err := load.Load(context.Background(), in)
			var list load.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Load error = %v (%T), want a load.ErrorList", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Load error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestLoadBelowRoot checks that a --proto folder below the files' import
// root is named as the cause, with the folder to pass instead.
func TestLoadBelowRoot(t *testing.T) {
	dir := t.TempDir()
	pkg := filepath.Join(dir, "api", "acme", "orders", "v1")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"orders.proto": "syntax = \"proto3\";\npackage acme.orders.v1;\nimport \"acme/orders/v1/order.proto\";\nservice S { rpc Get(Order) returns (Order); }\n",
		"order.proto":  "syntax = \"proto3\";\npackage acme.orders.v1;\nmessage Order {}\n",
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(pkg, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	tests := []struct {
		name     string
		includes []string
		want     string
	}{
		{
			name: "not found",
			want: `api/acme/orders/v1/orders.proto:3:8: import "acme/orders/v1/order.proto" not found, but it is api/acme/orders/v1/order.proto, an input: the files' import root is api, a folder above the one given: pass --proto api (or -I api with --proto FILE) instead of --proto api/acme/orders/v1`,
		},
		{
			name:     "found twice",
			includes: []string{"api"},
			want:     `api/acme/orders/v1/order.proto: this file is reached both as "order.proto" and as "acme/orders/v1/order.proto", and one file cannot have two import paths: the files' import root is api, a folder above the one given: pass --proto api (or -I api with --proto FILE) instead of --proto api/acme/orders/v1; then every file is known by the path its imports use`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := load.Resolve([]string{"api/acme/orders/v1"}, tt.includes)
			if err != nil {
				t.Fatal(err)
			}
			_, err = load.Load(context.Background(), in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Load error:\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}
