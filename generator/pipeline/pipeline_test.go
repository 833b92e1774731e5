package pipeline_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/new-service/new-service/generator/pipeline"
)

// TestReference proves the reference API's settings come from its embedded
// new-service.yaml, read like a user's, and reach the rendered service.
func TestReference(t *testing.T) {
	in, err := pipeline.Reference("orders", "example.com/orders", "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pipeline.Generate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out.App.Main().FullName, "acme.orders.v1.OrderService"; got != want {
		t.Errorf("main service = %s, want %s (proto/new-service.yaml)", got, want)
	}
	if !strings.Contains(string(out.Files["new-service.yaml"].Content), "main_service: acme.orders.v1.OrderService") {
		t.Errorf("the rendered new-service.yaml does not carry the reference API's main_service")
	}
}

// TestSettingsErrors proves a settings problem names the settings file and
// the line: a bad value, and a service the protos lack.
func TestSettingsErrors(t *testing.T) {
	if _, err := pipeline.ReadSettings("orders", "example.com/orders", "svc/new-service.yaml", []byte("replicas: 3\nobjective: 120\n")); err == nil || !strings.HasPrefix(err.Error(), "svc/new-service.yaml:2: objective") {
		t.Errorf("ReadSettings: got %v, want an error at svc/new-service.yaml:2", err)
	}
	in, err := pipeline.Reference("orders", "example.com/orders", "")
	if err != nil {
		t.Fatal(err)
	}
	in.Settings.MainService = "acme.orders.v1.Missing"
	if _, err := pipeline.Generate(context.Background(), in); err == nil || !regexp.MustCompile(`new-service\.yaml:\d+: main_service`).MatchString(err.Error()) {
		t.Errorf("Generate: got %v, want an error naming new-service.yaml, the line and main_service", err)
	}
}
