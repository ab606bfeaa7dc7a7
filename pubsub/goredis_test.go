package pubsub

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// go-redis is the compatibility oracle: its SentinelClient must work
// against our server in both protocol versions.
func TestGoRedisSentinelClient(t *testing.T) {
	ts := startServer(t, nil)
	for _, proto := range []int{2, 3} {
		t.Run("RESP"+itoa(proto), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			sc := redis.NewSentinelClient(&redis.Options{Addr: ts.addr, Protocol: proto, MaxRetries: -1})
			t.Cleanup(func() { _ = sc.Close() })

			if got, err := sc.Ping(ctx).Result(); err != nil || got != "PONG" {
				t.Fatalf("Ping = %q, %v", got, err)
			}
			addr, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
			if err != nil || len(addr) != 2 || addr[0] != "127.0.0.1" || addr[1] != "16380" {
				t.Fatalf("GetMasterAddrByName = %q, %v", addr, err)
			}
			if _, err := sc.GetMasterAddrByName(ctx, "nosuch").Result(); !errors.Is(err, redis.Nil) {
				t.Errorf("GetMasterAddrByName(nosuch) err = %v, want redis.Nil", err)
			}
			masters, err := sc.Masters(ctx).Result()
			if err != nil || len(masters) != 1 {
				t.Fatalf("Masters = %v, %v", masters, err)
			}
			master, err := sc.Master(ctx, "mymaster").Result()
			if err != nil || master["name"] != "mymaster" || master["num-slaves"] != "2" || master["flags"] != "master" || master["config-epoch"] != "3" {
				t.Errorf("Master = %v, %v", master, err)
			}
			if _, err := sc.Master(ctx, "nosuch").Result(); err == nil || err.Error() != "ERR No such master with that name" {
				t.Errorf("Master(nosuch) err = %v", err)
			}
			replicas, err := sc.Replicas(ctx, "mymaster").Result()
			if err != nil || len(replicas) != 1 || replicas[0]["ip"] != "127.0.0.1" || replicas[0]["port"] != "16381" || replicas[0]["flags"] != "slave" {
				t.Errorf("Replicas = %v, %v", replicas, err)
			}
			sentinels, err := sc.Sentinels(ctx, "mymaster").Result()
			if err != nil || len(sentinels) != 1 || sentinels[0]["port"] != "16391" || sentinels[0]["voted-leader"] != "?" {
				t.Errorf("Sentinels = %v, %v", sentinels, err)
			}
			if got, err := sc.CkQuorum(ctx, "mymaster").Result(); err != nil || !strings.HasPrefix(got, "OK 2 usable") {
				t.Errorf("CkQuorum = %q, %v", got, err)
			}

			ps := sc.Subscribe(ctx, "+switch-master")
			t.Cleanup(func() { _ = ps.Close() })
			if _, err := ps.Receive(ctx); err != nil {
				t.Fatalf("subscribe confirmation: %v", err)
			}
			// The health check go-redis runs inside a subscription.
			if err := ps.Ping(ctx); err != nil {
				t.Fatalf("PubSub.Ping: %v", err)
			}
			if msg, err := ps.Receive(ctx); err != nil {
				t.Fatalf("pong: %v", err)
			} else if pong, ok := msg.(*redis.Pong); !ok {
				t.Fatalf("pong = %#v", msg)
			} else if want := map[int]string{2: "", 3: "PONG"}[proto]; pong.Payload != want {
				// RESP2: ["pong", ""]; RESP3: a plain +PONG, as redis-sentinel
				// answers (testdata/redis-7.0.15/transcript-pubsub.txt).
				t.Fatalf("pong payload = %q, want %q", pong.Payload, want)
			}
			if n := ts.Publish("+switch-master", "mymaster 127.0.0.1 16380 127.0.0.1 16381"); n != 1 {
				t.Fatalf("Publish reached %d subscribers, want 1", n)
			}
			msg, err := ps.ReceiveMessage(ctx)
			if err != nil || msg.Channel != "+switch-master" || msg.Payload != "mymaster 127.0.0.1 16380 127.0.0.1 16381" {
				t.Fatalf("message = %+v, %v", msg, err)
			}
			pps := sc.PSubscribe(ctx, "+*")
			t.Cleanup(func() { _ = pps.Close() })
			if _, err := pps.Receive(ctx); err != nil {
				t.Fatalf("psubscribe confirmation: %v", err)
			}
			ts.Publish("+sdown", "master mymaster 127.0.0.1 16380")
			pmsg, err := pps.ReceiveMessage(ctx)
			if err != nil || pmsg.Pattern != "+*" || pmsg.Channel != "+sdown" || pmsg.Payload != "master mymaster 127.0.0.1 16380" {
				t.Fatalf("pmessage = %+v, %v", pmsg, err)
			}
		})
	}
}

func TestGoRedisWithPassword(t *testing.T) {
	ts := startServer(t, func(o *Options) { o.RequirePass = "secret"; o.Users = map[string]string{"alice": "pw"} })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, proto := range []int{2, 3} {
		good := redis.NewSentinelClient(&redis.Options{Addr: ts.addr, Protocol: proto, Username: "alice", Password: "pw", MaxRetries: -1})
		if got, err := good.Ping(ctx).Result(); err != nil || got != "PONG" {
			t.Errorf("RESP%d with ACL user: Ping = %q, %v", proto, got, err)
		}
		_ = good.Close()
		bad := redis.NewSentinelClient(&redis.Options{Addr: ts.addr, Protocol: proto, Password: "wrong", MaxRetries: -1})
		if err := bad.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
			t.Errorf("RESP%d wrong password: err = %v", proto, err)
		}
		_ = bad.Close()
	}
}
