package supervisor

import (
	"os"
	"syscall"
)

// fdatasync writes f's data (and the size, which an append changes)
// without the rest of its metadata.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
