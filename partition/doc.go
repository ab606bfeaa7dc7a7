// Package partition holds the network-partition tests of issue 11 (split
// brain): hosts in Linux network namespaces, each with a redis-server and
// one of our sentinels (the built binary, run with ip netns exec), a client
// namespace whose writer records every acknowledged write, and the old
// master's host cut from the other hosts but not from the clients.
//
// PARTITION_BASELINE=1 runs the scenario without fencing, =redis with
// redis-sentinel as the sentinels; PARTITION_CUT=drop cuts with iptables
// DROP rules instead of blackhole routes (docs/benchmarks.md).
//
// The tests need root and the ip command (iproute2); they skip otherwise
// and under -short. Every namespace, link and process they create is
// removed when the test ends, also on failure. The package has no
// non-test code.
package partition
