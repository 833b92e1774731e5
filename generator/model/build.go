package model

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/jhump/protoreflect/v2/protoprint"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/new-service/new-service/generator/load"
)

// Options are the settings that do not come from the protos.
type Options struct {
	// Name is the service's name (a DNS label).
	Name string
	// Module is the Go module path.
	Module string
}

// Build turns loaded protos into the App the templates render. It checks
// what would otherwise fail later, in buf or the Go compiler, with a message
// far from its cause: no service at all, files of one folder with different
// Go packages, HTTP templates that do not parse or name missing fields, and
// two RPCs bound to the same HTTP method and path.
func Build(res *load.Result, opts Options) (*App, error) {
	b := &builder{res: res, opts: opts, aliases: map[string]string{}, usedAliases: map[string]bool{}}
	return b.build()
}

type builder struct {
	res  *load.Result
	opts Options
	errs load.ErrorList

	// aliases maps a Go import path to its alias; usedAliases is the reverse.
	aliases     map[string]string
	usedAliases map[string]bool
}

func (b *builder) build() (*App, error) {
	app := &App{Name: b.opts.Name, Module: b.opts.Module}
	all := closure(b.res.Files)

	// Every file of the service's own gets a Go package below <module>/gen,
	// one per folder, as buf's managed mode is told in buf.gen.yaml.
	goPkgs := map[string]GoPackage{} // by import path of the .proto file
	byDir := map[string]protoreflect.FileDescriptor{}
	for _, fd := range all {
		p := fd.Path()
		if load.IsGoogle(p) {
			if !strings.HasPrefix(p, "google/protobuf/") {
				app.ThirdParty = append(app.ThirdParty, b.printed(fd))
			}
			continue
		}
		dir := path.Dir(p)
		gp := GoPackage{ImportPath: b.opts.Module + "/gen", Name: goPackageName(fd)}
		if dir != "." {
			gp.ImportPath += "/" + dir
		}
		if first, ok := byDir[dir]; ok && goPkgs[first.Path()].Name != gp.Name {
			b.errorf(fd, "Go package %q differs from %q of %s in the same folder; files in one folder share a Go package: give them the same go_package name or move this file to its own folder",
				gp.Name, goPkgs[first.Path()].Name, b.res.DisplayPath(first.Path()))
		} else if !ok {
			byDir[dir] = fd
		}
		goPkgs[p] = gp
		src := b.res.Sources[p]
		app.Protos = append(app.Protos, ProtoFile{Path: p, Content: src.Content, Go: gp})
	}
	slices.SortFunc(app.Protos, func(x, y ProtoFile) int { return strings.Compare(x.Path, y.Path) })
	slices.SortFunc(app.ThirdParty, func(x, y ProtoFile) int { return strings.Compare(x.Path, y.Path) })
	if err := b.errs.Err(); err != nil {
		return nil, err
	}

	gen, err := b.protogen(all, goPkgs)
	if err != nil {
		return nil, err
	}
	// The services' own packages are aliased first, so they keep their names.
	for i, p := range app.Protos {
		app.Protos[i].Go = b.goPackage(protogen.GoImportPath(p.Go.ImportPath), protogen.GoPackageName(p.Go.Name))
	}

	handlerTaken := map[string]bool{}
	routes := map[string]routeOwner{}
	for _, fd := range b.res.Files {
		gf := gen.FilesByPath[fd.Path()]
		for i, gs := range gf.Services {
			sd := fd.Services().Get(i)
			svc := &Service{
				Name:     string(sd.Name()),
				FullName: string(sd.FullName()),
				GoName:   gs.GoName,
				Go:       b.goPackage(gf.GoImportPath, gf.GoPackageName),
				File:     fd.Path(),
				Comment:  comment(sd),
			}
			svc.Handler = b.handlerPackage(sd, handlerTaken)
			svc.HandlerDir = "internal/handler/" + svc.Handler.Name
			files := map[string]bool{}
			for j, gm := range gs.Methods {
				md := sd.Methods().Get(j)
				m := &Method{
					Name:        string(md.Name()),
					GoName:      gm.GoName,
					FullMethod:  fmt.Sprintf("/%s/%s", sd.FullName(), md.Name()),
					Streaming:   streaming(md),
					Input:       b.goType(gen, gm.Input),
					Output:      b.goType(gen, gm.Output),
					Comment:     comment(md),
					HandlerFile: handlerFileName(gm.GoName, files),
				}
				opts := methodOptions(md)
				switch opts.GetIdempotencyLevel() {
				case descriptorpb.MethodOptions_NO_SIDE_EFFECTS, descriptorpb.MethodOptions_IDEMPOTENT:
					m.Idempotency = opts.GetIdempotencyLevel().String()
				}
				m.Bindings = b.bindings(md, opts, routes)
				svc.Methods = append(svc.Methods, m)
			}
			app.Services = append(app.Services, svc)
		}
	}
	if len(app.Services) == 0 {
		var names []string
		for _, fd := range b.res.Files {
			names = append(names, b.res.DisplayPath(fd.Path()))
		}
		return nil, fmt.Errorf("%s: no service defined; new-service renders a gRPC service from the services in its inputs: add one, e.g. service Orders { rpc GetOrder(GetOrderRequest) returns (Order); }",
			strings.Join(names, ", "))
	}
	if err := b.errs.Err(); err != nil {
		return nil, err
	}
	return app, nil
}

