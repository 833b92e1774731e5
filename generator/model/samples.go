package model

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// The generated service's tests call every binding with a sample request
// that grpc-gateway accepts: a URL whose path variables parse into their
// fields, and a body that its JSON decoder takes. A path variable is parsed
// by runtime.PopulateFieldFromPath or a runtime converter (numbers, bool,
// enum names or numbers, base64 bytes, RFC 3339 timestamps, Go durations);
// a body that is a message by protojson; a body field that is not a message
// by encoding/json, except that an enum takes only its number
// (runtime/marshal_jsonpb.go).

// sampler builds sample URLs for one binding.
type sampler struct {
	tmpl   pathTemplate
	fields map[string]protoreflect.FieldDescriptor
	// badVar is the first path variable whose field parses its text; "" if
	// every one takes any text.
	badVar string
	query  string
}

func newSampler(md protoreflect.MethodDescriptor, tmpl pathTemplate, body string) sampler {
	s := sampler{tmpl: tmpl, fields: map[string]protoreflect.FieldDescriptor{}, query: sampleQuery(md, tmpl.vars, body)}
	for _, v := range tmpl.vars {
		f, err := pathField(md.Input(), v)
		if err != nil {
			continue // reported when the binding was read
		}
		s.fields[v] = f
		if s.badVar == "" && typed(f) {
			s.badVar = v
		}
	}
	return s
}

// url is the try'th sample URL; with bad, the same URL with text the
// gateway cannot parse in badVar, or "" without a badVar. Different tries
// give different values, to find one that no later route takes.
func (s sampler) url(try int, bad bool) string {
	if bad && s.badVar == "" {
		return ""
	}
	values := map[string]string{}
	for v, f := range s.fields {
		values[v] = sampleValue(f, try)
	}
	if bad {
		values[s.badVar] = "not-a-value"
	}
	free := "x"
	if try > 0 {
		free += strconv.Itoa(try)
	}
	return s.tmpl.sampleURL(values, free) + s.query
}

// sampleValue is a URL-safe text form of a valid value for a field, as
// grpc-gateway parses path variables and query parameters; try picks
// another value.
func sampleValue(f protoreflect.FieldDescriptor, try int) string {
	switch f.Kind() {
	case protoreflect.BoolKind:
		return strconv.FormatBool(try%2 == 0)
	case protoreflect.EnumKind:
		return string(enumSample(f.Enum(), try).Name())
	case protoreflect.BytesKind:
		return bytesSample(try)
	case protoreflect.StringKind:
		return stringSample(try)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		switch f.Message().FullName() {
		case "google.protobuf.Timestamp":
			return fmt.Sprintf("2026-01-%02dT03:04:05Z", 2+try)
		case "google.protobuf.Duration":
			return strconv.Itoa(1+try) + "s"
		case "google.protobuf.FieldMask":
			return "a"
		case "google.protobuf.BytesValue":
			return bytesSample(try)
		case "google.protobuf.BoolValue":
			return strconv.FormatBool(try%2 == 0)
		case "google.protobuf.Int32Value", "google.protobuf.UInt32Value", "google.protobuf.Int64Value",
			"google.protobuf.UInt64Value", "google.protobuf.FloatValue", "google.protobuf.DoubleValue":
			return strconv.Itoa(1 + try)
		}
		return stringSample(try)
	}
	return strconv.Itoa(1 + try)
}

func stringSample(try int) string {
	if try == 0 {
		return "x"
	}
	return "x" + strconv.Itoa(try)
}

// bytesSample is base64 without characters a URL path would escape.
func bytesSample(try int) string {
	return []string{"eHl6", "YWJj", "ZGVm", "Z2hp"}[try%4]
}

