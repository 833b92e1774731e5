package model

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
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
	// BrokenRule is a request breaking a protovalidate rule, and
	// BrokenMask one whose update_mask names a field it may not; nil when
	// none can be derived from the proto.
	BrokenRule, BrokenMask *Broken
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
	if broken := brokenRules(req); v.Protovalidate && len(broken) > 0 {
		v.BrokenRule = broken[0]
	}
	if v.FieldBehavior {
		v.BrokenMask = brokenMask(req)
	}
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

// missingRequired lists the request's REQUIRED fields that a REST call with
// the binding's sample URL and the body "{}" leaves unset: those not bound
// by a path variable or, for a body that is a message field, by the body.
// It is nil when such a call is not possible (a body that is not a
// message), so tests skip the binding.
func missingRequired(md protoreflect.MethodDescriptor, bd Binding, required []string) []string {
	bound := map[string]bool{}
	if bd.Body != "" && bd.Body != "*" {
		f := bodyField(md, bd.Body)
		if f == nil || f.Message() == nil || f.IsList() || f.IsMap() {
			return nil
		}
		first, _, _ := strings.Cut(bd.Body, ".")
		bound[first] = true
	}
	for _, seg := range strings.Split(bd.Path, "{")[1:] {
		name, _, _ := strings.Cut(seg, "}")
		name, _, _ = strings.Cut(name, "=")
		first, _, _ := strings.Cut(name, ".")
		bound[first] = true
	}
	var out []string
	for _, r := range required {
		if !bound[r] {
			out = append(out, r)
		}
	}
	return out
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

// Broken is a request that breaks one declared rule, derived from the
// proto for the generated tests: a top-level field set to a value its
// protovalidate rule refuses, or an update_mask naming an OUTPUT_ONLY or
// IMMUTABLE field.
type Broken struct {
	// JSON is the request as protojson, e.g. {"page_size":-1}.
	JSON string
	// Field is the path the server's violation names, e.g. "page_size" or
	// "order.create_time".
	Field string
	// Param is the field's name, and Value its text, as a REST query
	// parameter sets it.
	Param, Value string
	// Rule is the violation's reason when it is known in advance
	// (OUTPUT_ONLY, IMMUTABLE); "" for a protovalidate rule, whose id
	// depends on the rules combined.
	Rule string
}

// brokenRules returns requests breaking a protovalidate rule of one of the
// request's own singular scalar fields, one per field, for the rules whose
// breaking value can be derived (string max_len, pattern and uuid; int32
// and int64 bounds; enum defined_only).
func brokenRules(req protoreflect.MessageDescriptor) []*Broken {
	var out []*Broken
	fields := req.Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.IsList() || f.IsMap() || f.ContainingOneof() != nil {
			continue
		}
		fo := &descriptorpb.FieldOptions{}
		if !reread(f.Options(), fo) || !proto.HasExtension(fo, validate.E_Field) {
			continue
		}
		rules, _ := proto.GetExtension(fo, validate.E_Field).(*validate.FieldRules)
		if value, ok := breaking(f, rules); ok {
			jsonValue := value
			if f.Kind() == protoreflect.StringKind {
				jsonValue = fmt.Sprintf("%q", value)
			}
			out = append(out, &Broken{JSON: fmt.Sprintf(`{%q:%s}`, f.Name(), jsonValue), Field: string(f.Name()), Param: string(f.Name()), Value: value})
		}
	}
	return out
}

