package template_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestValidationRendered checks that a service whose protos declare rules
// gets the checks, and that one without any (billing) renders no
// validation code that costs anything: no protovalidate import (so go mod
// tidy leaves protovalidate and CEL out of its go.mod), no wrapped method,
// no generated validation test.
func TestValidationRendered(t *testing.T) {
	for _, r := range services(t) {
		t.Run(r.name, func(t *testing.T) {
			validation := string(r.file(t, "internal/validation/validation.go"))
			register := string(r.file(t, "internal/server/register.go"))
			tests := string(r.file(t, "internal/server/validate_test.go")) + string(r.file(t, "internal/validation/validation_test.go"))
			imports := false
			for p, f := range r.files {
				if strings.HasSuffix(p, ".go") && strings.Contains(string(f.Content), `"buf.build/go/protovalidate"`) {
					imports = true
				}
			}
			if !r.app.Validates() {
				if imports || strings.Contains(validation, "RegisterService") || strings.Contains(register, "Message:") || strings.Contains(tests, "func Test") {
					t.Errorf("an API without rules renders validation code:\nvalidation.go:\n%s\nregister.go:\n%s", validation, register)
				}
				return
			}
			if imports != r.app.UsesProtovalidate() {
				t.Errorf("protovalidate imported = %v, want %v", imports, r.app.UsesProtovalidate())
			}
			for _, s := range r.app.Services {
				for _, m := range s.Methods {
					wrapped := regexp.MustCompile(regexp.QuoteMeta(`"`+m.FullMethod+`":`) + `\s+\{Message:`)
					if got := wrapped.MatchString(register); got != m.Validation.Any() {
						t.Errorf("%s is wrapped = %v, want %v", m.FullMethod, got, m.Validation.Any())
					}
				}
			}
		})
	}
}
