package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// hangups turns SIGHUP into reload requests for the supervisor (the TLS
// certificate files and the configuration file are read again; see
// docs/operations.md). Without it SIGHUP would end the
// process. stop ends the forwarding and waits for it.
func hangups(ctx context.Context) (reload <-chan struct{}, stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				select {
				case out <- struct{}{}:
				default: // one pending request is enough
				}
			}
		}
	})
	return out, func() { cancel(); wg.Wait() }
}
