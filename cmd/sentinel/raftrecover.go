package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/election/raftmode"
)

// raftRecover is "sentinel raft-recover": it rewrites a stopped raft-mode
// sentinel's data directory so that it starts as a member of a new, smaller
// group, after a majority of the old one is lost for good
// (docs/operations.md, "Recovery from losing a majority"). It keeps the
// agreed state (masters, addresses, config epochs) the node holds.
//
//	sentinel raft-recover --config sentinel.yaml --peers s1=10.0.0.1:7001[,s2=10.0.0.2:7001]
func raftRecover(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("raft-recover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	yamlPath := fs.String("config", "", "the stopped sentinel's YAML configuration (election: {mode: raft})")
	peersText := fs.String("peers", "", "the new voter set, id=ip:port,...: every survivor, this node included; the same list on every survivor")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sentinel raft-recover --config sentinel.yaml --peers s1=10.0.0.1:7001[,s2=10.0.0.2:7001]")
		fmt.Fprintln(stderr, "Run with the sentinel stopped, on every surviving node, with the same --peers.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *yamlPath == "" || *peersText == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	cfg, err := configs.LoadFile(*yamlPath)
	if err != nil {
		fmt.Fprintf(stderr, "sentinel raft-recover: %v\n", err)
		return 1
	}
	e := cfg.Election
	if !e.Raft() {
		fmt.Fprintf(stderr, "sentinel raft-recover: %s is not in raft mode (election.mode)\n", *yamlPath)
		return 1
	}
	peers, err := parseRecoverPeers(*peersText, e)
	if err != nil {
		fmt.Fprintf(stderr, "sentinel raft-recover: --peers: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	res, err := raftmode.Recover(raftmode.RecoverOptions{ID: e.NodeID, Dir: e.DataDir, Peers: peers, Logger: logger})
	switch {
	case errors.Is(err, raftmode.ErrStoreLocked):
		fmt.Fprintf(stderr, "sentinel raft-recover: %v\nStop the sentinel first (raft-recover must run while it is stopped).\n", err)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "sentinel raft-recover: %v\n", err)
		return 1
	}
	printRecovery(stdout, e, peers, res)
	return 0
}

// parseRecoverPeers reads "id=ip:port,..." with the rules of election.peers;
// this node must be listed at the address it advertises.
func parseRecoverPeers(text string, e configs.Election) ([]raftmode.Peer, error) {
	var peers []raftmode.Peer
	self := false
	for _, item := range strings.Split(text, ",") {
		id, addr, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, fmt.Errorf("%q: want id=ip:port", item)
		}
		if err := configs.CheckRaftMember(id, addr); err != nil {
			return nil, fmt.Errorf("%s: %w", item, err)
		}
		if id == e.NodeID {
			self = true
			if addr != e.AdvertiseAddr() {
				return nil, fmt.Errorf("this node (%s) advertises %s, but --peers lists it at %s", id, e.AdvertiseAddr(), addr)
			}
		}
		peers = append(peers, raftmode.Peer{ID: id, Addr: addr})
	}
	if !self {
		return nil, fmt.Errorf("must list this node (node_id %s)", e.NodeID)
	}
	return peers, nil
}

func printRecovery(w io.Writer, e configs.Election, peers []raftmode.Peer, res *raftmode.RecoverResult) {
	list := func(ps []raftmode.Peer) string {
		var parts []string
		for _, p := range ps {
			parts = append(parts, p.ID+"="+p.Addr)
		}
		return strings.Join(parts, ",")
	}
	fmt.Fprintf(w, "recovered %s in %s (last index %d, term %d)\n", e.NodeID, e.DataDir, res.LastIndex, res.LastTerm)
	fmt.Fprintf(w, "voters before: %s\n", list(res.Previous))
	fmt.Fprintf(w, "voters now:    %s\n", list(peers))
	names := make([]string, 0, len(res.State.Masters))
	for name := range res.State.Masters {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m := res.State.Masters[name]
		fmt.Fprintf(w, "master %s at %s, config epoch %d\n", name, m.Addr, m.ConfigEpoch)
	}
	fmt.Fprintf(w, "highest epoch %d\n", res.State.HighestEpoch)
	fmt.Fprintln(w, "Next: start the sentinel(s) of the new voter set; set each master's quorum to what they can reach;")
	fmt.Fprintln(w, "then add sentinels back one at a time (empty data_dir, bootstrap: false, POST /raft/members on the leader).")
}
