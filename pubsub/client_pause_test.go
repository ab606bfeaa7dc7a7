package pubsub

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestClientPause_Wait: ALL holds every command until the pause ends,
// WRITE only PUBLISH; UNPAUSE and the context release early; a shorter
// pause never shortens a longer one.
func TestClientPause_Wait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var p clientPause
		start := time.Now()
		held := func(name string) (released chan struct{}) {
			released = make(chan struct{})
			go func() {
				p.wait(context.Background(), name)
				close(released)
			}()
			synctest.Wait()
			return released
		}
		isOpen := func(ch chan struct{}) bool {
			select {
			case <-ch:
				return false
			default:
				return true
			}
		}

		p.pause(start.Add(10*time.Second), false) // WRITE
		if ping := held("ping"); isOpen(ping) {
			t.Fatal("PING held by a WRITE pause")
		}
		pub := held("publish")
		if !isOpen(pub) {
			t.Fatal("PUBLISH not held by a WRITE pause")
		}
		p.pause(start.Add(time.Second), true) // shorter, but ALL
		ping := held("ping")
		if !isOpen(ping) {
			t.Fatal("PING not held by an ALL pause")
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if !isOpen(ping) || !isOpen(pub) {
			t.Fatal("released before the pause's end (the shorter pause shortened it)")
		}
		time.Sleep(6 * time.Second)
		synctest.Wait()
		if isOpen(ping) || isOpen(pub) {
			t.Fatal("still held after the pause's end")
		}

		p.pause(time.Now().Add(time.Hour), true)
		a, b := held("ping"), held("info")
		p.unpause()
		synctest.Wait()
		if isOpen(a) || isOpen(b) {
			t.Fatal("UNPAUSE did not release")
		}

		p.pause(time.Now().Add(time.Hour), true)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { p.wait(ctx, "ping"); close(done) }()
		cancel()
		synctest.Wait()
		if isOpen(done) {
			t.Fatal("a cancelled context did not release")
		}
		p.unpause()
	})
}

// TestClientPause_Server: CLIENT PAUSE WRITE holds another connection's
// PUBLISH (and what it pipelined after it) until CLIENT UNPAUSE; errors
// as redis-sentinel.
func TestClientPause_Server(t *testing.T) {
	ts := startServer(t, nil)
	a, b := dialRaw(t, ts.addr), dialRaw(t, ts.addr)
	if v := a.do("CLIENT", "PAUSE", "600000", "WRITE"); v.Str != "OK" {
		t.Fatalf("PAUSE = %+v", v)
	}
	if v := b.do("PING"); v.Str != "PONG" {
		t.Fatalf("PING under WRITE pause = %+v", v)
	}
	b.send(encode("PUBLISH", helloChannel, "x") + encode("PING", "after"))
	if v := a.do("CLIENT", "UNPAUSE"); v.Str != "OK" {
		t.Fatalf("UNPAUSE = %+v", v)
	}
	if v := b.read(); v.Int != 1 {
		t.Errorf("PUBLISH = %+v", v)
	}
	if v := b.read(); v.Str != "after" {
		t.Errorf("PING after = %+v", v)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"CLIENT", "PAUSE", "x", "foo"}, "ERR CLIENT PAUSE mode must be WRITE or ALL"},
		{[]string{"CLIENT", "PAUSE", "-1"}, "ERR timeout is negative"},
		{[]string{"CLIENT", "PAUSE", "x"}, "ERR timeout is not an integer or out of range"},
		{[]string{"CLIENT", "PAUSE", "1", "all", "x"}, "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."},
		{[]string{"CLIENT", "UNPAUSE", "x"}, "ERR wrong number of arguments for 'client|unpause' command"},
	} {
		if got := errText(t, a.do(tc.args...)); got != tc.want {
			t.Errorf("%v = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestEveryListedCommandRuns: every command and subcommand of
// redis-sentinel 7.0.15's table without subcommands of its own has a
// handler (none answers "not supported").
func TestEveryListedCommandRuns(t *testing.T) {
	var walk func([]*cmdMeta)
	walk = func(ms []*cmdMeta) {
		for _, m := range ms {
			if len(m.Subs) == 0 && commandHandlers[m.Name] == nil {
				t.Errorf("%s has no handler", m.Name)
			}
			walk(m.Subs)
		}
	}
	walk(redisCommands)
}
