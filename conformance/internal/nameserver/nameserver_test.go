package nameserver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// resolver returns a Go resolver that asks only s, over network ("udp" or
// "tcp"), as grpc's dns resolver does for a dns://host:port/ authority.
func resolver(s *Server, network string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, s.Addr())
	}}
}

func TestLookup(t *testing.T) {
	s, err := Start("orders.conformance.test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a, b := netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")

	tests := []struct {
		name    string
		network string
		change  func()
		host    string
		want    []string
		wantErr bool
	}{
		{name: "no replicas yet", network: "udp", change: func() {}, host: "orders.conformance.test", wantErr: true},
		{name: "two replicas", network: "udp", change: func() { s.Set(a, b) }, host: "orders.conformance.test", want: []string{"127.0.0.2", "127.0.0.3"}},
		{name: "over TCP", network: "tcp", change: func() {}, host: "orders.conformance.test", want: []string{"127.0.0.2", "127.0.0.3"}},
		{name: "case and trailing dot do not matter", network: "udp", change: func() {}, host: "Orders.Conformance.Test.", want: []string{"127.0.0.2", "127.0.0.3"}},
		{name: "one removed", network: "udp", change: func() { s.Remove(a) }, host: "orders.conformance.test", want: []string{"127.0.0.3"}},
		{name: "added back once", network: "udp", change: func() { s.Add(a); s.Add(a) }, host: "orders.conformance.test", want: []string{"127.0.0.2", "127.0.0.3"}},
		{name: "other names do not exist", network: "udp", change: func() {}, host: "billing.conformance.test", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.change()
			got, err := resolver(s, tt.network).LookupHost(t.Context(), tt.host)
			if tt.wantErr {
				var dnsErr *net.DNSError
				if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
					t.Fatalf("LookupHost(%q) = %v, %v; want a not-found error", tt.host, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LookupHost(%q) (-want +got):\n%s", tt.host, diff)
			}
		})
	}
	if s.Lookups() == 0 {
		t.Error("Lookups() = 0 after successful lookups")
	}
}

// TestNoServiceConfig checks that a TXT query, which grpc's resolver makes
// for a service config, gets an empty answer that the resolver ignores.
func TestNoServiceConfig(t *testing.T) {
	s, err := Start("orders.conformance.test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	txt, err := resolver(s, "udp").LookupTXT(t.Context(), "_grpc_config.orders.conformance.test")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound || dnsErr.IsTemporary || dnsErr.IsTimeout {
		t.Fatalf("LookupTXT = %v, %v; want a permanent not-found error", txt, err)
	}
}