// closure lists the files and everything they import, dependencies first.
func closure(files []protoreflect.FileDescriptor) []protoreflect.FileDescriptor {
	var out []protoreflect.FileDescriptor
	seen := map[string]bool{}
	var visit func(fd protoreflect.FileDescriptor)
	visit = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := range imports.Len() {
			visit(imports.Get(i).FileDescriptor)
		}
		out = append(out, fd)
	}
	for _, fd := range files {
		visit(fd)
	}
	return out
}

// goPackageName is the Go package name of one of the service's files: the
// name its go_package gives, else one derived from its proto package.
func goPackageName(fd protoreflect.FileDescriptor) string {
	gp := fd.Options().(*descriptorpb.FileOptions).GetGoPackage()
	if gp != "" {
		if _, name, ok := strings.Cut(gp, ";"); ok {
			return safePackageName(name)
		}
		return safePackageName(path.Base(gp))
	}
	return packageNameFor(string(fd.Package()), path.Dir(fd.Path()))
}

// protogen names everything exactly as protoc-gen-go and protoc-gen-go-grpc
// will, by running their naming code (google.golang.org/protobuf's
// compiler/protogen) over the same request buf will send them.
func (b *builder) protogen(all []protoreflect.FileDescriptor, goPkgs map[string]GoPackage) (*protogen.Plugin, error) {
	req := &pluginpb.CodeGeneratorRequest{}
	for _, fd := range b.res.Files {
		req.FileToGenerate = append(req.FileToGenerate, fd.Path())
	}
	for _, fd := range all {
		fdp := protodesc.ToFileDescriptorProto(fd)
		if gp, ok := goPkgs[fd.Path()]; ok {
			fdp.Options = proto.CloneOf(fdp.GetOptions())
			if fdp.Options == nil {
				fdp.Options = &descriptorpb.FileOptions{}
			}
			fdp.Options.GoPackage = proto.String(gp.ImportPath + ";" + gp.Name)
		}
		req.ProtoFile = append(req.ProtoFile, fdp)
	}
	gen, err := protogen.Options{}.New(req)
	if err != nil {
		return nil, fmt.Errorf("name Go types: %w", err)
	}
	return gen, nil
}

// goPackage returns the package with its alias, allocating one on first use.
func (b *builder) goPackage(importPath protogen.GoImportPath, name protogen.GoPackageName) GoPackage {
	ip := string(importPath)
	if alias, ok := b.aliases[ip]; ok {
		return GoPackage{ImportPath: ip, Name: string(name), Alias: alias}
	}
	base := safePackageName(string(name))
	alias := base
	for n := 2; b.usedAliases[alias]; n++ {
		alias = fmt.Sprintf("%s%d", base, n)
	}
	b.aliases[ip] = alias
	b.usedAliases[alias] = true
	return GoPackage{ImportPath: ip, Name: string(name), Alias: alias}
}

// goType is a message's Go type, with its package's alias.
func (b *builder) goType(gen *protogen.Plugin, msg *protogen.Message) GoType {
	ip := msg.GoIdent.GoImportPath
	name := path.Base(string(ip))
	for _, f := range gen.Files {
		if f.GoImportPath == ip {
			name = string(f.GoPackageName)
			break
		}
	}
	return GoType{Package: b.goPackage(ip, protogen.GoPackageName(name)), Name: msg.GoIdent.GoName}
}

// handlerPackage names the user-owned package implementing a service:
// OrderService -> orderservice, made unique with the proto package's last
// element (orderservicev2) and then a number.
func (b *builder) handlerPackage(sd protoreflect.ServiceDescriptor, taken map[string]bool) GoPackage {
	base := safePackageName(string(sd.Name()))
	name := base
	if taken[name] || b.usedAliases[name] {
		name = base + identifier(string(sd.ParentFile().Package().Name()))
	}
	for n := 2; taken[name] || b.usedAliases[name]; n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	taken[name] = true
	b.usedAliases[name] = true
	return GoPackage{ImportPath: b.opts.Module + "/internal/handler/" + name, Name: name, Alias: name}
}

