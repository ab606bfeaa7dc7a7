//go:build !linux

package pubsub

import "runtime"

// osName is INFO's os field: without uname, the Go names.
func osName() string { return runtime.GOOS + " " + runtime.GOARCH }
