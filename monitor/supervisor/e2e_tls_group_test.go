package supervisor

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/tlsconf/tlstest"
)

// TestE2E_TLSMixedGroupFailover: data nodes that replicate over TLS and
// are monitored on their TLS ports, two of our sentinels and Debian's
// redis-sentinel, all with tls-port and tls-replication yes: the group
// discovers itself over TLS and fails the master over when it dies.
func TestE2E_TLSMixedGroupFailover(t *testing.T) {
	requireRedis(t)
	datanodetest.RequireBinary(t, "redis-sentinel")
	bin := buildBinary(t)
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "group ca")
	f := tlstest.Write(t, dir, "node", ca, ca.Issue(t, "node", tlstest.IssueOptions{}))
	tlsArgs := func(port int) []string {
		return []string{"--tls-port", strconv.Itoa(port), "--tls-cert-file", f.Cert, "--tls-key-file", f.Key,
			"--tls-ca-cert-file", f.CA, "--tls-replication", "yes", "--tls-auth-clients", "yes"}
	}
	masterTLS := datanodetest.FreePort(t)
	master := datanodetest.StartRedis(t, datanodetest.RedisOptions{Args: tlsArgs(masterTLS), ConfText: "# rewritten by CONFIG REWRITE\n"})
	var replicaTLS []int
	for i := range 2 {
		port := datanodetest.FreePort(t)
		replicaTLS = append(replicaTLS, port)
		datanodetest.StartRedis(t, datanodetest.RedisOptions{Args: tlsArgs(port), ReplicaOf: "127.0.0.1:" + strconv.Itoa(masterTLS), ConfText: fmt.Sprintf("# replica %d\n", i)})
	}
	conf := func(tlsPort int) string {
		return fmt.Sprintf("tls-port %d\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\ntls-replication yes\ntls-auth-clients yes\n",
			tlsPort, f.Cert, f.Key, f.CA)
	}
	var sentinels, sentinelsTLS []string
	for _, binary := range []string{bin, bin, "redis-sentinel"} {
		tlsPort := datanodetest.FreePort(t)
		sentinelsTLS = append(sentinelsTLS, "127.0.0.1:"+strconv.Itoa(tlsPort))
		p := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{
			Binary: binary, MasterName: "mymaster", MasterAddr: "127.0.0.1:" + strconv.Itoa(masterTLS),
			Quorum: 2, DownAfter: time.Second, FailoverTimeout: 10 * time.Second, ConfText: conf(tlsPort),
		})
		sentinels = append(sentinels, p.Addr())
	}
	field := func(addr, name string) string {
		c := dialRESP(t, addr, "")
		reply := c.do("SENTINEL", "MASTER", "mymaster")
		fields := strings.Split(strings.Trim(reply, "[]"), " | ")
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == name {
				return fields[i+1]
			}
		}
		return ""
	}
	for _, s := range sentinels {
		datanodetest.Eventually(t, 30*time.Second, 100*time.Millisecond, func() bool {
			return field(s, "num-slaves") == "2" && field(s, "num-other-sentinels") == "2" && !strings.Contains(field(s, "flags"), "disconnected")
		}, "%s should see both replicas and both peers over TLS", s)
	}
	// go-redis's failover client reaches the sentinels and the master over
	// TLS with a client certificate.
	clientCert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	client := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: "mymaster", SentinelAddrs: sentinelsTLS, DisableIdentity: true, MaxRetries: -1,
		TLSConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{clientCert}},
	})
	t.Cleanup(func() { client.Close() })
	ctx := t.Context()
	if err := client.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatalf("SET through the failover client over TLS: %v", err)
	}
	if err := master.Kill(); err != nil {
		t.Fatal(err)
	}
	for _, s := range sentinels {
		datanodetest.Eventually(t, 60*time.Second, 100*time.Millisecond, func() bool {
			got := dialRESP(t, s, "").do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
			for _, p := range replicaTLS {
				if got == fmt.Sprintf("[127.0.0.1 | %d]", p) {
					return true
				}
			}
			return false
		}, "%s should report a promoted replica's TLS port", s)
	}
	datanodetest.Eventually(t, 30*time.Second, 100*time.Millisecond, func() bool {
		return client.Set(ctx, "k", "after", 0).Err() == nil
	}, "the failover client should write to the new master over TLS")
}
