package model

import (
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/new-service/new-service/generator/sample"
)

// Every HTTP route must be reachable: the model finds, for each binding, a
// URL whose path variables parse into their fields that grpc-gateway's mux
// sends to it (see routes.go), and reports a route no such URL reaches.
// The generated service's tests call each binding at that URL.

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
		values[v] = sample.Value(f, try)
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
				params = append(params, p+"="+sample.Value(f, 0))
			}
		}
	}
	walk(md.Input(), "")
	if len(params) == 0 {
		return ""
	}
	return "?" + strings.Join(params, "&")
}