// enumSample is the enum's value numbered 1 (the first after the
// conventional zero value) for try 0, then the others in order.
func enumSample(e protoreflect.EnumDescriptor, try int) protoreflect.EnumValueDescriptor {
	values := e.Values()
	var order []protoreflect.EnumValueDescriptor
	if v := values.ByNumber(1); v != nil {
		order = append(order, v)
	}
	for i := range values.Len() {
		if v := values.Get(i); v.Number() != 1 {
			order = append(order, v)
		}
	}
	return order[try%len(order)]
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

// bodyField is the request field a body names (a dotted path), already
// checked to exist.
func bodyField(md protoreflect.MethodDescriptor, body string) protoreflect.FieldDescriptor {
	msg := md.Input()
	var f protoreflect.FieldDescriptor
	for name := range strings.SplitSeq(body, ".") {
		f = msg.Fields().ByName(protoreflect.Name(name))
		msg = f.Message()
	}
	return f
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
		return messageJSON(md.Input())
	}
	f := bodyField(md, body)
	switch {
	case f.IsList():
		return "[]"
	case f.IsMap():
		return "{}"
	case f.Message() != nil:
		return messageJSON(f.Message())
	case f.Kind() == protoreflect.EnumKind:
		// The gateway decodes a body field that is not a message with
		// encoding/json, and an enum only from its number.
		return strconv.Itoa(int(enumSample(f.Enum(), 0).Number()))
	}
	return scalarJSON(f)
}

// strictBody reports whether the gateway answers 400 to a body of the
// binding that is an object with an unknown field: true for a message
// (other than google.protobuf.Struct and Value, which take any object), a
// list or a scalar; false for a map, whose keys are free.
func strictBody(md protoreflect.MethodDescriptor, body string) bool {
	var msg protoreflect.MessageDescriptor
	switch {
	case body == "":
		return false
	case body == "*" || md.IsStreamingClient():
		msg = md.Input()
	default:
		f := bodyField(md, body)
		switch {
		case f.IsMap():
			return false
		case f.IsList():
			return true
		}
		msg = f.Message()
	}
	return msg == nil || !slices.Contains([]protoreflect.FullName{"google.protobuf.Struct", "google.protobuf.Value"}, msg.FullName())
}

// messageJSON is the protojson form of a valid message: a well-known
// type's own JSON form, else an object with the proto2 required fields set,
// recursively; {} when it has none.
func messageJSON(msg protoreflect.MessageDescriptor) string {
	switch msg.FullName() {
	case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask",
		"google.protobuf.StringValue", "google.protobuf.BytesValue":
		return strconv.Quote(wellKnownSample(msg))
	case "google.protobuf.BoolValue", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
		"google.protobuf.Int64Value", "google.protobuf.UInt64Value", "google.protobuf.FloatValue",
		"google.protobuf.DoubleValue":
		return wellKnownSample(msg)
	case "google.protobuf.ListValue":
		return "[]"
	}
	// Any other message, Struct, Value, Empty and Any included, accepts an
	// object.
	var parts []string
	fields := msg.Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Cardinality() != protoreflect.Required {
			continue
		}
		v := scalarJSON(f)
		switch {
		case f.Message() != nil:
			v = messageJSON(f.Message())
		case f.Kind() == protoreflect.EnumKind:
			v = strconv.Quote(string(enumSample(f.Enum(), 0).Name()))
		}
		parts = append(parts, fmt.Sprintf("%q:%s", f.JSONName(), v))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// wellKnownSample is the text of a sample value of a well-known type that
// JSON writes as a string or number.
func wellKnownSample(msg protoreflect.MessageDescriptor) string {
	switch msg.FullName() {
	case "google.protobuf.Timestamp":
		return "2026-01-02T03:04:05Z"
	case "google.protobuf.Duration":
		return "1s"
	case "google.protobuf.FieldMask":
		return "a"
	case "google.protobuf.StringValue":
		return "x"
	case "google.protobuf.BytesValue":
		return bytesSample(0)
	case "google.protobuf.BoolValue":
		return "true"
	}
	return "1"
}

// scalarJSON is the JSON form of a scalar field's sample value; enums are
// left to the caller, as the two decoders differ.
func scalarJSON(f protoreflect.FieldDescriptor) string {
	switch f.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		return strconv.Quote(sampleValue(f, 0))
	}
	return sampleValue(f, 0)
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
				params = append(params, p+"="+sampleValue(f, 0))
			}
		}
	}
	walk(md.Input(), "")
	if len(params) == 0 {
		return ""
	}
	return "?" + strings.Join(params, "&")
}
