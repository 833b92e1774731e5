package model

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// pathTemplate is a parsed google.api.http path template:
//
//	Template = "/" Segments [ Verb ] ;
//	Segments = Segment { "/" Segment } ;
//	Segment  = "*" | "**" | LITERAL | Variable ;
//	Variable = "{" FieldPath [ "=" Segments ] "}" ;
//	Verb     = ":" LITERAL ;
type pathTemplate struct {
	// key is the template with every variable replaced by its pattern, so
	// that two templates matching the same URLs have the same key:
	// /v1/{name=shops/*} and /v1/shops/{id} are both /v1/shops/*.
	key string
	// vars are the field paths of the variables, e.g. "order.shop".
	vars []string
	// segments are the template's segments in order, for building URLs.
	segments []segment
	verb     string
}

// segment is a literal path segment, or a variable with its pattern.
type segment struct {
	literal string
	field   string
	pattern []string
}

// parseTemplate parses a path template, or says what is wrong with it.
func parseTemplate(tmpl string) (pathTemplate, error) {
	if !strings.HasPrefix(tmpl, "/") {
		return pathTemplate{}, fmt.Errorf("must start with /")
	}
	body, verb := tmpl[1:], ""
	// The verb is a colon after the last segment, outside any variable.
	if i := strings.LastIndexByte(body, ':'); i >= 0 && !strings.ContainsAny(body[i:], "/}") {
		body, verb = body[:i], body[i+1:]
		if verb == "" {
			return pathTemplate{}, fmt.Errorf("empty custom verb after ':'")
		}
	}
	var pt pathTemplate
	var key []string
	for seg := range splitSegments(body) {
		switch {
		case seg == "":
			return pathTemplate{}, fmt.Errorf("empty segment (// or a trailing /)")
		case strings.HasPrefix(seg, "{"):
			if !strings.HasSuffix(seg, "}") {
				return pathTemplate{}, fmt.Errorf("unclosed variable %q", seg)
			}
			inner := seg[1 : len(seg)-1]
			field, pattern, hasPattern := strings.Cut(inner, "=")
			if !isFieldPath(field) {
				return pathTemplate{}, fmt.Errorf("variable %q: %q is not a field path (a.b.c)", seg, field)
			}
			if !hasPattern {
				pattern = "*"
			}
			for p := range splitSegments(pattern) {
				if p == "" || strings.ContainsAny(p, "{}") {
					return pathTemplate{}, fmt.Errorf("variable %q: bad pattern %q", seg, pattern)
				}
			}
			pt.vars = append(pt.vars, field)
			pt.segments = append(pt.segments, segment{field: field, pattern: strings.Split(pattern, "/")})
			key = append(key, pattern)
		case strings.ContainsAny(seg, "{}"):
			return pathTemplate{}, fmt.Errorf("segment %q: a variable must be a whole segment", seg)
		default:
			pt.segments = append(pt.segments, segment{literal: seg})
			key = append(key, seg)
		}
	}
	pt.verb = verb
	pt.key = "/" + strings.Join(key, "/")
	if verb != "" {
		pt.key += ":" + verb
	}
	return pt, nil
}

// splitSegments yields the /-separated segments of s, keeping a variable's
// own slashes ({name=shops/*}) inside its segment.
func splitSegments(s string) func(func(string) bool) {
	return func(yield func(string) bool) {
		depth, start := 0, 0
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '{':
				depth++
			case '}':
				depth--
			case '/':
				if depth == 0 {
					if !yield(s[start:i]) {
						return
					}
					start = i + 1
				}
			}
		}
		yield(s[start:])
	}
}

func isFieldPath(s string) bool {
	for part := range strings.SplitSeq(s, ".") {
		if part == "" {
			return false
		}
		for i, r := range part {
			if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

// checkFieldPath reports whether path names a singular, non-map field that
// can be bound from a URL, walking nested messages of msg.
func checkFieldPath(msg protoreflect.MessageDescriptor, path string) error {
	parts := strings.Split(path, ".")
	for i, name := range parts {
		f := msg.Fields().ByName(protoreflect.Name(name))
		if f == nil {
			return fmt.Errorf("%s has no field %q", msg.FullName(), name)
		}
		if f.IsList() || f.IsMap() {
			return fmt.Errorf("field %q of %s is repeated; a path variable binds one value", name, msg.FullName())
		}
		if i < len(parts)-1 {
			if f.Message() == nil {
				return fmt.Errorf("field %q of %s is not a message, so %q cannot go inside it", name, msg.FullName(), parts[i+1])
			}
			msg = f.Message()
		}
	}
	return nil
}

// sampleURL is a URL path that the template matches, with a value for each
// variable that the gateway can parse into its field. The generated service's
// tests call every binding with it.
func (pt pathTemplate) sampleURL(msg protoreflect.MessageDescriptor) string {
	var parts []string
	for _, seg := range pt.segments {
		if seg.field == "" {
			parts = append(parts, seg.literal)
			continue
		}
		value := sampleValue(fieldAt(msg, seg.field))
		for _, p := range seg.pattern {
			if p == "*" || p == "**" {
				p = value
			}
			parts = append(parts, p)
		}
	}
	u := "/" + strings.Join(parts, "/")
	if pt.verb != "" {
		u += ":" + pt.verb
	}
	return u
}

// fieldAt returns the field a checked field path names.
func fieldAt(msg protoreflect.MessageDescriptor, path string) protoreflect.FieldDescriptor {
	var f protoreflect.FieldDescriptor
	for name := range strings.SplitSeq(path, ".") {
		f = msg.Fields().ByName(protoreflect.Name(name))
		msg = f.Message()
	}
	return f
}

// sampleValue is a URL-safe text form of a valid value for a field.
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
		case "google.protobuf.StringValue", "google.protobuf.BytesValue":
			return "x"
		case "google.protobuf.BoolValue":
			return "true"
		}
		return "x"
	}
	return "1"
}

// sampleBody is a JSON body the gateway accepts for a binding's body field.
func sampleBody(msg protoreflect.MessageDescriptor, body string) string {
	if body == "" {
		return ""
	}
	if body == "*" {
		return "{}"
	}
	f := msg.Fields().ByName(protoreflect.Name(body))
	switch {
	case f.IsList():
		return "[]"
	case f.IsMap() || f.Message() != nil && !strings.HasPrefix(string(f.Message().FullName()), "google.protobuf."):
		return "{}"
	case f.Kind() == protoreflect.StringKind, f.Kind() == protoreflect.BytesKind, f.Kind() == protoreflect.EnumKind:
		return `"` + sampleValue(f) + `"`
	case f.Message() != nil:
		switch f.Message().FullName() {
		case "google.protobuf.Struct", "google.protobuf.Empty", "google.protobuf.Any":
			return "{}"
		case "google.protobuf.ListValue":
			return "[]"
		case "google.protobuf.Value":
			return "null"
		}
		return `"` + sampleValue(f) + `"`
	}
	return sampleValue(f)
}
