package model_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/new-service/new-service/generator/load"
	"github.com/new-service/new-service/generator/model"
)

// httpProto is the API the binding tests add a service to.
const httpProto = `syntax = "proto3";
package acme.things.v1;
import "google/api/annotations.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
enum Kind {
  KIND_UNSPECIFIED = 0;
  KIND_BIG = 1;
}
message Shop {
  string name = 1;
  Kind kind = 2;
  repeated Shop branches = 3;
}
message Req {
  string id = 1;
  int64 num = 2;
  Shop shop = 3;
  repeated string tags = 4;
  repeated Kind kinds = 5;
  map<string, string> labels = 6;
  google.protobuf.Timestamp at = 7;
  repeated google.protobuf.Timestamp ats = 8;
  google.protobuf.Struct meta = 9;
  optional Kind maybe = 10;
  oneof pick {
    string a = 11;
    Shop b = 12;
  }
  repeated Shop shops = 13;
}
message MaskReq {
  Shop shop = 1;
  string note = 2;
  google.protobuf.FieldMask update_mask = 3;
}
message Resp {
  string name = 1;
  Shop shop = 2;
  oneof pick {
    string a = 3;
  }
  repeated Shop shops = 4;
}
`

// buildHTTP builds httpProto with the given service.
func buildHTTP(t *testing.T, service string) (*model.App, error) {
	t.Helper()
	fsys := fstest.MapFS{"api.proto": {Data: []byte(httpProto + service)}}
	res, err := load.Load(context.Background(), load.Input{Roots: []load.Root{{FS: fsys, Dir: "testdata"}}, Files: []string{"api.proto"}})
	if err != nil {
		t.Fatal(err)
	}
	return model.Build(res, model.Options{Name: "svc", Module: "example.com/svc"})
}

// sample is what the model says of a binding's URLs (the request bodies
// are fixtures: see generator/fixtures).
type sample struct {
	Verb, URL, BadURL, Unrouted string
	ForwardsEmpty               bool
}

