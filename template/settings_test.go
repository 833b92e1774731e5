package template_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSettingsDocumented checks that the generated README's settings table
// has a row for every flag of the generated internal/server/config.go,
// with the flag's environment variable and its default (what -h prints,
// both read from DefaultConfig), and no row for a flag that does not exist.
func TestSettingsDocumented(t *testing.T) {
	for _, svc := range services(t) {
		t.Run(svc.name, func(t *testing.T) {
			flags := configFlags(t, svc.file(t, "internal/server/config.go"))
			if len(flags) < 20 {
				t.Fatalf("found %d flags in config.go; the parser no longer understands it", len(flags))
			}
			rows := settingsRows(svc.file(t, "README.md"))
			for name, f := range flags {
				row, ok := rows[name]
				if !ok {
					t.Errorf("README.md has no settings row for -%s (%s)", name, f.env)
					continue
				}
				if !strings.Contains(row.envs, "`"+f.env+"`") {
					t.Errorf("README.md's row of -%s names %s, want %s", name, row.envs, f.env)
				}
				if !sameDefault(row.def, f.def) {
					t.Errorf("README.md's default of -%s is %q, config.go's %q", name, row.def, f.def)
				}
			}
			for name := range rows {
				if _, ok := flags[name]; !ok {
					t.Errorf("README.md documents -%s, which config.go does not define", name)
				}
			}
		})
	}
}

// configFlag is a flag of the generated config.go: its environment
// variable and its default as text.
type configFlag struct{ env, def string }

// configFlags reads the add("name", "ENV", usage, (*T)(&cfg.Field)) calls
// of ParseConfig and the fields' values in DefaultConfig.
func configFlags(t *testing.T, src []byte) map[string]configFlag {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "config.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	defaults := map[string]ast.Expr{}
	fields := map[string]string{} // flag -> Config field
	flags := map[string]configFlag{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			if id, ok := n.Type.(*ast.Ident); ok && id.Name == "Config" {
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						defaults[kv.Key.(*ast.Ident).Name] = kv.Value
					}
				}
			}
		case *ast.CallExpr:
			id, ok := n.Fun.(*ast.Ident)
			if !ok || id.Name != "add" || len(n.Args) != 4 {
				return true
			}
			name, env := stringLit(n.Args[0]), stringLit(n.Args[1])
			var field, zero string
			ast.Inspect(n.Args[3], func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if x, ok := n.X.(*ast.Ident); ok && x.Name == "cfg" {
						field = n.Sel.Name
					}
				case *ast.StarExpr:
					// The flag.Value type: a field DefaultConfig leaves
					// out has its type's zero value.
					if id, ok := n.X.(*ast.Ident); ok {
						zero = map[string]string{"boolValue": "false", "int64Value": "0"}[id.Name]
					}
				}
				return true
			})
			fields[name] = field
			flags[name] = configFlag{env: env, def: zero}
		}
		return true
	})
	for name, f := range flags {
		if e, ok := defaults[fields[name]]; ok {
			f.def = goValue(t, e)
		}
		flags[name] = f
	}
	return flags
}

func stringLit(e ast.Expr) string {
	if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
		s, _ := strconv.Unquote(lit.Value)
		return s
	}
	return ""
}

// goValue renders a default of DefaultConfig as README.md writes it:
// strings and booleans as they are, byte counts as numbers, durations as
// time.Duration prints them, log levels in lower case, empty maps empty.
func goValue(t *testing.T, e ast.Expr) string {
	t.Helper()
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			return stringLit(e)
		}
		return e.Value
	case *ast.Ident:
		return e.Name
	case *ast.CompositeLit:
		return ""
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok && x.Name == "slog" {
			return strings.ToLower(strings.TrimPrefix(e.Sel.Name, "Level"))
		}
	}
	n, isDuration := intValue(t, e)
	if isDuration {
		return time.Duration(n).String()
	}
	return strconv.FormatInt(n, 10)
}

// intValue evaluates an integer expression of literals, <<, * and
// time's units.
func intValue(t *testing.T, e ast.Expr) (n int64, isDuration bool) {
	t.Helper()
	switch e := e.(type) {
	case *ast.BasicLit:
		n, err := strconv.ParseInt(strings.ReplaceAll(e.Value, "_", ""), 0, 64)
		if err != nil {
			t.Fatalf("default %s: %v", e.Value, err)
		}
		return n, false
	case *ast.SelectorExpr:
		units := map[string]time.Duration{"Millisecond": time.Millisecond, "Second": time.Second, "Minute": time.Minute, "Hour": time.Hour}
		if u, ok := units[e.Sel.Name]; ok {
			return int64(u), true
		}
	case *ast.BinaryExpr:
		x, xd := intValue(t, e.X)
		y, yd := intValue(t, e.Y)
		switch e.Op {
		case token.SHL:
			return x << y, xd
		case token.MUL:
			return x * y, xd || yd
		}
	}
	t.Fatalf("DefaultConfig has a default this test cannot read: %#v", e)
	return 0, false
}

// settingsRow is a row of README.md's settings table.
type settingsRow struct{ envs, def string }

var flagNameRE = regexp.MustCompile("`-([a-z0-9-]+)`")

// settingsRows returns the rows of README.md's settings table by flag name
// (a row may name several flags).
func settingsRows(readme []byte) map[string]settingsRow {
	rows := map[string]settingsRow{}
	for line := range strings.SplitSeq(string(readme), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`-") {
			continue
		}
		row := settingsRow{envs: cells[2], def: strings.Trim(strings.TrimSpace(cells[3]), "`")}
		for _, m := range flagNameRE.FindAllStringSubmatch(cells[1], -1) {
			rows[m[1]] = row
		}
	}
	return rows
}

// sameDefault reports whether README.md's default is config.go's: equal
// text, or equal durations (README.md writes 5m for 5m0s).
func sameDefault(readme, config string) bool {
	if readme == config {
		return true
	}
	a, errA := time.ParseDuration(readme)
	b, errB := time.ParseDuration(config)
	return errA == nil && errB == nil && a == b
}
