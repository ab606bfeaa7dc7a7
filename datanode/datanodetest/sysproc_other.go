//go:build !linux

package datanodetest

import "syscall"

// sysProcAttr has no parent-death signal outside Linux; Close and the test
// cleanups are then the only guard against leftover processes.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
