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
}
