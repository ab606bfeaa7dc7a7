package monitor

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

// link is the state of the connection(s) to one address, shared by every
// instance at that address, like sentinel.c's instanceLink (a peer sentinel
// known under several masters has one link). Times are zero until set.
type link struct {
	addr   Addr
	kind   InstanceKind
	master string // the master named in Watch/Ping actions (credentials)
	insts  []*instance

	born bool // timing fields initialised at the first tick that saw it

	actPing   time.Time // send time of the oldest unanswered PING (act_ping_time)
	lastPing  time.Time // last PING sent (last_ping_time)
	lastPong  time.Time // last reply of any kind to PING (last_pong_time)
	lastAvail time.Time // last valid reply (last_avail_time)

	// ip is the address the driver's newest connection to a host name
	// reached (Resolved); "" for IPs and until known.
	ip string
	// pubsubDown: the hello subscription does not work (SubscribeResult).
	pubsubDown bool
	// subscribed: a subscription was confirmed since pubsubDown was last
	// set (onSubscribe).
	subscribed bool

	pingPending  bool
	probeNow     bool // LinkBroken: PING at the next chance, whatever the cadence says
	pingSentAt   time.Time
	infoPending  bool
	infoSentAt   time.Time
	disconnected bool
	connSince    time.Time // command link age, for link hygiene
	pubsubSince  time.Time // pub/sub link age
	pubsubSeen   time.Time // last message seen on the pub/sub link
}

// instance is a master, replica or peer sentinel as one master sees it
// (sentinelRedisInstance).
type instance struct {
	kind  InstanceKind
	addr  Addr
	runID string
	link  *link
	m     *master // the master this instance belongs to (itself for a master)
	flags Flags

	sdownSince time.Time
	odownSince time.Time

	// Data nodes.
	infoRefresh      time.Time
	infoRaw          string
	roleReported     Role
	roleReportedTime time.Time
	rebootSince      time.Time
	lastPub          time.Time // last hello published through this instance

	// Replicas.
	masterLinkDownTime time.Duration
	masterLinkUp       bool
	replMasterHost     string
	replMasterPort     int
	confChangeTime     time.Time // slave_conf_change_time
	priority           int
	offset             int64
	announced          bool
	reconfSentTime     time.Time
	// demoted marks the entry created for the previous master address at a
	// switch. Such a node, once back and still claiming to be a master, is a
	// stale old master, never a replica another sentinel promoted, so it is
	// polled quickly and converted without Sentinel's 8 s wait.
	demoted bool

	// Peer sentinels.
	lastHello     time.Time
	leader        string
	leaderEpoch   uint64
	lastDownReply time.Time
	// downHeardAt is the latest evidence that this peer sees the master
	// down: a "down" reply, or an is-master-down-by-addr question from it
	// (Sentinel asks only while it holds the master SDOWN).
	downHeardAt time.Time
	askPending  int // asks about the current master address in flight
	askStale    int // asks about a previous address still in flight: replies are dropped
	askSentAt   time.Time
}

