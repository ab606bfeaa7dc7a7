package datanode

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor"
)

func pingOnce(t *testing.T, h *poolHarness, addr monitor.Addr) monitor.ReplyKind {
	t.Helper()
	h.pool.Do(monitor.Ping{Target: addr, Master: "m"})
	return next(t, h, func(p monitor.PingResult) bool { return p.Target == addr }).Kind
}

func infoOnce(t *testing.T, h *poolHarness, addr monitor.Addr) monitor.InfoResult {
	t.Helper()
	h.pool.Do(monitor.Info{Target: addr, Master: "m"})
	return next(t, h, func(r monitor.InfoResult) bool { return r.Target == addr })
}

func TestPool_PingInfoAndKill_RealRedis(t *testing.T) {
	r := startRedis(t, "")
	// The reconnect backoff is off: this test is about go-redis never
	// answering from a cached dial error (TestPool_RestartAfterHealthyLink
	// covers the backoff's side of a restart).
	h := startPool(t, Options{CommandTimeout: 500 * time.Millisecond, DialTimeout: 500 * time.Millisecond, ReconnectMax: -1})
	h.pool.Do(monitor.Watch{Target: r.addr, Kind: monitor.KindMaster, Master: "m"})

	if k := pingOnce(t, h, r.addr); k != monitor.ReplyPong {
		t.Fatalf("PING: %v, want pong", k)
	}
	res := infoOnce(t, h, r.addr)
	if res.Kind != monitor.ReplyPong || res.Info.Role != monitor.RoleMaster || len(res.Info.RunID) != 40 {
		t.Fatalf("INFO: kind %v role %v run id %q", res.Kind, res.Info.Role, res.Info.RunID)
	}
	if !strings.Contains(res.Raw, "# Replication") {
		t.Errorf("Raw INFO lacks the replication section: %.200q", res.Raw)
	}

	// Our links carry Redis's client names.
	admin := r.client("")
	defer admin.Close()
	datanodetest.Eventually(t, 5*time.Second, pollTick, func() bool {
		list, err := admin.ClientList(context.Background()).Result()
		return err == nil && strings.Contains(list, "name=sentinel-01234567-cmd") &&
			strings.Contains(list, "name=sentinel-01234567-pubsub")
	}, "both links to show in CLIENT LIST")
	// The links gauge counts open connections: the command link holds one
	// or two (its PING and command lanes), the pub/sub link one.
	if got := metricValue(t, h.pool.metrics.links.WithLabelValues(linkCommand)); got < 1 || got > 2 {
		t.Errorf("command links gauge = %v, want 1 or 2", got)
	}
	if got := metricValue(t, h.pool.metrics.links.WithLabelValues(linkPubSub)); got != 1 {
		t.Errorf("pubsub links gauge = %v, want 1", got)
	}
	if got := metricValue(t, h.pool.metrics.targets); got != 1 {
		t.Errorf("targets gauge = %v, want 1", got)
	}

	r.kill(t)
	k := pingOnce(t, h, r.addr)
	if k.Connected() {
		t.Fatalf("PING to a killed server: %v, want connerr or timeout", k)
	}
	if k := infoOnce(t, h, r.addr).Kind; k.Connected() {
		t.Errorf("INFO to a killed server: %v, want connerr or timeout", k)
	}
	if n := metricValue(t, h.pool.metrics.commandErrors.WithLabelValues(cmdPing, k.String())); n < 1 {
		t.Errorf("command_errors_total{ping,%v} = %v, want ≥ 1", k, n)
	}
	for range 3 { // enough failed dials for go-redis to start short-circuiting
		if k := pingOnce(t, h, r.addr); k.Connected() {
			t.Fatalf("PING to a killed server: %v", k)
		}
	}

	// The same address comes back (a restarted master): the very next PING
	// must reach it, not a cached dial error.
	startRedisOnPort(t, r.addr.Port, "")
	if k := pingOnce(t, h, r.addr); k != monitor.ReplyPong {
		t.Errorf("first PING after the restart: %v, want pong", k)
	}
	h.pool.Do(monitor.Reconnect{Target: r.addr})
	if k := pingOnce(t, h, r.addr); k != monitor.ReplyPong {
		t.Errorf("PING after Reconnect: %v, want pong", k)
	}
	// The hello subscription came back by itself: our own hello arrives.
	hello := monitor.Hello{SentinelAddr: monitor.Addr{Host: "127.0.0.1", Port: 26379}, RunID: testMyID, MasterName: "m", MasterAddr: r.addr}
	// A liveness bound, not a speed target: the link retries at least once
	// a second, and a loaded CI machine once took over 10 s here.
	datanodetest.Eventually(t, 30*time.Second, pollTick, func() bool {
		h.pool.Do(monitor.PublishHello{Target: r.addr, Master: "m", Hello: hello})
		select {
		case in := <-h.inputs:
			hr, ok := in.(monitor.HelloReceived)
			return ok && hr.Hello == hello
		case <-time.After(100 * time.Millisecond):
		}
		return false
	}, "a hello through the restarted server")
}

