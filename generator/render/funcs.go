package render

import (
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"github.com/new-service/new-service/generator/model"
)

// funcs are the few helpers templates need beyond text/template's own.
var funcs = template.FuncMap{
	// quote renders a Go (and YAML) double-quoted string.
	"quote": strconv.Quote,
	// comment renders text as // comment lines indented by prefix.
	"comment": func(prefix, text string) string {
		if text == "" {
			return ""
		}
		var b strings.Builder
		for line := range strings.SplitSeq(text, "\n") {
			b.WriteString(strings.TrimRight(prefix+"// "+line, " "))
			b.WriteByte('\n')
		}
		return b.String()
	},
	"lower": strings.ToLower,
	"join":  strings.Join,
	// percent renders a ratio as a percentage: 0.05 as 5%.
	"percent": func(f float64) string { return strconv.FormatFloat(f*100, 'g', 10, 64) + "%" },
	// indent prefixes every non-empty line of text with n spaces.
	"indent": func(n int, text string) string {
		pad := strings.Repeat(" ", n)
		lines := strings.Split(strings.Trim(text, "\n"), "\n")
		for i, l := range lines {
			if l != "" {
				lines[i] = pad + l
			}
		}
		return strings.Join(lines, "\n")
	},
	// moduleDir is the folder of a package of the service's own module,
	// relative to the service root: the handler package
	// example.com/orders/internal/handler/orderservice is in
	// internal/handler/orderservice. The model says where a package is
	// imported from; the folder it is written to follows from that here,
	// in one place.
	"moduleDir": moduleDir,
}

func moduleDir(app *model.App, p model.GoPackage) (string, error) {
	dir, ok := strings.CutPrefix(p.ImportPath, app.Module+"/")
	if !ok {
		return "", fmt.Errorf("package %s is not in module %s", p.ImportPath, app.Module)
	}
	return dir, nil
}
