package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// route is an HTTP binding already claimed by an RPC. Routes are kept in
// the order grpc-gateway registers them: services in App order, methods and
// their bindings in declaration order.
type route struct {
	verb   string
	tmpl   pathTemplate
	path   string
	method protoreflect.FullName
	pos    position
}

// bindings reads and checks the method's google.api.http rule. It rejects
// what protoc-gen-grpc-gateway would refuse to generate or generate into
// code that does not compile, and routes that grpc-gateway would never
// reach, each with the fix.
func (b *builder) bindings(md protoreflect.MethodDescriptor, opts *descriptorpb.MethodOptions, routes *[]route) []Binding {
	rule, ok := proto.GetExtension(opts, annotations.E_Http).(*annotations.HttpRule)
	if !ok || rule == nil {
		return nil
	}
	var out []Binding
	rules := append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...)
	for i, r := range rules {
		bd := Binding{Body: r.GetBody(), ResponseBody: r.GetResponseBody()}
		switch p := r.GetPattern().(type) {
		case *annotations.HttpRule_Get:
			bd.Verb, bd.Path = "GET", p.Get
		case *annotations.HttpRule_Put:
			bd.Verb, bd.Path = "PUT", p.Put
		case *annotations.HttpRule_Post:
			bd.Verb, bd.Path = "POST", p.Post
		case *annotations.HttpRule_Delete:
			bd.Verb, bd.Path = "DELETE", p.Delete
		case *annotations.HttpRule_Patch:
			bd.Verb, bd.Path = "PATCH", p.Patch
		case *annotations.HttpRule_Custom:
			bd.Verb, bd.Path = strings.ToUpper(p.Custom.GetKind()), p.Custom.GetPath()
			if bd.Verb == "" {
				b.ruleErrorf(md, "rpc %s: custom HTTP rule without a kind; set kind to the HTTP method, e.g. custom: {kind: \"HEAD\" path: %q}", md.Name(), bd.Path)
				continue
			}
		default:
			b.ruleErrorf(md, "rpc %s: HTTP rule without a method and path; set get, put, post, delete, patch or custom", md.Name())
			continue
		}
		if i > 0 && len(r.GetAdditionalBindings()) > 0 {
			b.ruleErrorf(md, "rpc %s: additional_bindings cannot nest; list every binding in the outer rule", md.Name())
		}
		where := fmt.Sprintf("rpc %s: %s %s", md.Name(), bd.Verb, bd.Path)
		pt, err := parseTemplate(bd.Path)
		if err != nil {
			b.ruleErrorf(md, "%s: bad path template: %v; see https://google.aip.dev/127 for the syntax", where, err)
			continue
		}
		valid := true
		values := map[string]string{}
		badVar := "" // a path variable that rejects text, for BadURL
		if len(pt.vars) > 0 && md.IsStreamingClient() {
			b.ruleErrorf(md, "%s: a client-streaming RPC cannot take path variables, as grpc-gateway reads each request message from the body: remove {%s} from the path",
				where, strings.Join(pt.vars, "}, {"))
			valid = false
		}
		for _, v := range pt.vars {
			f, err := pathField(md.Input(), v)
			if err != nil {
				b.ruleErrorf(md, "%s: path variable {%s}: %v", where, v, err)
				valid = false
				continue
			}
			values[v] = sampleValue(f)
			if badVar == "" && typed(f) {
				badVar = v
			}
		}
		switch {
		case bd.Body != "" && (bd.Verb == "GET" || bd.Verb == "DELETE"):
			b.ruleErrorf(md, "%s: grpc-gateway reads no body on a %s request; remove body: %q and send the fields as path variables or query parameters, or use POST",
				where, bd.Verb, bd.Body)
			valid = false
		case bd.Body != "" && bd.Body != "*" && md.Input().Fields().ByName(protoreflect.Name(bd.Body)) == nil:
			b.ruleErrorf(md, "%s: body %q: %s has no such field; use \"*\" or one of its fields: %s",
				where, bd.Body, md.Input().FullName(), fieldNames(md.Input()))
			valid = false
		}
		if bd.ResponseBody != "" && md.Output().Fields().ByName(protoreflect.Name(bd.ResponseBody)) == nil {
			b.ruleErrorf(md, "%s: response_body %q: %s has no such field; use one of its fields: %s",
				where, bd.ResponseBody, md.Output().FullName(), fieldNames(md.Output()))
			valid = false
		}
		if !valid {
			continue
		}
		bd.SampleURL = pt.sampleURL(values) + sampleQuery(md, pt.vars, bd.Body)
		if badVar != "" {
			bad := maps.Clone(values)
			bad[badVar] = "not-a-value"
			bd.BadURL = pt.sampleURL(bad) + sampleQuery(md, pt.vars, bd.Body)
		}
		bd.SampleBody = sampleBody(md, bd.Body)
		if b.checkRoute(md, bd, pt, routes) {
			out = append(out, bd)
		}
	}
	return out
}

