package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux architecture Go supports (the kernel's ABI fixes it,
// whatever CONFIG_HZ is).
const clockTicks = 100

// server is one server process of the comparison.
type server struct {
	name   string
	config string
	bin    string
	args   []string
	env    []string
	// grpcAddr, httpAddr (generated service only) and adminAddr are
	// 127.0.0.1:port.
	grpcAddr, httpAddr, adminAddr string
	logPath                       string

	cmd  *exec.Cmd
	done chan error
}

// start starts the server with its output in its log file; pin, when set,
// is the taskset prefix that binds it to a core.
func (s *server) start(pin []string) error {
	logf, err := os.Create(s.logPath)
	if err != nil {
		return err
	}
	argv := append(append(append([]string{}, pin...), s.bin), s.args...)
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Env = s.env
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("start %s: %w", s.name, err)
	}
	s.done = make(chan error, 1)
	go func() {
		s.done <- s.cmd.Wait()
		_ = logf.Close()
	}()
	return nil
}

// commandLine is how the server was started, for the record: with only
// PATH, HOME and its own variables in its environment (see minimalEnv).
func (s *server) commandLine(pin []string) string {
	parts := []string{"env", "-i", `PATH="$PATH"`, `HOME="$HOME"`}
	for _, kv := range s.env {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "HOME=") {
			parts = append(parts, shellQuote(kv))
		}
	}
	return strings.Join(parts, " ") + " " + shellJoin(append(append(slices.Clone(pin), s.bin), s.args...))
}

// stop kills the server (its measurements are done; how it shuts down is
// not under test) and waits for it. Stopping a stopped server does
// nothing.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(10 * time.Second):
	}
}

// waitReady waits until the server answers a gRPC health check with
// SERVING and its admin endpoint serves the allocation counter.
func (s *server) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	var last error
	for {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("%s exited before it was ready (%v); see %s", s.name, err, s.logPath)
		default:
		}
		callCtx, callCancel := context.WithTimeout(ctx, time.Second)
		resp, err := health.Check(callCtx, &healthpb.HealthCheckRequest{})
		callCancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			if _, err = s.mallocs(ctx); err == nil {
				return nil
			}
		} else if err == nil {
			err = fmt.Errorf("health: %s", resp.GetStatus())
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %v; see %s", s.name, timeout, last, s.logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// mallocs scrapes the admin endpoint for go_memstats_mallocs_total.
func (s *server) mallocs(ctx context.Context) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.adminAddr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	// The text format: the generated service answers OpenMetrics when asked.
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s/metrics: %s", s.adminAddr, resp.Status)
	}
	return parseCounter(resp.Body, "go_memstats_mallocs_total")
}

// parseCounter returns the value of the unlabelled sample name in a
// Prometheus text exposition.
func parseCounter(r io.Reader, name string) (float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name+" ")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			break
		}
		return strconv.ParseFloat(fields[0], 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in the metrics", name)
}

// cpuSeconds returns the user+system CPU time of process pid from
// /proc/PID/stat (all its threads).
func cpuSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(data))
}

// parseStatCPU reads utime and stime (fields 14 and 15) from the text of
// /proc/PID/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from its closing parenthesis.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the name, want at least 13", len(f))
	}
	utime, err := strconv.ParseUint(f[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stat utime: %w", err)
	}
	stime, err := strconv.ParseUint(f[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stat stime: %w", err)
	}
	return float64(utime+stime) / clockTicks, nil
}

// freeAddrs returns n distinct loopback addresses with ports free at the
// time of the call.
func freeAddrs(n int) ([]string, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// minimalEnv is the environment every server runs with: nothing that could
// change a default (no OTEL_*, no LOG_LEVEL), only what a process needs.
func minimalEnv(extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	return append(env, extra...)
}

// machineBusy returns the CPU time all processes of the machine used since
// boot, from the first line of /proc/stat (every state but idle and
// iowait).
func machineBusy() (float64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseMachineBusy(string(data))
}

func parseMachineBusy(stat string) (float64, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, errors.New("/proc/stat: no cpu line")
	}
	var busy uint64
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		// Fields 4 and 5 are idle and iowait; guest time (9, 10) is
		// already counted in user and nice.
		if i == 3 || i == 4 || i >= 8 {
			continue
		}
		busy += n
	}
	return float64(busy) / clockTicks, nil
}
