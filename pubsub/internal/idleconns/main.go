// Command idleconns measures what idle client connections cost a sentinel
// (docs/benchmarks.md, "Idle client connections"): it opens -n loopback
// connections to -addr, sends one inline command on each (none with
// -cmd ""), waits, and prints the resident memory of the server process
// -pid, read from /proc, before and after. It works against any sentinel,
// ours or redis-sentinel.
//
//	go run ./pubsub/internal/idleconns -addr 127.0.0.1:26379 -pid $(pidof sentinel) -cmd PING
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:26379", "sentinel address (loopback)")
	n := flag.Int("n", 5000, "connections to open")
	pid := flag.Int("pid", 0, "process id of the sentinel, for its resident memory")
	cmd := flag.String("cmd", "PING", `inline command sent once on each connection; "" sends nothing`)
	wait := flag.Duration("wait", 12*time.Second, "how long the connections stay idle before the last reading")
	flag.Parse()
	if err := run(*addr, *n, *pid, *cmd, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "idleconns:", err)
		os.Exit(1)
	}
}

func run(addr string, n, pid int, cmd string, wait time.Duration) error {
	if n <= 0 || n > 100000 || pid <= 0 {
		return errors.New("-n must be in 1..100000 and -pid given")
	}
	before, err := rss(pid)
	if err != nil {
		return err
	}
	fmt.Printf("rss with no clients: %d kB\n", before)
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var d net.Dialer
	for i := range n {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		conns = append(conns, c)
		if cmd == "" {
			continue
		}
		if err := roundTrip(c, cmd); err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
	}
	for k := 1; k <= 4; k++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait / 4):
		}
		kb, err := rss(pid)
		if err != nil {
			return err
		}
		fmt.Printf("rss with %d idle clients after %v: %d kB (%.0f bytes per client)\n",
			n, time.Duration(k)*wait/4, kb, float64(kb-before)*1024/float64(n))
	}
	return nil
}

// roundTrip sends cmd inline and reads its reply: one line, or a bulk
// string (INFO), or an array header whose elements are left unread (the
// server has written them; that is all the measurement needs).
func roundTrip(c net.Conn, cmd string) error {
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	if _, err := io.WriteString(c, cmd+"\r\n"); err != nil {
		return err
	}
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	if strings.HasPrefix(line, "-") {
		return fmt.Errorf("%s: %s", cmd, strings.TrimSpace(line))
	}
	if strings.HasPrefix(line, "$") {
		size, err := strconv.Atoi(strings.TrimSpace(line[1:]))
		if err != nil || size < -1 || size > 64<<20 {
			return fmt.Errorf("%s: bad bulk header %q", cmd, line)
		}
		if size >= 0 {
			if _, err := io.CopyN(io.Discard, br, int64(size)+2); err != nil {
				return err
			}
		}
	}
	return c.SetDeadline(time.Time{})
}

// rss returns VmRSS of pid in kB.
func rss(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("reading the sentinel's memory: %w", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}
