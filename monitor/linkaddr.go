package monitor

import (
	"fmt"
	"net/netip"
	"time"
)

// Resolved says the driver's newest command connection to a data node or
// peer that is named by a host name went to IP (it resolves names at every
// dial, so a name that moved is followed on the next connection). The core
// keeps the name as the instance's identity and uses the IP only to show
// and to match addresses (announced, hostIs).
type Resolved struct {
	At     time.Time
	Target Addr
	IP     string
}

// SubscribeResult is how the latest attempt to subscribe a data node's
// pub/sub link to __sentinel__:hello ended: ReplyPong when the node
// confirmed the subscription, any other kind when it failed (refused AUTH,
// -NOAUTH, -NOPERM, a renamed SUBSCRIBE, no connection). Redis tears such a
// link down and shows the instance "disconnected" until a subscription
// works again; so do we.
type SubscribeResult struct {
	At     time.Time
	Target Addr
	Kind   ReplyKind
}

func (i Resolved) at() time.Time        { return i.At }
func (i SubscribeResult) at() time.Time { return i.At }

func (Resolved) isInput()        {}
func (SubscribeResult) isInput() {}

func (in Resolved) validate() error {
	if _, ok := parseIP(in.IP); !ok {
		return fmt.Errorf("%w: resolved address %q is not an IP", ErrBadInput, in.IP)
	}
	return nil
}

func (in SubscribeResult) validate() error { return checkReplyKind("subscribe", in.Kind) }

func (c *Core) onResolved(in Resolved) {
	if l := c.links[in.Target]; l != nil {
		l.ip = in.IP
	}
}

// onSubscribe records whether a data node's hello subscription works; it
// only changes the "disconnected" flag. PING, INFO and hellos keep their
// cadence: the command link may work, and what it learns is still true.
//
// One exception: once a subscription is confirmed, our hello goes through
// that node at the next tick instead of up to a publish period later.
// Peers that started with us published their first hello before our
// subscription was there, and we published ours before theirs was: without
// this, each hears the other only at the next period (2 s). With it, of
// two sentinels the one whose subscription came second publishes after
// both are listening, the other hears it, and the direct hello to the new
// peer closes the pair: a group that starts together knows itself about
// one tick after its last subscription (docs/benchmarks.md, start-up). A
// resubscription after a restart of the node does the same.
func (c *Core) onSubscribe(in SubscribeResult) {
	l := c.links[in.Target]
	if l == nil || l.kind == KindSentinel {
		return
	}
	l.pubsubDown = in.Kind != ReplyPong
	if l.pubsubDown {
		l.subscribed = false
		return
	}
	if !l.subscribed {
		l.subscribed = true
		for _, i := range l.insts {
			i.lastPub = time.Time{}
		}
	}
}

// SetAnnounceHostnames switches what replies, events and the addresses we
// send (hellos, IS-MASTER-DOWN-BY-ADDR, SLAVEOF) show for instances named
// by a host name: the name (on), or the IP the name was last reached at
// (off, the default), as Redis's announce-hostnames.
func (c *Core) SetAnnounceHostnames(at time.Time, on bool) {
	c.now = at
	c.announceHostnames = on
}

// announced is announceSentinelAddr: how a replies, events and outgoing
// commands show address a. Without announce-hostnames a host name is shown
// as the IP our connection to it last reached; a name never reached yet
// (nothing resolved so far) is shown as it is.
func (c *Core) announced(a Addr) Addr {
	if _, isIP := parseIP(a.Host); c.announceHostnames || isIP {
		return a
	}
	if l := c.links[a]; l != nil && l.ip != "" {
		return Addr{Host: l.ip, Port: a.Port}
	}
	return a
}

// hostIs reports whether host, as a node or a peer reports it, names the
// instance we know at a: the same name (case-insensitively), or the IP that
// a's name was last reached at. It is sentinelAddrEqualsHostname without a
// DNS lookup in the core: a peer that announces IPs (announce-hostnames
// off) still talks about the master we monitor by name.
func (c *Core) hostIs(host string, a Addr) bool {
	if sameHost(host, a.Host) {
		return true
	}
	l := c.links[a]
	if l == nil || l.ip == "" {
		return false
	}
	x, ok1 := parseIP(host)
	y, ok2 := parseIP(l.ip)
	return ok1 && ok2 && x == y
}

// addrIs is hostIs with the port.
func (c *Core) addrIs(b, a Addr) bool { return b.Port == a.Port && c.hostIs(b.Host, a) }

// instName is how Sentinel names an instance in events and replies: a
// replica by its announced "ip:port".
func (c *Core) instName(i *instance) string {
	if i.kind == KindReplica {
		return c.announced(i.addr).String()
	}
	return i.name()
}

// ref describes an instance for an event, with announced addresses.
func (c *Core) ref(i *instance) *InstanceRef {
	r := &InstanceRef{Kind: i.kind, Name: c.instName(i), Addr: c.announced(i.addr)}
	if i.kind != KindMaster {
		r.MasterName = i.m.name
		r.MasterAddr = c.announced(i.m.inst.addr)
	}
	return r
}

// knownAt reports whether a replica line's address names a replica (or
// the master itself) of m, by name or by its resolved IP, so a replica we
// know by name is not added a second time under the IP its master lists.
func (c *Core) knownAt(m *master, a Addr) bool {
	if m.replicaByAddr(a) != nil || c.addrIs(a, m.inst.addr) {
		return true
	}
	return c.knownAs(m, a) != a
}

// parseIP parses an IP literal (IPv4-mapped IPv6 as IPv4, so both spellings
// of one address compare equal).
func parseIP(s string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// knownAs is the address we know the node at a under, among m's master and
// replicas (matched by name or by resolved IP), or a itself. A peer that
// announces IPs names the promoted replica by its IP; switching to the
// name we already watch it under keeps one entry (and one link) per node,
// where Redis would drop the name and keep the IP.
func (c *Core) knownAs(m *master, a Addr) Addr {
	if c.addrIs(a, m.inst.addr) {
		return m.inst.addr
	}
	if r := m.replicaByAddr(a); r != nil {
		return r.addr
	}
	ip, ok := parseIP(a.Host)
	if !ok {
		return a
	}
	for _, r := range m.replicas {
		if l := r.link; r.addr.Port == a.Port && l != nil && l.ip != "" {
			if rip, ok := parseIP(l.ip); ok && rip == ip {
				return r.addr
			}
		}
	}
	return a
}
