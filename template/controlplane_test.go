package template_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Bounds of the waits on the control plane, generous for a loaded 2-core
// machine: start-up takes about 10 s there.
const (
	controlPlaneStartTimeout = 2 * time.Minute
	kubectlTimeout           = 2 * time.Minute
)

// kubectl runs kubectl against the test's control plane.
type kubectl struct {
	bin, kubeconfig string
}

// startControlPlane starts etcd and kube-apiserver on loopback ports, with
// prometheus-operator's CRDs installed, and returns a kubectl that reaches
// them as cluster admin. Both processes are killed when the test ends.
// The programs come from $KUBE_APISERVER, $ETCD and $KUBECTL (the Taskfile
// sets them), else from PATH; the test fails if one is missing.
func startControlPlane(t *testing.T) *kubectl {
	t.Helper()
	apiserverBin := binary(t, "KUBE_APISERVER", "kube-apiserver", "build it with `go tool task kube-apiserver` (bin/kube-apiserver, about 10 minutes the first time)")
	etcdBin := binary(t, "ETCD", "etcd", "install it (Debian: apt-get install etcd-server)")
	kc := &kubectl{bin: binary(t, "KUBECTL", "kubectl", "install it (Debian: apt-get install kubernetes-client)")}
	crds := crdDir(t)

	dir := t.TempDir()
	ports := freePorts(t, 3)
	etcdURL := "http://127.0.0.1:" + ports[0]
	peerURL := "http://127.0.0.1:" + ports[1]
	startProcess(t, dir, "etcd", etcdBin,
		"--name=test",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=test="+peerURL,
	)

	token := randomHex(t)
	write(t, filepath.Join(dir, "tokens.csv"), token+`,admin,admin,"system:masters"`+"\n")
	key, pub := serviceAccountKeys(t)
	write(t, filepath.Join(dir, "sa.key"), key)
	write(t, filepath.Join(dir, "sa.pub"), pub)
	certDir := filepath.Join(dir, "certs")
	server := "https://127.0.0.1:" + ports[2]
	start := time.Now()
	exited := startProcess(t, dir, "kube-apiserver", apiserverBin,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+ports[2],
		"--cert-dir="+certDir,
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		// As in real clusters: otherwise the server itself refuses
		// privileged containers and Pod Security is never asked.
		"--allow-privileged=true",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		// No endpoints for the `kubernetes` Service: its loopback address
		// is refused there, and nothing here needs it.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
	)
	waitReady(t, server, token, exited)
	t.Logf("kube-apiserver ready in %v", time.Since(start).Round(time.Millisecond))

	kc.kubeconfig = filepath.Join(dir, "kubeconfig")
	write(t, kc.kubeconfig, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster:
      server: %s
      certificate-authority: %s
users:
  - name: admin
    user:
      token: %s
contexts:
  - name: test
    context: {cluster: test, user: admin}
current-context: test
`, server, filepath.Join(certDir, "apiserver.crt"), token))

	start = time.Now()
	kc.mustRun(t, nil, "apply", "--server-side", "-f", crds)
	kc.mustRun(t, nil, "wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")
	t.Logf("prometheus-operator CRDs established in %v", time.Since(start).Round(time.Millisecond))
	return kc
}

// run runs kubectl with stdin and returns what it printed (stdout and
// stderr).
func (kc *kubectl) run(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kc.bin, append([]string{"--kubeconfig=" + kc.kubeconfig, "--request-timeout=60s"}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustRun runs kubectl and fails the test if it fails or the server warns
// (a Deployment's pods that Pod Security would refuse, a deprecated API,
// ...), showing stdin.
func (kc *kubectl) mustRun(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	out, err := kc.run(t, stdin, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s\ninput:\n%s", strings.Join(args, " "), err, out, stdin)
	}
	if strings.Contains(out, "Warning:") {
		t.Errorf("kubectl %s: the server warns:\n%s\ninput:\n%s", strings.Join(args, " "), out, stdin)
	}
	return out
}

// restrictedNamespace creates the namespace, enforcing Pod Security
// "restricted", if it does not exist yet, and returns its name.
func (kc *kubectl) restrictedNamespace(t *testing.T, name string) string {
	t.Helper()
	kc.mustRun(t, fmt.Appendf(nil, `apiVersion: v1
kind: Namespace
metadata:
  name: %s
  labels:
    pod-security.kubernetes.io/enforce: restricted
`, name), "apply", "--server-side", "-f", "-")
	return name
}

// startProcess starts bin with args, its output in dir/name.log, and
// returns a channel closed when it ends. The process is killed
// when the test ends, and its log shown if the test failed.
func startProcess(t *testing.T, dir, name, bin string, args ...string) <-chan struct{} {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		log.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the log says why it ended
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		log.Close()
		if t.Failed() {
			t.Logf("%s log (%s):\n%s", name, bin, tail(logPath, 60))
		}
	})
	return done
}

// waitReady polls the API server's /readyz until it answers 200, the
// process ends or the start timeout passes.
func waitReady(t *testing.T, server, token string, exited <-chan struct{}) {
	t.Helper()
	client := &http.Client{
		Timeout: 5 * time.Second,
		// Only readiness is asked here; kubectl verifies the certificate.
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
	deadline := time.After(controlPlaneStartTimeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for {
		select {
		case <-exited:
			t.Fatal("kube-apiserver exited before it was ready")
		case <-deadline:
			t.Fatalf("kube-apiserver not ready after %v: %s", controlPlaneStartTimeout, last)
		case <-tick.C:
		}
		req, err := http.NewRequest(http.MethodGet, server+"/readyz", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			last = err.Error()
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
		last = resp.Status
	}
}

// freePorts returns n distinct loopback ports free at the time of the call.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var ports []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	return ports
}

// serviceAccountKeys returns a new key pair for the API server to sign
// and verify service account tokens with, PEM-encoded.
func serviceAccountKeys(t *testing.T) (key, pub string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
