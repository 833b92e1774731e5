package model

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
)

func TestSnake(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "camel", in: "GetOrder", want: "get_order"},
		{name: "initialism", in: "ListHTTPRoutes", want: "list_http_routes"},
		{name: "leading initialism", in: "HTTPGet", want: "http_get"},
		{name: "digit", in: "GetV2Thing", want: "get_v2_thing"},
		{name: "one letter", in: "A", want: "a"},
		{name: "all caps", in: "ABC", want: "abc"},
		{name: "underscores", in: "Get_Thing", want: "get_thing"},
		{name: "double underscore", in: "Get__Thing", want: "get_thing"},
		{name: "goos suffix", in: "RunOnLinux", want: "run_on_linux"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := snake(tt.in); got != tt.want {
				t.Errorf("snake(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHandlerFileName(t *testing.T) {
	tests := []struct {
		name  string
		taken []string // names given before, in order
		in    string
		want  string
	}{
		{name: "plain", in: "GetOrder", want: "get_order.go"},
		{name: "goos", in: "RunOnLinux", want: "run_on_linux_rpc.go"},
		{name: "goarch", in: "BuildForArm64", want: "build_for_arm64_rpc.go"},
		{name: "goos and goarch", in: "ShipLinuxAmd64", want: "ship_linux_amd64_rpc.go"},
		{name: "test suffix", in: "GetTest", want: "get_test_rpc.go"},
		{name: "goos before test", in: "RunOnLinuxTest", want: "run_on_linux_test_rpc.go"},
		{name: "whole name is a goos", in: "Windows", want: "windows_rpc.go"},
		{name: "whole name is test", in: "Test", want: "test_rpc.go"},
		{name: "service.go is the service's", in: "Service", want: "service_rpc.go"},
		{name: "doc.go", in: "Doc", want: "doc_rpc.go"},
		{name: "goos inside is fine", in: "LinuxStatus", want: "linux_status.go"},
		{name: "same stem twice", taken: []string{"GetHTTP"}, in: "GetHttp", want: "get_http_2.go"},
		{name: "same stem three times", taken: []string{"GetHTTP", "GetHttp"}, in: "Get_Http", want: "get_http_3.go"},
		{name: "suffixed stem twice", taken: []string{"GetTest"}, in: "Get_Test", want: "get_test_rpc_2.go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]bool{}
			for _, m := range tt.taken {
				handlerFileName(m, files)
			}
			if got := handlerFileName(tt.in, files); got != tt.want {
				t.Errorf("handlerFileName(%q) after %q = %q, want %q", tt.in, tt.taken, got, tt.want)
			}
		})
	}
}

func TestPackageNameFor(t *testing.T) {
	tests := []struct {
		name, pkg, dir, want string
	}{
		{name: "versioned", pkg: "acme.orders.v1", want: "ordersv1"},
		{name: "underscores", pkg: "acme.order_mgmt.v1", want: "ordermgmtv1"},
		{name: "beta version", pkg: "acme.orders.v1beta1", want: "ordersv1beta1"},
		{name: "unversioned", pkg: "acme.billing", want: "billing"},
		{name: "version only", pkg: "v1", want: "v1"},
		{name: "upper case", pkg: "Acme.Orders.V1", want: "ordersv1"},
		{name: "keyword", pkg: "acme.type", want: "typepb"},
		{name: "keyword before version", pkg: "acme.func.v1", want: "funcv1"},
		{name: "clashes with an import", pkg: "acme.context", want: "contextpb"},
		{name: "clashes with a template identifier", pkg: "acme.gateway", want: "gatewaypb"},
		{name: "predeclared", pkg: "acme.string", want: "stringpb"},
		{name: "no package", pkg: "", dir: "acme/shared", want: "shared"},
		{name: "no package at the root", pkg: "", dir: ".", want: "pb"},
		{name: "leading digit", pkg: "acme.2fa", want: "fa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := packageNameFor(tt.pkg, tt.dir); got != tt.want {
				t.Errorf("packageNameFor(%q, %q) = %q, want %q", tt.pkg, tt.dir, got, tt.want)
			}
		})
	}
}

func TestGoDir(t *testing.T) {
	tests := []struct {
		name, dir, want string
	}{
		{name: "ordinary", dir: "acme/orders/v1", want: "acme/orders/v1"},
		{name: "internal", dir: "examples/internal/proto/examplepb", want: "examples/internal_/proto/examplepb"},
		{name: "vendor", dir: "vendor/acme", want: "vendor_/acme"},
		{name: "testdata", dir: "acme/testdata", want: "acme/testdata_"},
		{name: "underscore", dir: "acme/_private", want: "acme/private_"},
		{name: "dot", dir: ".hidden/acme", want: "hidden_/acme"},
		{name: "internal inside a name", dir: "acme/internals/v1", want: "acme/internals/v1"},
		{name: "characters an import path cannot hold", dir: "acme/my api+v1", want: "acme/my_api_v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := goDir(tt.dir); got != tt.want {
				t.Errorf("goDir(%q) = %q, want %q", tt.dir, got, tt.want)
			}
		})
	}
}

// TestSuffixedIsFrozen pins the names that get a "pb" suffix as package
// names: they decide where an existing service's handlers live, so the set
// may neither lose a name (update would scaffold a new, empty handler
// package) nor need a new one (render allocates import names per file).
func TestSuffixedIsFrozen(t *testing.T) {
	var names []string
	for name := range suffixed {
		names = append(names, name)
	}
	slices.Sort(names)
	sum := sha256.Sum256([]byte(strings.Join(names, " ")))
	const want = "ffa72022a5e36782d65f3363936b0387983b5e1099e1f061ab0daf21f6a80cda"
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("the suffixed names changed (sha256 %s, want %s): existing services would get new handler packages; keep the list as it was", got, want)
	}
}
