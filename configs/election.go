package configs

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
)

// The election modes (DESIGN.md D2). Vote mode is Redis Sentinel's own
// protocol and the default; raft mode agrees on every master's address and
// config epoch through a hashicorp/raft group (docs/decisions/0003).
const (
	ElectionVote = "vote"
	ElectionRaft = "raft"
)

// Election is the YAML election block. Everything but Mode is used only
// in raft mode; sentinel.conf has no way to set it, so raft mode needs a
// YAML configuration.
type Election struct {
	// Mode is vote (default when empty) or raft.
	Mode string `yaml:"mode,omitempty"`
	// NodeID is this sentinel's raft server ID; stable across restarts
	// and listed in Peers.
	NodeID string `yaml:"node_id,omitempty"`
	// Bind is the host:port the raft TCP transport listens on, a port of
	// its own beside the client port.
	Bind string `yaml:"bind,omitempty"`
	// Advertise is the host:port peers dial; empty means Bind, which must
	// then name a specific IP.
	Advertise string `yaml:"advertise,omitempty"`
	// Peers is the full voter set used to bootstrap the group, this node
	// included.
	Peers []ElectionPeer `yaml:"peers,omitempty"`
	// DataDir holds the raft log, stable store and snapshots. Relative
	// paths resolve against the working directory (Config.WorkDir).
	DataDir string `yaml:"data_dir,omitempty"`
	// Bootstrap lets this node create the group from Peers when its data
	// directory holds no raft state. Every peer may set it with the same
	// Peers; it is ignored once state exists.
	Bootstrap bool `yaml:"bootstrap,omitempty"`
}

// ElectionPeer is one voting member of the raft group.
type ElectionPeer struct {
	ID      string `yaml:"id"`
	Address string `yaml:"address"`
}

// Raft reports whether the configuration selects raft mode.
func (e Election) Raft() bool { return e.Mode == ElectionRaft }

// AdvertiseAddr is the address peers dial: Advertise, or Bind without one.
func (e Election) AdvertiseAddr() string {
	if e.Advertise != "" {
		return e.Advertise
	}
	return e.Bind
}

// Clone returns a deep copy.
func (e Election) Clone() Election {
	out := e
	out.Peers = append([]ElectionPeer(nil), e.Peers...)
	return out
}

// raftNodeID is the rule for node_id and peer ids: they travel in raft's
// configuration and in logs, so one plain word.
var raftNodeID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// election checks the election block (called by Validate).
func (v *validator) election(e *Election) {
	switch e.Mode {
	case "", ElectionVote:
		v.electionUnusedInVote(e)
		return
	case ElectionRaft:
	default:
		v.add("election.mode", "must be vote or raft, got %q", e.Mode)
		return
	}
	if v.c.Source == SourceConf {
		v.add("election.mode", "raft mode needs a YAML configuration; sentinel.conf cannot select it")
		return
	}
	if !raftNodeID.MatchString(e.NodeID) {
		v.add("election.node_id", "must be 1-64 letters, digits, '.', '_' or '-' (not starting with a sign), got %q", e.NodeID)
	}
	bindWildcard := false
	if e.Bind == "" {
		v.add("election.bind", "is required in raft mode (host:port of the raft transport)")
	} else if ip, err := checkRaftAddr(e.Bind, true); err != nil {
		v.add("election.bind", "%v", err)
	} else {
		bindWildcard = !ip.IsValid() || ip.IsUnspecified()
	}
	if e.Advertise != "" {
		if ip, err := checkRaftAddr(e.Advertise, false); err != nil {
			v.add("election.advertise", "%v", err)
		} else if ip.IsUnspecified() {
			v.add("election.advertise", "must be an address peers can dial, got %q", e.Advertise)
		}
	} else if bindWildcard {
		v.add("election.advertise", "is required when bind listens on every address (%q)", e.Bind)
	}
	if e.DataDir == "" {
		v.add("election.data_dir", "is required in raft mode (the raft log and snapshots live there)")
	}
	v.electionPeers(e)
}

