package model

import (
	"go/token"
	"go/types"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// snake turns a Go-style name into a file name stem: GetOrder -> get_order,
// ListHTTPRoutes -> list_http_routes.
func snake(name string) string {
	runes := []rune(name)
	var b strings.Builder
	for i, r := range runes {
		if unicode.IsUpper(r) && i > 0 {
			prev := runes[i-1]
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		if r == '_' && b.Len() > 0 && strings.HasSuffix(b.String(), "_") {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// identifier reduces s to a lower-case Go package name: letters and digits
// only, starting with a letter. It returns "" when nothing is left.
func identifier(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9' && b.Len() > 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var versionRE = regexp.MustCompile(`^v\d+((alpha|beta)\d*)?$`)

// packageNameFor derives a Go package name from a proto package the way
// buf's managed mode does: acme.orders.v1 -> ordersv1, acme.billing ->
// billing.
func packageNameFor(protoPkg, dir string) string {
	parts := strings.Split(strings.ToLower(protoPkg), ".")
	name := parts[len(parts)-1]
	if versionRE.MatchString(name) && len(parts) > 1 {
		name = parts[len(parts)-2] + name
	}
	if protoPkg == "" {
		name = dir[strings.LastIndexByte(dir, '/')+1:]
	}
	return safePackageName(name)
}

// safePackageName makes name usable as a package name: a keyword, a
// predeclared identifier or a name of [suffixed] gets a "pb" suffix.
func safePackageName(name string) string {
	id := identifier(name)
	if id == "" {
		return "pb"
	}
	if token.IsKeyword(id) || suffixed[id] {
		return id + "pb"
	}
	return id
}

// suffixed are the names a generated or handler package never gets, so
// never has as its preferred import name: the predeclared identifiers,
// which an import name would shadow, and the identifiers the template used
// when import names became allocated per rendered file (render's
// nameImports), when a clash meant a build failure.
//
// The list is frozen. A template may use any identifier now: the file that
// uses it imports a package so named under another name. And no name may
// leave the list, because package names decide handler folders: a service
// created before (service Server, handler package serverpb) would get a
// new, empty handler package on update, and nothing records which folder
// holds a service's handlers other than this rule.
var suffixed = func() map[string]bool {
	m := map[string]bool{}
	for _, name := range strings.Fields(`
		admin b base binding bindings body bytes c call calls cancel cc cfg client
		code codes conn context credentials creds ctx d deps desc dial done err
		errors f fields flag fmt gateway got grpc grpcprom handler health healthpb
		http i id ids info insecure invoker io keepalive log logger loopback m main
		md metadata method methods metrics msg mu mux name net o ok opt options opts
		os otelgrpc path proto protojson protoreflect r reached rec recorder
		reflection reply req resp run runtime s sample server signal slog srv ss
		start status stop strconv stream streaming strings sync syscall t target
		testing time timeout unary url verb want watch
		budget deadlines draining exemplar responses slogger accessLog level expired
		readyz rest slack traceparent pushback check guard apierr platform
		callers certs getenv principal resolve tls transport outgoing
		attrs chain route validation violation get routes millis logs`) {
		m[name] = true
	}
	for _, name := range types.Universe.Names() {
		m[name] = true
	}
	return m
}()

// goosArch are the file name suffixes the go command reads as build
// constraints (_linux.go, _amd64.go, _test.go); a handler file must not end
// in one or it would be left out of the build.
var goosArch = func() map[string]bool {
	m := map[string]bool{"test": true}
	for _, s := range strings.Fields(`aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd
		plan9 solaris wasip1 windows zos 386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64
		mips64le mips64p32 mips64p32le ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm`) {
		m[s] = true
	}
	return m
}()

// handlerFileName names the file of one RPC's handler. Names that the go
// command would treat specially, or that another file of the package uses,
// get an _rpc suffix.
func handlerFileName(method string, taken map[string]bool) string {
	stem := snake(method)
	if i := strings.LastIndexByte(stem, '_'); i >= 0 && goosArch[stem[i+1:]] || goosArch[stem] || stem == "service" || stem == "doc" {
		stem += "_rpc"
	}
	name := stem + ".go"
	for n := 2; taken[name]; n++ {
		name = stem + "_" + strconv.Itoa(n) + ".go"
	}
	taken[name] = true
	return name
}
