// Package process runs a generated service's binary as a child process, as a
// kubelet runs a container: the environment in, its stderr (the JSON log)
// captured line by line, SIGTERM to stop it, and its exit status out.
package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Process is a service binary that was started and reported serving.
type Process struct {
	// Name tells replicas apart in messages.
	Name string
	// GRPC, HTTP and Admin are the addresses the service listens on, read
	// from its "serving" log line (so ":0" in the environment works).
	GRPC, HTTP, Admin string
	// Log is the process's stderr: the JSON log.
	Log *Log

	cmd      *exec.Cmd
	exited   chan struct{}
	exitedAt time.Time
	waitErr  error
}

// Start runs bin with exactly env as its environment (nothing is inherited,
// so a variable set on the test machine cannot change the service) and
// waits until it logs "serving", or until ctx is done or it exits. That
// line is logged at info: LOG_LEVEL=warn would hide it.
func Start(ctx context.Context, name, bin string, env []string) (*Process, error) {
	p := &Process{Name: name, Log: NewLog(), exited: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Env = env
	p.cmd.Stderr = p.Log
	p.cmd.Stdout = p.Log
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		p.exitedAt = time.Now()
		close(p.exited)
	}()

	ready, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-p.exited:
			cancel(fmt.Errorf("%s exited: %v", name, p.waitErr))
		case <-ready.Done():
		}
	}()
	e, err := p.Log.WaitEntry(ready, map[string]string{"msg": "serving"})
	if err != nil {
		p.Kill()
		return nil, fmt.Errorf("start %s: %w; its log:\n%s", name, err, strings.Join(p.Log.Lines(), "\n"))
	}
	p.GRPC, p.HTTP, p.Admin = e.String("grpc"), e.String("http"), e.String("admin")
	return p, nil
}

// Pid returns the process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Terminate sends SIGTERM, which starts the service's drain.
func (p *Process) Terminate() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM %s: %w", p.Name, err)
	}
	return nil
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Wait waits for the process to exit, until ctx is done, and returns its
// exit code and when it exited.
func (p *Process) Wait(ctx context.Context) (code int, at time.Time, err error) {
	select {
	case <-p.exited:
	case <-ctx.Done():
		return 0, time.Time{}, fmt.Errorf("%s did not exit: %w", p.Name, context.Cause(ctx))
	}
	var exitErr *exec.ExitError
	if p.waitErr != nil && !errors.As(p.waitErr, &exitErr) {
		return 0, p.exitedAt, fmt.Errorf("wait for %s: %w", p.Name, p.waitErr)
	}
	return p.cmd.ProcessState.ExitCode(), p.exitedAt, nil
}

// Kill stops the process at once, if it still runs, and waits for it. It is
// the cleanup of a test that did not stop the process itself.
func (p *Process) Kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Kill)
	<-p.exited
}
