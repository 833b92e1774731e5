package model

import (
	"encoding/json"
	"fmt"

	"github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2/options"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/new-service/new-service/generator/load"
)

// checkOpenAPIExamples warns, at the option's declaration, about an
// openapiv2 `example` that is not JSON: protoc-gen-openapiv2 v2.33 refuses
// it (older versions took plain text), so the API cannot be described. The
// service still renders, builds and serves; its /openapi.json lists no
// operations and says why.
func (b *builder) checkOpenAPIExamples(own []protoreflect.FileDescriptor) []*load.Error {
	var warns []*load.Error
	check := func(d protoreflect.Descriptor, example string) {
		if example == "" || json.Valid([]byte(example)) {
			return
		}
		p := b.position(d)
		warns = append(warns, &load.Error{File: p.file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(
			"openapiv2 example %q of %s is not JSON, and protoc-gen-openapiv2 refuses it, so the OpenAPI document will list no operations; write it as JSON, e.g. example: %q",
			example, d.FullName(), fmt.Sprintf("%q", example))})
	}
	var visit func(msgs protoreflect.MessageDescriptors)
	visit = func(msgs protoreflect.MessageDescriptors) {
		for i := range msgs.Len() {
			md := msgs.Get(i)
			opts := &descriptorpb.MessageOptions{}
			if reread(md.Options(), opts) {
				if s, ok := proto.GetExtension(opts, options.E_Openapiv2Schema).(*options.Schema); ok {
					check(md, s.GetExample())
				}
			}
			fields := md.Fields()
			for j := range fields.Len() {
				fo := &descriptorpb.FieldOptions{}
				if reread(fields.Get(j).Options(), fo) {
					if s, ok := proto.GetExtension(fo, options.E_Openapiv2Field).(*options.JSONSchema); ok {
						check(fields.Get(j), s.GetExample())
					}
				}
			}
			visit(md.Messages())
		}
	}
	for _, fd := range own {
		visit(fd.Messages())
	}
	return warns
}

// reread decodes options compiled by protocompile into a typed message,
// with the extensions the Go registry knows resolved; see methodOptions.
func reread(opts proto.Message, into proto.Message) bool {
	raw, err := proto.Marshal(opts)
	if err != nil || len(raw) == 0 {
		return false
	}
	return proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}.Unmarshal(raw, into) == nil
}

// checkDocsPaths warns, at the HTTP rule, about each route that uses a path
// the generated service serves its API description at when API_DOCS is on:
// /openapi.json, /docs and below. Such an API is accepted as buf and
// grpc-gateway accept it; its service defaults API_DOCS to false, so that
// its own routes win, and the warning says how to have both.
func checkDocsPaths(routes []route) []*load.Error {
	var warns []*load.Error
	for _, r := range routes {
		t := r.tmpl.tokens
		var what string
		switch {
		case len(t) == 1 && t[0] == "openapi.json" && r.tmpl.verb == "":
			what = "/openapi.json, where the service serves its OpenAPI document"
		case len(t) > 0 && t[0] == "docs":
			what = "/docs, where the service serves its API explorer"
		default:
			continue
		}
		warns = append(warns, &load.Error{File: r.pos.file, Line: r.pos.line, Col: r.pos.col, Msg: fmt.Sprintf(
			"rpc %s: %s %s uses %s; the service defaults API_DOCS to false so that this route is served; move the rule under a prefix (e.g. /v1%s) to have both",
			r.method.Name(), r.verb, r.path, what, r.path)})
	}
	return warns
}
