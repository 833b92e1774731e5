package load

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// The shared protos real APIs import, compiled into new-service so that
	// they resolve offline, registered in protoregistry.GlobalFiles. Each
	// is the Go package its published module provides; the generated
	// service's go.mod pins the same modules, so its Go code links against
	// exactly these definitions.
	_ "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	_ "cloud.google.com/go/longrunning/autogen/longrunningpb"
	_ "github.com/envoyproxy/protoc-gen-validate/validate"
	_ "github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2/options"
	_ "google.golang.org/genproto/googleapis/api"
	_ "google.golang.org/genproto/googleapis/api/annotations"
	_ "google.golang.org/genproto/googleapis/api/configchange"
	_ "google.golang.org/genproto/googleapis/api/distribution"
	_ "google.golang.org/genproto/googleapis/api/error_reason"
	_ "google.golang.org/genproto/googleapis/api/expr/conformance/v1alpha1"
	_ "google.golang.org/genproto/googleapis/api/expr/v1alpha1"
	_ "google.golang.org/genproto/googleapis/api/expr/v1beta1"
	_ "google.golang.org/genproto/googleapis/api/httpbody"
	_ "google.golang.org/genproto/googleapis/api/label"
	_ "google.golang.org/genproto/googleapis/api/metric"
	_ "google.golang.org/genproto/googleapis/api/monitoredres"
	_ "google.golang.org/genproto/googleapis/api/serviceconfig"
	_ "google.golang.org/genproto/googleapis/api/visibility"
	_ "google.golang.org/genproto/googleapis/rpc/code"
	_ "google.golang.org/genproto/googleapis/rpc/context"
	_ "google.golang.org/genproto/googleapis/rpc/context/attribute_context"
	_ "google.golang.org/genproto/googleapis/rpc/errdetails"
	_ "google.golang.org/genproto/googleapis/rpc/http"
	_ "google.golang.org/genproto/googleapis/rpc/status"
	_ "google.golang.org/genproto/googleapis/type/calendarperiod"
	_ "google.golang.org/genproto/googleapis/type/color"
	_ "google.golang.org/genproto/googleapis/type/date"
	_ "google.golang.org/genproto/googleapis/type/date_range"
	_ "google.golang.org/genproto/googleapis/type/date_time_range"
	_ "google.golang.org/genproto/googleapis/type/datetime"
	_ "google.golang.org/genproto/googleapis/type/dayofweek"
	_ "google.golang.org/genproto/googleapis/type/decimal"
	_ "google.golang.org/genproto/googleapis/type/expr"
	_ "google.golang.org/genproto/googleapis/type/fraction"
	_ "google.golang.org/genproto/googleapis/type/interval"
	_ "google.golang.org/genproto/googleapis/type/latlng"
	_ "google.golang.org/genproto/googleapis/type/localized_text"
	_ "google.golang.org/genproto/googleapis/type/money"
	_ "google.golang.org/genproto/googleapis/type/month"
	_ "google.golang.org/genproto/googleapis/type/phone_number"
	_ "google.golang.org/genproto/googleapis/type/postaladdress"
	_ "google.golang.org/genproto/googleapis/type/quaternion"
	_ "google.golang.org/genproto/googleapis/type/timeofday"
)

// builtinTrees are the folders (or files) whose protos are built in, when
// new-service carries them, with the project each comes from.
var builtinTrees = []struct{ prefix, origin string }{
	{"google/api/", googleapis},
	{"google/rpc/", googleapis},
	{"google/type/", googleapis},
	{"google/longrunning/", googleapis},
	{"protoc-gen-openapiv2/options/", "https://github.com/grpc-ecosystem/grpc-gateway (BSD 3-Clause License)"},
	{"buf/validate/", "https://github.com/bufbuild/protovalidate (Apache License 2.0)"},
	{"validate/validate.proto", "https://github.com/bufbuild/protoc-gen-validate (Apache License 2.0)"},
}

const googleapis = "https://github.com/googleapis/googleapis (Apache License 2.0)"

// Builtin returns the descriptor new-service carries for a shared proto
// that real APIs import, or false when the path is not
// one of them. The well-known types (google/protobuf/...) are not included:
// protocompile serves them, and [IsBuiltin] covers them too.
func Builtin(path string) (protoreflect.FileDescriptor, bool) {
	for _, t := range builtinTrees {
		if strings.HasPrefix(path, t.prefix) {
			fd, err := protoregistry.GlobalFiles.FindFileByPath(path)
			return fd, err == nil
		}
	}
	return nil, false
}

// IsBuiltin reports whether an import path is served by new-service rather
// than by the user's roots: a well-known type or a [Builtin] file. The Go
// code of such a file comes from its published module, never from the
// service's gen/ folder, so a copy in a user's root is not used: two
// definitions of one file cannot be registered in one Go binary.
func IsBuiltin(path string) bool {
	if isWellKnown(path) {
		return true
	}
	_, ok := Builtin(path)
	return ok
}

// isWellKnown reports whether path is one of protobuf's well-known types,
// which protocompile provides.
func isWellKnown(path string) bool {
	return strings.HasPrefix(path, "google/protobuf/")
}

// builtinNames lists what is built in, by folder, for messages.
func builtinNames() []string {
	out := []string{"google/protobuf"}
	for _, t := range builtinTrees {
		out = append(out, strings.TrimSuffix(t.prefix, "/"))
	}
	return out
}

// BuiltinOrigin names the project a built-in file comes from, with its
// license, for the note printed above its copy; "" for any other path.
func BuiltinOrigin(path string) string {
	for _, t := range builtinTrees {
		if strings.HasPrefix(path, t.prefix) {
			return t.origin
		}
	}
	return ""
}
