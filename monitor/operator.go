package monitor

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func errMsg(msg string) *CommandError { return &CommandError{Code: "ERR", Msg: msg} }

var errNoSuchMaster = errMsg("No such master with that name")

// Monitor starts watching a new master (SENTINEL MONITOR); emits +monitor.
// Zero timers take the defaults. The caller resolves host names.
func (c *Core) Monitor(at time.Time, mc MasterConfig) error {
	c.now = at
	if problem := c.validateMaster(mc); problem != "" {
		return errMsg(problem)
	}
	// A master added at run time starts with no history.
	mc.ConfigEpoch, mc.LeaderEpoch, mc.Leader = 0, 0, ""
	mc.KnownReplicas, mc.KnownSentinels = nil, nil
	m := c.addMaster(mc, at)
	c.flushConfig()
	c.event(EventMonitor, LevelWarning, m.inst, "quorum "+strconv.Itoa(m.quorum))
	return nil
}

// Remove stops watching a master (SENTINEL REMOVE); emits -monitor.
func (c *Core) Remove(at time.Time, name string) error {
	c.now = at
	m := c.masterByName(name)
	if m == nil {
		return errNoSuchMaster
	}
	c.event(EventMonitorRemoved, LevelWarning, m.inst, "")
	c.removeAllReplicas(m)
	c.removeAllSentinels(m)
	c.releaseLink(m.inst)
	for k, x := range c.masters {
		if x == m {
			c.masters = append(c.masters[:k:k], c.masters[k+1:]...)
			break
		}
	}
	c.flushConfig()
	return nil
}

// Set changes a master's settings (SENTINEL SET); emits +set per option.
// Like Redis, the settings before a bad one stay applied. rename-command
// takes its two arguments in Value, separated by one space. Whether scripts
// may be reconfigured (deny-scripts-reconfig) and whether the script file
// is executable is the caller's business: the core does no I/O.
func (c *Core) Set(at time.Time, name string, settings []Setting) error {
	c.now = at
	m := c.masterByName(name)
	if m == nil {
		return errNoSuchMaster
	}
	changes := 0
	defer func() {
		if changes > 0 {
			c.flushConfig()
		}
	}()
	for _, st := range settings {
		opt := st.Name
		bad := func(v string) error {
			return errMsg(fmt.Sprintf("Invalid argument '%s' for SENTINEL SET '%s'", v, opt))
		}
		shown := st.Value
		lopt := strings.ToLower(opt)
		switch lopt {
		case "down-after-milliseconds", "failover-timeout", "parallel-syncs", "quorum":
			n, err := strconv.ParseInt(st.Value, 10, 64)
			if err != nil || n <= 0 || n > 1<<40 {
				return bad(st.Value)
			}
			switch lopt {
			case "down-after-milliseconds":
				m.downAfter = time.Duration(n) * time.Millisecond
			case "failover-timeout":
				m.failoverTimeout = time.Duration(n) * time.Millisecond
			case "parallel-syncs":
				m.parallelSyncs = int(n)
			case "quorum":
				m.quorum = int(n)
			}
		case "master-reboot-down-after-period":
			n, err := strconv.ParseInt(st.Value, 10, 64)
			if err != nil || n < 0 || n > 1<<40 {
				return bad(st.Value)
			}
			m.rebootDownAfter = time.Duration(n) * time.Millisecond
		case "notification-script":
			m.notificationScript = st.Value
		case "client-reconfig-script":
			m.clientReconfigScript = st.Value
		case "auth-pass":
			m.authPass = st.Value
			shown = "******"
			c.dropConnections(m)
		case "auth-user":
			m.authUser = st.Value
			c.dropConnections(m)
		case "rename-command":
			from, to, ok := strings.Cut(st.Value, " ")
			if !ok || from == "" || to == "" || strings.Contains(to, " ") {
				v := to
				if to != "" && from == "" {
					v = from
				}
				return bad(v)
			}
			for k := range m.renamed {
				if strings.EqualFold(k, from) {
					delete(m.renamed, k)
				}
			}
			if !strings.EqualFold(from, to) {
				m.renamed[from] = to
			}
		default:
			return errMsg(fmt.Sprintf("Unknown option or number of arguments for SENTINEL SET '%s'", opt))
		}
		changes++
		c.event(EventSet, LevelWarning, m.inst, opt+" "+shown)
	}
	return nil
}

