package settings

import (
	"strings"
	"testing"

	"github.com/new-service/new-service/generator/model"
)

// The catalog settings end up in catalog-info.yaml, where Backstage rejects
// a bad reference only after the service is published: new and update
// reject it first, naming the line.
func TestParseCatalog(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"owner with spaces", "owner: Team Payments\n", `new-service.yaml:1: owner: "Team Payments" is not a Backstage entity reference`},
		{"owner bad kind", "replicas: 3\nowner: 9group:payments\n", `new-service.yaml:2: owner: "9group:payments"`},
		{"system bad namespace", "system: Default/payments\n", `new-service.yaml:1: system: "Default/payments"`},
		{"lifecycle empty", "lifecycle: \"\"\n", `new-service.yaml:1: lifecycle: "" is not a lifecycle stage`},
		{"description two lines", "description: \"one\\ntwo\"\n", `new-service.yaml:1: description: one line only`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("new-service.yaml", []byte(tc.content), model.DefaultSettings("orders", "example.com/orders"))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Parse: %v, want an error starting %q", err, tc.want)
			}
		})
	}
	s, err := Parse("new-service.yaml", []byte("owner: group:default/team-payments\nsystem: payments\nlifecycle: production\ndescription: Takes payments.\n"), model.DefaultSettings("orders", "example.com/orders"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Owner != "group:default/team-payments" || s.System != "payments" || s.Lifecycle != "production" || s.Description != "Takes payments." {
		t.Errorf("Parse = owner %q system %q lifecycle %q description %q", s.Owner, s.System, s.Lifecycle, s.Description)
	}
	if d := model.DefaultSettings("orders", "example.com/orders"); d.Lifecycle != "experimental" || d.System != "" {
		t.Errorf("defaults: lifecycle %q system %q, want experimental and none", d.Lifecycle, d.System)
	}
}
