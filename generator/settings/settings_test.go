package settings

import (
	"strings"
	"testing"

	"github.com/new-service/new-service/generator/model"
)

func TestParseSecurity(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"client CA without secret", "replicas: 3\ntls:\n  client_ca: true\n", "new-service.yaml:2: tls: client_ca needs secret"},
		{"bad secret name", "tls:\n  secret: Orders_TLS\n", `new-service.yaml:1: tls: secret "Orders_TLS" is not a Kubernetes object name`},
		{"authz key", "objective: 99\nauthz:\n  /pkg.S/M: [spiffe://a]\n", `new-service.yaml:3: authz: "/pkg.S/M": key a method as pkg.Service/Method`},
		{"authz empty list", "authz:\n  pkg.S/M: []\n", `new-service.yaml:2: authz: "pkg.S/M": list at least one caller identity`},
		{"authz without mTLS", "tls:\n  secret: orders-tls\nauthz:\n  pkg.S/M: [web]\n", `new-service.yaml:3: authz: needs mTLS: set tls.secret and tls.client_ca: true`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("new-service.yaml", []byte(tc.content), model.DefaultSettings("orders", "example.com/orders"))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Parse: %v, want an error starting %q", err, tc.want)
			}
		})
	}
	s, err := Parse("new-service.yaml", []byte("tls:\n  secret: orders-tls\n  client_ca: true\nauthz:\n  pkg.S/M: [spiffe://example.org/web]\n"), model.DefaultSettings("orders", "example.com/orders"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.TLS.Enabled() || !s.TLS.ClientCA || s.Authz["pkg.S/M"][0] != "spiffe://example.org/web" {
		t.Errorf("Parse = %+v %v", s.TLS, s.Authz)
	}
}

// TestCheckAgainstLine checks that a setting naming what the protos lack
// is reported at the line of the entry at fault.
func TestCheckAgainstLine(t *testing.T) {
	app := &model.App{Services: []*model.Service{{FullName: "pkg.S", Methods: []*model.Method{{Name: "A"}}}}}
	for _, tc := range []struct {
		name, content, want string
	}{
		{"authz", "objective: 99\nauthz:\n  pkg.S/A: [web]\n  \"pkg.S/B\": [web]\ntls: {secret: s, client_ca: true}\n", `new-service.yaml:4: authz: "pkg.S/B" is not a method of the protos`},
		{"method_deadlines", "method_deadlines:\n  pkg.S/A: 1s\n  pkg.S/C: 2s\nauthz: {}\n", `new-service.yaml:3: method_deadlines: "pkg.S/C" is not a method of the protos`},
		{"main_service", "replicas: 3\nmain_service: pkg.T\n", `new-service.yaml:2: main_service: "pkg.T" is not a service of the protos`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("new-service.yaml", []byte(tc.content), model.DefaultSettings("orders", "example.com/orders"))
			if err != nil {
				t.Fatal(err)
			}
			err = CheckAgainst(s, app)
			if err == nil {
				t.Fatal("CheckAgainst: nil, want an error")
			}
			if got := Locate("new-service.yaml", []byte(tc.content), err).Error(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("Locate: %s, want it to start %q", got, tc.want)
			}
		})
	}
}

// TestSettingsErrorIsStable parses a file with several bad values many
// times: the message must be the same every time (no map-order
// dependence).
func TestSettingsErrorIsStable(t *testing.T) {
	const file = "cpu_request: lots\nmemory_limit: much\ngrpc_port: 8080\nhttp_port: 8080\nadmin_port: 8080\nmethod_deadlines: {a: 1s, b.S/M: -1s, c: 1s}\n"
	defaults := model.DefaultSettings("orders", "example.com/orders")
	_, first := Parse("new-service.yaml", []byte(file), defaults)
	if first == nil {
		t.Fatal("Parse accepted a bad file")
	}
	for range 100 {
		if _, err := Parse("new-service.yaml", []byte(file), defaults); err == nil || err.Error() != first.Error() {
			t.Fatalf("the same file gave %q, then %v", first, err)
		}
	}
	fixed := strings.NewReplacer("cpu_request: lots", "cpu_request: 1", "memory_limit: much", "memory_limit: 1Gi",
		"http_port: 8080", "http_port: 8081", "admin_port: 8080", "admin_port: 8082").Replace(file)
	_, first = Parse("new-service.yaml", []byte(fixed), defaults)
	if first == nil || !strings.Contains(first.Error(), "method_deadlines") {
		t.Fatalf("got %v, want the method_deadlines error", first)
	}
	for range 100 {
		if _, err := Parse("new-service.yaml", []byte(fixed), defaults); err == nil || err.Error() != first.Error() {
			t.Fatalf("the same file gave %q, then %v", first, err)
		}
	}
}

func TestBufPlugins(t *testing.T) {
	defaults := model.DefaultSettings("orders", "example.com/orders")
	tests := []struct {
		name, file, wantErr string
	}{
		{"ok", "buf_plugins:\n  - local: [go, tool, protoc-gen-doc]\n    out: gen/doc\n    opt: [markdown]\n", ""},
		{"no command", "buf_plugins:\n  - out: gen/doc\n", "new-service.yaml:1: buf_plugins: entry 1: local is empty"},
		{"outside the service", "buf_plugins:\n  - local: [x]\n    out: ../elsewhere\n", `new-service.yaml:1: buf_plugins: entry 1: out "../elsewhere" must be a folder inside the service`},
		{"unknown key", "buf_plugins:\n  - local: [x]\n    out: gen/x\n    strategy: all\n", "new-service.yaml:4: unknown setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("new-service.yaml", []byte(tt.file), defaults)
			if tt.wantErr == "" {
				if err != nil || len(s.BufPlugins) != 1 || s.BufPlugins[0].Out != "gen/doc" {
					t.Fatalf("got %+v, %v", s.BufPlugins, err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want %s...", err, tt.wantErr)
			}
		})
	}
}
