package model

import (
	"fmt"
	"strings"
)

// pathTemplate is a parsed google.api.http path template:
//
//	Template = "/" [ Segments ] [ Verb ] ;
//	Segments = Segment { "/" Segment } ;
//	Segment  = "*" | "**" | LITERAL | Variable ;
//	Variable = "{" FieldPath [ "=" Segments ] "}" ;
//	Verb     = ":" LITERAL ;
//
// It is read the way grpc-gateway v2's internal/httprule reads it, and
// matched the way its runtime.ServeMux matches request paths.
type pathTemplate struct {
	// key is the template with every variable replaced by its pattern, so
	// that two templates matching the same URLs have the same key:
	// /v1/{name=shops/*} and /v1/shops/{id} are both /v1/shops/*.
	key string
	// vars are the field paths of the variables, e.g. "order.shop".
	vars []string
	// segments are the template's segments in order, for building URLs.
	segments []segment
	// tokens are what each URL path segment must be: a literal, "*" (any one
	// segment) or "**" (any number of segments), variables expanded to their
	// patterns. The root template "/" is one empty literal, as the gateway
	// compiles it.
	tokens []string
	// verb is the custom verb without its colon; it may hold colons itself.
	verb string
	// alts is alternatives(), computed once: covers compares every route
	// with every earlier one, and building them per comparison was half of
	// rendering a 500-method API (BenchmarkSynthetic/50x10).
	alts [][]elem
}

// segment is a literal path segment, or a variable with its pattern.
type segment struct {
	literal string
	field   string
	pattern []string
}

// parseTemplate parses a path template, or says what is wrong with it. It
// accepts what grpc-gateway's parser accepts, with two exceptions whose
// routes no request reaches as written: a doubled slash, which the gateway's
// parser reads as a wildcard, and more than one "**", on which the generated
// gateway panics when it starts.
func parseTemplate(tmpl string) (pathTemplate, error) {
	if !strings.HasPrefix(tmpl, "/") {
		return pathTemplate{}, fmt.Errorf("must start with /")
	}
	body, verb := splitVerb(tmpl[1:])
	if err := checkLiteral(verb); err != nil {
		return pathTemplate{}, fmt.Errorf("custom verb %q: %v", verb, err)
	}
	pt := pathTemplate{verb: verb}
	if body == "" {
		if verb != "" {
			return pathTemplate{}, fmt.Errorf("the root path cannot take a custom verb: grpc-gateway never matches /:%s; put a segment before it, e.g. /things:%s", verb, verb)
		}
		pt.key, pt.tokens = "/", []string{""}
		pt.alts = pt.alternatives()
		return pt, nil
	}
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
				if err := checkLiteral(p); err != nil {
					return pathTemplate{}, fmt.Errorf("variable %q: %v", seg, err)
				}
			}
			pt.vars = append(pt.vars, field)
			pt.segments = append(pt.segments, segment{field: field, pattern: strings.Split(pattern, "/")})
			pt.tokens = append(pt.tokens, strings.Split(pattern, "/")...)
		case strings.ContainsAny(seg, "{}"):
			return pathTemplate{}, fmt.Errorf("segment %q: a variable must be a whole segment", seg)
		default:
			if err := checkLiteral(seg); err != nil {
				return pathTemplate{}, fmt.Errorf("segment %q: %v", seg, err)
			}
			pt.segments = append(pt.segments, segment{literal: seg})
			pt.tokens = append(pt.tokens, seg)
		}
	}
	deep := 0
	for _, t := range pt.tokens {
		if t == "**" {
			deep++
		}
	}
	if deep > 1 {
		return pathTemplate{}, fmt.Errorf("%d ** wildcards; grpc-gateway allows one per path and its generated code panics at start-up with more: keep the last one and make the others *", deep)
	}
	pt.key = "/" + strings.Join(pt.tokens, "/")
	if verb != "" {
		pt.key += ":" + verb
	}
	pt.alts = pt.alternatives()
	return pt, nil
}

// splitVerb splits the text after the leading slash into segments and
// custom verb as grpc-gateway's tokenizer does: the verb follows a colon in
// the last segment, the first colon when that segment is a variable
// ("{id}:a:b" has the verb "a:b"), else the last one ("x:a:b" is the literal
// "x:a" with the verb "b"). A colon inside a variable's pattern is part of
// the pattern. A trailing colon gives an empty verb, which is no verb.
func splitVerb(s string) (body, verb string) {
	i := strings.LastIndexAny(s, "/}")
	last := s[i+1:]
	afterVar := i >= 0 && s[i] == '}'
	c := strings.LastIndexByte(last, ':')
	if afterVar {
		c = strings.IndexByte(last, ':')
	}
	if c < 0 {
		return s, ""
	}
	return s[:i+1+c], last[c+1:]
}