// TestPool_RestartAfterHealthyLink: the backoff never delays noticing a
// restart. After a link that has answered for over a second, the first
// redial is immediate, so the first PING after the node is back gets PONG.
func TestPool_RestartAfterHealthyLink(t *testing.T) {
	r := startRedis(t, "")
	h := startPool(t, Options{CommandTimeout: 500 * time.Millisecond, DialTimeout: 500 * time.Millisecond})
	h.pool.Do(monitor.Watch{Target: r.addr, Kind: monitor.KindMaster, Master: "m"})
	start := time.Now()
	datanodetest.Eventually(t, 10*time.Second, pollTick, func() bool {
		if k := pingOnce(t, h, r.addr); k != monitor.ReplyPong {
			t.Fatalf("PING to a healthy server: %v", k)
		}
		return time.Since(start) > reconnectStable+100*time.Millisecond
	}, "the link to answer for longer than reconnectStable")

	dials := metricValue(t, h.pool.metrics.dials.WithLabelValues(linkCommand))
	r.kill(t)
	startRedisOnPort(t, r.addr.Port, "")
	if k := pingOnce(t, h, r.addr); k != monitor.ReplyPong {
		t.Fatalf("first PING after the restart: %v, want pong", k)
	}
	if n := metricValue(t, h.pool.metrics.dials.WithLabelValues(linkCommand)); n != dials+1 {
		t.Errorf("command dials across the restart = %v, want exactly one more than %v", n, dials)
	}
	if n := metricValue(t, h.pool.metrics.dialsDeferred.WithLabelValues(linkCommand)); n != 0 {
		t.Errorf("deferred command dials = %v, want 0", n)
	}
}

func roleOf(t *testing.T, h *poolHarness, addr monitor.Addr) monitor.NodeInfo {
	t.Helper()
	res := infoOnce(t, h, addr)
	if res.Kind != monitor.ReplyPong {
		return monitor.NodeInfo{}
	}
	return res.Info
}

func TestPool_ReplicaOf_RealRedis(t *testing.T) {
	master := startRedis(t, "")
	replica := startRedis(t, "")
	h := startPool(t, Options{})
	h.pool.Do(monitor.Watch{Target: replica.addr, Kind: monitor.KindReplica, Master: "m"})

	h.pool.Do(monitor.ReplicaOf{Target: replica.addr, Master: "m", NewMaster: master.addr})
	datanodetest.Eventually(t, 10*time.Second, pollTick, func() bool {
		n := roleOf(t, h, replica.addr)
		return n.Role == monitor.RoleReplica && n.MasterPort == master.addr.Port && n.MasterHost == master.addr.Host
	}, "INFO to report role:slave of the new master")
	// CONFIG REWRITE ran inside the transaction.
	conf, err := os.ReadFile(replica.confPath)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("replicaof %s %d", master.addr.Host, master.addr.Port); !strings.Contains(string(conf), want) {
		t.Errorf("config file after the transaction lacks %q:\n%s", want, conf)
	}

	h.pool.Do(monitor.ReplicaOf{Target: replica.addr, Master: "m", NoOne: true})
	datanodetest.Eventually(t, 10*time.Second, pollTick, func() bool {
		return roleOf(t, h, replica.addr).Role == monitor.RoleMaster
	}, "INFO to report role:master after SLAVEOF NO ONE")
	if n := metricValue(t, h.pool.metrics.commandErrors.WithLabelValues(cmdReplicaOf, "other")); n != 0 {
		t.Errorf("replicaof errors = %v, want 0", n)
	}
}

