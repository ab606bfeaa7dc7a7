package datanode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

// realError returns the error go-redis reports for a PING answered with
// reply by a fake server (reply "" means the server never answers).
func realError(t *testing.T, reply string) error {
	t.Helper()
	f := startFake(t, func(args []string) string {
		if strings.EqualFold(args[0], "PING") {
			return reply
		}
		return "-ERR unknown command\r\n"
	})
	c := redis.NewClient(&redis.Options{
		Addr: f.addr.String(), Protocol: 2, MaxRetries: -1, DisableIdentity: true,
		ContextTimeoutEnabled: true, ReadTimeout: 200 * time.Millisecond,
	})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	return c.Ping(ctx).Err()
}

func TestClassify_RealReplies(t *testing.T) {
	tests := []struct {
		name  string
		reply string
		want  monitor.ReplyKind
	}{
		{"pong", "+PONG\r\n", monitor.ReplyPong},
		{"loading", "-LOADING Redis is loading the dataset in memory\r\n", monitor.ReplyLoading},
		{"masterdown", "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n", monitor.ReplyMasterDown},
		{"busy", "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", monitor.ReplyBusy},
		{"busykey is not busy", "-BUSYKEY Target key name already exists.\r\n", monitor.ReplyOther},
		{"noauth", "-NOAUTH Authentication required.\r\n", monitor.ReplyOther},
		{"unknown command", "-ERR unknown command 'PING'\r\n", monitor.ReplyOther},
		{"silence", "", monitor.ReplyTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := realError(t, tc.reply)
			if got := Classify(err); got != tc.want {
				t.Errorf("Classify(%v) = %v, want %v", err, got, tc.want)
			}
		})
	}
}

func TestClassify_ConnectionErrors(t *testing.T) {
	// A port nobody listens on: connection refused.
	port := datanodetest.FreePort(t)
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), Protocol: 2, MaxRetries: -1, DialerRetries: 1, DisableIdentity: true})
	defer c.Close()
	refused := c.Ping(context.Background()).Err()

	// A server that hangs up on every connection.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hungUp := make(chan struct{})
	go func() {
		defer close(hungUp)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-hungUp })
	c2 := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), Protocol: 2, MaxRetries: -1, DialerRetries: 1, DisableIdentity: true})
	defer c2.Close()
	eof := c2.Ping(context.Background()).Err()

	closedClient := redis.NewClient(&redis.Options{Addr: ln.Addr().String()})
	_ = closedClient.Close()
	closed := closedClient.Ping(context.Background()).Err()

	tests := []struct {
		name string
		err  error
		want monitor.ReplyKind
	}{
		{"nil", nil, monitor.ReplyPong},
		{"refused", refused, monitor.ReplyConnErr},
		{"hang-up", eof, monitor.ReplyConnErr},
		{"closed client", closed, monitor.ReplyConnErr},
		{"eof", io.EOF, monitor.ReplyConnErr},
		{"wrapped reset", fmt.Errorf("x: %w", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), monitor.ReplyConnErr},
		{"net.ErrClosed", net.ErrClosed, monitor.ReplyConnErr},
		{"context deadline", context.DeadlineExceeded, monitor.ReplyTimeout},
		{"context deadline with cause", fmt.Errorf("ping: %w", context.DeadlineExceeded), monitor.ReplyTimeout},
		{"socket deadline", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, monitor.ReplyTimeout},
		{"pool timeout", redis.ErrPoolTimeout, monitor.ReplyTimeout},
		{"canceled", context.Canceled, monitor.ReplyConnErr},
		{"unknown error", errors.New("redis: can't parse reply"), monitor.ReplyConnErr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil && tc.name != "nil" {
				t.Fatal("expected a real error")
			}
			if got := Classify(tc.err); got != tc.want {
				t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestClassify_BusyRealRedis runs a script that never ends on a real
// redis-server with a 100 ms busy threshold: PING through a Pool then gets
// -BUSY, and ScriptKill ends the script so PING is answered again.
func TestClassify_BusyRealRedis(t *testing.T) {
	r := startRedis(t, "", "busy-reply-threshold 100")
	script := r.client("")
	scriptDone := make(chan error, 1)
	finished := make(chan struct{})
	go func() { // owned here: ScriptKill, or closing the client at cleanup, ends it
		defer close(finished)
		scriptDone <- script.Eval(context.Background(), "while true do end", nil).Err()
	}()
	t.Cleanup(func() {
		_ = script.Close()
		<-finished
	})

	h := startPool(t, Options{})
	h.pool.Do(monitor.Watch{Target: r.addr, Kind: monitor.KindMaster, Master: "m"})
	var last monitor.ReplyKind
	datanodetest.Eventually(t, 10*time.Second, pollTick, func() bool {
		h.pool.Do(monitor.Ping{Target: r.addr, Master: "m"})
		last = next(t, h, func(p monitor.PingResult) bool { return p.Target == r.addr }).Kind
		return last == monitor.ReplyBusy
	}, "PING to answer -BUSY")
	h.pool.Do(monitor.ScriptKill{Target: r.addr, Master: "m"})
	select {
	case err := <-scriptDone:
		if err == nil {
			t.Fatal("the endless script returned without error; want it killed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SCRIPT KILL did not end the script")
	}
	h.pool.Do(monitor.Ping{Target: r.addr, Master: "m"})
	if k := next(t, h, func(p monitor.PingResult) bool { return p.Target == r.addr }).Kind; k != monitor.ReplyPong {
		t.Errorf("PING after SCRIPT KILL: %v, want pong", k)
	}
}
