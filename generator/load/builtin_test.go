package load_test

import (
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/new-service/new-service/generator/load"
)

// TestBuiltinCoversGoogleapis checks the README's claim that every common
// proto of googleapis real APIs import (all of google/api, google/rpc,
// google/type and google/longrunning) is built in, against the list of
// googleapis' own files in testdata, and that each, like the other built-in
// protos, is the definition of the Go package its published module
// provides, which the service's go.mod pins.
func TestBuiltinCoversGoogleapis(t *testing.T) {
	b, err := os.ReadFile("testdata/googleapis-common.txt")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			paths = append(paths, line)
		}
	}
	paths = append(paths,
		"protoc-gen-openapiv2/options/annotations.proto",
		"protoc-gen-openapiv2/options/openapiv2.proto",
		"buf/validate/validate.proto",
		"validate/validate.proto",
	)
	// The Go package each folder's files declare, by the module that
	// publishes it.
	goPackages := []struct{ prefix, goPackage string }{
		{"google/api/", "google.golang.org/genproto/googleapis/api"},
		{"google/rpc/", "google.golang.org/genproto/googleapis/rpc/"},
		{"google/type/", "google.golang.org/genproto/googleapis/type/"},
		{"google/longrunning/", "cloud.google.com/go/longrunning/autogen/longrunningpb"},
		{"protoc-gen-openapiv2/options/", "github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2/options"},
		{"buf/validate/", "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"},
		{"validate/", "github.com/envoyproxy/protoc-gen-validate/validate"},
	}
	for _, p := range paths {
		fd, ok := load.Builtin(p)
		if !ok {
			t.Errorf("%s is not built in", p)
			continue
		}
		got := fd.Options().(*descriptorpb.FileOptions).GetGoPackage()
		for _, g := range goPackages {
			if strings.HasPrefix(p, g.prefix) {
				if !strings.HasPrefix(got, g.goPackage) {
					t.Errorf("%s: go_package %q, want the package of its published module, %s...", p, got, g.goPackage)
				}
				break
			}
		}
	}
	if len(paths) < 70 {
		t.Errorf("only %d files checked: is testdata/googleapis-common.txt complete?", len(paths))
	}
}
