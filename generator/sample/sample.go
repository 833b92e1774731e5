// Package sample makes valid values of proto fields in the text forms
// grpc-gateway parses: path variables and query parameters (parsed by
// runtime.PopulateFieldFromPath or a runtime converter: numbers, bool, enum
// names or numbers, base64 bytes, RFC 3339 timestamps, Go durations) and
// the JSON of request bodies. The model uses them to find a URL that
// reaches each HTTP route; the fixtures of the generated tests use them to
// build request bodies.
package sample

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Value is a URL-safe text form of a valid value for a field, as
// grpc-gateway parses path variables and query parameters; try picks
// another value.
func Value(f protoreflect.FieldDescriptor, try int) string {
	switch f.Kind() {
	case protoreflect.BoolKind:
		return strconv.FormatBool(try%2 == 0)
	case protoreflect.EnumKind:
		return string(Enum(f.Enum(), try).Name())
	case protoreflect.BytesKind:
		return Bytes(try)
	case protoreflect.StringKind:
		return stringValue(try)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		switch f.Message().FullName() {
		case "google.protobuf.Timestamp":
			return fmt.Sprintf("2026-01-%02dT03:04:05Z", 2+try)
		case "google.protobuf.Duration":
			return strconv.Itoa(1+try) + "s"
		case "google.protobuf.FieldMask":
			return "a"
		case "google.protobuf.BytesValue":
			return Bytes(try)
		case "google.protobuf.BoolValue":
			return strconv.FormatBool(try%2 == 0)
		case "google.protobuf.Int32Value", "google.protobuf.UInt32Value", "google.protobuf.Int64Value",
			"google.protobuf.UInt64Value", "google.protobuf.FloatValue", "google.protobuf.DoubleValue":
			return strconv.Itoa(1 + try)
		}
		return stringValue(try)
	}
	return strconv.Itoa(1 + try)
}

func stringValue(try int) string {
	if try == 0 {
		return "x"
	}
	return "x" + strconv.Itoa(try)
}

// Bytes is base64 without characters a URL path would escape.
func Bytes(try int) string {
	return []string{"eHl6", "YWJj", "ZGVm", "Z2hp"}[try%4]
}

// Enum is the enum's value numbered 1 (the first after the conventional
// zero value) for try 0, then the others in order.
func Enum(e protoreflect.EnumDescriptor, try int) protoreflect.EnumValueDescriptor {
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