func TestPool_RenameCommandAndAuth_RealRedis(t *testing.T) {
	conf := []string{
		"requirepass s3cret",
		"rename-command PING RN_PING",
		"rename-command INFO RN_INFO",
		"rename-command CONFIG RN_CONFIG",
		"rename-command SLAVEOF RN_SLAVEOF",
		"rename-command CLIENT RN_CLIENT",
		"rename-command MULTI RN_MULTI",
		"rename-command EXEC RN_EXEC",
		"rename-command PUBLISH RN_PUBLISH",
		"rename-command AUTH RN_AUTH",
		"rename-command SUBSCRIBE RN_SUBSCRIBE",
	}
	master := startRedis(t, "")
	r := startRedis(t, "s3cret", conf...)
	renames := map[string]string{}
	for _, l := range conf[1:] {
		f := strings.Fields(l)
		renames[strings.ToLower(f[1])] = f[2] // lower case on purpose: lookups fold case
	}
	h := startPool(t, Options{
		Credentials: func(m string) (string, string) {
			if m != "m" {
				t.Errorf("credentials asked for master %q", m)
			}
			return "", "s3cret"
		},
		Renames: func(m string) map[string]string { return renames },
	})
	h.pool.Do(monitor.Watch{Target: r.addr, Kind: monitor.KindReplica, Master: "m"})

	if k := pingOnce(t, h, r.addr); k != monitor.ReplyPong {
		t.Fatalf("PING through RN_PING: %v, want pong", k)
	}
	if res := infoOnce(t, h, r.addr); res.Kind != monitor.ReplyPong || res.Info.Role != monitor.RoleMaster {
		t.Fatalf("INFO through RN_INFO: %v %v", res.Kind, res.Info.Role)
	}
	// The transaction aborts (EXECABORT) if any of its commands went out
	// under its original name, so a role change proves every rename.
	h.pool.Do(monitor.ReplicaOf{Target: r.addr, Master: "m", NewMaster: master.addr})
	datanodetest.Eventually(t, 10*time.Second, pollTick, func() bool {
		return roleOf(t, h, r.addr).Role == monitor.RoleReplica
	}, "the renamed transaction to make the server a replica")
	admin := r.client("s3cret")
	defer admin.Close()
	datanodetest.Eventually(t, 5*time.Second, pollTick, func() bool {
		list, err := admin.Do(context.Background(), "RN_CLIENT", "LIST").Text()
		return err == nil && strings.Contains(list, "name=sentinel-01234567-cmd") &&
			strings.Contains(list, "name=sentinel-01234567-pubsub")
	}, "CLIENT SETNAME through RN_CLIENT")
	// Our own hello comes back through RN_PUBLISH and RN_SUBSCRIBE.
	hello := monitor.Hello{SentinelAddr: monitor.Addr{Host: "127.0.0.1", Port: 26379}, RunID: testMyID, MasterName: "m", MasterAddr: r.addr}
	// A liveness bound, not a speed target: the link retries at least once
	// a second, and a loaded CI machine once took over 10 s here.
	datanodetest.Eventually(t, 30*time.Second, pollTick, func() bool {
		h.pool.Do(monitor.PublishHello{Target: r.addr, Master: "m", Hello: hello})
		select {
		case in := <-h.inputs:
			hr, ok := in.(monitor.HelloReceived)
			return ok && hr.Hello == hello
		case <-time.After(100 * time.Millisecond):
		}
		return false
	}, "a hello through the renamed PUBLISH and SUBSCRIBE")
}

