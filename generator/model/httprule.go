package model

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// The rules below follow grpc-gateway v2.33.0: which rules it refuses
// (internal/descriptor/services.go, internal/httprule), which it turns into
// Go that does not compile (protoc-gen-grpc-gateway/internal/gengateway,
// internal/descriptor/types.go), which protoc-gen-openapiv2 refuses, and how
// its runtime.ServeMux routes requests (runtime/mux.go, runtime/pattern.go).

// bindings reads and checks the method's google.api.http rule. It rejects
// what protoc-gen-grpc-gateway or protoc-gen-openapiv2 would refuse to
// generate or generate into code that does not compile or never answers,
// and routes that grpc-gateway would never reach, each with the fix. A rule
// or additional binding without a pattern is skipped, as the gateway skips
// it.
func (b *builder) bindings(md protoreflect.MethodDescriptor, opts *descriptorpb.MethodOptions, routes *[]route) []Binding {
	rule, ok := proto.GetExtension(opts, annotations.E_Http).(*annotations.HttpRule)
	if !ok || rule == nil {
		return nil
	}
	var out []Binding
	claimed := map[int]int{} // index in *routes -> index in out
	from := len(*routes)
	rules := append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...)
	for i, r := range rules {
		if i > 0 && len(r.GetAdditionalBindings()) > 0 {
			b.ruleErrorf(md, "rpc %s: additional_bindings cannot nest; list every binding in the outer rule", md.Name())
			continue
		}
		bd, pt, ok := b.binding(md, r)
		if !ok || !b.checkRoute(md, bd, pt, routes) {
			continue
		}
		claimed[len(*routes)-1] = len(out)
		out = append(out, bd)
	}
	// The routes point at the bindings in the slice the method keeps, so
	// that the samples of a binding can change when a later route would
	// take its sample URL.
	for ri, oi := range claimed {
		(*routes)[ri].bd = &out[oi]
	}
	b.refreshSamples(*routes, from)
	return out
}

// binding builds and checks one binding of a rule; ok is false when the
// rule has no pattern or a problem was reported.
func (b *builder) binding(md protoreflect.MethodDescriptor, r *annotations.HttpRule) (bd Binding, pt pathTemplate, ok bool) {
	bd = Binding{Body: r.GetBody(), ResponseBody: r.GetResponseBody()}
	// A pattern with an empty path is no pattern to the gateway (it tests
	// GetGet() != "" and so on); a custom pattern always counts.
	switch {
	case r.GetGet() != "":
		bd.Verb, bd.Path = "GET", r.GetGet()
	case r.GetPut() != "":
		bd.Verb, bd.Path = "PUT", r.GetPut()
	case r.GetPost() != "":
		bd.Verb, bd.Path = "POST", r.GetPost()
	case r.GetDelete() != "":
		bd.Verb, bd.Path = "DELETE", r.GetDelete()
	case r.GetPatch() != "":
		bd.Verb, bd.Path = "PATCH", r.GetPatch()
	case r.GetCustom() != nil:
		// The gateway registers the kind as written: "head" is not HEAD.
		bd.Verb, bd.Path = r.GetCustom().GetKind(), r.GetCustom().GetPath()
		if !isToken(bd.Verb) {
			b.ruleErrorf(md, "rpc %s: custom HTTP rule kind %q is not an HTTP method name, so no client can send it; set kind to a method such as HEAD, OPTIONS or PURGE: custom: {kind: \"HEAD\" path: %q}", md.Name(), bd.Verb, bd.Path)
			return bd, pt, false
		}
	default:
		return bd, pt, false
	}
	where := fmt.Sprintf("rpc %s: %s %s", md.Name(), bd.Verb, bd.Path)
	pt, err := parseTemplate(bd.Path)
	if err != nil {
		b.ruleErrorf(md, "%s: bad path template: %v; see https://google.aip.dev/127 for the syntax", where, err)
		return bd, pt, false
	}
	valid := true
	if len(pt.vars) > 0 && md.IsStreamingClient() {
		b.ruleErrorf(md, "%s: a client-streaming RPC cannot take path variables, as grpc-gateway reads each request message from the body: remove {%s} from the path",
			where, strings.Join(pt.vars, "}, {"))
		valid = false
	}
	for _, v := range pt.vars {
		if _, err := pathField(md.Input(), v); err != nil {
			b.ruleErrorf(md, "%s: path variable {%s}: %v", where, v, err)
			valid = false
		}
	}
	switch {
	case bd.Body != "" && (r.GetGet() != "" || r.GetDelete() != ""):
		b.ruleErrorf(md, "%s: grpc-gateway reads no body on a %s request; remove body: %q and send the fields as path variables or query parameters, or use POST",
			where, bd.Verb, bd.Body)
		valid = false
	case bd.Body != "" && bd.Body != "*":
		if err := b.checkBody(md, bd.Verb, bd.Body); err != nil {
			b.ruleErrorf(md, "%s: body %q: %v", where, bd.Body, err)
			valid = false
		}
	}
	if bd.ResponseBody != "" && bd.ResponseBody != "*" {
		fields, err := fieldPath(md.Output(), bd.ResponseBody, "response_body")
		if err != nil {
			b.ruleErrorf(md, "%s: response_body %q: %v", where, bd.ResponseBody, err)
			valid = false
		}
		bd.ForwardsEmpty = len(fields) == 1 && !inOneof(fields[0])
	} else {
		bd.ForwardsEmpty = true
	}
	return bd, pt, valid
}