// electionPeers checks the voter list: valid and unique ids and addresses,
// this node listed under the address it advertises.
func (v *validator) electionPeers(e *Election) {
	if len(e.Peers) == 0 {
		v.add("election.peers", "must list every voter of the raft group, this node included")
		return
	}
	ids := make(map[string]int, len(e.Peers))
	addrs := make(map[string]int, len(e.Peers))
	self := false
	for i, p := range e.Peers {
		path := fmt.Sprintf("election.peers[%d]", i)
		if !raftNodeID.MatchString(p.ID) {
			v.add(path+".id", "must be 1-64 letters, digits, '.', '_' or '-' (not starting with a sign), got %q", p.ID)
		} else if j, dup := ids[p.ID]; dup {
			v.add(path+".id", "%q is already peers[%d]", p.ID, j)
		} else {
			ids[p.ID] = i
		}
		if ip, err := checkRaftAddr(p.Address, false); err != nil {
			v.add(path+".address", "%v", err)
		} else if ip.IsUnspecified() {
			v.add(path+".address", "must be an address peers can dial, got %q", p.Address)
		} else if j, dup := addrs[p.Address]; dup {
			v.add(path+".address", "%q is already the address of peers[%d]", p.Address, j)
		} else {
			addrs[p.Address] = i
		}
		if p.ID == e.NodeID && e.NodeID != "" {
			self = true
			if want := e.AdvertiseAddr(); want != "" && p.Address != want {
				v.add(path+".address", "this node (%s) advertises %q, but is listed as %q", e.NodeID, want, p.Address)
			}
		}
	}
	if !self && raftNodeID.MatchString(e.NodeID) {
		v.add("election.peers", "must list this node (node_id %q)", e.NodeID)
	}
}

// CheckRaftMember is the rule for a voter added at run time: the same as
// for election.peers in the file.
func CheckRaftMember(id, address string) error {
	if !raftNodeID.MatchString(id) {
		return fmt.Errorf("id must be 1-64 letters, digits, '.', '_' or '-' (not starting with a sign), got %q", id)
	}
	ip, err := checkRaftAddr(address, false)
	if err != nil {
		return fmt.Errorf("address: %w", err)
	}
	if ip.IsUnspecified() {
		return fmt.Errorf("address must be one peers can dial, got %q", address)
	}
	return nil
}

// electionUnusedInVote refuses raft settings in vote mode: a forgotten
// "mode: raft" would otherwise silently run the other protocol.
func (v *validator) electionUnusedInVote(e *Election) {
	set := map[string]bool{
		"node_id": e.NodeID != "", "bind": e.Bind != "", "advertise": e.Advertise != "",
		"peers": len(e.Peers) > 0, "data_dir": e.DataDir != "", "bootstrap": e.Bootstrap,
	}
	for _, name := range []string{"node_id", "bind", "advertise", "peers", "data_dir", "bootstrap"} {
		if set[name] {
			v.add("election."+name, "is used only with mode: raft (mode is vote)")
		}
	}
}

// checkRaftAddr checks an IP:port of the raft transport. The host must be
// an IP literal: hashicorp/raft resolves a name only once, at start. An
// empty host is accepted only for a bind address (every address); the
// returned IP is then invalid.
func checkRaftAddr(s string, bind bool) (netip.Addr, error) {
	host, portText, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("must be ip:port, got %q", s)
	}
	if _, err := parsePort(portText); err != nil {
		return netip.Addr{}, fmt.Errorf("%q: %w", s, err)
	}
	if host == "" {
		if bind {
			return netip.Addr{}, nil
		}
		return netip.Addr{}, fmt.Errorf("%q: empty host", s)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q: host must be an IP address without a zone", s)
	}
	return ip, nil
}