// checkRoute claims the binding's route for md, or reports the RPC that
// already has it. grpc-gateway tries routes in the reverse order of
// registration, so a route that matches every URL of an earlier one hides
// it; two equivalent templates are the same route.
func (b *builder) checkRoute(md protoreflect.MethodDescriptor, bd Binding, pt pathTemplate, routes *[]route) bool {
	where := fmt.Sprintf("rpc %s: %s %s", md.Name(), bd.Verb, bd.Path)
	for _, r := range *routes {
		if r.verb != bd.Verb {
			continue
		}
		if r.tmpl.key == pt.key {
			b.ruleErrorf(md, "%s: the same route is already bound to rpc %s (%s); two RPCs cannot share an HTTP method and path: change one path or give one a custom verb (%s)",
				where, r.method, r.pos, suggestVerb(bd.Path, md.Name()))
			return false
		}
		if r.method != md.FullName() && pt.covers(r.tmpl) {
			b.ruleErrorf(md, "%s: this route matches every URL of %s %s, bound earlier to rpc %s (%s), and grpc-gateway tries the later route first, so %s %s would never reach rpc %s: declare rpc %s before rpc %s, or make the paths distinct",
				where, r.verb, r.path, r.method, r.pos, r.verb, r.path, r.method.Name(), md.Name(), r.method.Name())
			return false
		}
	}
	*routes = append(*routes, route{verb: bd.Verb, tmpl: pt, path: bd.Path, method: md.FullName(), pos: b.rulePosition(md)})
	return true
}

// suggestVerb is path with a custom verb named after the method in place of
// any verb it has: /v1/things/{id}:fetchThing.
func suggestVerb(path string, method protoreflect.Name) string {
	if i := strings.LastIndexByte(path, ':'); i >= 0 && !strings.ContainsAny(path[i:], "/}") {
		path = path[:i]
	}
	name := string(method)
	return path + ":" + strings.ToLower(name[:1]) + name[1:]
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

// pathWellKnown are the message types grpc-gateway parses from a path
// segment; any other message field cannot be a path variable.
var pathWellKnown = []protoreflect.FullName{
	"google.protobuf.Timestamp", "google.protobuf.Duration",
	"google.protobuf.StringValue", "google.protobuf.BytesValue", "google.protobuf.BoolValue",
	"google.protobuf.FloatValue", "google.protobuf.DoubleValue",
	"google.protobuf.Int32Value", "google.protobuf.UInt32Value",
	"google.protobuf.Int64Value", "google.protobuf.UInt64Value",
}

// pathField returns the field a path variable binds, or says why it cannot
// be bound: the field path must name singular fields of nested messages and
// end in a field grpc-gateway v2 can parse from text into the generated Go
// field.
func pathField(msg protoreflect.MessageDescriptor, path string) (protoreflect.FieldDescriptor, error) {
	parts := strings.Split(path, ".")
	var f protoreflect.FieldDescriptor
	for i, name := range parts {
		f = msg.Fields().ByName(protoreflect.Name(name))
		if f == nil {
			return nil, fmt.Errorf("%s has no field %q; bind one of its fields: %s", msg.FullName(), name, fieldNames(msg))
		}
		if f.IsList() || f.IsMap() {
			return nil, fmt.Errorf("field %q of %s is repeated, and a path variable binds one value; bind a singular field", name, msg.FullName())
		}
		if i < len(parts)-1 {
			if f.Message() == nil {
				return nil, fmt.Errorf("field %q of %s is not a message, so %q cannot go inside it; bind a field of the request", name, msg.FullName(), parts[i+1])
			}
			msg = f.Message()
		}
	}
	name, owner := f.Name(), f.ContainingMessage().FullName()
	switch {
	case f.Message() != nil:
		if !slices.Contains(pathWellKnown, f.Message().FullName()) {
			return nil, fmt.Errorf("field %q of %s is a message (%s), and a path variable binds a scalar; bind one of its fields, e.g. {%s.%s}",
				name, owner, f.Message().FullName(), path, firstField(f.Message()))
		}
	case f.ParentFile().Syntax() == protoreflect.Editions && f.HasPresence() && f.ContainingOneof() == nil:
		return nil, fmt.Errorf("field %q of %s has explicit presence, which grpc-gateway v2 cannot bind from a path in an editions file; declare it with [features.field_presence = IMPLICIT]", name, owner)
	case f.Kind() == protoreflect.EnumKind || f.Kind() == protoreflect.BytesKind:
		kind := "an enum"
		if f.Kind() == protoreflect.BytesKind {
			kind = "a bytes field"
		}
		switch {
		case f.ParentFile().Syntax() == protoreflect.Proto2:
			return nil, fmt.Errorf("field %q of %s is %s in a proto2 file, which grpc-gateway v2 cannot bind from a path; bind a string field instead", name, owner, kind)
		case f.HasOptionalKeyword():
			return nil, fmt.Errorf("field %q of %s is %s marked optional, which grpc-gateway v2 cannot bind from a path; remove optional from it", name, owner, kind)
		}
	}
	return f, nil
}

// firstField names a message's first field, for an example in a message.
func firstField(msg protoreflect.MessageDescriptor) string {
	if msg.Fields().Len() == 0 {
		return "field"
	}
	return string(msg.Fields().Get(0).Name())
}

// sampleValue is a URL-safe text form of a valid value for a field, as
// grpc-gateway parses path variables.
func sampleValue(f protoreflect.FieldDescriptor) string {
	switch f.Kind() {
	case protoreflect.BoolKind:
		return "true"
	case protoreflect.EnumKind:
		values := f.Enum().Values()
		if v := values.ByNumber(1); v != nil {
			return string(v.Name())
		}
		return string(values.Get(0).Name())
	case protoreflect.BytesKind:
		return "eHl6"
	case protoreflect.StringKind:
		return "x"
	case protoreflect.MessageKind, protoreflect.GroupKind:
		switch f.Message().FullName() {
		case "google.protobuf.Timestamp":
			return "2026-01-02T03:04:05Z"
		case "google.protobuf.Duration":
			return "1s"
		case "google.protobuf.FieldMask":
			return "a"
		case "google.protobuf.BytesValue":
			return "eHl6"
		case "google.protobuf.BoolValue":
			return "true"
		case "google.protobuf.Int32Value", "google.protobuf.UInt32Value", "google.protobuf.Int64Value",
			"google.protobuf.UInt64Value", "google.protobuf.FloatValue", "google.protobuf.DoubleValue":
			return "1"
		}
		return "x"
	}
	return "1"
}

// typed reports whether a path variable's field parses its text (a number,
// bool, enum, timestamp, ...), so that arbitrary text is a bad request.
func typed(f protoreflect.FieldDescriptor) bool {
	switch f.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		return false
	case protoreflect.MessageKind:
		switch f.Message().FullName() {
		case "google.protobuf.StringValue", "google.protobuf.BytesValue", "google.protobuf.FieldMask":
			return false
		}
	}
	return true
}