// checkBody checks a body naming a request field: the fields on its way
// must be singular messages, as the gateway decodes into
// &req.A.B; and on PATCH, when the request has one google.protobuf.FieldMask
// field, the gateway also passes the body field to
// runtime.FieldMaskFromRequestBody, which takes a message.
func (b *builder) checkBody(md protoreflect.MethodDescriptor, verb, body string) error {
	fields, err := fieldPath(md.Input(), body, "body")
	if err != nil {
		return err
	}
	if verb != "PATCH" {
		return nil
	}
	var masks []protoreflect.FieldDescriptor
	in := md.Input().Fields()
	for i := range in.Len() {
		if f := in.Get(i); f.Message() != nil && f.Message().FullName() == "google.protobuf.FieldMask" && !f.IsList() && !f.IsMap() {
			masks = append(masks, f)
		}
	}
	if len(masks) != 1 {
		return nil
	}
	last := fields[len(fields)-1]
	switch {
	case inOneof(masks[0]):
		return fmt.Errorf("on PATCH grpc-gateway fills the request's field mask %q from the body, and it cannot reach a field mask in a oneof: move %q out of the oneof or use body: \"*\"", masks[0].Name(), masks[0].Name())
	case slices.ContainsFunc(fields, inOneof):
		return fmt.Errorf("on PATCH grpc-gateway fills the request's field mask %q from the body field, and it cannot reach a body field in a oneof: move it out of the oneof or use body: \"*\"", masks[0].Name())
	case last.Message() == nil || last.IsList() || last.IsMap():
		return fmt.Errorf("on PATCH grpc-gateway fills the request's field mask %q from the body, which must then be a message field: name a message field, or use body: \"*\"", masks[0].Name())
	}
	return nil
}

// isToken reports whether s is a valid HTTP method name (RFC 9110 token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// fieldNames lists a message's field names for a message that suggests one.
func fieldNames(msg protoreflect.MessageDescriptor) string {
	fields := msg.Fields()
	if fields.Len() == 0 {
		return "(it has none)"
	}
	var names []string
	for i := range fields.Len() {
		names = append(names, string(fields.Get(i).Name()))
	}
	return strings.Join(names, ", ")
}