// breaking is a value of f that its rules refuse, as text.
func breaking(f protoreflect.FieldDescriptor, rules *validate.FieldRules) (string, bool) {
	switch k := f.Kind(); {
	case k == protoreflect.StringKind && rules.GetString() != nil:
		r := rules.GetString()
		switch {
		case r.HasMaxLen() && r.GetMaxLen() < 1000:
			return strings.Repeat("x", int(r.GetMaxLen())+1), true
		case r.GetUuid():
			return "not-a-uuid", true
		case r.HasPattern():
			re, err := regexp.Compile(r.GetPattern())
			if err != nil {
				return "", false
			}
			for _, s := range []string{"!", "x", "X", "0", "a b", "-", "~~"} {
				if !re.MatchString(s) {
					return s, true
				}
			}
		}
	case k == protoreflect.Int32Kind && rules.GetInt32() != nil:
		r := rules.GetInt32()
		switch {
		case r.HasGte() && r.GetGte() > math.MinInt32:
			return strconv.Itoa(int(r.GetGte()) - 1), true
		case r.HasLte() && r.GetLte() < math.MaxInt32:
			return strconv.Itoa(int(r.GetLte()) + 1), true
		}
	case k == protoreflect.Int64Kind && rules.GetInt64() != nil:
		r := rules.GetInt64()
		switch {
		case r.HasGte() && r.GetGte() > math.MinInt64:
			return strconv.FormatInt(r.GetGte()-1, 10), true
		case r.HasLte() && r.GetLte() < math.MaxInt64:
			return strconv.FormatInt(r.GetLte()+1, 10), true
		}
	case k == protoreflect.EnumKind && rules.GetEnum().GetDefinedOnly():
		values := f.Enum().Values()
		highest := int32(0)
		for i := range values.Len() {
			highest = max(highest, int32(values.Get(i).Number()))
		}
		if highest < math.MaxInt32 {
			return strconv.Itoa(int(highest) + 1), true
		}
	}
	return "", false
}

// brokenMask returns a request whose update_mask names an OUTPUT_ONLY or
// IMMUTABLE field of the resource (the request's only message field other
// than google.protobuf types), or nil; Param and Value set the mask as a
// REST query parameter. It follows the server's rules in
// internal/validation.
func brokenMask(req protoreflect.MessageDescriptor) *Broken {
	mask := req.Fields().ByName("update_mask")
	if mask == nil || mask.Message() == nil || mask.Message().FullName() != "google.protobuf.FieldMask" || mask.IsList() {
		return nil
	}
	var resources []protoreflect.FieldDescriptor
	fields := req.Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Message() != nil && !f.IsList() && !f.IsMap() && !strings.HasPrefix(string(f.Message().FullName()), "google.protobuf.") {
			resources = append(resources, f)
		}
	}
	if len(resources) != 1 {
		return nil
	}
	res := resources[0].Message().Fields()
	for i := range res.Len() {
		f := res.Get(i)
		fo := &descriptorpb.FieldOptions{}
		if !reread(f.Options(), fo) {
			continue
		}
		for _, b := range behaviors(fo) {
			if b == annotations.FieldBehavior_OUTPUT_ONLY || b == annotations.FieldBehavior_IMMUTABLE {
				return &Broken{
					Rule:  b.String(),
					JSON:  fmt.Sprintf(`{%q:%q}`, mask.Name(), f.JSONName()),
					Field: string(resources[0].Name()) + "." + string(f.Name()),
					Param: string(mask.Name()), Value: string(f.Name()),
				}
			}
		}
	}
	return nil
}

// restBrokenRule returns the first of the request's broken rules that a
// REST call to the binding carries (see restBroken), or nil.
func restBrokenRule(md protoreflect.MethodDescriptor, bd Binding) *Broken {
	for _, b := range brokenRules(md.Input()) {
		if r := restBroken(md, bd, b); r != nil {
			return r
		}
	}
	return nil
}

// restBroken returns b if a REST call to the binding's sample URL with b's
// query parameter and the body "{}" (none without a body) carries it to
// the server: the parameter is neither bound by the path nor inside the
// body, and the body takes an empty object.
func restBroken(md protoreflect.MethodDescriptor, bd Binding, b *Broken) *Broken {
	if b == nil || bd.Body == "*" {
		return nil
	}
	if bd.Body != "" {
		f := bodyField(md, bd.Body)
		if f == nil || f.Message() == nil || f.IsList() || f.IsMap() {
			return nil
		}
		first, _, _ := strings.Cut(bd.Body, ".")
		if first == b.Param {
			return nil
		}
	}
	for _, seg := range strings.Split(bd.Path, "{")[1:] {
		name, _, _ := strings.Cut(seg, "}")
		name, _, _ = strings.Cut(name, "=")
		if first, _, _ := strings.Cut(name, "."); first == b.Param {
			return nil
		}
	}
	return b
}
