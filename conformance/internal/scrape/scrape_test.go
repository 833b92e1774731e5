package scrape

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const exposition = `# HELP grpc_server_handled_total Total number of RPCs completed on the server, regardless of success or failure.
# TYPE grpc_server_handled_total counter
grpc_server_handled_total{grpc_code="OK",grpc_method="CreateOrder",grpc_service="acme.orders.v1.OrderService",grpc_type="unary"} 7
grpc_server_handled_total{grpc_code="Canceled",grpc_method="CreateOrder",grpc_service="acme.orders.v1.OrderService",grpc_type="unary"} 2
grpc_server_handled_total{grpc_code="OK",grpc_method="GetOrder",grpc_service="acme.orders.v1.OrderService",grpc_type="unary"} 5
`

func TestSum(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write([]byte(exposition))
	}))
	defer srv.Close()
	m, err := Get(t.Context(), strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{name: "every series", metric: "grpc_server_handled_total", want: 14},
		{name: "one method", metric: "grpc_server_handled_total", labels: Method("acme.orders.v1.OrderService", "CreateOrder"), want: 9},
		{name: "one method and code", metric: "grpc_server_handled_total", labels: Method("acme.orders.v1.OrderService", "CreateOrder", "grpc_code", "Canceled"), want: 2},
		{name: "no such label value", metric: "grpc_server_handled_total", labels: Method("acme.orders.v1.OrderService", "DeleteOrder"), want: 0},
		{name: "no such label", metric: "grpc_server_handled_total", labels: map[string]string{"pod": "x"}, want: 0},
		{name: "no such metric", metric: "grpc_server_started_total", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Sum(tt.metric, tt.labels); got != tt.want {
				t.Errorf("Sum(%s, %v) = %v, want %v", tt.metric, tt.labels, got, tt.want)
			}
		})
	}
}
