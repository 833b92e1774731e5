// Package model is the service as the templates see it: the generated
// service's name and module, its proto services and methods with their Go
// names, streaming kinds, HTTP bindings and idempotency. Everything here is
// plain data; no descriptor type passes this point, so templates cannot
// depend on protobuf internals and golden tests can build a model by hand.
package model

import (
	"slices"
	"strings"

	"github.com/new-service/new-service/generator/load"
)

// App is one generated service.
type App struct {
	// Name names the service in binaries, manifests and metrics: a DNS label
	// such as "orders".
	Name string
	// Module is the Go module path, e.g. "example.com/orders".
	Module string
	// Settings are the operational choices: objectives, sizes, timings.
	Settings Settings
	// Generator is the version of new-service that renders the App.
	Generator string
	// Protos are the service's own .proto files, copied into proto/, sorted by
	// import path.
	Protos []ProtoFile
	// ThirdParty are the Google protos the service's files import, other than
	// the well-known types, written under third_party/proto/ so that buf
	// resolves them offline. Sorted by import path.
	ThirdParty []ProtoFile
	// Services are the proto services of the input files, in file and
	// declaration order.
	Services []*Service
	// APIDocs is the default of the service's API_DOCS setting, which
	// serves /openapi.json and the explorer at /docs on the REST port: true
	// unless the API's own routes use those paths (new warns).
	APIDocs bool
	// Warnings are problems that do not stop the service from building,
	// each at its proto line; new prints them.
	Warnings []*load.Error
}

// ProtoFile is one .proto file and the Go package its code is generated into.
type ProtoFile struct {
	// Path is the import path, e.g. "acme/orders/v1/orders.proto".
	Path string
	// Content is the file's text.
	Content []byte
	// Go is where the file's Go code lives. For the service's own files it
	// is always below <module>/gen, whatever the file's go_package says.
	Go GoPackage
}

// GoPackage is a Go package that rendered files import.
type GoPackage struct {
	// ImportPath is the package's import path.
	ImportPath string
	// Name is the package's declared name.
	Name string
	// Alias is the name rendered files prefer to import it as, unique
	// within the App. A rendered Go file in which another identifier has
	// that name (a variable of the template, say) imports the package as
	// Alias2, Alias3, ... instead: render allocates import names per file.
	Alias string
}

// GoType is a named Go type in a package.
type GoType struct {
	Package GoPackage
	Name    string
}

// Ref is the type as rendered files spell it: alias.Name.
func (t GoType) Ref() string { return t.Package.Alias + "." + t.Name }

// Service is one proto service.
type Service struct {
	// Name is the proto name, e.g. "OrderService".
	Name string
	// FullName is the fully qualified proto name, e.g.
	// "acme.orders.v1.OrderService": the gRPC and health service name.
	FullName string
	// GoName is the Go name protoc-gen-go-grpc derives, as in
	// Register<GoName>Server.
	GoName string
	// Ident is an exported identifier for the service unique within the App
	// (GoName unless another service shares it), e.g. the field of the
	// generated client's Conn.
	Ident string
	// Go is the package holding the generated code for the service.
	Go GoPackage
	// Handler is the user-owned package that implements the service.
	Handler GoPackage
	// File is the import path of the .proto file that declares it.
	File string
	// Comment is the leading comment of the service in the proto.
	Comment string
	// Methods are the service's RPCs in declaration order.
	Methods []*Method
}

// HasHTTP reports whether any method has an HTTP binding; only then does
// grpc-gateway generate a handler for the service.
func (s *Service) HasHTTP() bool {
	return slices.ContainsFunc(s.Methods, func(m *Method) bool { return len(m.Bindings) > 0 })
}

// Streaming is an RPC's streaming kind.
type Streaming string

// The four streaming kinds of gRPC.
const (
	Unary        Streaming = "unary"
	ServerStream Streaming = "server_stream"
	ClientStream Streaming = "client_stream"
	BidiStream   Streaming = "bidi_stream"
)

// Method is one RPC.
type Method struct {
	// Name is the proto name, e.g. "GetOrder".
	Name string
	// GoName is the Go method name in the generated server interface.
	GoName string
	// FullMethod is the gRPC method path, e.g.
	// "/acme.orders.v1.OrderService/GetOrder".
	FullMethod string
	// Streaming is the RPC's kind.
	Streaming Streaming
	// Input and Output are the request and response message types.
	Input, Output GoType
	// Idempotency is the proto idempotency_level: "NO_SIDE_EFFECTS",
	// "IDEMPOTENT" or "" (unknown).
	Idempotency string
	// Bindings are the RPC's HTTP bindings: the google.api.http rule and its
	// additional_bindings, in that order.
	Bindings []Binding
	// Comment is the leading comment of the RPC in the proto.
	Comment string
	// HandlerFile is the name of the user-owned file implementing the RPC,
	// e.g. "get_order.go".
	HandlerFile string
	// Validation is what the server checks in the request before the
	// handler runs.
	Validation Validation
}

// Idempotent reports whether retrying the RPC after an unknown outcome is
// safe: the proto marks it IDEMPOTENT or NO_SIDE_EFFECTS.
func (m *Method) Idempotent() bool { return m.Idempotency != "" }

