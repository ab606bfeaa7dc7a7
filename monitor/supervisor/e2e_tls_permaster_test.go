package supervisor

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// TestE2E_TLSPerMaster: one of our sentinels watches a master reached over
// TLS (sentinel tls secure yes, its TLS port) and a plain one, which Redis
// cannot; it sees both masters' replicas and fails the TLS master over.
func TestE2E_TLSPerMaster(t *testing.T) {
	requireRedis(t)
	bin := buildBinary(t)
	f := nodeTLSFiles(t)
	tlsArgs := func(port int) []string { return redisTLSArgs(f, port) }
	secureTLS := datanodetest.FreePort(t)
	secure := datanodetest.StartRedis(t, datanodetest.RedisOptions{Args: tlsArgs(secureTLS)})
	replicaTLS := datanodetest.FreePort(t)
	datanodetest.StartRedis(t, datanodetest.RedisOptions{Args: tlsArgs(replicaTLS), ReplicaOf: "127.0.0.1:" + strconv.Itoa(secureTLS)})
	plain := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	datanodetest.StartRedis(t, datanodetest.RedisOptions{ReplicaOf: plain.Addr()})

	conf := fmt.Sprintf("tls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\n"+
		"sentinel monitor secure 127.0.0.1 %d 1\nsentinel down-after-milliseconds secure 1000\nsentinel failover-timeout secure 10000\nsentinel tls secure yes\n",
		f.Cert, f.Key, f.CA, secureTLS)
	p := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{Binary: bin, MasterName: "plain", MasterAddr: plain.Addr(), Quorum: 1, ConfText: conf})
	field := func(master, name string) string {
		fields := strings.Split(strings.Trim(dialRESP(t, p.Addr(), "").do("SENTINEL", "MASTER", master), "[]"), " | ")
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == name {
				return fields[i+1]
			}
		}
		return ""
	}
	for _, m := range []string{"secure", "plain"} {
		datanodetest.Eventually(t, 30*time.Second, 100*time.Millisecond, func() bool {
			return field(m, "num-slaves") == "1" && !strings.Contains(field(m, "flags"), "disconnected") && !strings.Contains(field(m, "flags"), "s_down")
		}, "master %s should be reached with its replica", m)
	}
	if err := secure.Kill(); err != nil {
		t.Fatal(err)
	}
	datanodetest.Eventually(t, 30*time.Second, 100*time.Millisecond, func() bool {
		return dialRESP(t, p.Addr(), "").do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "secure") == fmt.Sprintf("[127.0.0.1 | %d]", replicaTLS)
	}, "the TLS master should fail over to its replica's TLS port")
	if got := field("plain", "flags"); got != "master" {
		t.Errorf("plain master flags = %q", got)
	}
}