// dropConnections asks for the data-node links of a master to be reopened
// (new credentials), as dropInstanceConnections does.
func (c *Core) dropConnections(m *master) {
	c.act(Reconnect{Target: m.inst.addr})
	for _, r := range m.replicas {
		c.act(Reconnect{Target: r.addr})
	}
}

// Reset forgets replicas, sentinels and failover state of the masters whose
// name matches the glob pattern (SENTINEL RESET); returns how many.
func (c *Core) Reset(at time.Time, pattern string) int {
	c.now = at
	n := 0
	for _, m := range c.masters {
		if !MatchGlob(pattern, m.name) {
			continue
		}
		c.resetMaster(m, at, true)
		c.event(EventResetMaster, LevelWarning, m.inst, "")
		n++
	}
	if n > 0 {
		c.flushConfig()
	}
	return n
}

// Failover forces a failover without agreement (SENTINEL FAILOVER).
func (c *Core) Failover(at time.Time, name string, coordinated bool) error {
	c.now = at
	m := c.masterByName(name)
	if m == nil {
		return errNoSuchMaster
	}
	if m.inst.flags&FlagFailoverInProgress != 0 {
		return &CommandError{Code: "INPROG", Msg: "Failover already in progress"}
	}
	if c.selectReplica(m, at) == nil {
		return &CommandError{Code: "NOGOODSLAVE", Msg: "No suitable replica to promote"}
	}
	if coordinated && (m.inst.flags&FlagSDown != 0 || m.inst.link.disconnected) {
		// The master hands over itself: it must be there to do it.
		return &CommandError{Code: "ERR", Msg: "COORDINATED failover needs a reachable master; use SENTINEL FAILOVER without it"}
	}
	c.startFailover(m, at)
	m.inst.flags |= FlagForceFailover
	m.coordinated = coordinated
	if !c.tilt {
		c.runFailover(m, at)
	}
	return nil
}

// CKQuorum reports the usable sentinels (SENTINEL CKQUORUM), or a
// CommandError with code NOQUORUM.
func (c *Core) CKQuorum(at time.Time, name string) (usable int, err error) {
	c.now = at
	m := c.masterByName(name)
	if m == nil {
		return 0, errNoSuchMaster
	}
	usable = 1 // ourselves
	for _, s := range m.sentinels {
		if s.flags&(FlagSDown|FlagODown) == 0 {
			usable++
		}
	}
	voters := len(m.sentinels) + 1
	noQuorum := usable < m.quorum
	noAuth := usable < voters/2+1
	if !noQuorum && !noAuth {
		return usable, nil
	}
	msg := strconv.Itoa(usable) + " usable Sentinels. "
	if noQuorum {
		msg += "Not enough available Sentinels to reach the specified quorum for this master"
	}
	if noAuth {
		if noQuorum {
			msg += ". "
		}
		msg += "Not enough available Sentinels to reach the majority and authorize a failover"
	}
	return usable, &CommandError{Code: "NOQUORUM", Msg: msg}
}

