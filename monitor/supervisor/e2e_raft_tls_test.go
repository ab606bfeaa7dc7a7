package supervisor

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/tlsconf/tlstest"
)

// TestRaftOverTLS: three of our sentinels in raft mode with
// tls-replication (the master itself plain: tls "no") form their raft
// group over mutual TLS: one leader, the master applied on every node,
// and each sees the master with its replica and both peers (over TLS).
func TestRaftOverTLS(t *testing.T) {
	requireRedis(t)
	topo := datanodetest.StartTopology(t, 1)
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "raft ca")
	f := tlstest.Write(t, dir, "node", ca, ca.Issue(t, "node", tlstest.IssueOptions{}))
	const n = 3
	ids, ports, raftAddrs := make([]string, n), make([]int, n), make([]string, n)
	var peers strings.Builder
	for i := range n {
		ids[i] = fmt.Sprintf("s%d", i+1)
		ports[i] = datanodetest.FreePort(t)
		raftAddrs[i] = fmt.Sprintf("127.0.0.1:%d", datanodetest.FreePort(t))
		fmt.Fprintf(&peers, "    - {id: %s, address: %q}\n", ids[i], raftAddrs[i])
	}
	var group []*raftSentinel
	for i := range n {
		text := fmt.Sprintf(`sentinel:
  bind: [127.0.0.1]
  port: %d
  tls:
    port: %d
    cert_file: %s
    key_file: %s
    ca_cert_file: %s
    replication: true
election:
  mode: raft
  node_id: %s
  bind: %q
  peers:
%s  data_dir: raft
  bootstrap: true
masters:
  - name: mymaster
    address: %s
    quorum: 2
    down_after: 1s
    failover_timeout: 10s
    tls: "no"
`, ports[i], datanodetest.FreePort(t), f.Cert, f.Key, f.CA, ids[i], raftAddrs[i], peers.String(), addrOf(topo.Master))
		path := filepath.Join(t.TempDir(), "sentinel.yaml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		s := &raftSentinel{t: t, id: ids[i], yaml: path, port: ports[i]}
		s.start()
		t.Cleanup(s.stop)
		group = append(group, s)
	}
	datanodetest.Eventually(t, 30*time.Second, 20*time.Millisecond, func() bool { return oneRaftLeader(group) }, "one raft leader over TLS, mymaster applied on every node")
	for _, s := range group {
		waitSettled(t, s.addr(), 1, 2)
	}
	// The raft port speaks TLS: a handshake with the group's certificate
	// succeeds.
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", raftAddrs[0], &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots})
	if err != nil {
		t.Fatalf("TLS handshake with the raft port: %v", err)
	}
	_ = c.Close()
}
