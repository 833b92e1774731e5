package model_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/new-service/new-service/generator/model"
)

// TestValidation checks what the model says each method's request
// declares (the broken requests derived from it are fixtures: see
// generator/fixtures).
func TestValidation(t *testing.T) {
	app := build(t, map[string]string{"acme/v1/api.proto": `syntax = "proto3";
package acme.v1;
import "buf/validate/validate.proto";
import "google/api/field_behavior.proto";
import "google/protobuf/field_mask.proto";

message Thing {
  string name = 1 [(google.api.field_behavior) = IDENTIFIER];
  string state = 2 [(google.api.field_behavior) = OUTPUT_ONLY];
  string owner = 3 [(google.api.field_behavior) = IMMUTABLE];
  Thing parent = 4;
}
message Plain { string a = 1; Plain self = 2; }
message CreateRequest {
  string parent = 1 [(google.api.field_behavior) = REQUIRED, (buf.validate.field).string.max_len = 3];
  Thing thing = 2 [(google.api.field_behavior) = REQUIRED];
  int32 page_size = 3 [(buf.validate.field).int32.gte = 0];
  oneof o { string x = 4 [(google.api.field_behavior) = REQUIRED]; }
}
message UpdateRequest {
  Thing thing = 1;
  google.protobuf.FieldMask update_mask = 2;
}
service Things {
  rpc Create(CreateRequest) returns (Thing);
  rpc Update(UpdateRequest) returns (Thing);
  rpc GetPlain(Plain) returns (Plain);
}
`}, "acme/v1/api.proto")
	got := map[string]model.Validation{}
	for _, m := range app.Services[0].Methods {
		got[m.Name] = m.Validation
	}
	want := map[string]model.Validation{
		"Create": {
			Protovalidate: true, FieldBehavior: true, Required: []string{"parent", "thing"},
		},
		"Update":   {FieldBehavior: true},
		"GetPlain": {},
	}
	for name, w := range want {
		if g := got[name]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s: validation = %+v, want %+v", name, g, w)
		}
	}
	if !app.Validates() || !app.UsesProtovalidate() {
		t.Errorf("Validates, UsesProtovalidate = %v, %v; want true, true", app.Validates(), app.UsesProtovalidate())
	}
}

// TestNoValidation checks that an API without rules has nothing to
// validate, so the service imports no protovalidate.
func TestNoValidation(t *testing.T) {
	app := build(t, map[string]string{"acme/v1/api.proto": `syntax = "proto3";
package acme.v1;
import "google/api/field_behavior.proto";
message Req { string a = 1 [(google.api.field_behavior) = OPTIONAL]; }
service S { rpc Get(Req) returns (Req); }
`}, "acme/v1/api.proto")
	if app.Validates() || app.UsesProtovalidate() {
		t.Errorf("Validates, UsesProtovalidate = %v, %v; want false, false", app.Validates(), app.UsesProtovalidate())
	}
}

// TestLegacyValidateWarning checks that each protoc-gen-validate rule is
// named, at its line, in a warning: they are not enforced.
func TestLegacyValidateWarning(t *testing.T) {
	app := build(t, map[string]string{"acme/v1/api.proto": `syntax = "proto3";
package acme.v1;
import "validate/validate.proto";
message Req {
  string a = 1 [(validate.rules).string.min_len = 1];
  oneof o {
    option (validate.required) = true;
    string b = 2;
  }
}
service S { rpc Get(Req) returns (Req); }
`}, "acme/v1/api.proto")
	var got []string
	for _, w := range app.Warnings {
		got = append(got, w.Error())
	}
	if len(got) != 2 {
		t.Fatalf("warnings = %q, want one for the field rule and one for the oneof", got)
	}
	for i, line := range []string{":5:", ":6:"} {
		if !strings.Contains(got[i], "acme/v1/api.proto"+line) || !strings.Contains(got[i], "protovalidate") {
			t.Errorf("warning %q does not name the file and line %s and the way out", got[i], line)
		}
	}
	if !slices.ContainsFunc(got, func(w string) bool { return strings.Contains(w, "acme.v1.Req.a") }) {
		t.Errorf("warnings %q do not name the field", got)
	}
}
