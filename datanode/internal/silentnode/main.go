// Command silentnode is a data node that accepts TCP connections and never
// answers: it counts the connections a sentinel opens to it over a window
// (docs/benchmarks.md, "A node that accepts and never answers"). Bytes
// received are read and discarded, so the sender never blocks.
//
//	go run ./datanode/internal/silentnode -addr 127.0.0.1:7777 -for 30s -after 5s
//
// -after starts the count once the sentinel has had time to connect the
// first time (the window then measures the steady redial rate); every
// accept is also printed with its time, so the pattern can be read.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7777", "address to listen on (loopback)")
	window := flag.Duration("for", 30*time.Second, "how long to count accepts")
	after := flag.Duration("after", 0, "wait this long after the first accept before counting")
	flag.Parse()
	if err := run(*addr, *window, *after); err != nil {
		fmt.Fprintln(os.Stderr, "silentnode:", err)
		os.Exit(1)
	}
}

func run(addr string, window, after time.Duration) error {
	if window <= 0 || window > time.Hour || after < 0 || after > time.Hour {
		return fmt.Errorf("-for and -after must be in 0..1h")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		_ = ln.Close()
		wg.Wait()
	}()
	accepts := make(chan time.Time, 1024)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts <- time.Now()
			wg.Go(func() {
				defer c.Close()
				wg.Go(func() { <-ctx.Done(); _ = c.Close() })
				_, _ = io.Copy(io.Discard, c)
			})
		}
	})
	first := <-accepts
	fmt.Printf("accept at +0.000s\n")
	start, total, counted := first.Add(after), 1, 0
	if after == 0 {
		counted = 1
	}
	end := time.NewTimer(time.Until(start.Add(window)))
	defer end.Stop()
	for {
		select {
		case t := <-accepts:
			total++
			if !t.Before(start) {
				counted++
			}
			fmt.Printf("accept at +%.3fs\n", t.Sub(first).Seconds())
		case <-end.C:
			fmt.Printf("accepts in %v (from +%v): %d; total %d\n", window, after, counted, total)
			return nil
		}
	}
}