func TestPool_HelloPublishAndReceive_RealRedis(t *testing.T) {
	r := startRedis(t, "")
	receiver := startPool(t, Options{})
	publisher := startPool(t, Options{MyID: strings.Repeat("f", 40)})
	receiver.pool.Do(monitor.Watch{Target: r.addr, Kind: monitor.KindMaster, Master: "m"})
	publisher.pool.Do(monitor.Watch{Target: r.addr, Kind: monitor.KindMaster, Master: "m"})

	hello := monitor.Hello{
		SentinelAddr:      monitor.Addr{Port: 26379}, // Host empty: the link's local IP goes out
		RunID:             strings.Repeat("a", 40),
		CurrentEpoch:      3,
		MasterName:        "m",
		MasterAddr:        r.addr,
		MasterConfigEpoch: 2,
	}
	// Until the receiver's SUBSCRIBE is in place, hellos are lost, like on a
	// real server; publish until one arrives.
	var got monitor.HelloReceived
	datanodetest.Eventually(t, 10*time.Second, pollTick, func() bool {
		publisher.pool.Do(monitor.PublishHello{Target: r.addr, Master: "m", Hello: hello})
		select {
		case in := <-receiver.inputs:
			if hr, ok := in.(monitor.HelloReceived); ok {
				got = hr
				return true
			}
		case <-time.After(100 * time.Millisecond):
		}
		return false
	}, "a hello to arrive through the server")
	want := hello
	want.SentinelAddr.Host = "127.0.0.1"
	if got.Via != r.addr || got.Hello != want {
		t.Fatalf("HelloReceived = %+v, want via %v hello %+v", got, r.addr, want)
	}

	// Garbage on the channel is counted and never delivered.
	admin := r.client("")
	defer admin.Close()
	if err := admin.Publish(context.Background(), monitor.HelloChannel, "not,a,hello").Err(); err != nil {
		t.Fatal(err)
	}
	datanodetest.Eventually(t, 5*time.Second, pollTick, func() bool {
		return metricValue(t, receiver.pool.metrics.helloDropped.WithLabelValues(helloMalformed)) >= 1
	}, "the garbage hello to be counted")
	for len(receiver.inputs) > 0 {
		if hr, ok := (<-receiver.inputs).(monitor.HelloReceived); ok && hr.Hello.MasterName != "m" {
			t.Errorf("garbage delivered: %+v", hr)
		}
	}

	// After Reconnect{PubSub} the subscription comes back by itself.
	receiver.pool.Do(monitor.Reconnect{Target: r.addr, PubSub: true})
	hello.CurrentEpoch = 4
	datanodetest.Eventually(t, 10*time.Second, pollTick, func() bool {
		publisher.pool.Do(monitor.PublishHello{Target: r.addr, Master: "m", Hello: hello})
		select {
		case in := <-receiver.inputs:
			hr, ok := in.(monitor.HelloReceived)
			return ok && hr.Hello.CurrentEpoch == 4
		case <-time.After(100 * time.Millisecond):
		}
		return false
	}, "a hello after the pub/sub link was reopened")
}

