package configs

import (
	"fmt"
	"testing"
)

// BenchmarkRewriteConf measures a state save in sentinel.conf mode with
// 250 masters (each failover or discovery triggers one).
func BenchmarkRewriteConf(b *testing.B) {
	st := State{MyID: testID, CurrentEpoch: 7}
	for i := range 250 {
		m := testMaster(fmt.Sprintf("master-%d", i), 10000+i)
		m.KnownReplicas = []Addr{{"127.0.0.1", 20000 + i}, {"127.0.0.1", 30000 + i}}
		m.KnownSentinels = []KnownSentinel{{Addr: Addr{"127.0.0.1", 26380}, RunID: peerID}, {Addr: Addr{"127.0.0.1", 26381}, RunID: peerID2}}
		st.Masters = append(st.Masters, m)
	}
	old := RewriteConf([]byte("port 26379\n"), st)
	b.ReportAllocs()
	for b.Loop() {
		_ = RewriteConf(old, st)
	}
}

// BenchmarkLoadExample measures loading the example YAML.
func BenchmarkLoadExample(b *testing.B) {
	data := []byte("masters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 2\n    known_replicas: [\"127.0.0.1:6380\"]\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(data); err != nil {
			b.Fatal(err)
		}
	}
}
