package render

import (
	"strconv"
	"strings"
	"text/template"
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
}
