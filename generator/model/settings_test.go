package model

import "testing"

func TestDefaultRunbookURL(t *testing.T) {
	for module, want := range map[string]string{
		"github.com/acme/orders":                      "https://github.com/acme/orders/blob/main/docs/runbook.md",
		"github.com/acme/orders/v2":                   "https://github.com/acme/orders/blob/main/docs/runbook.md",
		"github.com/acme/platform/services/orders":    "https://github.com/acme/platform/blob/main/services/orders/docs/runbook.md",
		"github.com/acme/platform/services/orders/v3": "https://github.com/acme/platform/blob/main/services/orders/docs/runbook.md",
		"github.com/acme/platform/v2service":          "https://github.com/acme/platform/blob/main/v2service/docs/runbook.md",
		"example.com/orders":                          "https://example.com/orders/blob/main/docs/runbook.md",
		"gitlab.example.com/team/orders":              "https://gitlab.example.com/team/orders/blob/main/docs/runbook.md",
	} {
		if got := defaultRunbookURL(module); got != want {
			t.Errorf("defaultRunbookURL(%q) = %q, want %q", module, got, want)
		}
	}
}