// master is one monitored master with its replicas and peers.
type master struct {
	inst *instance
	name string

	// MasterSettings are the master's settings, as configured or changed
	// by SENTINEL SET (setOptions); RenameCommands is never nil.
	settings.MasterSettings

	configEpoch uint64
	leaderEpoch uint64
	leader      string
	votedAt     time.Time // when we voted for leader (not persisted)

	failoverState      FailoverState
	failoverStateSince time.Time
	failoverStart      time.Time
	failoverEpoch      uint64
	promoted           *instance
	// candidateAt is when our candidacy for this ODOWN may start; zero
	// until ODOWN is seen with no failover running (see scheduleCandidacy).
	candidateAt time.Time
	// candidateSince, candidateRank and candidateJitter are what
	// candidateAt is computed from (candidacyTime): the turn is
	// recomputed while we wait, as more masters go ODOWN.
	candidateSince  time.Time
	candidateRank   int
	candidateJitter time.Duration
	// retryOnGoodReplica: our last attempt aborted for want of a good
	// replica; try again as soon as one qualifies rather than after
	// 2 × failover-timeout (nobody else can be acting in that epoch).
	retryOnGoodReplica bool
	// coordinated: the running failover is SENTINEL FAILOVER ... COORDINATED,
	// handed over by the master itself (FailoverTo).
	coordinated bool
	// promotionUnsent: the promotion of this failover was dropped unsent
	// (PromotionNotSent, past its NotAfter); the next tick sends it again.
	promotionUnsent bool
	// deferredHello is a peer's hello announcing a new address, held back
	// until our own verdict on the old one is in (deferSwitch).
	deferredHello *HelloReceived

	// fence is the fencing bookkeeping (monitor/fencing.go).
	fence fenceState

	// limitsWarned lists the discovery limits ("slaves", "sentinels")
	// already reported by +discovery-limit.
	limitsWarned []string

	replicas  []*instance // sorted by address
	sentinels []*instance // sorted by run id
}

func compareAddr(a, b Addr) int {
	if c := strings.Compare(a.Host, b.Host); c != 0 {
		return c
	}
	return cmp.Compare(a.Port, b.Port)
}

// sameHost compares host names the way sentinelAddrEqualsHostname does
// (case-insensitively).
func sameHost(a, b string) bool { return strings.EqualFold(a, b) }

func (m *master) replicaByAddr(a Addr) *instance { return findSorted(m.replicas, a, replicaAddr) }

// replicaAddr orders m.replicas: by address.
func replicaAddr(r *instance, a Addr) int { return compareAddr(r.addr, a) }

// askingPeer finds the known sentinel behind an is-master-down-by-addr
// question: by the candidate run id it carries, else by the
// "sentinel-<id8>-cmd" name Sentinel gives its links. nil when unknown or
// ambiguous.
func (m *master) askingPeer(req IsMasterDownRequest) *instance {
	if req.RunID != "*" && req.RunID != "" {
		if s := m.sentinelByRunID(req.RunID); s != nil {
			return s
		}
	}
	prefix, ok := strings.CutPrefix(req.ClientName, "sentinel-")
	if !ok {
		return nil
	}
	prefix, ok = strings.CutSuffix(prefix, "-cmd")
	if !ok || len(prefix) != 8 {
		return nil
	}
	var found *instance
	for _, s := range m.sentinels {
		if len(s.runID) >= 8 && strings.EqualFold(s.runID[:8], prefix) {
			if found != nil {
				return nil
			}
			found = s
		}
	}
	return found
}

func (m *master) sentinelByRunID(id string) *instance {
	return findSorted(m.sentinels, id, sentinelRunID)
}

// sentinelRunID orders m.sentinels: by run ID.
func sentinelRunID(s *instance, id string) int { return strings.Compare(s.runID, id) }

func (m *master) sentinelByAddr(a Addr) *instance {
	for _, s := range m.sentinels {
		if s.addr == a {
			return s
		}
	}
	return nil
}

// currentAddr is sentinelGetCurrentMasterAddress: the promoted replica once
// the failover reached reconf_slaves, else the master's address.
func (m *master) currentAddr() Addr {
	if m.inst.flags&FlagFailoverInProgress != 0 && m.promoted != nil && m.failoverState >= FailoverReconfReplicas {
		return m.promoted.addr
	}
	return m.inst.addr
}

// name is how Sentinel names an instance in events and replies.
func (i *instance) name() string {
	switch i.kind {
	case KindMaster:
		return i.m.name
	case KindSentinel:
		return i.runID
	default:
		return i.addr.String()
	}
}

// acquireLink attaches an instance to the link for its address, creating
// the link (and emitting Watch) when it is the first user.
func (c *Core) acquireLink(i *instance, now time.Time) {
	l := c.links[i.addr]
	if l == nil {
		l = &link{addr: i.addr, kind: i.kind, master: i.m.name}
		if !now.IsZero() {
			c.initLink(l, now)
		}
		c.links[i.addr] = l
		c.act(Watch{Target: i.addr, Kind: i.kind, Master: i.m.name})
	}
	l.insts = append(l.insts, i)
	i.link = l
}

