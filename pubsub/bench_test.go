package pubsub

import (
	"strings"
	"testing"
)

// BenchmarkServerGetMasterAddr measures a pipelined batch of 64
// SENTINEL GET-MASTER-ADDR-BY-NAME round trips over loopback.
func BenchmarkServerGetMasterAddr(b *testing.B) {
	ts := startServer(b, nil)
	c := dialRaw(b, ts.addr)
	batch := strings.Repeat(encode("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"), 64)
	reply := "*2\r\n$9\r\n127.0.0.1\r\n$5\r\n16380\r\n"
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		c.send(batch)
		buf = c.readExact(64 * len(reply))
	}
	if string(buf[:len(reply)]) != reply {
		b.Fatalf("reply = %q", buf[:len(reply)])
	}
}

// BenchmarkServerMasters measures SENTINEL MASTERS (one master with two
// replicas and a peer) round trips.
func BenchmarkServerMasters(b *testing.B) {
	ts := startServer(b, nil)
	c := dialRaw(b, ts.addr)
	b.ReportAllocs()
	for b.Loop() {
		if v := c.do("SENTINEL", "MASTERS"); len(v.Elems) != 1 {
			b.Fatalf("reply = %+v", v)
		}
	}
}
