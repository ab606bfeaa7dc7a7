package pubsub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

func TestNewValidatesOptions(t *testing.T) {
	if _, err := New(Options{Addrs: []string{"127.0.0.1:0"}}); !errors.Is(err, ErrServer) {
		t.Errorf("missing controller: err = %v", err)
	}
	if _, err := New(Options{Controller: newFakeController()}); !errors.Is(err, ErrServer) {
		t.Errorf("missing addrs: err = %v", err)
	}
	if _, err := New(Options{Controller: newFakeController(), Addrs: []string{"127.0.0.1:0"}, MaxClients: -1}); !errors.Is(err, ErrServer) {
		t.Errorf("negative MaxClients: err = %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := New(Options{Controller: newFakeController(), Addrs: []string{"127.0.0.1:0", ln.Addr().String()}}); !errors.Is(err, ErrServer) {
		t.Errorf("busy port: err = %v", err)
	}
}

func TestRunTwiceFails(t *testing.T) {
	ts := startServer(t, nil)
	// The first Run is active (startServer); a raw round trip proves it.
	if v := dialRaw(t, ts.addr).do("PING"); v.Str != "PONG" {
		t.Fatalf("PING = %+v", v)
	}
	if err := ts.Run(context.Background()); !errors.Is(err, ErrServer) {
		t.Fatalf("second Run: err = %v", err)
	}
}

// TestErrorTexts checks replies against what redis-sentinel 7.0.15 sent for
// the same commands (testdata/redis-7.0.15/transcript-commands.resp2.txt).
func TestErrorTexts(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"PING", "a", "b"}, "ERR wrong number of arguments for 'ping' command"},
		{[]string{"FOO", "bar", "baz"}, "ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' "},
		{[]string{"FOO"}, "ERR unknown command 'FOO', with args beginning with: "},
		{[]string{"SENTINEL"}, "ERR wrong number of arguments for 'sentinel' command"},
		{[]string{"SENTINEL", "foo"}, "ERR unknown subcommand 'foo'. Try SENTINEL HELP."},
		{[]string{"SENTINEL", "masters", "x"}, "ERR wrong number of arguments for 'sentinel|masters' command"},
		{[]string{"SENTINEL", "master"}, "ERR wrong number of arguments for 'sentinel|master' command"},
		{[]string{"SENTINEL", "master", "nosuch"}, "ERR No such master with that name"},
		{[]string{"SENTINEL", "replicas", "nosuch"}, "ERR No such master with that name"},
		{[]string{"SENTINEL", "sentinels", "nosuch"}, "ERR No such master with that name"},
		{[]string{"SENTINEL", "ckquorum", "nosuch"}, "ERR No such master with that name"},
		{[]string{"SENTINEL", "failover", "nosuch"}, "ERR No such master with that name"},
		{[]string{"SENTINEL", "remove", "nosuch"}, "ERR No such master with that name"},
		{[]string{"SENTINEL", "monitor", "m2", "127.0.0.1", "16399", "0"}, "ERR Quorum must be 1 or greater."},
		{[]string{"SENTINEL", "monitor", "m2", "127.0.0.1", "16399", "x"}, "ERR Invalid quorum"},
		{[]string{"SENTINEL", "monitor", "m2", "127.0.0.1", "abc", "1"}, "ERR Invalid port"},
		{[]string{"SENTINEL", "monitor", "m2", "badhost", "16399", "1"}, "ERR Invalid IP address or hostname specified"},
		{[]string{"SENTINEL", "monitor", "m2", "127.0.0.1", "70000", "1"}, "ERR Invalid port number."},
		{[]string{"SENTINEL", "monitor", "m2", "127.0.0.1", "16399"}, "ERR wrong number of arguments for 'sentinel|monitor' command"},
		{[]string{"SENTINEL", "set", "nosuch", "quorum", "1"}, "ERR No such master with that name"},
		{[]string{"SENTINEL", "set", "mymaster", "quorum", "0"}, "ERR Invalid argument '0' for SENTINEL SET 'quorum'"},
		{[]string{"SENTINEL", "set", "mymaster", "foo", "1"}, "ERR Unknown option or number of arguments for SENTINEL SET 'foo'"},
		{[]string{"SENTINEL", "set", "mymaster", "quorum"}, "ERR wrong number of arguments for 'sentinel|set' command"},
		{[]string{"SENTINEL", "set", "mymaster", "down-after-milliseconds", "-1"}, "ERR Invalid argument '-1' for SENTINEL SET 'down-after-milliseconds'"},
		{[]string{"SENTINEL", "set", "mymaster", "quorum", "2", "parallel-syncs"}, "ERR Unknown option or number of arguments for SENTINEL SET 'parallel-syncs'"},
		{[]string{"SENTINEL", "config", "set", "announce-ip"}, "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."},
		{[]string{"SENTINEL", "config", "set", "nosuch", "1"}, "ERR Invalid argument 'nosuch' to SENTINEL CONFIG SET"},
		{[]string{"SENTINEL", "config", "set", "announce-port", "x"}, "ERR Invalid value 'x' to SENTINEL CONFIG SET 'announce-port'"},
		{[]string{"SENTINEL", "config", "foo"}, "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."},
		{[]string{"SENTINEL", "debug", "ping-period"}, "ERR Unknown option or number of arguments for SENTINEL DEBUG 'ping-period'"},
		{[]string{"SENTINEL", "debug", "nosuch", "1"}, "ERR Unknown option or number of arguments for SENTINEL DEBUG 'nosuch'"},
		{[]string{"SENTINEL", "debug", "ping-period", "abc"}, "ERR Invalid argument 'abc' for SENTINEL DEBUG 'ping-period'"},
		// Not in the transcript: one rule for the door and the core
		// (monitor's tables), Redis's string2ll numbers, at most 2^40.
		{[]string{"SENTINEL", "debug", "ping-period", "1099511627777"}, "ERR Invalid argument '1099511627777' for SENTINEL DEBUG 'ping-period'"},
		{[]string{"SENTINEL", "set", "mymaster", "QUORUM", "+2"}, "ERR Invalid argument '+2' for SENTINEL SET 'QUORUM'"},
		{[]string{"SENTINEL", "set", "mymaster", "quorum", "2", "failover-timeout", "1099511627777"}, "ERR Invalid argument '1099511627777' for SENTINEL SET 'failover-timeout'"},
		{[]string{"SENTINEL", "set", "mymaster", "rename-command", "", "x"}, "ERR Invalid argument '' for SENTINEL SET 'rename-command'"},
		{[]string{"SENTINEL", "config", "set", "loglevel", "notice"}, "ERR Invalid argument 'loglevel' to SENTINEL CONFIG SET"},
		{[]string{"SENTINEL", "config", "set", "resolve-hostnames", "maybe"}, "ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'resolve-hostnames'"},
		{[]string{"SENTINEL", "config", "get", "a", "b"}, "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."},
		{[]string{"SENTINEL", "config", "set", "announce-port", "1", "resolve-hostnames", "no"}, "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."},
		{[]string{"SENTINEL", "simulate-failure"}, "ERR wrong number of arguments for 'sentinel|simulate-failure' command"},
		{[]string{"SENTINEL", "simulate-failure", "foo"}, "ERR Unknown failure simulation specified"},
		{[]string{"SENTINEL", "is-master-down-by-addr", "127.0.0.1", "16380", "abc", "*"}, "ERR value is not an integer or out of range"},
		{[]string{"SENTINEL", "is-master-down-by-addr", "127.0.0.1", "abc", "0", "*"}, "ERR value is not an integer or out of range"},
		{[]string{"SENTINEL", "is-master-down-by-addr", "127.0.0.1", "16380", "0"}, "ERR wrong number of arguments for 'sentinel|is-master-down-by-addr' command"},
		{[]string{"ROLE", "x"}, "ERR wrong number of arguments for 'role' command"},
		{[]string{"PUBLISH", "foo", "bar"}, "ERR Only HELLO messages are accepted by Sentinel instances."},
		{[]string{"PUBLISH", "x"}, "ERR wrong number of arguments for 'publish' command"},
		{[]string{"CLIENT", "SETNAME", "foo", "bar"}, "ERR wrong number of arguments for 'client|setname' command"},
		{[]string{"CLIENT", "SETNAME", "a b"}, "ERR Client names cannot contain spaces, newlines or special characters."},
		{[]string{"CLIENT", "FOO"}, "ERR unknown subcommand 'FOO'. Try CLIENT HELP."},
		{[]string{"CLIENT"}, "ERR wrong number of arguments for 'client' command"},
		{[]string{"CLIENT", "KILL", "1.2.3.4:5"}, "ERR No such client"},
		{[]string{"COMMAND", "FOO"}, "ERR unknown subcommand 'FOO'. Try COMMAND HELP."},
		{[]string{"AUTH", "foo"}, "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"},
		{[]string{"AUTH"}, "ERR wrong number of arguments for 'auth' command"},
		{[]string{"AUTH", "a", "b", "c"}, "ERR syntax error"},
		{[]string{"HELLO", "4"}, "NOPROTO unsupported protocol version"},
		{[]string{"HELLO", "abc"}, "ERR Protocol version is not an integer or out of range"},
		{[]string{"HELLO", "2", "SETNAME", "x y"}, "ERR Client names cannot contain spaces, newlines or special characters."},
		{[]string{"HELLO", "2", "FOO"}, "ERR Syntax error in HELLO option 'FOO'"},
		{[]string{"RESET"}, "ERR unknown command 'RESET', with args beginning with: "},
		{[]string{"GET", "foo"}, "ERR unknown command 'GET', with args beginning with: 'foo' "},
		{[]string{"SUBSCRIBE"}, "ERR wrong number of arguments for 'subscribe' command"},
		{[]string{"PSUBSCRIBE"}, "ERR wrong number of arguments for 'psubscribe' command"},
		{[]string{"SHUTDOWN", "foo", "bar"}, "ERR syntax error"},
	}
	for _, tt := range tests {
		if got := errText(t, c.do(tt.args...)); got != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.args, got, tt.want)
		}
	}
	if calls := ts.ctrl.Calls(); len(calls) > 0 {
		// Only CONFIG GET resolve-hostnames (for "badhost") may reach the
		// controller; every other refusal happens before it.
		for _, call := range calls {
			if call != "config-get resolve-hostnames" {
				t.Errorf("refused command reached the controller: %q", call)
			}
		}
	}
}