// checkLiteral reports whether s holds only characters allowed unescaped in
// a URL path segment (RFC 3986 pchar) or percent-escapes.
func checkLiteral(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0:
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			i += 2
		default:
			return fmt.Errorf("character %q is not allowed in a URL path; percent-encode it", c)
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
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

// matches reports whether grpc-gateway's ServeMux would route a request for
// path (unescaped, as in URL.Path) to this template, ignoring the HTTP
// method. As in runtime/mux.go, a template with a verb needs the last path
// segment to end in ":verb" after at least one character; a template
// without one matches "x:verb" as a plain segment.
func (pt pathTemplate) matches(path string) bool {
	if !strings.HasPrefix(path, "/") {
		return false
	}
	comps := strings.Split(path[1:], "/")
	if pt.verb != "" {
		last := comps[len(comps)-1]
		if !strings.HasSuffix(last, ":"+pt.verb) || len(last) == len(pt.verb)+1 {
			return false
		}
		comps[len(comps)-1] = last[:len(last)-len(pt.verb)-1]
	}
	return matchTokens(pt.tokens, comps)
}

// matchTokens reports whether the path segments comps match the tokens.
func matchTokens(tokens, comps []string) bool {
	switch {
	case len(tokens) == 0:
		return len(comps) == 0
	case tokens[0] == "**":
		return matchTokens(tokens[1:], comps) || len(comps) > 0 && matchTokens(tokens, comps[1:])
	case len(comps) == 0:
		return false
	case tokens[0] == "*", tokens[0] == comps[0]:
		return matchTokens(tokens[1:], comps[1:])
	}
	return false
}

// elem is what one URL path segment must be, for comparing templates: a
// literal, any segment ("*"), any number of segments ("**"), or any segment
// that ends in ":verb" after at least one character.
type elem struct {
	kind string // "lit", "*", "**" or "verb"
	text string // the literal, or the verb
}

// alternatives describes the URL paths the template matches as sequences
// of elems, its verb folded into the last segment: /a/{x}:v is [a, *:v];
// /a/{x=**}:v is [a, **, *:v] or, when ** takes no segment, [a:v].
func (pt pathTemplate) alternatives() [][]elem {
	var seq []elem
	for _, t := range pt.tokens {
		switch t {
		case "*", "**":
			seq = append(seq, elem{kind: t})
		default:
			seq = append(seq, elem{kind: "lit", text: t})
		}
	}
	if pt.verb == "" {
		return [][]elem{seq}
	}
	withVerb := func(e elem) elem {
		if e.kind == "lit" {
			return elem{kind: "lit", text: e.text + ":" + pt.verb}
		}
		return elem{kind: "verb", text: pt.verb}
	}
	n := len(seq)
	if seq[n-1].kind != "**" {
		out := append(seq[:n-1:n-1], withVerb(seq[n-1]))
		return [][]elem{out}
	}
	alts := [][]elem{append(seq[:n:n], elem{kind: "verb", text: pt.verb})}
	if n > 1 {
		alts = append(alts, append(seq[:n-2:n-2], withVerb(seq[n-2])))
	}
	return alts
}

// covers reports whether every URL path that other matches is also matched
// by pt, the way grpc-gateway's router matches: a template without a verb
// matches "x:verb" as a plain segment, so /v1/things/{id} covers
// /v1/things/{id}:cancel, but /v1/things/{id}:cancel covers nothing without
// its verb. It may miss a cover that needs both of pt's alternatives, never
// report one that is not.
func (pt pathTemplate) covers(other pathTemplate) bool {
	for _, b := range other.alternativesOnce() {
		covered := false
		for _, a := range pt.alternativesOnce() {
			if coversElems(a, b) {
				covered = true
				break
			}
		}
		if !covered {
			return false
		}
	}
	return true
}

// alternativesOnce is alts, as parseTemplate computed them, or computed
// now for a template built some other way.
func (pt pathTemplate) alternativesOnce() [][]elem {
	if pt.alts != nil {
		return pt.alts
	}
	return pt.alternatives()
}

// coversElems reports whether the segment pattern a matches every path
// that b matches.
func coversElems(a, b []elem) bool {
	switch {
	case len(a) == 0:
		return len(b) == 0
	case a[0].kind == "**":
		// ** takes none of b's segments, or one more of them.
		return coversElems(a[1:], b) || len(b) > 0 && coversElems(a, b[1:])
	case len(b) == 0, b[0].kind == "**":
		return false
	}
	return coversElem(a[0], b[0]) && coversElems(a[1:], b[1:])
}

// coversElem reports whether every segment y matches, x matches; neither
// is "**".
func coversElem(x, y elem) bool {
	switch x.kind {
	case "*":
		return true
	case "lit":
		return y.kind == "lit" && y.text == x.text
	}
	// x is any segment ending in ":verb" after at least one character.
	suffix := ":" + x.text
	switch y.kind {
	case "lit":
		return strings.HasSuffix(y.text, suffix) && len(y.text) > len(suffix)
	case "verb":
		return strings.HasSuffix(":"+y.text, suffix)
	}
	return false
}

// sampleURL is a URL path that the template matches, with a value for each
// variable that the gateway can parse into its field, and free for "*" and
// "**" outside variables. Literals are escaped so that the unescaped path
// the gateway matches holds them as written.
func (pt pathTemplate) sampleURL(values map[string]string, free string) string {
	var parts []string
	for _, seg := range pt.segments {
		if seg.field == "" {
			parts = append(parts, wildcardValue(seg.literal, free))
			continue
		}
		for _, p := range seg.pattern {
			parts = append(parts, wildcardValue(p, values[seg.field]))
		}
	}
	u := "/" + strings.Join(parts, "/")
	if pt.verb != "" {
		u += ":" + escapePercent(pt.verb)
	}
	return u
}

// wildcardValue is v for a wildcard token, else the literal token escaped.
func wildcardValue(token, v string) string {
	if token == "*" || token == "**" {
		return v
	}
	return escapePercent(token)
}

// escapePercent escapes the percent signs of a literal: the gateway matches
// the unescaped path, so the literal a%20b is reached by a%2520b.
func escapePercent(s string) string { return strings.ReplaceAll(s, "%", "%25") }