// Imports are the packages of the method's request and response types,
// sorted by import path.
func (m *Method) Imports() []GoPackage {
	return uniquePackages(m.Input.Package, m.Output.Package)
}

// Binding is one HTTP binding of an RPC, as grpc-gateway serves it.
type Binding struct {
	// Verb is the HTTP method: GET, POST, PUT, PATCH, DELETE or a custom
	// kind exactly as the rule spells it (the gateway routes "head" apart
	// from "HEAD").
	Verb string
	// Path is the URL path template, e.g. "/v1/shops/{shop}/orders".
	Path string
	// Body is the request field that the body maps to: "", "*" or a field
	// path such as "order" or "order.note".
	Body string
	// ResponseBody is the response field path sent as the body; "" for all
	// of it.
	ResponseBody string
	// SampleURL is a URL path the binding matches, with a parseable value
	// for every variable, e.g. "/v1/shops/x/orders/x", that no route tried
	// before this one takes; tests call it.
	SampleURL string
	// BadURL is SampleURL with text the gateway cannot parse in a typed path
	// variable (a number, enum, bool, ...); "" when every variable is text.
	BadURL string
	// UnroutedVerb is an HTTP method that no route of the App takes for
	// SampleURL, so the gateway answers it with 405.
	UnroutedVerb string
	// ForwardsEmpty reports whether the gateway can send an empty response
	// message: false when ResponseBody goes through a message field or
	// picks a oneof member, which the gateway's generated code dereferences
	// without a nil check.
	ForwardsEmpty bool
}

// RetryClass is a set of methods that share a gRPC retry policy.
type RetryClass struct {
	// Codes are the status codes the methods are retried on.
	Codes []string
	// Methods are the methods, as service and method names.
	Methods []MethodRef
}

// MethodRef names a method of a service.
type MethodRef struct{ Service, Method string }

// RetryClasses groups the App's methods by what they may be retried on:
// UNAVAILABLE and RESOURCE_EXHAUSTED for every method (nothing was done),
// DEADLINE_EXCEEDED too for methods the proto marks IDEMPOTENT or
// NO_SIDE_EFFECTS (repeating them is harmless). Empty classes are left out.
func (a *App) RetryClasses() []RetryClass {
	safe := RetryClass{Codes: []string{"UNAVAILABLE", "RESOURCE_EXHAUSTED"}}
	idem := RetryClass{Codes: []string{"UNAVAILABLE", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"}}
	for _, s := range a.Services {
		for _, m := range s.Methods {
			ref := MethodRef{Service: s.FullName, Method: m.Name}
			if m.Idempotent() {
				idem.Methods = append(idem.Methods, ref)
			} else {
				safe.Methods = append(safe.Methods, ref)
			}
		}
	}
	var out []RetryClass
	for _, c := range []RetryClass{safe, idem} {
		if len(c.Methods) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// ServiceFiles returns the import paths of the files that declare the
// App's services, sorted: the files whose REST gateway the service serves.
func (a *App) ServiceFiles() []string {
	var files []string
	for _, s := range a.Services {
		files = append(files, s.File)
	}
	slices.Sort(files)
	return slices.Compact(files)
}

// EnvPrefix is the prefix of the environment variables the service's
// client package reads: the name in upper case, "-" as "_" (ORDERS).
func (a *App) EnvPrefix() string {
	return strings.ToUpper(strings.ReplaceAll(a.Name, "-", "_"))
}

// Main returns the main service: Settings.MainService if it names one,
// else the first.
func (a *App) Main() *Service {
	for _, s := range a.Services {
		if s.FullName == a.Settings.MainService {
			return s
		}
	}
	return a.Services[0]
}

// Packages returns the Go packages of the generated code for the App's
// services, sorted by import path.
func (a *App) Packages() []GoPackage {
	var pkgs []GoPackage
	for _, s := range a.Services {
		pkgs = append(pkgs, s.Go)
	}
	return uniquePackages(pkgs...)
}

// MessagePackages returns the Go packages of every request and response
// type, sorted by import path.
func (a *App) MessagePackages() []GoPackage {
	var pkgs []GoPackage
	for _, s := range a.Services {
		for _, m := range s.Methods {
			pkgs = append(pkgs, m.Input.Package, m.Output.Package)
		}
	}
	return uniquePackages(pkgs...)
}

// Handlers returns the user-owned handler packages, in service order.
func (a *App) Handlers() []GoPackage {
	var pkgs []GoPackage
	for _, s := range a.Services {
		pkgs = append(pkgs, s.Handler)
	}
	return pkgs
}

// HasHTTP reports whether any service has an HTTP binding.
func (a *App) HasHTTP() bool {
	return slices.ContainsFunc(a.Services, (*Service).HasHTTP)
}

func uniquePackages(pkgs ...GoPackage) []GoPackage {
	out := slices.Clone(pkgs)
	slices.SortFunc(out, func(a, b GoPackage) int { return strings.Compare(a.ImportPath, b.ImportPath) })
	return slices.CompactFunc(out, func(a, b GoPackage) bool { return a.ImportPath == b.ImportPath })
}
