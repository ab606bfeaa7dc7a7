//go:build !unix

package pubsub

// cpuTimes is not available on this platform; INFO reports zeros.
func cpuTimes() (sys, user float64) { return 0, 0 }
