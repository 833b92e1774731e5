package conformance

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/new-service/new-service/conformance/internal/tool"
	"github.com/new-service/new-service/examples/orders/client"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// ca is a throwaway certificate authority.
type ca struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T) *ca {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "conformance CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &ca{cert: cert, key: key}
}

// write issues a certificate for localhost and 127.0.0.1 with the SPIFFE ID
// id, usable for server and client authentication as cert-manager's and
// SPIFFE's are, and writes it and its key to dir/name.crt and dir/name.key.
func (c *ca) write(t *testing.T, dir, name string, serial int64, id string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(id)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, URIs: []*url.URL{u}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return certFile, keyFile
}

func (c *ca) writeCA(t *testing.T, dir string) string {
	t.Helper()
	f := filepath.Join(dir, "ca.crt")
	writeFile(t, f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw}))
	return f
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestMTLS runs examples/orders with TLS_CERT_FILE, TLS_KEY_FILE and
// TLS_CLIENT_CA_FILE from a throwaway CA and checks from outside: plaintext
// and certificate-less clients are refused, the generated client with a
// certificate works, REST works over HTTPS, the admin endpoints and
// grpc-health-probe (with TLS flags) report SERVING, and a certificate
// rewritten in place is served by the running process.
func TestMTLS(t *testing.T) {
	svc := orders(t)
	probe := needTool(t, tool.HealthProbe)
	dir := t.TempDir()
	authority := newCA(t)
	caFile := authority.writeCA(t, dir)
	serverCert, serverKey := authority.write(t, dir, "server", 2, "spiffe://conformance/orders")
	clientCert, clientKey := authority.write(t, dir, "client", 10, "spiffe://conformance/caller")
	p := start(t, svc, "orders-mtls",
		"TLS_CERT_FILE="+serverCert, "TLS_KEY_FILE="+serverKey, "TLS_CLIENT_CA_FILE="+caFile,
		// The inventory client dials this very process, so it needs a
		// certificate too.
		"ORDERS_TLS_CA_FILE="+caFile, "ORDERS_TLS_CERT_FILE="+clientCert, "ORDERS_TLS_KEY_FILE="+clientKey)

	health := func(creds credentials.TransportCredentials) error {
		conn, err := grpc.NewClient(p.GRPC, grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
	if err := health(insecure.NewCredentials()); status.Code(err) != codes.Unavailable {
		t.Errorf("plaintext client: %v, want UNAVAILABLE (refused)", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(authority.cert)
	if err := health(credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: "localhost"})); status.Code(err) != codes.Unavailable {
		t.Errorf("TLS client without a certificate: %v, want UNAVAILABLE (refused)", err)
	}

	conn, err := client.New("passthrough:///"+p.GRPC, client.WithTLS(client.TLS{CAFile: caFile, CertFile: clientCert, KeyFile: clientKey, ServerName: "localhost"}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := conn.OrderService.ListOrders(ctx, &ordersv1.ListOrdersRequest{Shop: "conformance"}); err != nil {
		t.Errorf("generated client with a certificate: ListOrders: %v", err)
	}

	https := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}, Timeout: 10 * time.Second}
	resp, err := https.Get("https://" + p.HTTP + svc.rest.get("conformance"))
	if err != nil {
		t.Fatalf("REST over HTTPS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("REST over HTTPS: HTTP %d, want 200", resp.StatusCode)
	}
	t.Logf("REST over HTTPS: HTTP %d (%s)", resp.StatusCode, resp.Proto)

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + p.Admin + path)
		if err != nil {
			t.Fatalf("admin %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("admin %s over plaintext: HTTP %d, want 200 (the manifests' probes with TLS on)", path, resp.StatusCode)
		}
	}
	tlsArgs := []string{"-tls", "-tls-ca-cert=" + caFile, "-tls-client-cert=" + clientCert, "-tls-client-key=" + clientKey, "-tls-server-name=localhost"}
	if code, out := runProbeArgs(t, probe, p.GRPC, svc.main, tlsArgs...); code != 0 {
		t.Errorf("grpc-health-probe -tls (mTLS): exit %d %s, want 0 SERVING", code, out)
	}
	if code, out := runProbeArgs(t, probe, p.GRPC, svc.main); code == 0 {
		t.Errorf("grpc-health-probe without TLS: exit 0 %s, want it refused", out)
	}

	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"h2"}, Certificates: []tls.Certificate{mustPair(t, clientCert, clientKey)}}
	before := servedSerial(t, p.GRPC, cfg)
	authority.write(t, dir, "server", 3, "spiffe://conformance/orders")
	after := servedSerial(t, p.GRPC, cfg)
	restAfter := servedSerial(t, p.HTTP, cfg)
	t.Logf("served certificate serial: %d before the rewrite, %d after on gRPC, %d on REST, same process (pid %d)", before, after, restAfter, p.Pid())
	if before != 2 || after != 3 || restAfter != 3 {
		t.Errorf("served serials: %d before, %d/%d after (gRPC/REST); want 2, then 3 without a restart", before, after, restAfter)
	}
	if _, err := conn.OrderService.ListOrders(ctx, &ordersv1.ListOrdersRequest{Shop: "conformance"}); err != nil {
		t.Errorf("ListOrders after the rotation: %v", err)
	}
}

func mustPair(t *testing.T, certFile, keyFile string) tls.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

func servedSerial(t *testing.T, addr string, cfg *tls.Config) int64 {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("TLS to %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// runProbeArgs runs grpc-health-probe against addr for service with extra
// flags and returns its exit status and output.
func runProbeArgs(t *testing.T, probe, addr, service string, extra ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	args := append([]string{"-addr=" + addr, "-connect-timeout=2s", "-rpc-timeout=2s", "-service=" + service}, extra...)
	out, err := exec.CommandContext(ctx, probe, args...).CombinedOutput()
	if exitErr, ok := err.(*exec.ExitError); ok {
		return exitErr.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("grpc-health-probe: %v", err)
	}
	return 0, string(out)
}

// TestSpoofedForwardedFor makes writes to examples/orders, each claiming
// another client address in x-forwarded-for, with a write limit of a burst
// of 3: from an untrusted peer the claims change nothing (3 allowed, as for
// one caller), from a peer in TRUSTED_PROXIES each claim is its own caller.
func TestSpoofedForwardedFor(t *testing.T) {
	svc := orders(t)
	const calls, burst = 10, 3
	for _, tc := range []struct {
		name    string
		env     []string
		allowed int
	}{
		{"untrusted peer", nil, burst},
		{"trusted proxy", []string{"TRUSTED_PROXIES=127.0.0.0/8"}, calls},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := start(t, svc, "orders-xff", append([]string{"ORDERS_WRITE_RATE=1/h,burst=3"}, tc.env...)...)
			// No retries: the refused write's RetryInfo asks for an hour.
			conn, err := client.New("passthrough:///"+p.GRPC, client.WithDialOptions(grpc.WithDisableRetry()))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			allowed := 0
			for i := range calls {
				ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(t.Context(), "x-forwarded-for", net.IPv4(203, 0, 113, byte(i+1)).String()), 10*time.Second)
				_, err := conn.OrderService.DeleteOrder(ctx, &ordersv1.DeleteOrderRequest{Shop: "conformance", OrderId: "missing"})
				cancel()
				switch status.Code(err) {
				case codes.ResourceExhausted:
				case codes.NotFound:
					allowed++
				default:
					t.Fatalf("DeleteOrder: %v, want NOT_FOUND or RESOURCE_EXHAUSTED", err)
				}
			}
			t.Logf("%s: %d of %d writes with distinct spoofed x-forwarded-for allowed (burst %d)", tc.name, allowed, calls, burst)
			if allowed != tc.allowed {
				t.Errorf("%d writes allowed, want %d", allowed, tc.allowed)
			}
		})
	}
}