// sampleBody is a JSON request body the gateway accepts for a binding's
// body: "" without one, the whole request for "*", else the body field's
// value. Objects carry the proto2 required fields, without which the
// gateway cannot marshal the request.
func sampleBody(md protoreflect.MethodDescriptor, body string) string {
	switch {
	case body == "":
		return ""
	case body == "*" || md.IsStreamingClient():
		// A client stream's body is a sequence of whole request messages,
		// whatever the body field says.
		return requiredJSON(md.Input())
	}
	f := md.Input().Fields().ByName(protoreflect.Name(body))
	switch {
	case f.IsList():
		return "[]"
	case f.IsMap():
		return "{}"
	case f.Message() != nil:
		switch f.Message().FullName() {
		case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask",
			"google.protobuf.StringValue", "google.protobuf.BytesValue":
			return `"` + sampleValue(f) + `"`
		case "google.protobuf.BoolValue", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
			"google.protobuf.Int64Value", "google.protobuf.UInt64Value", "google.protobuf.FloatValue",
			"google.protobuf.DoubleValue":
			return sampleValue(f)
		case "google.protobuf.ListValue":
			return "[]"
		case "google.protobuf.Value":
			return "null"
		}
		// Any other message, Struct, Empty and Any included, accepts an
		// object.
		return requiredJSON(f.Message())
	}
	return jsonValue(f)
}

// jsonValue is the JSON form of a scalar field's sample value.
func jsonValue(f protoreflect.FieldDescriptor) string {
	switch f.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.EnumKind:
		return `"` + sampleValue(f) + `"`
	}
	return sampleValue(f)
}

// requiredJSON is a JSON object of msg with its proto2 required fields set,
// recursively; {} when it has none.
func requiredJSON(msg protoreflect.MessageDescriptor) string {
	var parts []string
	fields := msg.Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Cardinality() != protoreflect.Required {
			continue
		}
		v := jsonValue(f)
		if f.Message() != nil {
			v = requiredJSON(f.Message())
		}
		parts = append(parts, fmt.Sprintf("%q:%s", f.JSONName(), v))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// sampleQuery is the query string that sets the proto2 required scalar
// fields of the request that neither the path nor the body binds, so that
// the gateway can marshal the request; "" when there are none.
func sampleQuery(md protoreflect.MethodDescriptor, pathVars []string, body string) string {
	if body == "*" || md.IsStreamingClient() {
		return ""
	}
	var params []string
	var walk func(msg protoreflect.MessageDescriptor, prefix string)
	walk = func(msg protoreflect.MessageDescriptor, prefix string) {
		fields := msg.Fields()
		for i := range fields.Len() {
			f := fields.Get(i)
			p := prefix + string(f.Name())
			switch {
			case f.Cardinality() != protoreflect.Required, slices.Contains(pathVars, p),
				body != "" && (p == body || strings.HasPrefix(p, body+".")):
			case f.Message() != nil:
				walk(f.Message(), p+".")
			default:
				params = append(params, p+"="+sampleValue(f))
			}
		}
	}
	walk(md.Input(), "")
	if len(params) == 0 {
		return ""
	}
	return "?" + strings.Join(params, "&")
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