func TestPool_AskPeer_FakePeer(t *testing.T) {
	const runID = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	tests := []struct {
		name   string
		reply  string
		want   monitor.PeerReply // At, Master, Peer are checked separately
		wantOK bool
	}{
		{"down, no vote", "*3\r\n:1\r\n$1\r\n*\r\n:0\r\n", monitor.PeerReply{Kind: monitor.ReplyPong, Down: true, LeaderRunID: "*"}, true},
		{"up, vote", "*3\r\n:0\r\n$40\r\n" + runID + "\r\n:7\r\n", monitor.PeerReply{Kind: monitor.ReplyPong, LeaderRunID: runID, LeaderEpoch: 7}, true},
		{"two elements", "*2\r\n:1\r\n$1\r\n*\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
		{"four elements", "*4\r\n:1\r\n$1\r\n*\r\n:0\r\n:0\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
		{"down as string", "*3\r\n$1\r\n1\r\n$1\r\n*\r\n:0\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
		{"down is 2", "*3\r\n:2\r\n$1\r\n*\r\n:0\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
		{"empty leader", "*3\r\n:1\r\n$0\r\n\r\n:0\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
		{"nil leader", "*3\r\n:1\r\n$-1\r\n:0\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
		{"negative epoch", "*3\r\n:1\r\n$1\r\n*\r\n:-1\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
		{"epoch as string", "*3\r\n:1\r\n$1\r\n*\r\n$1\r\n0\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
		{"nested array", "*3\r\n*1\r\n:1\r\n$1\r\n*\r\n:0\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
		{"status", "+OK\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
		{"integer", ":1\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
		{"error", "-ERR No such master with that name\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
		{"nil", "$-1\r\n", monitor.PeerReply{Kind: monitor.ReplyOther}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			peer := startFake(t, peerHandler(tc.reply))
			h := startPool(t, Options{PeerCredentials: func() (string, string) { return "sentinel-user", "peer-pass" }})
			h.pool.Do(monitor.Watch{Target: peer.addr, Kind: monitor.KindSentinel, Master: "m"})
			h.pool.Do(monitor.AskPeer{
				Peer: peer.addr, PeerRunID: runID, Master: "m",
				MasterAddr: monitor.Addr{Host: "10.0.0.1", Port: 6379}, Epoch: 5, RunID: "*",
			})
			got := next(t, h, func(monitor.PeerReply) bool { return true })
			if got.Master != "m" || got.Peer != runID || got.At.IsZero() {
				t.Errorf("reply names master %q peer %q at %v", got.Master, got.Peer, got.At)
			}
			got.At, got.Master, got.Peer = time.Time{}, "", ""
			if got != tc.want {
				t.Errorf("PeerReply = %+v, want %+v", got, tc.want)
			}
			var sawAuth, sawAsk bool
			for _, c := range peer.commands() {
				switch strings.Join(c, " ") {
				case "AUTH sentinel-user peer-pass":
					sawAuth = true
				case "SENTINEL is-master-down-by-addr 10.0.0.1 6379 5 *":
					sawAsk = true
				}
			}
			if !sawAuth || !sawAsk {
				t.Errorf("peer saw %q; want AUTH with the peer credentials and the request", peer.commands())
			}
		})
	}
}

func TestPool_PublishHelloToPeer_FakePeer(t *testing.T) {
	peer := startFake(t, peerHandler(""))
	h := startPool(t, Options{})
	h.pool.Do(monitor.Watch{Target: peer.addr, Kind: monitor.KindSentinel, Master: "m"})
	hello := monitor.Hello{SentinelAddr: monitor.Addr{Host: "192.0.2.7", Port: 26379}, RunID: strings.Repeat("c", 40), MasterName: "m", MasterAddr: monitor.Addr{Host: "10.0.0.1", Port: 6379}}
	h.pool.Do(monitor.PublishHello{Target: peer.addr, Master: "m", Hello: hello})
	want := "PUBLISH " + monitor.HelloChannel + " " + hello.String()
	datanodetest.Eventually(t, 5*time.Second, pollTick, func() bool {
		for _, c := range peer.commands() {
			if strings.Join(c, " ") == want {
				return true
			}
		}
		return false
	}, "the peer to receive the hello")
	for _, c := range peer.commands() {
		if strings.EqualFold(c[0], "SUBSCRIBE") {
			t.Errorf("a peer sentinel got a pub/sub link: %q", c)
		}
	}
}

// TestPool_HelloRidesWithPing_RealRedis: PING and a riding PUBLISH in one
// pipeline against a real server: the PING is answered as a PING and the
// hello reaches a subscriber.
func TestPool_HelloRidesWithPing_RealRedis(t *testing.T) {
	r := startRedis(t, "")
	receiver := startPool(t, Options{})
	publisher := startPool(t, Options{MyID: strings.Repeat("f", 40)})
	receiver.pool.Do(monitor.Watch{Target: r.addr, Kind: monitor.KindMaster, Master: "m"})
	publisher.pool.Do(monitor.Watch{Target: r.addr, Kind: monitor.KindMaster, Master: "m"})
	// A first PING connects the link, so its local address is known and
	// later hellos can ride.
	publisher.pool.Do(monitor.Ping{Target: r.addr, Master: "m"})
	datanodetest.Eventually(t, 5*time.Second, pollTick, func() bool {
		select {
		case in := <-publisher.inputs: // other inputs (the subscription's) are skipped
			pr, ok := in.(monitor.PingResult)
			return ok && pr.Kind == monitor.ReplyPong
		case <-time.After(time.Second):
			return false
		}
	}, "the first PONG")
	hello := monitor.Hello{SentinelAddr: monitor.Addr{Port: 26379}, RunID: strings.Repeat("b", 40),
		CurrentEpoch: 7, MasterName: "m", MasterAddr: r.addr, MasterConfigEpoch: 1}
	var pong, arrived bool
	datanodetest.Eventually(t, 10*time.Second, pollTick, func() bool {
		publisher.pool.Do(monitor.PublishHello{Target: r.addr, Master: "m", Hello: hello, WithPing: true})
		publisher.pool.Do(monitor.Ping{Target: r.addr, Master: "m"})
		deadline := time.After(200 * time.Millisecond)
		for !(pong && arrived) {
			select {
			case in := <-publisher.inputs:
				if pr, ok := in.(monitor.PingResult); ok {
					pong = pong || pr.Kind == monitor.ReplyPong
				}
			case in := <-receiver.inputs:
				if hr, ok := in.(monitor.HelloReceived); ok && hr.Hello.CurrentEpoch == 7 {
					arrived = true
				}
			case <-deadline:
				return false
			}
		}
		return true
	}, "a PONG and the riding hello")
}