func TestUnknownCommandErrorTruncates(t *testing.T) {
	long := strings.Repeat("x", 300)
	got := unknownCommandError([][]byte{[]byte("FOO"), []byte(long), []byte("next")})
	want := "ERR unknown command 'FOO', with args beginning with: '" + strings.Repeat("x", 128) + "' "
	if got != want {
		t.Fatalf("got %q", got)
	}
}

// TestRepliesMatchRedis compares whole replies with redis-sentinel's for
// commands whose reply does not depend on timing.
func TestRepliesMatchRedis(t *testing.T) {
	ts := startServer(t, nil)
	for _, proto := range []string{"2", "3"} {
		c := dialRaw(t, ts.addr)
		hello := c.do("HELLO", proto)
		if hello.Kind == resp.KindError {
			t.Fatalf("HELLO %s: %s", proto, hello.Str)
		}
		check := func(golden string, args ...string) {
			t.Helper()
			c.send(encode(args...))
			want := readGolden(t, golden+".resp"+proto)
			got := c.readExact(len(want))
			if !bytes.Equal(got, want) {
				t.Errorf("RESP%s %q:\n got %q\nwant %q", proto, args, got, want)
			}
		}
		check("help", "SENTINEL", "HELP")
		check("get-master-addr-unknown", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch")
		check("config-get-all", "SENTINEL", "CONFIG", "GET", "*")
		check("role", "ROLE")
	}
}

func TestHelloReply(t *testing.T) {
	ts := startServer(t, nil)
	for _, proto := range []string{"2", "3"} {
		c := dialRaw(t, ts.addr)
		id := c.do("CLIENT", "ID").Int
		c.send(encode("HELLO", proto))
		// The capture's id was redis-sentinel's; ours is this connection's.
		want := regexp.MustCompile(`id\r\n:\d+\r\n`).ReplaceAllString(string(readGolden(t, "hello.resp"+proto)), "id\r\n:"+itoa64(id)+"\r\n")
		got := c.readExact(len(want))
		if string(got) != want {
			t.Errorf("HELLO %s:\n got %q\nwant %q", proto, got, want)
		}
	}
}

func TestSentinelCommands(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)

	if v := c.do("SENTINEL", "get-master-addr-by-name", "mymaster"); len(v.Elems) != 2 || v.Elems[0].Str != "127.0.0.1" || v.Elems[1].Str != "16380" {
		t.Errorf("get-master-addr-by-name = %+v", v)
	}
	if v := c.do("SENTINEL", "GET-PRIMARY-ADDR-BY-NAME", "mymaster"); len(v.Elems) != 2 {
		t.Errorf("valkey alias = %+v", v)
	}
	if v := c.do("SENTINEL", "myid"); v.Str != "0dbc6b01093fd9b696051ff693c897ad0924d24d" {
		t.Errorf("myid = %+v", v)
	}
	if v := c.do("SENTINEL", "replicas", "mymaster"); len(v.Elems) != 1 {
		t.Errorf("replicas = %d entries, want 1 (the unannounced one hidden)", len(v.Elems))
	}
	if v := c.do("SENTINEL", "primaries"); len(v.Elems) != 1 {
		t.Errorf("primaries = %+v", v)
	}
	if v := c.do("SENTINEL", "monitor", "m2", "127.0.0.1", "0", "1"); v.Str != "OK" {
		t.Errorf("monitor = %+v", v)
	}
	if v := c.do("SENTINEL", "set", "mymaster", "quorum", "3", "rename-command", "CONFIG", "XCONFIG", "primary-reboot-down-after-period", "0"); v.Str != "OK" {
		t.Errorf("set = %+v", v)
	}
	if v := c.do("SENTINEL", "reset", "my*"); v.Kind != resp.KindInteger || v.Int != 1 {
		t.Errorf("reset = %+v", v)
	}
	if v := c.do("SENTINEL", "failover", "mymaster"); v.Str != "OK" {
		t.Errorf("failover = %+v", v)
	}
	if v := c.do("SENTINEL", "failover", "mymaster", "coordinated"); v.Str != "OK" {
		t.Errorf("failover coordinated = %+v", v)
	}
	if got := errText(t, c.do("SENTINEL", "failover", "mymaster", "now")); got != "ERR wrong number of arguments for 'sentinel|failover' command" {
		t.Errorf("failover with an unknown option = %q", got)
	}
	if v := c.do("SENTINEL", "ckquorum", "mymaster"); v.Str != "OK 2 usable Sentinels. Quorum and failover authorization can be reached" {
		t.Errorf("ckquorum = %+v", v)
	}
	if v := c.do("SENTINEL", "flushconfig"); v.Str != "OK" {
		t.Errorf("flushconfig = %+v", v)
	}
	if v := c.do("SENTINEL", "remove", "mymaster"); v.Str != "OK" {
		t.Errorf("remove = %+v", v)
	}
	v := c.do("SENTINEL", "is-master-down-by-addr", "127.0.0.1", "16380", "7", "abcd")
	if len(v.Elems) != 3 || v.Elems[0].Int != 1 || v.Elems[1].Str != "abcd" || v.Elems[2].Int != 7 {
		t.Errorf("is-master-down-by-addr = %+v", v)
	}
	v = c.do("SENTINEL", "is-master-down-by-addr", "127.0.0.1", "16380", "7", "*")
	if len(v.Elems) != 3 || v.Elems[1].Str != "*" || v.Elems[2].Int != 0 {
		t.Errorf("is-master-down-by-addr * = %+v", v)
	}
	if v := c.do("SENTINEL", "debug"); len(v.Elems) != 4 || v.Elems[0].Str != "INFO-PERIOD" {
		t.Errorf("debug = %+v", v)
	}
	if v := c.do("SENTINEL", "debug", "ping-period", "500"); v.Str != "OK" {
		t.Errorf("debug ping-period 500 = %+v", v)
	}
	if v := c.do("SENTINEL", "config", "get", "announce-*"); len(v.Elems) != 6 || v.Elems[0].Str != "announce-hostnames" {
		t.Errorf("config get = %+v", v)
	}
	if v := c.do("SENTINEL", "config", "set", "Resolve-Hostnames", "yes"); v.Str != "OK" {
		t.Errorf("config set = %+v", v)
	}
	if calls := ts.ctrl.Calls(); !slices.Contains(calls, "config-set resolve-hostnames") {
		t.Errorf("CONFIG SET did not reach the controller with the lower-case name: %q", calls)
	}
	if v := c.do("SENTINEL", "pending-scripts"); v.Kind != resp.KindArray || len(v.Elems) != 0 {
		t.Errorf("pending-scripts = %+v", v)
	}
	if v := c.do("SENTINEL", "simulate-failure", "help"); len(v.Elems) != 2 {
		t.Errorf("simulate-failure help = %+v", v)
	}
	if got := errText(t, c.do("SENTINEL", "simulate-failure", "crash-after-election")); !strings.HasPrefix(got, "ERR SIMULATE-FAILURE is not supported") {
		t.Errorf("simulate-failure crash = %q", got)
	}
	v = c.do("SENTINEL", "info-cache", "mymaster", "nosuch")
	if len(v.Elems) != 2 || v.Elems[0].Str != "mymaster" || len(v.Elems[1].Elems) != 3 ||
		v.Elems[1].Elems[0].Elems[0].Int != 1000 || !strings.HasPrefix(v.Elems[1].Elems[0].Elems[1].Str, "# Server") ||
		v.Elems[1].Elems[1].Elems[1].Kind != resp.KindNull {
		t.Errorf("info-cache = %+v", v)
	}

	ts.ctrl.mu.Lock()
	sets, monitors := ts.ctrl.sets, ts.ctrl.monitors
	ts.ctrl.mu.Unlock()
	wantSet := []monitor.Setting{{Name: "quorum", Value: "3"}, {Name: "rename-command", Value: "CONFIG XCONFIG"}, {Name: "master-reboot-down-after-period", Value: "0"}}
	if len(sets) != 1 || len(sets[0]) != 3 || sets[0][0] != wantSet[0] || sets[0][1] != wantSet[1] || sets[0][2] != wantSet[2] {
		t.Errorf("SET settings = %+v", sets)
	}
	if len(monitors) != 1 || monitors[0].Addr != (monitor.Addr{Host: "127.0.0.1", Port: 0}) || monitors[0].Quorum != 1 {
		t.Errorf("MONITOR config = %+v", monitors)
	}
}

