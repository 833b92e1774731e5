package model

import (
	"fmt"
	"net/url"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// route is an HTTP binding already claimed by an RPC. Routes are kept in
// the order grpc-gateway registers them: services in App order, methods and
// their bindings in declaration order. Its ServeMux keeps one list of
// routes per HTTP method, exactly as the method is spelt, and tries the
// route registered last first.
type route struct {
	verb   string
	tmpl   pathTemplate
	path   string
	method protoreflect.MethodDescriptor
	pos    position
	// bd is the binding in its method's Bindings; its samples change when
	// a later route would take its sample URL.
	bd *Binding
	// dead is set once no sample URL reaches the route, so that it is
	// reported once.
	dead bool
}

// checkRoute claims the binding's route for md, or reports why it cannot
// have it: grpc-gateway refuses two bindings of one service with the same
// method and template, and a route that matches every URL of an earlier one
// with the same method hides it, as the gateway tries the later route
// first.
func (b *builder) checkRoute(md protoreflect.MethodDescriptor, bd Binding, pt pathTemplate, routes *[]route) bool {
	where := fmt.Sprintf("rpc %s: %s %s", md.Name(), bd.Verb, bd.Path)
	for _, r := range *routes {
		if r.verb != bd.Verb {
			continue
		}
		switch {
		case r.tmpl.key == pt.key && r.method != md:
			b.ruleErrorf(md, "%s: the same route is already bound to rpc %s (%s); two RPCs cannot share an HTTP method and path: change one path or give one a custom verb (%s)",
				where, r.method.FullName(), r.pos, suggestVerb(bd.Path, md.Name()))
			return false
		case r.tmpl.key == pt.key:
			b.ruleErrorf(md, "%s: rpc %s already has this route (%s %s), and grpc-gateway refuses a duplicate or uses only the later one: remove one of them", where, md.Name(), r.verb, r.path)
			return false
		case pt.covers(r.tmpl) && r.method != md:
			b.ruleErrorf(md, "%s: this route matches every URL of %s %s, bound earlier to rpc %s (%s), and grpc-gateway tries the later route first, so %s %s would never reach rpc %s: declare rpc %s before rpc %s, or make the paths distinct",
				where, r.verb, r.path, r.method.FullName(), r.pos, r.verb, r.path, r.method.Name(), md.Name(), r.method.Name())
			return false
		case pt.covers(r.tmpl):
			b.ruleErrorf(md, "%s: this binding matches every URL of the earlier binding %s %s of rpc %s, and grpc-gateway tries the later binding first, so it would never use that one: list %s %s after this binding, or remove it",
				where, r.verb, r.path, md.Name(), r.verb, r.path)
			return false
		}
	}
	*routes = append(*routes, route{verb: bd.Verb, tmpl: pt, path: bd.Path, method: md, pos: b.rulePosition(md)})
	return true
}

// sampleTries is how many sets of sample values are tried for a route
// before concluding that later routes take every URL of it.
const sampleTries = 4

// refreshSamples gives the routes from index from on (just claimed) their
// sample URLs, and new ones to earlier routes whose samples a new route now
// takes: the gateway tries the new routes first.
func (b *builder) refreshSamples(routes []route, from int) {
	for i := range routes {
		r := &routes[i]
		if r.dead || r.bd == nil {
			continue
		}
		if i < from && !stale(routes, i, from) {
			continue
		}
		if !setSamples(routes, i) {
			r.dead = true
			b.ruleErrorf(r.method, "rpc %s: %s %s: grpc-gateway sends every URL new-service tried for this route to routes registered after it (%s); make the paths distinct, or declare rpc %s after the RPCs whose routes overlap it",
				r.method.Name(), r.verb, r.path, overlapping(routes, i), r.method.Name())
		}
	}
}

// stale reports whether a route registered at or after from takes route
// i's sample URL or bad URL, or answers its unrouted verb on the sample URL.
func stale(routes []route, i, from int) bool {
	bd := routes[i].bd
	for _, r := range routes[from:] {
		switch r.verb {
		case routes[i].verb:
			if r.tmpl.matches(urlPath(bd.SampleURL)) || bd.BadURL != "" && r.tmpl.matches(urlPath(bd.BadURL)) {
				return true
			}
		case bd.UnroutedVerb:
			if r.tmpl.matches(urlPath(bd.SampleURL)) {
				return true
			}
		}
	}
	return false
}

// setSamples sets route i's SampleURL to the first sample that the gateway
// routes to it, BadURL likewise or to "", and UnroutedVerb. It reports
// false when no sample reaches the route.
func setSamples(routes []route, i int) bool {
	r := &routes[i]
	s := newSampler(r.method, r.tmpl, r.bd.Body)
	for try := range sampleTries {
		u := s.url(try, false)
		if dispatch(routes, r.verb, u) != i {
			continue
		}
		r.bd.SampleURL = u
		r.bd.BadURL = ""
		if bad := s.url(try, true); bad != "" && dispatch(routes, r.verb, bad) == i {
			r.bd.BadURL = bad
		}
		r.bd.UnroutedVerb = unroutedVerb(routes, u)
		return true
	}
	return false
}

// dispatch returns the index of the route grpc-gateway's mux sends a
// request to: the last registered route with the HTTP method whose template
// matches the path; -1 for none.
func dispatch(routes []route, verb, u string) int {
	p := urlPath(u)
	for i := len(routes) - 1; i >= 0; i-- {
		if routes[i].verb == verb && routes[i].tmpl.matches(p) {
			return i
		}
	}
	return -1
}

// urlPath is the unescaped path of a sample URL, as net/http gives it to
// the gateway in URL.Path.
func urlPath(u string) string {
	p, _, _ := strings.Cut(u, "?")
	if unescaped, err := url.PathUnescape(p); err == nil {
		return unescaped
	}
	return p
}

// unroutedVerbs are the HTTP methods tried, in order, for a request that
// reaches a route's path with a method no route takes there (405).
var unroutedVerbs = []string{"PATCH", "TRACE", "PUT", "DELETE", "POST", "GET", "OPTIONS"}

// unroutedVerb returns an HTTP method for which no route matches the
// sample URL u.
func unroutedVerb(routes []route, u string) string {
	taken := func(verb string) bool { return dispatch(routes, verb, u) >= 0 }
	for _, v := range unroutedVerbs {
		if !taken(v) {
			return v
		}
	}
	v := "UNROUTED"
	for n := 2; taken(v); n++ {
		v = fmt.Sprintf("UNROUTED%d", n)
	}
	return v
}

// overlapping lists the routes registered after route i with its method
// that match one of its samples, for a message.
func overlapping(routes []route, i int) string {
	r := routes[i]
	s := newSampler(r.method, r.tmpl, r.bd.Body)
	var names []string
	for j := len(routes) - 1; j > i; j-- {
		o := routes[j]
		if o.verb != r.verb {
			continue
		}
		for try := range sampleTries {
			if o.tmpl.matches(urlPath(s.url(try, false))) {
				names = append(names, fmt.Sprintf("%s %s of rpc %s at %s", o.verb, o.path, o.method.FullName(), o.pos))
				break
			}
		}
	}
	return strings.Join(names, "; ")
}

// suggestVerb is path with a custom verb named after the method in place of
// any verb it has: /v1/things/{id}:fetchThing.
func suggestVerb(path string, method protoreflect.Name) string {
	if body, verb := splitVerb(path[min(1, len(path)):]); verb != "" {
		path = path[:1] + body
	}
	name := string(method)
	return path + ":" + strings.ToLower(name[:1]) + name[1:]
}