// fieldPath resolves a dotted field path of a body or response_body (what
// says which) in msg. The fields before the last must be singular
// messages: the gateway's generated code reaches through them as Go struct
// fields. The last may be any field.
func fieldPath(msg protoreflect.MessageDescriptor, path, what string) ([]protoreflect.FieldDescriptor, error) {
	var out []protoreflect.FieldDescriptor
	parts := strings.Split(path, ".")
	for i, name := range parts {
		f := msg.Fields().ByName(protoreflect.Name(name))
		if f == nil {
			if i == 0 && what == "body" {
				return nil, fmt.Errorf("%s has no such field; use \"*\" or one of its fields: %s", msg.FullName(), fieldNames(msg))
			}
			return nil, fmt.Errorf("%s has no field %q; use one of its fields: %s", msg.FullName(), name, fieldNames(msg))
		}
		out = append(out, f)
		if i == len(parts)-1 {
			break
		}
		switch {
		case f.Message() == nil:
			return nil, fmt.Errorf("field %q of %s is not a message, so %q cannot go inside it", name, msg.FullName(), parts[i+1])
		case f.IsList() || f.IsMap():
			return nil, fmt.Errorf("field %q of %s is repeated, and grpc-gateway's generated code cannot reach a field inside one of its elements: name %q itself or a singular field", name, msg.FullName(), strings.Join(parts[:i+1], "."))
		}
		msg = f.Message()
	}
	return out, nil
}

// inOneof reports whether f is a member of a real (not synthetic) oneof.
func inOneof(f protoreflect.FieldDescriptor) bool {
	return f.ContainingOneof() != nil && !f.ContainingOneof().IsSynthetic()
}

// pathWellKnown are the message types grpc-gateway parses from a path
// segment (wellKnownTypeConv in its internal/descriptor/types.go); any other
// message field cannot be a path variable.
var pathWellKnown = []protoreflect.FullName{
	"google.protobuf.Timestamp", "google.protobuf.Duration",
	"google.protobuf.StringValue", "google.protobuf.BytesValue", "google.protobuf.BoolValue",
	"google.protobuf.FloatValue", "google.protobuf.DoubleValue",
	"google.protobuf.Int32Value", "google.protobuf.UInt32Value",
	"google.protobuf.Int64Value", "google.protobuf.UInt64Value",
}

// pathField returns the field a path variable binds, or says why it cannot
// be bound. The gateway sets a nested field of a request in a proto3 or
// editions file by reflection (runtime.PopulateFieldFromPath), which parses
// any scalar, enum or well-known type into any field. Otherwise it assigns
// the result of a runtime converter chosen by the field's type and syntax
// to the Go field, and some pairs do not compile: the checks below are
// those pairs.
func pathField(msg protoreflect.MessageDescriptor, path string) (protoreflect.FieldDescriptor, error) {
	reflected := strings.Contains(path, ".") && msg.ParentFile().Syntax() != protoreflect.Proto2
	parts := strings.Split(path, ".")
	var f protoreflect.FieldDescriptor
	for i, name := range parts {
		f = msg.Fields().ByName(protoreflect.Name(name))
		if f == nil {
			return nil, fmt.Errorf("%s has no field %q; bind one of its fields: %s", msg.FullName(), name, fieldNames(msg))
		}
		if i == len(parts)-1 {
			break
		}
		switch {
		case f.Message() == nil:
			return nil, fmt.Errorf("field %q of %s is not a message, so %q cannot go inside it; bind a field of the request", name, msg.FullName(), parts[i+1])
		case f.IsList() || f.IsMap():
			return nil, fmt.Errorf("field %q of %s is repeated, and grpc-gateway binds path variables only through singular message fields (it answers every request with 400); bind a field outside it", name, msg.FullName())
		}
		msg = f.Message()
	}
	name, owner := f.Name(), f.ContainingMessage().FullName()
	switch {
	case f.IsMap():
		return nil, fmt.Errorf("field %q of %s is a map, and a path variable binds a scalar; bind a scalar field", name, owner)
	case f.Message() != nil && !slices.Contains(pathWellKnown, f.Message().FullName()):
		return nil, fmt.Errorf("field %q of %s is a message (%s), and a path variable binds a scalar; bind one of its fields, e.g. {%s.%s}",
			name, owner, f.Message().FullName(), path, firstField(f.Message()))
	case f.Message() != nil && f.IsList():
		return nil, fmt.Errorf("field %q of %s is a repeated %s, and protoc-gen-openapiv2 allows only repeated scalars and enums as path variables; bind a repeated scalar or a singular %s",
			name, owner, f.Message().FullName(), f.Message().Name())
	case reflected:
		return f, nil
	}
	return f, convertible(f)
}