func TestBindings(t *testing.T) {
	tests := []struct {
		name    string
		service string
		want    []sample // every binding of every method, in order
	}{
		{
			name:    "custom verb with a colon",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {post: "/v1/{id}:custom:custom"}; } }`,
			want:    []sample{{Verb: "POST", URL: "/v1/x:custom:custom", Unrouted: "PATCH", ForwardsEmpty: true}},
		},
		{
			name:    "repeated path variables",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{tags}/{kinds}"}; } }`,
			want:    []sample{{Verb: "GET", URL: "/v1/x/KIND_BIG", BadURL: "/v1/x/not-a-value", Unrouted: "PATCH", ForwardsEmpty: true}},
		},
		{
			name:    "nested path variables",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{shop.name=shops/*}/{shop.kind}"}; } }`,
			want:    []sample{{Verb: "GET", URL: "/v1/shops/x/KIND_BIG", BadURL: "/v1/shops/x/not-a-value", Unrouted: "PATCH", ForwardsEmpty: true}},
		},
		{
			name: "nested body field, enum body field, nested response body",
			service: `service S {
  rpc M(Req) returns (Resp) { option (google.api.http) = {put: "/v1/{id}/shop" body: "shop" response_body: "shop.name"}; }
  rpc N(Req) returns (Resp) { option (google.api.http) = {put: "/v1/{id}/kind" body: "shop.kind" response_body: "a"}; }
  rpc O(Req) returns (Resp) { option (google.api.http) = {put: "/v1/{id}/labels" body: "labels" response_body: "shops"}; }
  rpc P(Req) returns (Resp) { option (google.api.http) = {put: "/v1/{id}/meta" body: "meta"}; }
}`,
			want: []sample{
				{Verb: "PUT", URL: "/v1/x/shop", Unrouted: "PATCH"},
				{Verb: "PUT", URL: "/v1/x/kind", Unrouted: "PATCH"},
				{Verb: "PUT", URL: "/v1/x/labels", Unrouted: "PATCH", ForwardsEmpty: true},
				{Verb: "PUT", URL: "/v1/x/meta", Unrouted: "PATCH", ForwardsEmpty: true},
			},
		},
		{
			name:    "whole body of a well-known type",
			service: `service S { rpc M(google.protobuf.StringValue) returns (Resp) { option (google.api.http) = {post: "/v1/echo" body: "*"}; } }`,
			want:    []sample{{Verb: "POST", URL: "/v1/echo", Unrouted: "PATCH", ForwardsEmpty: true}},
		},
		{
			name: "custom kinds keep their spelling",
			service: `service S {
  rpc M(Req) returns (Resp) { option (google.api.http) = {custom: {kind: "HEAD" path: "/v1/{id}"}}; }
  rpc N(Req) returns (Resp) { option (google.api.http) = {custom: {kind: "head" path: "/v1/{id}"}}; }
}`,
			want: []sample{
				{Verb: "HEAD", URL: "/v1/x", Unrouted: "PATCH", ForwardsEmpty: true},
				{Verb: "head", URL: "/v1/x", Unrouted: "PATCH", ForwardsEmpty: true},
			},
		},
		{
			name: "wrong method avoids every method bound on the path",
			service: `service S {
  rpc M(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{id}"}; }
  rpc N(Req) returns (Resp) { option (google.api.http) = {patch: "/v1/{id}" body: "*" additional_bindings {custom: {kind: "TRACE" path: "/v1/{id=**}"}}}; }
}`,
			want: []sample{
				{Verb: "GET", URL: "/v1/x", Unrouted: "PUT", ForwardsEmpty: true},
				{Verb: "PATCH", URL: "/v1/x", Unrouted: "PUT", ForwardsEmpty: true},
				{Verb: "TRACE", URL: "/v1/x", Unrouted: "PUT", ForwardsEmpty: true},
			},
		},
		{
			name: "sample URL avoids a later route that overlaps",
			service: `service S {
  rpc M(Req) returns (Resp) { option (google.api.http) = {get: "/v1/x/{id}"}; }
  rpc N(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{id}/x"}; }
}`,
			want: []sample{
				{Verb: "GET", URL: "/v1/x/x1", Unrouted: "PATCH", ForwardsEmpty: true},
				{Verb: "GET", URL: "/v1/x/x", Unrouted: "PATCH", ForwardsEmpty: true},
			},
		},
		{
			name:    "a rule without a pattern is skipped",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {get: "" additional_bindings {get: "/v1/{id}"}}; } }`,
			want:    []sample{{Verb: "GET", URL: "/v1/x", Unrouted: "PATCH", ForwardsEmpty: true}},
		},
		{
			name:    "PATCH with a field mask and a message body",
			service: `service S { rpc M(MaskReq) returns (Resp) { option (google.api.http) = {patch: "/v1/shop" body: "shop"}; } }`,
			want:    []sample{{Verb: "PATCH", URL: "/v1/shop", Unrouted: "TRACE", ForwardsEmpty: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, err := buildHTTP(t, tt.service)
			if err != nil {
				t.Fatal(err)
			}
			var got []sample
			for _, m := range app.Services[0].Methods {
				for _, b := range m.Bindings {
					got = append(got, sample{b.Verb, b.SampleURL, b.BadURL, b.UnroutedVerb, b.ForwardsEmpty})
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("bindings = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("binding %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestBindingErrors checks the rules grpc-gateway refuses, or turns into
// code that does not compile or never answers, are reported at the rule.
func TestBindingErrors(t *testing.T) {
	tests := []struct {
		name    string
		service string
		wantErr string
	}{
		{
			name:    "repeated well-known type in the path",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{ats}"}; } }`,
			wantErr: `api.proto:47:41: rpc M: GET /v1/{ats}: path variable {ats}: field "ats" of acme.things.v1.Req is a repeated google.protobuf.Timestamp, and protoc-gen-openapiv2 allows only repeated scalars and enums`,
		},
		{
			name:    "map in the path",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{labels}"}; } }`,
			wantErr: `field "labels" of acme.things.v1.Req is a map`,
		},
		{
			name:    "path through a repeated field",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{shops.name}"}; } }`,
			wantErr: `field "shops" of acme.things.v1.Req is repeated, and grpc-gateway binds path variables only through singular message fields`,
		},
		{
			name:    "optional enum at the top level",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{maybe}"}; } }`,
			wantErr: `field "maybe" of acme.things.v1.Req is an enum marked optional`,
		},
		{
			name:    "body through a repeated field",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {post: "/v1" body: "shops.name"}; } }`,
			wantErr: `body "shops.name": field "shops" of acme.things.v1.Req is repeated`,
		},
		{
			name:    "response body through a repeated field",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {get: "/v1" response_body: "shops.name"}; } }`,
			wantErr: `response_body "shops.name": field "shops" of acme.things.v1.Resp is repeated`,
		},
		{
			name:    "body on DELETE",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {delete: "/v1" body: "*"}; } }`,
			wantErr: `grpc-gateway reads no body on a DELETE request`,
		},
		{
			name:    "PATCH with a field mask and a scalar body",
			service: `service S { rpc M(MaskReq) returns (Resp) { option (google.api.http) = {patch: "/v1" body: "note"}; } }`,
			wantErr: `body "note": on PATCH grpc-gateway fills the request's field mask "update_mask" from the body, which must then be a message field`,
		},
		{
			name:    "custom kind that is not a method name",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {custom: {kind: "" path: "/v1"}}; } }`,
			wantErr: `custom HTTP rule kind "" is not an HTTP method name`,
		},
		{
			name:    "two deep wildcards",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{id=**}/{a=**}"}; } }`,
			wantErr: `2 ** wildcards`,
		},
		{
			name:    "duplicate binding of one RPC",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{id}" additional_bindings {get: "/v1/{a}"}}; } }`,
			wantErr: `rpc M: GET /v1/{a}: rpc M already has this route (GET /v1/{id})`,
		},
		{
			name:    "a binding that hides an earlier one of the same RPC",
			service: `service S { rpc M(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{id}:x" additional_bindings {get: "/v1/{a}"}}; } }`,
			wantErr: `this binding matches every URL of the earlier binding GET /v1/{id}:x of rpc M`,
		},
		{
			name: "a custom verb route hidden by a later route without one",
			service: `service S {
  rpc M(Req) returns (Resp) { option (google.api.http) = {post: "/v1/{id}:custom:custom"}; }
  rpc N(Req) returns (Resp) { option (google.api.http) = {post: "/v1/{id}"}; }
}`,
			wantErr: `rpc N: POST /v1/{id}: this route matches every URL of POST /v1/{id}:custom:custom, bound earlier to rpc acme.things.v1.S.M`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := buildHTTP(t, tt.service)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Build error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
