package model

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

func TestParseTemplate(t *testing.T) {
	tests := []struct {
		name    string
		tmpl    string
		key     string
		vars    []string
		verb    string
		wantErr string // a part of the error; "" for none
	}{
		{name: "literal", tmpl: "/v1/things", key: "/v1/things"},
		{name: "root", tmpl: "/", key: "/"},
		{name: "variable", tmpl: "/v1/things/{id}", key: "/v1/things/*", vars: []string{"id"}},
		{name: "variable with pattern", tmpl: "/v1/{name=things/*}", key: "/v1/things/*", vars: []string{"name"}},
		{name: "nested field", tmpl: "/v1/shops/{order.shop}/orders/{order.id}", key: "/v1/shops/*/orders/*", vars: []string{"order.shop", "order.id"}},
		{name: "deep wildcard", tmpl: "/v1/{path=files/**}", key: "/v1/files/**", vars: []string{"path"}},
		{name: "bare wildcards", tmpl: "/v1/*/x/**", key: "/v1/*/x/**"},
		{name: "custom verb", tmpl: "/v1/things/{id}:reserve", key: "/v1/things/*:reserve", vars: []string{"id"}, verb: "reserve"},
		{name: "verb on a literal", tmpl: "/v1/things:search", key: "/v1/things:search", verb: "search"},
		{name: "colon inside a literal", tmpl: "/v1/a:b/c", key: "/v1/a:b/c"},
		{name: "verb after a pattern", tmpl: "/v1/{name=things/*}:cancel", key: "/v1/things/*:cancel", vars: []string{"name"}, verb: "cancel"},
		{name: "percent escape", tmpl: "/v1/a%20b", key: "/v1/a%20b"},
		{name: "verb with a colon", tmpl: "/v1/{uuid}:custom:custom", key: "/v1/*:custom:custom", vars: []string{"uuid"}, verb: "custom:custom"},
		{name: "verb after a literal with a colon", tmpl: "/v1/things:a:b", key: "/v1/things:a:b", verb: "b"},
		{name: "colon inside a pattern", tmpl: "/v1/{x=a:b}", key: "/v1/a:b", vars: []string{"x"}},
		{name: "empty verb after a variable", tmpl: "/v1/{id}:", key: "/v1/*", vars: []string{"id"}},
		{name: "empty verb after a literal", tmpl: "/v1/things:", key: "/v1/things"},
		{name: "verb after a deep wildcard", tmpl: "/v1/**:x", key: "/v1/**:x", verb: "x"},
		{name: "literal after a variable then a verb", tmpl: "/v1/{name=*}/x:y", key: "/v1/*/x:y", vars: []string{"name"}, verb: "y"},
		{name: "equals sign in a pattern literal", tmpl: "/v1/{a=b=c}", key: "/v1/b=c", vars: []string{"a"}},
		{name: "no leading slash", tmpl: "v1/things", wantErr: "must start with /"},
		{name: "empty", tmpl: "", wantErr: "must start with /"},
		{name: "double slash", tmpl: "/v1//things", wantErr: "empty segment"},
		{name: "trailing slash", tmpl: "/v1/things/", wantErr: "empty segment"},
		{name: "root with a verb", tmpl: "/:verb", wantErr: "the root path cannot take a custom verb"},
		{name: "bare colon after a slash", tmpl: "/v1/:x", wantErr: "empty segment"},
		{name: "two deep wildcards", tmpl: "/v1/{a=**}/{b=**}", wantErr: "2 ** wildcards"},
		{name: "empty pattern", tmpl: "/v1/{a=}", wantErr: "bad pattern"},
		{name: "doubled slash alone", tmpl: "//", wantErr: "empty segment"},
		{name: "unclosed variable", tmpl: "/v1/{id", wantErr: "unclosed variable"},
		{name: "partial variable", tmpl: "/v1/x{id}", wantErr: "a variable must be a whole segment"},
		{name: "bad field path", tmpl: "/v1/{a..b}", wantErr: "not a field path"},
		{name: "field path starting with a digit", tmpl: "/v1/{1a}", wantErr: "not a field path"},
		{name: "nested variable", tmpl: "/v1/{a={b}}", wantErr: "bad pattern"},
		{name: "space", tmpl: "/v1/a b", wantErr: "percent-encode it"},
		{name: "bad escape", tmpl: "/v1/a%2", wantErr: "percent-encode it"},
		{name: "bad verb", tmpl: "/v1/a:b c", wantErr: "custom verb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt, err := parseTemplate(tt.tmpl)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseTemplate(%q) error = %v, want one containing %q", tt.tmpl, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseTemplate(%q): %v", tt.tmpl, err)
			}
			if pt.key != tt.key {
				t.Errorf("key = %q, want %q", pt.key, tt.key)
			}
			if !slices.Equal(pt.vars, tt.vars) {
				t.Errorf("vars = %q, want %q", pt.vars, tt.vars)
			}
			if pt.verb != tt.verb {
				t.Errorf("verb = %q, want %q", pt.verb, tt.verb)
			}
		})
	}
}

