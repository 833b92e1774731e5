package conformance

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/new-service/new-service/conformance/internal/tool"
)

// Drain settings of the health test.
const (
	healthDrain = 2 * time.Second
	healthGrace = 2 * time.Second
)

// TestHealthAndDrain watches a shutdown from outside with the real
// grpc-health-probe, as a Kubernetes exec probe would: SERVING for the main
// service and for "" before; NOT_SERVING (exit status 4) for both during
// DRAIN_DELAY after SIGTERM, while the process still answers; and an exit 0
// within DRAIN_DELAY + SHUTDOWN_GRACE + 1s, not before DRAIN_DELAY.
func TestHealthAndDrain(t *testing.T) {
	probe := needTool(t, tool.HealthProbe)
	for _, sv := range services {
		t.Run(sv.name, func(t *testing.T) {
			svc := sv.get(t)
			p := start(t, svc, svc.name, "DRAIN_DELAY="+healthDrain.String(), "SHUTDOWN_GRACE="+healthGrace.String())
			phases := []struct {
				name     string
				exit     int
				output   string
				services []string
			}{
				{name: "before SIGTERM", exit: 0, output: "status: SERVING", services: []string{svc.main, ""}},
				{name: "draining", exit: 4, output: `responded with "NOT_SERVING"`, services: []string{svc.main, ""}},
			}
			var termAt time.Time
			for i, ph := range phases {
				if i == 1 {
					if err := p.Terminate(); err != nil {
						t.Fatal(err)
					}
					termAt = time.Now()
					ctx, cancel := context.WithTimeout(t.Context(), healthDrain)
					_, err := p.Log.WaitEntry(ctx, map[string]string{"msg": "draining: health is NOT_SERVING"})
					cancel()
					if err != nil {
						t.Fatal(err)
					}
				}
				for _, service := range ph.services {
					code, out := runProbe(t, probe, p.GRPC, service)
					if code != ph.exit || !strings.Contains(out, ph.output) {
						t.Errorf("%s: grpc-health-probe -service=%q: exit %d, %q; want exit %d, %q", ph.name, service, code, out, ph.exit, ph.output)
					}
				}
			}
			probed := time.Since(termAt)
			if probed >= healthDrain {
				t.Errorf("the draining probes finished %v after SIGTERM, after DRAIN_DELAY (%v): they did not see the drain delay", probed, healthDrain)
			}

			ctx, cancel := context.WithTimeout(t.Context(), healthDrain+healthGrace+5*time.Second)
			defer cancel()
			code, exitAt, err := p.Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			took := exitAt.Sub(termAt)
			t.Logf("NOT_SERVING seen by grpc-health-probe within %v of SIGTERM; exit %d %v after SIGTERM (DRAIN_DELAY %v, SHUTDOWN_GRACE %v)",
				probed.Round(time.Millisecond), code, took.Round(time.Millisecond), healthDrain, healthGrace)
			if code != 0 {
				t.Errorf("exit status %d after SIGTERM, want 0", code)
			}
			if took < healthDrain || took > healthDrain+healthGrace+time.Second {
				t.Errorf("exited %v after SIGTERM, want between DRAIN_DELAY (%v) and DRAIN_DELAY + SHUTDOWN_GRACE + 1s (%v)", took, healthDrain, healthDrain+healthGrace+time.Second)
			}
		})
	}
}

// runProbe runs grpc-health-probe against addr for service ("" for the
// server as a whole) and returns its exit status and output.
func runProbe(t *testing.T, probe, addr, service string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	args := []string{"-addr=" + addr, "-connect-timeout=2s", "-rpc-timeout=2s"}
	if service != "" {
		args = append(args, "-service="+service)
	}
	out, err := exec.CommandContext(ctx, probe, args...).CombinedOutput()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, strings.TrimSpace(string(out))
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), strings.TrimSpace(string(out))
	}
	t.Fatalf("grpc-health-probe: %v", err)
	return 0, ""
}