// convertible says why the gateway's converter for a field bound by a
// top-level path variable (or any path variable of a proto2 request) does
// not fit the generated Go field; nil when it does.
func convertible(f protoreflect.FieldDescriptor) error {
	name, owner := f.Name(), f.ContainingMessage().FullName()
	kind := "a " + f.Kind().String() + " field"
	if f.Kind() == protoreflect.EnumKind {
		kind = "an enum"
	}
	proto2 := f.ParentFile().Syntax() == protoreflect.Proto2
	switch {
	case f.IsList():
		if proto2 && f.Kind() == protoreflect.BytesKind {
			return fmt.Errorf("field %q of %s is a repeated bytes field in a proto2 file, which protoc-gen-grpc-gateway cannot bind from a path; bind a repeated string field instead", name, owner)
		}
	case f.Message() != nil:
	case proto2 && (f.Kind() == protoreflect.EnumKind || f.Kind() == protoreflect.BytesKind):
		return fmt.Errorf("field %q of %s is %s in a proto2 file, which grpc-gateway v2 cannot bind from a path; bind a string field instead, or make it repeated", name, owner, kind)
	case proto2 && inOneof(f):
		return fmt.Errorf("field %q of %s is in a oneof of a proto2 file, which grpc-gateway v2 cannot bind from a path (its code assigns a pointer to the oneof's value); bind a field outside the oneof", name, owner)
	case f.HasOptionalKeyword() && !proto2 && (f.Kind() == protoreflect.EnumKind || f.Kind() == protoreflect.BytesKind):
		return fmt.Errorf("field %q of %s is %s marked optional, which grpc-gateway v2 cannot bind from a path; remove optional from it", name, owner, kind)
	case f.ParentFile().Syntax() == protoreflect.Editions && f.HasPresence() && !inOneof(f) && f.Kind() != protoreflect.BytesKind:
		return fmt.Errorf("field %q of %s has explicit presence, which grpc-gateway v2 cannot bind from a top-level path variable in an editions file; declare it with [features.field_presence = IMPLICIT]", name, owner)
	}
	return nil
}

// firstField names a message's first field, for an example in a message.
func firstField(msg protoreflect.MessageDescriptor) string {
	if msg.Fields().Len() == 0 {
		return "field"
	}
	return string(msg.Fields().Get(0).Name())
}

// ruleErrorf records a problem with a method's HTTP rule.
func (b *builder) ruleErrorf(md protoreflect.MethodDescriptor, format string, args ...any) {
	b.add(b.rulePosition(md), fmt.Sprintf(format, args...))
}

// rulePosition is where a method's HTTP rule is declared: its option
// statement, or the method when the source does not say.
func (b *builder) rulePosition(md protoreflect.MethodDescriptor) position {
	p := b.position(md)
	locs := md.ParentFile().SourceLocations()
	path := slices.Clone(locs.ByDescriptor(md).Path)
	// MethodDescriptorProto.options, then the google.api.http extension.
	path = append(path, 4, int32(annotations.E_Http.TypeDescriptor().Number()))
	if loc := locs.ByPath(path); loc.StartLine > 0 || loc.StartColumn > 0 {
		p.line, p.col = loc.StartLine+1, loc.StartColumn+1
	}
	return p
}

// methodOptions returns the method's options as a typed message, with the
// google.api.http extension decoded. Options compiled by protocompile can
// hold extensions the Go registry does not see; a round trip through the
// wire format with the registry's resolver makes them readable.
func methodOptions(md protoreflect.MethodDescriptor) *descriptorpb.MethodOptions {
	opts := &descriptorpb.MethodOptions{}
	raw, err := proto.Marshal(md.Options())
	if err == nil {
		err = proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}.Unmarshal(raw, opts)
	}
	if err != nil {
		// The options were compiled from valid source moments ago; failing to
		// re-read them means there are none worth reading.
		return &descriptorpb.MethodOptions{}
	}
	return opts
}
