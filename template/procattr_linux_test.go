package template_test

import "syscall"

// childProcAttr has the kernel kill a child process when the test binary
// dies, even if it dies before its cleanups run (a -timeout panic).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
