//go:build linux

package pubsub

import (
	"io"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func (p *parker) parkedCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.parked)
}

// startedParker waits for the server's parker to start and returns it.
func startedParker(t *testing.T, ts *testServer) *parker {
	t.Helper()
	var p *parker
	eventually(t, "the parker to start", func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		p = ts.parker
		return p != nil
	})
	return p
}

// pingRaw sends an inline PING and reads +PONG.
func pingRaw(t testing.TB, c net.Conn) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := io.WriteString(c, "PING\r\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "+PONG\r\n" {
		t.Fatalf("PING: %q %v", buf, err)
	}
}

// Idle clients are parked: no goroutine, no stack, no reader each, and a
// bounded heap per connection (measured after a GC; the client side of the
// sockets is in this process too, ~0.3 KB of it). Parked connections
// answer at once when they speak again, and one closed by either side
// while parked is torn down.
func TestIdleConnectionsAreParked(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 connections; skipped with -short")
	}
	const n = 1000
	// Heap bytes per idle connection, both ends: the client record, the
	// sockets (net.TCPConn, addresses, deadline timer), the writer, map
	// entries (1.1–1.5 KB measured; a goroutine each would add 2.5 KB of
	// stack and g, a reader 0.5 KB). Redis keeps ~1.9 KB of RSS per idle
	// client. No goroutine may be left per connection: their stacks are
	// what the goroutine count bounds.
	const heapBound = 2048
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 2*n+256 {
		t.Skipf("needs %d open files (both ends of %d sockets), have %d", 2*n+256, n, lim.Cur)
	}
	ts := startServer(t, nil)
	p := startedParker(t, ts)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for i := range n {
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		pingRaw(t, c)
	}
	eventually(t, "every idle connection to be parked", func() bool { return p.parkedCount() == n })
	// Stacks of ended goroutines are freed by the GC after the one that
	// sees them dead.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	stack := (int64(after.StackInuse) - int64(before.StackInuse)) / n
	t.Logf("per idle connection: heap %d B, stack %d B; goroutines %d → %d", heap, stack, goroutines, runtime.NumGoroutine())
	if heap > heapBound {
		t.Errorf("per idle connection: heap %d B, bound %d", heap, heapBound)
	}
	if g := runtime.NumGoroutine(); g > goroutines+n/10 {
		t.Errorf("%d goroutines with %d parked connections (%d before)", g, n, goroutines)
	}

	// Speaking again resumes a connection; a pipelined batch is whole.
	for i := 0; i < n; i += 97 {
		pingRaw(t, conns[i])
	}
	c := conns[1]
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := io.WriteString(c, "PING\r\nPING\r\nPING\r\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 21)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "+PONG\r\n+PONG\r\n+PONG\r\n" {
		t.Fatalf("pipelined PINGs after parking: %q %v", buf, err)
	}

	// Closed by the client while parked: the server forgets it.
	eventually(t, "the resumed connections to park again", func() bool { return p.parkedCount() == n })
	_ = conns[2].Close()
	eventually(t, "a client that left while parked to be dropped", func() bool { return len(ts.clientList()) == n-1 })
	// Closed by the server while parked (CLIENT KILL, shutdown): torn down.
	victim := ts.clientList()[10]
	victim.close()
	eventually(t, "a parked client closed by the server to be dropped", func() bool { return len(ts.clientList()) == n-2 })
	// The cleanup's Run shutdown closes the n-2 still parked.
}

// TestParkRefusedHandsOff: a connection going idle while the parker no
// longer takes any (it closes at shutdown) is handed off to a fresh
// goroutine instead: it answers its next command and the process does not
// crash (park had released the reader: CI once saw handOff dereference it).
func TestParkRefusedHandsOff(t *testing.T) {
	ts := startServer(t, nil)
	p := startedParker(t, ts)
	p.mu.Lock()
	p.closed = true // refuses to park from now on, as at shutdown
	p.mu.Unlock()
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pingRaw(t, c)
	var cl *client
	eventually(t, "the idle connection to be handed off", func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		for _, x := range ts.clients {
			cl = x
		}
		return cl != nil && cl.handOffs.Load() > 0
	})
	pingRaw(t, c)
}