func TestControllerErrorsAreRelayed(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	ts.ctrl.mu.Lock()
	ts.ctrl.err = &monitor.CommandError{Code: "INPROG", Msg: "Failover already in progress"}
	ts.ctrl.mu.Unlock()
	if got := errText(t, c.do("SENTINEL", "failover", "mymaster")); got != "INPROG Failover already in progress" {
		t.Errorf("CommandError = %q", got)
	}
	ts.ctrl.mu.Lock()
	ts.ctrl.err = errors.New("disk full")
	ts.ctrl.mu.Unlock()
	if got := errText(t, c.do("SENTINEL", "flushconfig")); got != "ERR disk full" {
		t.Errorf("plain error = %q", got)
	}
	// PUBLISH on the hello channel answers 1 even when the hello is refused.
	if v := c.do("PUBLISH", "__sentinel__:hello", "garbage"); v.Kind != resp.KindInteger || v.Int != 1 {
		t.Errorf("PUBLISH hello = %+v", v)
	}
}

func TestInlineCommands(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	c.send("PING\r\n")
	if v := c.read(); v.Str != "PONG" {
		t.Errorf("inline PING = %+v", v)
	}
	c.send("ping \"hello world\"\n")
	if v := c.read(); v.Kind != resp.KindBulk || v.Str != "hello world" {
		t.Errorf("inline quoted = %+v", v)
	}
	c.send("\r\n  \r\nsentinel get-master-addr-by-name 'mymaster'\r\n")
	if v := c.read(); len(v.Elems) != 2 || v.Elems[1].Str != "16380" {
		t.Errorf("inline sentinel = %+v", v)
	}
}

