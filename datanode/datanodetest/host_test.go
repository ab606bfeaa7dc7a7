package datanodetest

import (
	"context"
	"strings"
	"testing"
)

// Only IPv4 loopback addresses may be bound: tests never listen beyond
// the machine.
func TestLaunchRedisRejectsNonLoopbackHost(t *testing.T) {
	for _, host := range []string{"10.0.0.1", "0.0.0.0", "::1", "localhost", "127.0.0"} {
		p, err := LaunchRedis(context.Background(), RedisOptions{Host: host})
		if err == nil {
			_ = p.Close()
			t.Errorf("host %q accepted", host)
			continue
		}
		if !strings.Contains(err.Error(), "loopback") {
			t.Errorf("host %q: error %q does not say why", host, err)
		}
	}
}

func TestStartRedisOnSecondLoopbackAddress(t *testing.T) {
	p := StartRedis(t, RedisOptions{Host: "127.0.0.2"})
	if p.Host() != "127.0.0.2" || !strings.HasPrefix(p.Addr(), "127.0.0.2:") {
		t.Fatalf("Host %q Addr %q, want 127.0.0.2", p.Host(), p.Addr())
	}
	if err := p.Client().Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING %s: %v", p.Addr(), err)
	}
}
