package supervisor

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// TestE2E_TLSSetAtRuntime: a master watched on its TLS port without TLS is
// unreachable; SENTINEL SET <name> tls yes re-dials it with TLS and it
// comes up with its replica, SENTINEL MASTER showing tls yes; tls no takes
// it back to plain TCP (down again).
func TestE2E_TLSSetAtRuntime(t *testing.T) {
	requireRedis(t)
	bin := buildBinary(t)
	f := nodeTLSFiles(t)
	tlsArgs := func(port int) []string { return redisTLSArgs(f, port) }
	masterTLS := datanodetest.FreePort(t)
	datanodetest.StartRedis(t, datanodetest.RedisOptions{Args: tlsArgs(masterTLS)})
	datanodetest.StartRedis(t, datanodetest.RedisOptions{Args: tlsArgs(datanodetest.FreePort(t)), ReplicaOf: "127.0.0.1:" + strconv.Itoa(masterTLS)})

	conf := fmt.Sprintf("tls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\n", f.Cert, f.Key, f.CA)
	p := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{Binary: bin, MasterName: "m", MasterAddr: "127.0.0.1:" + strconv.Itoa(masterTLS),
		Quorum: 2, DownAfter: time.Second, FailoverTimeout: 60 * time.Second, ConfText: conf})
	c := dialRESP(t, p.Addr(), "")
	field := func(name string) string {
		fields := strings.Split(strings.Trim(c.do("SENTINEL", "MASTER", "m"), "[]"), " | ")
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == name {
				return fields[i+1]
			}
		}
		return ""
	}
	datanodetest.Eventually(t, 30*time.Second, 100*time.Millisecond, func() bool {
		return strings.Contains(field("flags"), "s_down")
	}, "the TLS port reached in plain TCP should be down")
	if got := c.do("SENTINEL", "SET", "m", "tls", "yes"); got != "+OK" {
		t.Fatalf("SENTINEL SET m tls yes = %q", got)
	}
	if got := field("tls"); got != "yes" {
		t.Fatalf("SENTINEL MASTER tls = %q, want yes", got)
	}
	datanodetest.Eventually(t, 30*time.Second, 100*time.Millisecond, func() bool {
		return field("flags") == "master" && field("num-slaves") == "1"
	}, "the master should be reached over TLS with its replica")
	if got := c.do("SENTINEL", "SET", "m", "tls", "no"); got != "+OK" {
		t.Fatalf("SENTINEL SET m tls no = %q", got)
	}
	datanodetest.Eventually(t, 30*time.Second, 100*time.Millisecond, func() bool {
		return strings.Contains(field("flags"), "s_down") && field("tls") == "no"
	}, "back to plain TCP, the TLS port should be down again")
}
