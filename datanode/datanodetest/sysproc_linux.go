//go:build linux

package datanodetest

import "syscall"

// sysProcAttr asks the kernel to SIGKILL the child if our process dies
// without cleaning up (for example a test binary killed by its timeout),
// so no redis-server outlives its owner.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
