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
	// patterns.
	tokens []string
	verb   string
}

// segment is a literal path segment, or a variable with its pattern.
type segment struct {
	literal string
	field   string
	pattern []string
}

// parseTemplate parses a path template, or says what is wrong with it. It
// accepts what grpc-gateway's own parser accepts.
func parseTemplate(tmpl string) (pathTemplate, error) {
	if !strings.HasPrefix(tmpl, "/") {
		return pathTemplate{}, fmt.Errorf("must start with /")
	}
	body, verb := tmpl[1:], ""
	// The verb is a colon after the last segment, outside any variable.
	if i := strings.LastIndexByte(body, ':'); i >= 0 && !strings.ContainsAny(body[i:], "/}") {
		body, verb = body[:i], body[i+1:]
		if verb == "" {
			return pathTemplate{}, fmt.Errorf("empty custom verb after ':'")
		}
		if err := checkLiteral(verb); err != nil {
			return pathTemplate{}, fmt.Errorf("custom verb %q: %v", verb, err)
		}
	}
	var pt pathTemplate
	if body == "" && verb == "" {
		// "/" alone is the root path.
		pt.key = "/"
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
	pt.verb = verb
	pt.key = "/" + strings.Join(pt.tokens, "/")
	if verb != "" {
		pt.key += ":" + verb
	}
	return pt, nil
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

// covers reports whether every URL path that other matches is also matched
// by pt, the way grpc-gateway's router matches: a template without a verb
// matches "x:verb" as a plain segment, so /v1/things/{id} covers
// /v1/things/{id}:cancel, but /v1/things/{id}:cancel covers nothing without
// its verb.
func (pt pathTemplate) covers(other pathTemplate) bool {
	theirs := other.tokens
	switch {
	case pt.verb != "" && pt.verb != other.verb:
		return false
	case pt.verb == "" && other.verb != "":
		if len(theirs) == 0 {
			return false
		}
		theirs = append([]string(nil), theirs...)
		if last := theirs[len(theirs)-1]; last != "*" && last != "**" {
			theirs[len(theirs)-1] = last + ":" + other.verb
		}
	}
	return coversTokens(pt.tokens, theirs)
}

// coversTokens reports whether the segment pattern a matches every path
// that b matches.
func coversTokens(a, b []string) bool {
	switch {
	case len(a) == 0:
		return len(b) == 0
	case a[0] == "**":
		// ** takes none of b's segments, or one more of them.
		return coversTokens(a[1:], b) || len(b) > 0 && coversTokens(a, b[1:])
	case len(b) == 0, b[0] == "**":
		return false
	case a[0] == "*", a[0] == b[0]:
		return coversTokens(a[1:], b[1:])
	}
	return false
}

// sampleURL is a URL path that the template matches, with a value for each
// variable that the gateway can parse into its field. The generated service's
// tests call every binding with it.
func (pt pathTemplate) sampleURL(values map[string]string) string {
	var parts []string
	for _, seg := range pt.segments {
		if seg.field == "" {
			parts = append(parts, seg.literal)
			continue
		}
		for _, p := range seg.pattern {
			if p == "*" || p == "**" {
				p = values[seg.field]
			}
			parts = append(parts, p)
		}
	}
	u := "/" + strings.Join(parts, "/")
	if pt.verb != "" {
		u += ":" + pt.verb
	}
	return u
}