func streaming(md protoreflect.MethodDescriptor) Streaming {
	switch {
	case md.IsStreamingClient() && md.IsStreamingServer():
		return BidiStream
	case md.IsStreamingClient():
		return ClientStream
	case md.IsStreamingServer():
		return ServerStream
	}
	return Unary
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

// routeOwner is the RPC that first claimed an HTTP route.
type routeOwner struct {
	method string
	pos    string
}

// bindings reads and checks the method's google.api.http rule.
func (b *builder) bindings(md protoreflect.MethodDescriptor, opts *descriptorpb.MethodOptions, routes map[string]routeOwner) []Binding {
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
		default:
			b.errorf(md, "rpc %s: HTTP rule without a method and path; set get, put, post, delete, patch or custom", md.Name())
			continue
		}
		if i > 0 && len(r.GetAdditionalBindings()) > 0 {
			b.errorf(md, "rpc %s: additional_bindings cannot nest; list every binding in the outer rule", md.Name())
		}
		where := fmt.Sprintf("rpc %s: %s %s", md.Name(), bd.Verb, bd.Path)
		pt, err := parseTemplate(bd.Path)
		if err != nil {
			b.errorf(md, "%s: bad path template: %v; see https://google.aip.dev/127 for the syntax", where, err)
			continue
		}
		varsOK := true
		for _, v := range pt.vars {
			if err := checkFieldPath(md.Input(), v); err != nil {
				b.errorf(md, "%s: path variable {%s}: %v; bind a field of the request", where, v, err)
				varsOK = false
			}
		}
		if bd.Body != "" && bd.Body != "*" && md.Input().Fields().ByName(protoreflect.Name(bd.Body)) == nil {
			b.errorf(md, "%s: body %q: %s has no such field; use \"*\" or a top-level field of the request", where, bd.Body, md.Input().FullName())
			continue
		}
		if bd.ResponseBody != "" && md.Output().Fields().ByName(protoreflect.Name(bd.ResponseBody)) == nil {
			b.errorf(md, "%s: response_body %q: %s has no such field; use a top-level field of the response", where, bd.ResponseBody, md.Output().FullName())
		}
		if !varsOK {
			continue
		}
		bd.SampleURL = pt.sampleURL(md.Input())
		bd.SampleBody = sampleBody(md.Input(), bd.Body)
		key := bd.Verb + " " + pt.key
		if first, ok := routes[key]; ok {
			b.errorf(md, "%s: the same route is already bound to rpc %s (%s); two RPCs cannot share an HTTP method and path: change one path or give one a custom verb (%s:%s)",
				where, first.method, first.pos, bd.Path, strings.ToLower(string(md.Name())))
			continue
		}
		routes[key] = routeOwner{method: string(md.FullName()), pos: b.position(md).String()}
		out = append(out, bd)
	}
	return out
}

// printed renders a Google proto from its compiled descriptor, so the
// service gets exactly the definitions its Go dependencies were built from.
func (b *builder) printed(fd protoreflect.FileDescriptor) ProtoFile {
	text, err := (&protoprint.Printer{}).PrintProtoToString(fd)
	if err != nil {
		b.errs = append(b.errs, &load.Error{File: fd.Path(), Msg: fmt.Sprintf("print imported file: %v", err)})
	}
	gp := fd.Options().(*descriptorpb.FileOptions).GetGoPackage()
	ip, name, _ := strings.Cut(gp, ";")
	note := fmt.Sprintf("// Printed by new-service from the descriptor compiled into %s,\n"+
		"// so that buf resolves this import offline. Comments are not kept; see\n"+
		"// https://github.com/googleapis/googleapis for the documented original\n"+
		"// (Apache License 2.0).\n\n", ip)
	return ProtoFile{Path: fd.Path(), Content: []byte(note + text), Go: GoPackage{ImportPath: ip, Name: cmp.Or(name, path.Base(ip))}}
}

// position is where a descriptor is declared, as the user sees it.
type position struct {
	file      string
	line, col int
}

func (p position) String() string { return fmt.Sprintf("%s:%d:%d", p.file, p.line, p.col) }

func (b *builder) position(d protoreflect.Descriptor) position {
	loc := d.ParentFile().SourceLocations().ByDescriptor(d)
	return position{file: b.res.DisplayPath(d.ParentFile().Path()), line: loc.StartLine + 1, col: loc.StartColumn + 1}
}

// errorf records a problem at a descriptor's declaration.
func (b *builder) errorf(d protoreflect.Descriptor, format string, args ...any) {
	var p position
	if fd, ok := d.(protoreflect.FileDescriptor); ok {
		p = position{file: b.res.DisplayPath(fd.Path()), line: 1, col: 1}
		if pkg := fd.SourceLocations().ByPath(protoreflect.SourcePath{2}); pkg.StartLine > 0 || pkg.EndLine > 0 {
			p.line, p.col = pkg.StartLine+1, pkg.StartColumn+1
		}
	} else {
		p = b.position(d)
	}
	b.errs = append(b.errs, &load.Error{File: p.file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)})
}

// comment is a declaration's leading comment, without comment markers'
// leading spaces and surrounding blank lines.
func comment(d protoreflect.Descriptor) string {
	c := d.ParentFile().SourceLocations().ByDescriptor(d).LeadingComments
	lines := strings.Split(strings.TrimSpace(c), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(strings.TrimRight(l, " \t"), " ")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