// initLink starts the clocks of a new link as createInstanceLink does: the
// instance is considered available now, and a first PING is due at once.
func (c *Core) initLink(l *link, now time.Time) {
	l.born = true
	l.actPing = now
	c.wakeStale = true
	l.lastAvail = now
	l.connSince = now
	l.pubsubSince = now
	l.pubsubSeen = now
}

// releaseLink detaches an instance; the last user closes the link (Unwatch).
func (c *Core) releaseLink(i *instance) {
	l := i.link
	i.link = nil
	c.detach(l, i)
}

// detach removes an instance from a link's users.
func (c *Core) detach(l *link, i *instance) {
	if l == nil {
		return
	}
	l.insts = slices.DeleteFunc(l.insts, func(x *instance) bool { return x == i })
	if len(l.insts) == 0 {
		if c.links[l.addr] == l {
			delete(c.links, l.addr)
		}
		c.act(Unwatch{Target: l.addr})
		return
	}
	if l.master == i.m.name {
		l.master = l.insts[0].m.name
	}
}

func newReplica(m *master, a Addr, now time.Time) *instance {
	return &instance{
		kind:             KindReplica,
		addr:             a,
		m:                m,
		flags:            FlagReplica,
		roleReported:     RoleReplica,
		roleReportedTime: now,
		priority:         100,
		announced:        true,
	}
}

// addReplica creates a replica entry (createSentinelRedisInstance with
// SRI_SLAVE); it returns nil when one already exists at that address.
func (c *Core) addReplica(m *master, a Addr, now time.Time) *instance {
	if m.replicaByAddr(a) != nil || a == m.inst.addr {
		return nil
	}
	if len(m.replicas) >= c.limits.MaxReplicas {
		c.overLimit(m, "slaves", c.limits.MaxReplicas)
		return nil
	}
	r := newReplica(m, a, now)
	i, _ := slices.BinarySearchFunc(m.replicas, a, replicaAddr)
	m.replicas = slices.Insert(m.replicas, i, r)
	c.acquireLink(r, now)
	return r
}

func (c *Core) addSentinel(m *master, a Addr, runID string, now time.Time) *instance {
	if m.sentinelByRunID(runID) != nil {
		return nil
	}
	if len(m.sentinels) >= c.limits.MaxSentinels {
		c.overLimit(m, "sentinels", c.limits.MaxSentinels)
		return nil
	}
	s := &instance{kind: KindSentinel, addr: a, runID: runID, m: m, flags: FlagSentinel}
	i, _ := slices.BinarySearchFunc(m.sentinels, runID, sentinelRunID)
	m.sentinels = slices.Insert(m.sentinels, i, s)
	c.acquireLink(s, now)
	return s
}

// overLimit warns, once per master and kind until the master is reset,
// that discovery found more than the limit allows.
func (c *Core) overLimit(m *master, what string, limit int) {
	if slices.Contains(m.limitsWarned, what) {
		return
	}
	m.limitsWarned = append(m.limitsWarned, what)
	c.event(EventDiscoveryLimit, LevelWarning, m.inst, what+" "+strconv.Itoa(limit))
}

func (c *Core) removeSentinel(m *master, s *instance) {
	m.sentinels = slices.DeleteFunc(m.sentinels, func(x *instance) bool { return x == s })
	c.releaseLink(s)
}

func (c *Core) removeAllSentinels(m *master) {
	for _, s := range m.sentinels {
		c.releaseLink(s)
	}
	m.sentinels = nil
}

func (c *Core) removeAllReplicas(m *master) {
	for _, r := range m.replicas {
		c.releaseLink(r)
	}
	m.replicas = nil
	m.promoted = nil
}