// TestSameRoute checks that the route key makes equivalent templates equal
// and different ones different.
func TestSameRoute(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{name: "pattern and literal", a: "/v1/{name=things/*}", b: "/v1/things/{id}", same: true},
		{name: "different variable names", a: "/v1/things/{id}", b: "/v1/things/{name}", same: true},
		{name: "bare wildcard", a: "/v1/*/orders", b: "/v1/{shop}/orders", same: true},
		{name: "same verb", a: "/v1/things/{id}:reserve", b: "/v1/{name=things/*}:reserve", same: true},
		{name: "different verbs", a: "/v1/things/{id}:reserve", b: "/v1/things/{id}:cancel"},
		{name: "verb and none", a: "/v1/things/{id}", b: "/v1/things/{id}:cancel"},
		{name: "different literals", a: "/v1/things/{id}", b: "/v1/items/{id}"},
		{name: "one and many segments", a: "/v1/{path=**}", b: "/v1/{id}"},
		{name: "different lengths", a: "/v1/things", b: "/v1/things/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustParse(t, tt.a), mustParse(t, tt.b)
			if got := a.key == b.key; got != tt.same {
				t.Errorf("same route(%s, %s) = %v (keys %q, %q), want %v", tt.a, tt.b, got, a.key, b.key, tt.same)
			}
		})
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		name      string
		tmpl, old string
		want      bool
	}{
		{name: "wildcard covers literal", tmpl: "/v1/users/{name}", old: "/v1/users/me", want: true},
		{name: "literal does not cover wildcard", tmpl: "/v1/users/me", old: "/v1/users/{name}"},
		{name: "equal", tmpl: "/v1/users/{name}", old: "/v1/{name=users/*}", want: true},
		{name: "deep wildcard covers many", tmpl: "/v1/{path=**}", old: "/v1/a/b/{c}", want: true},
		{name: "deep wildcard covers none", tmpl: "/v1/{path=**}", old: "/v1", want: true},
		{name: "deep wildcard in the middle", tmpl: "/v1/**/end", old: "/v1/a/b/end", want: true},
		{name: "wildcard does not cover deep", tmpl: "/v1/{id}", old: "/v1/{path=**}"},
		{name: "deep covers deep", tmpl: "/{path=**}", old: "/v1/{rest=**}", want: true},
		{name: "different lengths", tmpl: "/v1/users/{name}", old: "/v1/users/{name}/books"},
		{name: "no verb covers a verb", tmpl: "/v1/things/{id}", old: "/v1/things/{id}:cancel", want: true},
		{name: "no verb covers a verb on a literal", tmpl: "/v1/{name}", old: "/v1/things:search", want: true},
		{name: "literal does not cover a verb", tmpl: "/v1/things", old: "/v1/things:search"},
		{name: "verb does not cover none", tmpl: "/v1/things/{id}:cancel", old: "/v1/things/{id}"},
		{name: "verbs differ", tmpl: "/v1/things/{id}:cancel", old: "/v1/things/{id}:reserve"},
		{name: "same verb", tmpl: "/v1/things/{id}:cancel", old: "/v1/things/x:cancel", want: true},
		{name: "root", tmpl: "/", old: "/", want: true},
		{name: "a wildcard covers the root", tmpl: "/{id}", old: "/", want: true},
		{name: "a literal does not cover the root", tmpl: "/v1", old: "/"},
		{name: "verb with a colon", tmpl: "/v1/{id}", old: "/v1/{uuid}:custom:custom", want: true},
		{name: "shorter verb covers a longer one ending in it", tmpl: "/v1/{id}:b", old: "/v1/{uuid}:a:b", want: true},
		{name: "longer verb does not cover a shorter one", tmpl: "/v1/{id}:a:b", old: "/v1/{uuid}:b"},
		{name: "verb covers a literal ending in it", tmpl: "/v1/{id}:b", old: "/v1/{x=a:b}", want: true},
		{name: "verb does not cover the bare verb", tmpl: "/v1/{id}:b", old: "/v1/{x=:b}"},
		{name: "deep wildcard with a verb", tmpl: "/v1/{name=**}:cancel", old: "/v1/a/b:cancel", want: true},
		{name: "deep wildcard taking nothing before a verb", tmpl: "/v1:cancel", old: "/v1/{name=**}:cancel"},
		{name: "deep wildcard with a verb covers both ways", tmpl: "/{name=**}:cancel", old: "/v1/{name=**}:cancel", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.tmpl).covers(mustParse(t, tt.old)); got != tt.want {
				t.Errorf("%s covers %s = %v, want %v", tt.tmpl, tt.old, got, tt.want)
			}
		})
	}
}