func TestPipelining(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	var batch strings.Builder
	const n = 500
	for i := range n {
		if i%2 == 0 {
			batch.WriteString(encode("PING", itoa(i)))
		} else {
			batch.WriteString("PING " + itoa(i) + "\r\n")
		}
	}
	c.send(batch.String())
	for i := range n {
		if v := c.read(); v.Str != itoa(i) {
			t.Fatalf("reply %d = %+v", i, v)
		}
	}
}

func TestMalformedInputClosesOnlyThatConnection(t *testing.T) {
	ts := startServer(t, nil)
	other := dialRaw(t, ts.addr)
	if v := other.do("PING"); v.Str != "PONG" {
		t.Fatal(v)
	}
	cases := map[string]string{
		"*1\r\n$4\r\nPING\r\n*x\r\n":          "ERR Protocol error: invalid multibulk length",
		"*1\r\n%4\r\nPING\r\n":                "ERR Protocol error: expected '$', got '%'",
		"PING \"abc\r\n":                      "ERR Protocol error: unbalanced quotes in request",
		"*1\r\n$9999999999\r\n":               "ERR Protocol error: invalid bulk length",
		"*1\r\n$2000000\r\n":                  "ERR Protocol error: invalid bulk length", // over the 1 MB default
		"*2000000\r\n":                        "ERR Protocol error: invalid multibulk length",
		"PING " + strings.Repeat("a", 70<<10): "ERR Protocol error: too big inline request",
	}
	for in, want := range cases {
		c := dialRaw(t, ts.addr)
		c.send(in)
		v := c.read()
		if strings.HasPrefix(in, "*1\r\n$4\r\nPING") {
			if v.Str != "PONG" {
				t.Fatalf("%q: first reply = %+v", in, v)
			}
			v = c.read()
		}
		if got := errText(t, v); got != want {
			t.Errorf("%q: got %q, want %q", truncate(in, 40), got, want)
		}
		c.expectClosed()
	}
	if v := other.do("PING"); v.Str != "PONG" {
		t.Fatalf("other connection after protocol errors: %+v", v)
	}
	if got := ts.metricValue(t, "sentinel_pubsub_protocol_errors_total"); got != float64(len(cases)) {
		t.Errorf("protocol error metric = %v, want %d", got, len(cases))
	}
}

