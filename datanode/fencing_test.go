package datanode

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/settings"
)

// SetFencing and ReadFencing go through a renamed CONFIG, and what one
// sets the other reads back.
func TestPool_Fencing_RealRedis(t *testing.T) {
	r := startRedis(t, "", "rename-command CONFIG RN_CONFIG", "rename-command CLIENT RN_CLIENT")
	h := startPool(t, Options{Renames: func(string) map[string]string {
		return map[string]string{"config": "RN_CONFIG", "client": "RN_CLIENT"}
	}})
	h.pool.Do(monitor.Watch{Target: r.addr, Kind: monitor.KindMaster, Master: "m"})

	isFencing := func(read bool) func(monitor.FencingResult) bool {
		return func(in monitor.FencingResult) bool { return in.Read == read && in.Target == r.addr }
	}
	h.pool.Do(monitor.ReadFencing{Target: r.addr, Master: "m"})
	if got := next(t, h, isFencing(true)); !got.OK || got.Master != "m" || got.Values != (settings.FencingValues{MinReplicas: 0, MaxLag: 10}) {
		t.Fatalf("first read = %+v, want Redis's defaults 0 10", got)
	}
	h.pool.Do(monitor.SetFencing{Target: r.addr, Master: "m", MinReplicas: 1, MaxLag: 3})
	if got := next(t, h, isFencing(false)); !got.OK {
		t.Fatalf("set = %+v", got)
	}
	h.pool.Do(monitor.ReadFencing{Target: r.addr, Master: "m"})
	if got := next(t, h, isFencing(true)); !got.OK || got.Values != (settings.FencingValues{MinReplicas: 1, MaxLag: 3}) {
		t.Fatalf("read after set = %+v, want 1 3", got)
	}

	// DropClients closes the other normal connections (through the
	// renamed CLIENT), not ours.
	app, err := net.Dial("tcp", r.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	buf := make([]byte, 64)
	if _, err := app.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	if n, err := app.Read(buf); err != nil || string(buf[:n]) != "+PONG\r\n" {
		t.Fatalf("PING = %q, %v", buf[:n], err)
	}
	h.pool.Do(monitor.DropClients{Target: r.addr, Master: "m"})
	if err := app.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if n, err := app.Read(buf); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the client's connection is still open: read %q, %v", buf[:n], err)
	}
	h.pool.Do(monitor.ReadFencing{Target: r.addr, Master: "m"})
	if got := next(t, h, isFencing(true)); !got.OK {
		t.Fatalf("our link was dropped too: %+v", got)
	}
}

func TestConfigInt(t *testing.T) {
	for _, tc := range []struct {
		reply any
		want  int
		ok    bool
	}{
		{[]any{"min-replicas-to-write", "1"}, 1, true},
		{map[any]any{"min-replicas-to-write": "7"}, 7, true},
		{[]any{"other", "1"}, 0, false},
		{[]any{"min-replicas-to-write"}, 0, false},
		{[]any{"min-replicas-to-write", "-1"}, 0, false},
		{[]any{"min-replicas-to-write", int64(1)}, 0, false},
		{"x", 0, false},
		{nil, 0, false},
	} {
		got, err := configInt(tc.reply, "min-replicas-to-write")
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("configInt(%v) = %d, %v", tc.reply, got, err)
		}
	}
}

func FuzzConfigInt(f *testing.F) {
	for _, s := range []string{"0", "10", "2147483647", "2147483648", "-1", "", "x", "01"} {
		f.Add("min-replicas-max-lag", s)
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		for _, reply := range []any{[]any{name, value}, map[any]any{name: value}} {
			n, err := configInt(reply, "min-replicas-max-lag")
			if err == nil && (n < 0 || n > 1<<31-1) {
				t.Fatalf("%q %q gave %d", name, value, n)
			}
		}
	})
}