// IsMasterDownByAddr answers a peer's SENTINEL IS-MASTER-DOWN-BY-ADDR,
// casting a vote when asked. Any vote or epoch change is followed by a
// FlushConfig action in Ready, which the driver performs before replying.
func (c *Core) IsMasterDownByAddr(at time.Time, req IsMasterDownRequest) IsMasterDownReply {
	c.now = at
	reply := IsMasterDownReply{Leader: "*"}
	var m *master
	for _, x := range c.masters {
		if c.addrIs(req.Addr, x.inst.addr) {
			m = x
			break
		}
	}
	if m == nil {
		return reply
	}
	// In TILT our SDOWN cannot be trusted: always "not down".
	reply.Down = !c.tilt && m.inst.flags&FlagSDown != 0
	if s := m.askingPeer(req); s != nil {
		// Sentinel asks only while it holds the master SDOWN, so the
		// question is that peer's opinion; counting it lets every sentinel
		// reach ODOWN as soon as it is SDOWN itself, instead of one ask
		// period later (by when the failover may be over and its
		// subscribers would never hear +odown).
		peerSaysDown(s, at)
		if !c.tilt {
			c.checkODown(m, at)
		}
	}
	if req.RunID != "*" && req.RunID != "" {
		c.voteLeader(m, req.CurrentEpoch, req.RunID, at)
		if m.leader != "" {
			reply.Leader = m.leader
		}
		reply.LeaderEpoch = m.leaderEpoch
	}
	return reply
}

// debugTimers lists the SENTINEL DEBUG names in the order Redis prints them.
func (c *Core) debugTimers() []struct {
	name string
	d    *time.Duration
} {
	t := &c.timers
	return []struct {
		name string
		d    *time.Duration
	}{
		{"INFO-PERIOD", &t.InfoPeriod},
		{"PING-PERIOD", &t.PingPeriod},
		{"ASK-PERIOD", &t.AskPeriod},
		{"PUBLISH-PERIOD", &t.PublishPeriod},
		{"DEFAULT-DOWN-AFTER", &t.DefaultDownAfter},
		{"DEFAULT-FAILOVER-TIMEOUT", &t.DefaultFailoverTimeout},
		{"TILT-TRIGGER", &t.TiltTrigger},
		{"TILT-PERIOD", &t.TiltPeriod},
		{"SLAVE-RECONF-TIMEOUT", &t.SlaveReconfTimeout},
		{"MIN-LINK-RECONNECT-PERIOD", &t.MinLinkReconnectPeriod},
		{"ELECTION-TIMEOUT", &t.ElectionTimeout},
		{"SCRIPT-MAX-RUNTIME", &t.ScriptMaxRuntime},
		{"SCRIPT-RETRY-DELAY", &t.ScriptRetryDelay},
	}
}

// Debug overrides timers by their SENTINEL DEBUG names (any case), values
// in milliseconds, each > 0. Like Redis, settings before a bad one stay
// applied.
func (c *Core) Debug(settings []Setting) error {
	for _, st := range settings {
		var target *time.Duration
		for _, t := range c.debugTimers() {
			if strings.EqualFold(t.name, st.Name) {
				target = t.d
				break
			}
		}
		if target == nil {
			return errMsg(fmt.Sprintf("Unknown option or number of arguments for SENTINEL DEBUG '%s'", st.Name))
		}
		n, err := strconv.ParseInt(st.Value, 10, 64)
		if err != nil || n <= 0 || n > 1<<40 {
			return errMsg(fmt.Sprintf("Invalid argument '%s' for SENTINEL DEBUG '%s'", st.Value, st.Name))
		}
		*target = time.Duration(n) * time.Millisecond
	}
	return nil
}

// DebugValues lists the timers as SENTINEL DEBUG prints them, in its order:
// upper-case names, values in milliseconds.
func (c *Core) DebugValues() []Setting {
	ts := c.debugTimers()
	out := make([]Setting, len(ts))
	for k, t := range ts {
		out[k] = Setting{Name: t.name, Value: strconv.FormatInt(t.d.Milliseconds(), 10)}
	}
	return out
}

// Timers returns the timers in force (SENTINEL DEBUG changes them).
func (c *Core) Timers() Timers { return c.timers }

// SetAnnounce changes the address our hellos carry (SENTINEL CONFIG SET
// announce-ip / announce-port); an empty host means the local address of
// each link. The next hello of every master goes out at once, so peers learn
// the new address without waiting a publish period.
func (c *Core) SetAnnounce(at time.Time, a Addr) {
	c.now = at
	if a == c.announce {
		return
	}
	c.announce = a
	for _, m := range c.masters {
		c.forceHello(m, at)
	}
}
