//go:build !linux

package template_test

import "syscall"

// childProcAttr returns nil: only Linux can tie a child's life to its
// parent's, elsewhere the test's cleanups kill the processes it started.
func childProcAttr() *syscall.SysProcAttr { return nil }