func TestRequirePass(t *testing.T) {
	ts := startServer(t, func(o *Options) {
		o.RequirePass = "secret"
		o.Users = map[string]string{"alice": "alicepw"}
	})
	c := dialRaw(t, ts.addr)
	for _, args := range [][]string{{"PING"}, {"SENTINEL", "masters"}, {"SUBSCRIBE", "x"}} {
		if got := errText(t, c.do(args...)); got != "NOAUTH Authentication required." {
			t.Errorf("%q before AUTH = %q", args, got)
		}
	}
	// Unknown commands are refused as unknown first, as Redis does.
	if got := errText(t, c.do("FOO")); !strings.HasPrefix(got, "ERR unknown command 'FOO'") {
		t.Errorf("FOO before AUTH = %q", got)
	}
	if got := errText(t, c.do("HELLO", "3")); got != errNoAuthHello {
		t.Errorf("HELLO without AUTH = %q", got)
	}
	for _, args := range [][]string{{"AUTH", "wrong"}, {"AUTH", "alice", "wrong"}, {"AUTH", "nouser", "x"}, {"HELLO", "3", "AUTH", "default", "wrong"}} {
		if got := errText(t, c.do(args...)); got != "WRONGPASS invalid username-password pair or user is disabled." {
			t.Errorf("%q = %q", args, got)
		}
	}
	// Before AUTH the unauthenticated limits apply (Redis 7.0: 10 args).
	c.send(encode("PING", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"))
	if got := errText(t, c.read()); got != "ERR Protocol error: unauthenticated multibulk length" {
		t.Errorf("big unauthenticated command = %q", got)
	}
	c.expectClosed()

	c = dialRaw(t, ts.addr)
	if v := c.do("AUTH", "secret"); v.Str != "OK" {
		t.Fatalf("AUTH = %+v", v)
	}
	if v := c.do("PING"); v.Str != "PONG" {
		t.Errorf("PING after AUTH = %+v", v)
	}
	c = dialRaw(t, ts.addr)
	if v := c.do("HELLO", "2", "AUTH", "alice", "alicepw", "SETNAME", "foo"); v.Kind != resp.KindArray || len(v.Elems) != 12 {
		t.Fatalf("HELLO AUTH = %+v", v)
	}
	if v := c.do("CLIENT", "GETNAME"); v.Str != "foo" {
		t.Errorf("name after HELLO SETNAME = %+v", v)
	}
	if v := c.do("CLIENT", "INFO"); !strings.Contains(v.Str, " user=alice ") {
		t.Errorf("CLIENT INFO = %q", v.Str)
	}
}

func TestClientCommands(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	if v := c.do("CLIENT", "GETNAME"); v.Kind != resp.KindNull {
		t.Errorf("GETNAME unset = %+v", v)
	}
	if v := c.do("CLIENT", "SETNAME", "myname"); v.Str != "OK" {
		t.Errorf("SETNAME = %+v", v)
	}
	if v := c.do("CLIENT", "SETINFO", "LIB-NAME", "go-redis(x)"); v.Str != "OK" {
		t.Errorf("SETINFO = %+v", v)
	}
	if got := errText(t, c.do("CLIENT", "SETINFO", "foo", "bar")); got != "ERR Unrecognized option 'foo'" {
		t.Errorf("SETINFO foo = %q", got)
	}
	id := c.do("CLIENT", "ID").Int
	other := dialRaw(t, ts.addr)
	otherID := other.do("CLIENT", "ID").Int
	list := c.do("CLIENT", "LIST").Str
	if !strings.Contains(list, "id="+itoa64(id)+" ") || !strings.Contains(list, "name=myname") || !strings.Contains(list, "lib-name=go-redis(x)") || !strings.Contains(list, "id="+itoa64(otherID)+" ") {
		t.Errorf("CLIENT LIST = %q", list)
	}
	if v := c.do("CLIENT", "KILL", "ID", itoa64(otherID)); v.Int != 1 {
		t.Errorf("CLIENT KILL ID = %+v", v)
	}
	other.expectClosed()
	if v := c.do("CLIENT", "KILL", "ID", itoa64(id)); v.Int != 0 {
		t.Errorf("CLIENT KILL own id with SKIPME yes = %+v", v)
	}
	if v := c.do("COMMAND", "COUNT"); v.Int != int64(len(redisCommands)) {
		t.Errorf("COMMAND COUNT = %+v", v)
	}
	if v := c.do("COMMAND", "INFO", "ping", "sentinel|masters", "nosuch"); len(v.Elems) != 3 || v.Elems[0].Elems[0].Str != "ping" || v.Elems[1].Elems[0].Str != "sentinel|masters" || v.Elems[2].Kind != resp.KindNull {
		t.Errorf("COMMAND INFO = %+v", v)
	}
	if v := c.do("COMMAND", "DOCS", "ping"); len(v.Elems) != 2 || v.Elems[0].Str != "ping" {
		t.Errorf("COMMAND DOCS = %+v", v)
	}
	if v := c.do("COMMAND"); len(v.Elems) != len(redisCommands) {
		t.Errorf("COMMAND = %d entries", len(v.Elems))
	}
	if v := c.do("QUIT"); v.Str != "OK" {
		t.Errorf("QUIT = %+v", v)
	}
	c.expectClosed()
}

func TestInfo(t *testing.T) {
	ts := startServer(t, func(o *Options) { o.Version = "1.2.3"; o.ConfigFile = "/etc/sentinel.yaml" })
	c := dialRaw(t, ts.addr)
	all := c.do("INFO").Str
	for _, want := range []string{"# Server\r\n", "redis_version:7.0.15\r\n", "sentinelgo_version:1.2.3\r\n", "redis_mode:sentinel\r\n",
		"run_id:1111111111111111111111111111111111111111\r\n", "tcp_port:" + itoa(ts.Addr().(*net.TCPAddr).Port) + "\r\n",
		"config_file:/etc/sentinel.yaml\r\n", "\r\n\r\n# Clients\r\nconnected_clients:1\r\n", "# Stats\r\n", "# CPU\r\nused_cpu_sys:",
		"# Sentinel\r\nsentinel_masters:1\r\n", "master0:name=mymaster,status=ok,address=127.0.0.1:16380,slaves=2,sentinels=2\r\n"} {
		if !strings.Contains(all, want) {
			t.Errorf("INFO lacks %q", want)
		}
	}
	if got := c.do("INFO", "everything").Str; !strings.Contains(got, "# Sentinel") || !strings.Contains(got, "# Server") {
		t.Errorf("INFO everything = %q", got)
	}
	if got := c.do("INFO", "SENTINEL").Str; !strings.HasPrefix(got, "# Sentinel\r\n") || strings.Contains(got, "# Server") {
		t.Errorf("INFO SENTINEL = %q", got)
	}
	if v := c.do("INFO", "foo"); v.Kind != resp.KindBulk || v.Str != "" {
		t.Errorf("INFO foo = %+v", v)
	}
	if got := c.do("INFO", "server", "clients").Str; !strings.Contains(got, "# Clients") || strings.Contains(got, "# Stats") {
		t.Errorf("INFO server clients = %q", got)
	}
}

func TestShutdown(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	c.send(encode("SHUTDOWN", "NOSAVE"))
	c.expectClosed()
	if calls := ts.ctrl.Calls(); len(calls) != 1 || calls[0] != "shutdown" {
		t.Errorf("controller calls = %q", calls)
	}
}

func TestMaxClients(t *testing.T) {
	ts := startServer(t, func(o *Options) { o.MaxClients = 1 })
	first := dialRaw(t, ts.addr)
	if v := first.do("PING"); v.Str != "PONG" {
		t.Fatal(v)
	}
	second := dialRaw(t, ts.addr)
	if got := errText(t, second.read()); got != "ERR max number of clients reached" {
		t.Errorf("second client = %q", got)
	}
	second.expectClosed()
	if got := ts.metricValue(t, "sentinel_pubsub_rejected_connections_total"); got != 1 {
		t.Errorf("rejected metric = %v", got)
	}
}

func TestRunStopsAndClosesClients(t *testing.T) {
	ctrl := newFakeController()
	srv, err := New(Options{Addrs: []string{"127.0.0.1:0"}, Controller: ctrl, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	c := dialRaw(t, srv.Addr().String())
	if v := c.do("SUBSCRIBE", "+switch-master"); len(v.Elems) != 3 {
		t.Fatal(v)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	c.expectClosed()
	if _, err := net.DialTimeout("tcp", srv.Addr().String(), time.Second); err == nil {
		t.Error("listener still accepting after Run returned")
	}
}

// TestIsLocalPeer_ProtectedMode: as redis-sentinel 7.0.15, only 127.0.0.1
// and ::1 are local; 127.0.0.2 is refused like any remote address.
func TestIsLocalPeer_ProtectedMode(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("127.5.6.7"), Port: 1}, false},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("10.0.0.1"), Port: 1}, false},
		{&net.TCPAddr{IP: net.ParseIP("192.168.1.1"), Port: 1}, false},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, true},
	} {
		if got := isLocalPeer(tc.addr); got != tc.want {
			t.Errorf("isLocalPeer(%v) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

// TestProtectedMode_RefusesRemoteClients drives register with a connection
// whose far end is not on loopback: it gets DENIED and is closed; a
// loopback one is admitted.
func TestProtectedMode_RefusesRemoteClients(t *testing.T) {
	srv, err := New(Options{Addrs: []string{"127.0.0.1:0"}, ProtectedMode: true, Controller: newFakeController()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, ln := range srv.listeners {
			ln.Close()
		}
	}()
	server, client := net.Pipe()
	defer client.Close()
	remote := remoteAddrConn{Conn: server, remote: &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 5555}}
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(client)
		got <- string(b)
	}()
	if c := srv.register(remote); c != nil {
		t.Fatal("a non-loopback client was admitted in protected mode")
	}
	if reply := <-got; !strings.HasPrefix(reply, "-DENIED ") {
		t.Fatalf("reply %q, want a DENIED error", reply)
	}
	s2, c2 := net.Pipe()
	defer c2.Close()
	local := remoteAddrConn{Conn: s2, remote: &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 5555}}
	if c := srv.register(local); c == nil {
		t.Fatal("a loopback client was refused")
	} else {
		srv.unregister(c)
		s2.Close()
	}
}

type remoteAddrConn struct {
	net.Conn
	remote net.Addr
}

func (c remoteAddrConn) RemoteAddr() net.Addr { return c.remote }

// TestSentinelMasters_CacheFollowsSnapshot: the rendered SENTINEL MASTERS
// reply is reused only while the snapshot is the same one.
func TestSentinelMasters_CacheFollowsSnapshot(t *testing.T) {
	ts := startServer(t, nil)
	c := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, MaxRetries: -1})
	defer c.Close()
	ctx := t.Context()
	names := func() []string {
		v, err := c.Do(ctx, "SENTINEL", "MASTERS").Slice()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range v {
			out = append(out, fmt.Sprint(m.([]any)[1]))
		}
		return out
	}
	first, again := names(), names()
	if fmt.Sprint(first) != fmt.Sprint(again) || len(first) != 1 {
		t.Fatalf("same snapshot, different replies: %v then %v", first, again)
	}
	next := fixtureSnapshot()
	next.Masters[0].Name = "renamed"
	ts.ctrl.mu.Lock()
	ts.ctrl.snap = next
	ts.ctrl.mu.Unlock()
	if got := names(); len(got) != 1 || got[0] != "renamed" {
		t.Fatalf("after a new snapshot SENTINEL MASTERS says %v", got)
	}
}

// TestRepliesFlushedBeforeBlocking: what line-oriented tools send (a
// command, then a blank line) and half a command after a whole one both
// get the finished replies at once, not when more input arrives.
func TestRepliesFlushedBeforeBlocking(t *testing.T) {
	ts := startServer(t, nil)
	for _, input := range []string{"PING\r\n\n", "PING\r\n\r\n", "PING\r\nPI", "PING\r\n*2\r\n$4\r\nPING\r\n"} {
		c := dialRaw(t, ts.addr)
		c.send(input)
		if v := c.read(); v.Str != "PONG" {
			t.Errorf("%q: reply = %+v", input, v)
		}
	}
}