func TestSampleURL(t *testing.T) {
	tests := []struct {
		name   string
		tmpl   string
		values map[string]string
		want   string
	}{
		{name: "bare wildcards", tmpl: "/v1/*/x/**", want: "/v1/f/x/f"},
		{name: "escaped literal", tmpl: "/v1/a%20b:c%21", want: "/v1/a%2520b:c%2521"},
		{name: "literal", tmpl: "/v1/things", want: "/v1/things"},
		{name: "root", tmpl: "/", want: "/"},
		{name: "variables", tmpl: "/v1/shops/{shop}/things/{id}", values: map[string]string{"shop": "x", "id": "1"}, want: "/v1/shops/x/things/1"},
		{name: "pattern", tmpl: "/v1/{name=shops/*/things/*}", values: map[string]string{"name": "x"}, want: "/v1/shops/x/things/x"},
		{name: "deep wildcard", tmpl: "/v1/{path=files/**}", values: map[string]string{"path": "x"}, want: "/v1/files/x"},
		{name: "verb", tmpl: "/v1/things/{id}:reserve", values: map[string]string{"id": "1"}, want: "/v1/things/1:reserve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.tmpl).sampleURL(tt.values, "f"); got != tt.want {
				t.Errorf("sampleURL(%s) = %q, want %q", tt.tmpl, got, tt.want)
			}
		})
	}
}

// TestMatches checks URL paths against templates the way grpc-gateway's
// runtime.ServeMux matches them.
func TestMatches(t *testing.T) {
	tests := []struct {
		name, tmpl, path string
		want             bool
	}{
		{name: "literal", tmpl: "/v1/things", path: "/v1/things", want: true},
		{name: "trailing slash", tmpl: "/v1/things", path: "/v1/things/"},
		{name: "wildcard takes an empty segment", tmpl: "/v1/things/{id}", path: "/v1/things/", want: true},
		{name: "root", tmpl: "/", path: "/", want: true},
		{name: "wildcard takes the root", tmpl: "/{id}", path: "/", want: true},
		{name: "verb", tmpl: "/v1/{id}:cancel", path: "/v1/1:cancel", want: true},
		{name: "verb needed", tmpl: "/v1/{id}:cancel", path: "/v1/1"},
		{name: "bare verb", tmpl: "/v1/{id}:cancel", path: "/v1/:cancel"},
		{name: "no verb takes a colon", tmpl: "/v1/{id}", path: "/v1/1:cancel", want: true},
		{name: "verb with a colon", tmpl: "/v1/{uuid}:custom:custom", path: "/v1/u:custom:custom", want: true},
		{name: "deep wildcard", tmpl: "/v1/{name=**}/end", path: "/v1/a/b/end", want: true},
		{name: "deep wildcard takes nothing", tmpl: "/v1/{name=**}", path: "/v1", want: true},
		{name: "deep wildcard and verb on the segment before", tmpl: "/v1/{name=**}:x", path: "/v1:x", want: true},
		{name: "literal mismatch", tmpl: "/v1/things/{id}", path: "/v1/items/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.tmpl).matches(tt.path); got != tt.want {
				t.Errorf("%s matches %s = %v, want %v", tt.tmpl, tt.path, got, tt.want)
			}
		})
	}
}

func TestSuggestVerb(t *testing.T) {
	tests := []struct {
		name, path, method, want string
	}{
		{name: "no verb", path: "/v1/things/{id}", method: "FetchThing", want: "/v1/things/{id}:fetchThing"},
		{name: "replaces a verb", path: "/v1/things/{id}:reserve", method: "Hold", want: "/v1/things/{id}:hold"},
		{name: "keeps a colon in a literal", path: "/v1/a:b/{id}", method: "Get", want: "/v1/a:b/{id}:get"},
		{name: "replaces a verb with a colon", path: "/v1/{id}:a:b", method: "Get", want: "/v1/{id}:get"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := suggestVerb(tt.path, protoreflect.Name(tt.method)); got != tt.want {
				t.Errorf("suggestVerb(%q, %q) = %q, want %q", tt.path, tt.method, got, tt.want)
			}
		})
	}
}

func mustParse(t *testing.T, tmpl string) pathTemplate {
	t.Helper()
	pt, err := parseTemplate(tmpl)
	if err != nil {
		t.Fatalf("parseTemplate(%q): %v", tmpl, err)
	}
	return pt
}
