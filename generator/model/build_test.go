package model_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/new-service/new-service/generator/internal/prototest"
	"github.com/new-service/new-service/generator/model"
)

// build loads the given files (import path to source) and builds the App
// of the inputs.
func build(t *testing.T, srcs map[string]string, inputs ...string) *model.App {
	t.Helper()
	_, app := prototest.Build(t, prototest.Files(srcs), model.Options{Name: "svc", Module: "example.com/svc"}, inputs...)
	return app
}

func TestHandlerPackages(t *testing.T) {
	tests := []struct {
		name     string
		services map[string][]string // proto package -> services, one file each
		want     []string            // handler package names, in file path order
	}{
		{
			name:     "distinct names",
			services: map[string][]string{"acme.a.v1": {"Orders", "Billing"}},
			want:     []string{"orders", "billing"},
		},
		{
			name:     "versions of one service",
			services: map[string][]string{"acme.orders.v1": {"OrderService"}, "acme.orders.v2": {"OrderService"}},
			want:     []string{"orderservice", "orderservicev2"},
		},
		{
			name:     "same version, different packages",
			services: map[string][]string{"acme.billing.v1": {"Orders"}, "acme.shop.v1": {"Orders"}},
			want:     []string{"orders", "ordersshopv1"},
		},
		{
			name:     "names that differ only in case and underscores",
			services: map[string][]string{"acme.a.v1": {"OrderService"}, "acme.b.v1": {"order_service"}},
			want:     []string{"orderservice", "orderservicebv1"},
		},
		{
			name:     "keyword and imported package names",
			services: map[string][]string{"acme.a.v1": {"Select", "Context", "S", "Gateway"}},
			want:     []string{"selectpb", "contextpb", "spb", "gatewaypb"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srcs := map[string]string{}
			var inputs []string
			for pkg, services := range tt.services {
				src := fmt.Sprintf("syntax = \"proto3\";\npackage %s;\nmessage Req {}\n", pkg)
				for _, s := range services {
					src += fmt.Sprintf("service %s { rpc Get(Req) returns (Req); }\n", s)
				}
				p := strings.ReplaceAll(pkg, ".", "/") + "/api.proto"
				srcs[p] = src
				inputs = append(inputs, p)
			}
			slices.Sort(inputs)
			app := build(t, srcs, inputs...)
			var got []string
			for _, s := range app.Services {
				got = append(got, s.Handler.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("handler packages = %q, want %q", got, tt.want)
			}
		})
	}
}
