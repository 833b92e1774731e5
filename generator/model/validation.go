package model

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	pgv "github.com/envoyproxy/protoc-gen-validate/validate"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/new-service/new-service/generator/load"
)

// Validation is what a method's request declares that the generated server
// checks before the handler runs (internal/server/validate.go): the
// protovalidate rules (buf.validate) and the google.api.field_behavior
// annotations (AIP-203) of the request message and every message it
// reaches. A method without either is not wrapped at all, so it pays
// nothing for validation.
type Validation struct {
	// Protovalidate reports whether the request reaches a field, message or
	// oneof with a buf.validate rule.
	Protovalidate bool
	// FieldBehavior reports whether the request reaches a field marked
	// REQUIRED, OUTPUT_ONLY or IMMUTABLE.
	FieldBehavior bool
	// Required are the request's own REQUIRED fields (outside a oneof, not
	// proto2 required), by proto name, in declaration order: an empty
	// request lacks each one.
	Required []string
}

// Any reports whether the method's request declares anything to check.
func (v Validation) Any() bool { return v.Protovalidate || v.FieldBehavior }

// Validates reports whether any method of the App checks its requests.
func (a *App) Validates() bool {
	return slices.ContainsFunc(a.Services, func(s *Service) bool {
		return slices.ContainsFunc(s.Methods, func(m *Method) bool { return m.Validation.Any() })
	})
}

// UsesProtovalidate reports whether any request carries buf.validate rules:
// only then does the service import buf.build/go/protovalidate (and CEL).
func (a *App) UsesProtovalidate() bool {
	return slices.ContainsFunc(a.Services, func(s *Service) bool {
		return slices.ContainsFunc(s.Methods, func(m *Method) bool { return m.Validation.Protovalidate })
	})
}

// validation reads what a request message declares, following message
// fields (singular, repeated and map values) to every message it reaches.
func validation(req protoreflect.MessageDescriptor) Validation {
	var v Validation
	seen := map[protoreflect.FullName]bool{}
	var visit func(md protoreflect.MessageDescriptor)
	visit = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] {
			return
		}
		seen[md.FullName()] = true
		mo := &descriptorpb.MessageOptions{}
		if reread(md.Options(), mo) && proto.HasExtension(mo, validate.E_Message) {
			v.Protovalidate = true
		}
		oneofs := md.Oneofs()
		for i := range oneofs.Len() {
			oo := &descriptorpb.OneofOptions{}
			if reread(oneofs.Get(i).Options(), oo) && proto.HasExtension(oo, validate.E_Oneof) {
				v.Protovalidate = true
			}
		}
		fields := md.Fields()
		for i := range fields.Len() {
			f := fields.Get(i)
			fo := &descriptorpb.FieldOptions{}
			if reread(f.Options(), fo) {
				if proto.HasExtension(fo, validate.E_Field) {
					v.Protovalidate = true
				}
				for _, b := range behaviors(fo) {
					switch b {
					case annotations.FieldBehavior_REQUIRED:
						v.FieldBehavior = true
						// As the server: members of a oneof are not checked (a
						// proto3 optional's synthetic oneof is no oneof), and a
						// proto2 required field is always set.
						if md == req && (f.ContainingOneof() == nil || f.ContainingOneof().IsSynthetic()) && f.Cardinality() != protoreflect.Required {
							v.Required = append(v.Required, string(f.Name()))
						}
					case annotations.FieldBehavior_OUTPUT_ONLY, annotations.FieldBehavior_IMMUTABLE:
						v.FieldBehavior = true
					}
				}
			}
			if f.IsMap() {
				f = f.MapValue()
			}
			if f.Message() != nil {
				visit(f.Message())
			}
		}
	}
	visit(req)
	return v
}

// behaviors are a field's google.api.field_behavior values.
func behaviors(fo *descriptorpb.FieldOptions) []annotations.FieldBehavior {
	if !proto.HasExtension(fo, annotations.E_FieldBehavior) {
		return nil
	}
	b, _ := proto.GetExtension(fo, annotations.E_FieldBehavior).([]annotations.FieldBehavior)
	return b
}

// checkLegacyValidate warns, at each declaration, about protoc-gen-validate
// (validate.rules) annotations: the generated service does not enforce
// them, and says so rather than ignoring them silently. protovalidate is
// the same authors' successor; docs/golden-path.md says how to migrate.
func (b *builder) checkLegacyValidate(own []protoreflect.FileDescriptor) []*load.Error {
	var warns []*load.Error
	warn := func(d protoreflect.Descriptor, what string) {
		p := b.position(d)
		warns = append(warns, &load.Error{File: p.file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(
			"%s of %s is a protoc-gen-validate rule, which the service does not enforce; "+
				"rewrite it as a protovalidate rule (buf/validate/validate.proto), which it does: "+
				"see \"Migrating from protoc-gen-validate\" in new-service's docs/golden-path.md", what, d.FullName())})
	}
	var visit func(msgs protoreflect.MessageDescriptors)
	visit = func(msgs protoreflect.MessageDescriptors) {
		for i := range msgs.Len() {
			md := msgs.Get(i)
			mo := &descriptorpb.MessageOptions{}
			if reread(md.Options(), mo) && (proto.HasExtension(mo, pgv.E_Disabled) || proto.HasExtension(mo, pgv.E_Ignored)) {
				warn(md, "(validate.disabled)/(validate.ignored)")
			}
			oneofs := md.Oneofs()
			for j := range oneofs.Len() {
				oo := &descriptorpb.OneofOptions{}
				if reread(oneofs.Get(j).Options(), oo) && proto.HasExtension(oo, pgv.E_Required) {
					warn(oneofs.Get(j), "(validate.required)")
				}
			}
			fields := md.Fields()
			for j := range fields.Len() {
				fo := &descriptorpb.FieldOptions{}
				if reread(fields.Get(j).Options(), fo) && proto.HasExtension(fo, pgv.E_Rules) {
					warn(fields.Get(j), "(validate.rules)")
				}
			}
			visit(md.Messages())
		}
	}
	for _, fd := range own {
		visit(fd.Messages())
	}
	slices.SortStableFunc(warns, func(a, b *load.Error) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return warns
}

// RegisterPackages returns the Go packages internal/server/register.go
// imports: those of the services, and those of the request types of the
// methods that check their requests. Sorted by import path.
func (a *App) RegisterPackages() []GoPackage {
	pkgs := a.Packages()
	for _, s := range a.Services {
		for _, m := range s.Methods {
			if m.Validation.Any() {
				pkgs = append(pkgs, m.Input.Package)
			}
		}
	}
	return uniquePackages(pkgs...)
}
