package model

import (
	"cmp"
	"fmt"
	"go/token"
	"path"
	"slices"
	"strings"

	"github.com/jhump/protoreflect/v2/protoprint"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
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
	// Settings are the operational choices; the zero value means
	// DefaultSettings.
	Settings *Settings
	// Generator is new-service's version ("devel" when built from a
	// checkout), which the service's CI runs to check for drift.
	Generator string
}

// Build turns loaded protos into the App the templates render. It checks
// what would otherwise fail later, in buf, the Go compiler or the generated
// service's tests, with a message far from its cause: no service at all,
// files of one folder with different Go packages, folders whose Go packages
// would import each other or that the go command treats specially, HTTP
// rules that do not parse, bind fields grpc-gateway cannot bind or name
// missing ones, and routes that two RPCs share or that a later route hides.
// Every problem is reported at its file, line and column, with the fix.
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
	app := &App{Name: b.opts.Name, Module: b.opts.Module, Settings: DefaultSettings(b.opts.Name, b.opts.Module), Generator: cmp.Or(b.opts.Generator, "devel")}
	if b.opts.Settings != nil {
		app.Settings = *b.opts.Settings
	}
	all := closure(b.res.Files)

	// Every file of the service's own gets a Go package below <module>/gen,
	// one per folder, as buf's managed mode is told in buf.gen.yaml. A
	// built-in file keeps the Go package of its published module.
	var own []protoreflect.FileDescriptor
	for _, fd := range all {
		switch p := fd.Path(); {
		case !load.IsBuiltin(p):
			own = append(own, fd)
		case !strings.HasPrefix(p, "google/protobuf/"):
			app.ThirdParty = append(app.ThirdParty, b.printed(fd))
		}
	}
	goPkgs := b.goPackages(own)
	for _, fd := range own {
		p := fd.Path()
		app.Protos = append(app.Protos, ProtoFile{Path: p, Content: b.res.Sources[p].Content, Go: goPkgs[p]})
	}
	slices.SortFunc(app.Protos, func(x, y ProtoFile) int { return strings.Compare(x.Path, y.Path) })
	slices.SortFunc(app.ThirdParty, func(x, y ProtoFile) int { return strings.Compare(x.Path, y.Path) })
	if err := b.errs.Err(); err != nil {
		return nil, err
	}
	app.Warnings = append(b.checkOpenAPIExamples(own), b.checkLegacyValidate(own)...)
	b.checkImportCycles(own)
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

	var routes []route
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
			svc.Handler = b.handlerPackage(sd)
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
				m.Bindings = b.bindings(md, opts, &routes)
				m.Validation = validation(md.Input())
				svc.Methods = append(svc.Methods, m)
			}
			app.Services = append(app.Services, svc)
		}
	}
	setIdents(app.Services)
	if len(app.Services) == 0 {
		first := b.res.Files[0]
		msg := "no service defined; new-service renders a gRPC service from the services in its inputs: add one, e.g. service Orders { rpc GetOrder(GetOrderRequest) returns (Order); }"
		if len(b.res.Files) > 1 {
			msg = fmt.Sprintf("no service defined in this file or the %d other input files; new-service renders a gRPC service from the services in its inputs: add one, e.g. service Orders { rpc GetOrder(GetOrderRequest) returns (Order); }", len(b.res.Files)-1)
		}
		b.errorf(first, "%s", msg)
		return nil, b.errs.Err()
	}
	if err := b.errs.Err(); err != nil {
		return nil, err
	}
	var shadowed []*load.Error
	shadowed, app.APIDocs = checkDocsPaths(routes), true
	if len(shadowed) > 0 {
		app.Warnings, app.APIDocs = append(app.Warnings, shadowed...), false
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
	for n := 2; !b.free(alias); n++ {
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

// handlerPackage names the user-owned package implementing a service and
// says where it is imported from, <module>/internal/handler/<name>; the
// render table writes its files to the folder that import path names:
// OrderService -> orderservice. When that name is taken, the service's proto
// package tells it apart: the shortest tail of the package that no other
// service of the same name shares (acme.orders.v2 -> orderservicev2,
// acme.shop.v1 beside acme.billing.v1 -> ordersshopv1), then a number.
func (b *builder) handlerPackage(sd protoreflect.ServiceDescriptor) GoPackage {
	base := safePackageName(string(sd.Name()))
	name := base
	if !b.free(name) {
		name = base + identifier(b.distinctTail(sd))
	}
	for n := 2; !b.free(name); n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	b.usedAliases[name] = true
	return GoPackage{ImportPath: b.opts.Module + "/internal/handler/" + name, Name: name, Alias: name}
}

// setIdents gives each service an exported identifier unique within the
// App: its GoName, or for services that share one, the GoName with the
// suffix that sets its handler package apart (Orders, OrdersShopv2).
func setIdents(services []*Service) {
	count := map[string]int{}
	for _, s := range services {
		count[s.GoName]++
	}
	taken := map[string]bool{}
	for _, s := range services {
		ident := s.GoName
		if count[s.GoName] > 1 {
			tail := strings.TrimPrefix(s.Handler.Name, strings.ToLower(s.GoName))
			if tail != "" && tail != s.Handler.Name {
				ident += strings.ToUpper(tail[:1]) + tail[1:]
			}
		}
		base := ident
		for n := 2; taken[ident]; n++ {
			ident = fmt.Sprintf("%s%d", base, n)
		}
		taken[ident] = true
		s.Ident = ident
	}
}

// distinctTail returns the fewest trailing elements of sd's proto package
// that differ from those of every other input service whose handler package
// would have the same name.
func (b *builder) distinctTail(sd protoreflect.ServiceDescriptor) string {
	base := safePackageName(string(sd.Name()))
	var others []string
	for _, fd := range b.res.Files {
		services := fd.Services()
		for i := range services.Len() {
			o := services.Get(i)
			if safePackageName(string(o.Name())) == base && o.FullName() != sd.FullName() {
				others = append(others, string(o.ParentFile().Package()))
			}
		}
	}
	elems := strings.Split(string(sd.ParentFile().Package()), ".")
	for n := 1; n < len(elems); n++ {
		tail := strings.Join(elems[len(elems)-n:], ".")
		if !slices.ContainsFunc(others, func(o string) bool { return o == tail || strings.HasSuffix(o, "."+tail) }) {
			return tail
		}
	}
	return strings.Join(elems, ".")
}

// free reports whether name can be given to another imported package.
func (b *builder) free(name string) bool {
	return !b.usedAliases[name] && !suffixed[name] && !token.IsKeyword(name)
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
		"// %s for the documented original.\n\n", ip, load.BuiltinOrigin(fd.Path()))
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
	b.add(p, fmt.Sprintf(format, args...))
}

// add records a problem at a position.
func (b *builder) add(p position, msg string) {
	b.errs = append(b.errs, &load.Error{File: p.file, Line: p.line, Col: p.col, Msg: msg})
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
