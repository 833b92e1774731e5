package conformance

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/new-service/new-service/examples/orders/client"
)

// Rolling-restart settings: short versions of a Deployment's.
const (
	rollDrain = 1 * time.Second
	rollGrace = 2 * time.Second
	rollAge   = 3 * time.Second
)

// TestRollingRestart restarts three replicas one by one under constant
// load through the generated client, as a Deployment's rolling update
// does: the replica leaves DNS and gets SIGTERM, must exit 0 within
// DRAIN_DELAY + SHUTDOWN_GRACE + 1s, and its replacement starts on the same
// address and joins DNS once serving. Not one call may fail. Each
// replacement must serve calls before the next replica goes, within the
// time the servers' MaxConnectionAge promises that clients re-resolve.
func TestRollingRestart(t *testing.T) {
	svc := orders(t)
	c := newCluster(t, svc, 3, "DRAIN_DELAY="+rollDrain.String(), "SHUTDOWN_GRACE="+rollGrace.String(),
		"MAX_CONNECTION_AGE="+rollAge.String())
	conn, err := client.New(c.target())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	found := rediscovery(rollAge, rollGrace)

	l := startLoad(t, 4, 1_000_000, 3*time.Minute, svc.balanced(conn))
	l.wait(t, 10*time.Second, "every replica served 300 calls", func(s tally) bool {
		return len(s.byPeer) == 3 && slices.Min(slices.Collect(maps.Values(s.byPeer))) >= 300
	})

	var report []string
	oldServed := map[string]int{}
	for slot, old := range slices.Clone(c.replicas) {
		c.dns.Remove(c.ip(slot))
		atTerm := l.snapshot()
		if err := old.Terminate(); err != nil {
			t.Fatal(err)
		}
		termAt := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), rollDrain+rollGrace+time.Second)
		code, exitAt, err := old.Wait(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if code != 0 {
			t.Errorf("%s exited %d after SIGTERM, want 0", old.Name, code)
		}
		atExit := l.snapshot()
		served := atExit.byPeer[old.GRPC]
		oldServed[old.GRPC] = served

		c.start(slot)
		c.dns.Add(c.ip(slot))
		added := time.Now()
		l.wait(t, found, fmt.Sprintf("the replacement of %s served 100 calls", old.Name), func(s tally) bool {
			return s.byPeer[old.GRPC] >= served+100
		})
		report = append(report, fmt.Sprintf("%s: served %d calls (%d after SIGTERM); exit %d after %v; replacement found by the client in %v",
			old.Name, served, served-atTerm.byPeer[old.GRPC], code, exitAt.Sub(termAt).Round(time.Millisecond), time.Since(added).Round(time.Millisecond)))
	}

	last := l.snapshot()
	l.wait(t, time.Minute, "3000 calls after the restart", func(s tally) bool { return s.calls >= last.calls+3000 })
	got := l.finish()
	for _, p := range c.replicas {
		report = append(report, fmt.Sprintf("%s: replaced; before %d calls, after %d", p.GRPC, oldServed[p.GRPC], got.byPeer[p.GRPC]-oldServed[p.GRPC]))
	}
	t.Logf("rolling restart under load:\n%s\ntotal: %v", strings.Join(report, "\n"), got)
	if got.failures > 0 {
		t.Errorf("%d of %d calls failed during the rolling restart; first errors: %v", got.failures, got.calls, got.errs)
	}
}
