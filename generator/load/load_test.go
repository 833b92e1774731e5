package load_test

import (
	"context"
	"errors"
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
			want: `testdata/a.proto:3:8: import "b/c.proto" not found; looked in: testdata, the well-known types (google/protobuf/*), the Google API protos (google/api, google/rpc, google/type); add the folder it is relative to with -I DIR`,
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
