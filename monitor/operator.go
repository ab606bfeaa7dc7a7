package monitor

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/election"
	"github.com/sentinelgo/sentinel/glob"
	"github.com/sentinelgo/sentinel/settings"
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
	c.event(EventMonitor, LevelWarning, m.inst, "quorum "+strconv.Itoa(m.Quorum))
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
// Like Redis, the settings before a bad one stay applied (the RESP server
// refuses a bad command whole with ParseSetArgs before it gets here).
// rename-command takes its two arguments in Value, separated by one space.
// Whether scripts may be reconfigured (deny-scripts-reconfig) and whether
// the script file is executable is the caller's business: the core does no
// I/O.
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
		opt, n, err := checkSetting(st.Name, st.Value)
		if err != nil {
			return err
		}
		opt.apply(c, m, st.Value, n)
		changes++
		shown := st.Value
		if opt.secret {
			shown = "******"
		}
		c.event(EventSet, LevelWarning, m.inst, st.Name+" "+shown)
	}
	return nil
}

// setOption is one SENTINEL SET option. setOptions is the only place the
// options and their rules are written: the RESP server reads a command
// with ParseSetArgs and Set checks each setting again with checkSetting,
// since the core trusts no caller.
type setOption struct {
	// words is how many arguments the value takes (rename-command: two,
	// joined by one space in Setting.Value).
	words int
	// number: the value is a count or milliseconds in min..maxSetting.
	number bool
	min    int64
	// secret values are masked in the +set event.
	secret bool
	// yesNo: the value is yes or no (any case).
	yesNo bool
	apply func(c *Core, m *master, value string, n int64)
}

// maxSetting bounds every number SENTINEL SET and DEBUG take (2^40 ms is
// 34 years), well inside what both configuration formats read back.
const maxSetting = 1 << 40

var setOptions = map[string]setOption{
	"down-after-milliseconds": {words: 1, number: true, min: 1, apply: func(_ *Core, m *master, _ string, n int64) { m.DownAfter = millis(n) }},
	"failover-timeout":        {words: 1, number: true, min: 1, apply: func(_ *Core, m *master, _ string, n int64) { m.FailoverTimeout = millis(n) }},
	"parallel-syncs":          {words: 1, number: true, min: 1, apply: func(_ *Core, m *master, _ string, n int64) { m.ParallelSyncs = int(n) }},
	"quorum":                  {words: 1, number: true, min: settings.MinQuorum, apply: func(_ *Core, m *master, _ string, n int64) { m.Quorum = int(n) }},
	"master-reboot-down-after-period": {words: 1, number: true, min: 0, apply: func(_ *Core, m *master, _ string, n int64) {
		m.RebootDownAfter = millis(n)
	}},
	"notification-script":    {words: 1, apply: func(_ *Core, m *master, v string, _ int64) { m.NotificationScript = v }},
	"client-reconfig-script": {words: 1, apply: func(_ *Core, m *master, v string, _ int64) { m.ClientReconfigScript = v }},
	"auth-pass": {words: 1, secret: true, apply: func(c *Core, m *master, v string, _ int64) {
		m.AuthPass = settings.Secret(v)
		c.dropConnections(m)
	}},
	"auth-user": {words: 1, apply: func(c *Core, m *master, v string, _ int64) {
		m.AuthUser = v
		c.dropConnections(m)
	}},
	"forget-after": {words: 1, number: true, min: 0, apply: func(_ *Core, m *master, _ string, n int64) { m.ForgetAfter = millis(n) }},
	"fencing": {words: 1, yesNo: true, apply: func(_ *Core, m *master, v string, _ int64) {
		m.Fencing = strings.EqualFold(v, "yes")
	}},
	// tls is ours: TLS or plain TCP towards this master and its replicas
	// (sentinel tls <master>). The supervisor re-dials the links once
	// the snapshot shows the new choice, so no Reconnect here.
	"tls": {words: 1, yesNo: true, apply: func(_ *Core, m *master, v string, _ int64) {
		m.TLS = strings.ToLower(v)
	}},
	"rename-command": {words: 2, apply: func(_ *Core, m *master, v string, _ int64) {
		from, to, _ := strings.Cut(v, " ")
		for k := range m.RenameCommands {
			if strings.EqualFold(k, from) {
				delete(m.RenameCommands, k)
			}
		}
		if !strings.EqualFold(from, to) {
			m.RenameCommands[from] = to
		}
	}},
}

// setAliases are Valkey's names for SENTINEL SET options.
var setAliases = map[string]string{"primary-reboot-down-after-period": "master-reboot-down-after-period"}

// lookupSetOption finds an option by any-case name or alias, returning its
// canonical name.
func lookupSetOption(name string) (string, setOption, bool) {
	canon := strings.ToLower(name)
	if alias, ok := setAliases[canon]; ok {
		canon = alias
	}
	opt, ok := setOptions[canon]
	return canon, opt, ok
}

// checkSetting checks one SENTINEL SET option and value against
// setOptions, with Redis's error texts naming the option as written; n is
// the value of a number.
func checkSetting(name, value string) (setOption, int64, error) {
	_, opt, ok := lookupSetOption(name)
	if !ok {
		return opt, 0, unknownOption("SET", name)
	}
	bad := func(v string) error {
		return errMsg(fmt.Sprintf("Invalid argument '%s' for SENTINEL SET '%s'", clip(v), clip(name)))
	}
	if opt.number {
		n, ok := parseSettingNumber(value, opt.min)
		if !ok {
			return opt, 0, bad(value)
		}
		return opt, n, nil
	}
	if opt.yesNo && !strings.EqualFold(value, "yes") && !strings.EqualFold(value, "no") {
		return opt, 0, bad(value)
	}
	if opt.words == 2 {
		from, to, ok := strings.Cut(value, " ")
		if !ok || from == "" || to == "" || strings.Contains(to, " ") {
			v := to
			if to != "" && from == "" {
				v = from
			}
			return opt, 0, bad(v)
		}
	}
	return opt, 0, nil
}

// ParseSetArgs reads the arguments of SENTINEL SET after the master name
// into settings with canonical lower-case names, checking each as Set
// will. It refuses the whole command at the first problem, so nothing is
// applied half way.
func ParseSetArgs(args []string) ([]Setting, error) {
	var out []Setting
	for j := 0; j < len(args); j++ {
		canon, opt, ok := lookupSetOption(args[j])
		if !ok || len(args)-1-j < opt.words {
			return nil, unknownOption("SET", args[j])
		}
		value := strings.Join(args[j+1:j+1+opt.words], " ")
		if _, _, err := checkSetting(args[j], value); err != nil {
			return nil, err
		}
		out = append(out, Setting{Name: canon, Value: value})
		j += opt.words
	}
	return out, nil
}

// parseSettingNumber reads a number as Redis's string2ll does (decimal
// digits only, no sign, no leading zero) and wants it in least..maxSetting.
func parseSettingNumber(s string, least int64) (int64, bool) {
	if s == "" || len(s) > 13 || (s[0] == '0' && len(s) > 1) { // 2^40 has 13 digits
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, n >= least && n <= maxSetting
}

func millis(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// clip bounds a client's word echoed in an error reply.
func clip(s string) string {
	if len(s) > 128 {
		return s[:128]
	}
	return s
}

func unknownOption(command, name string) error {
	return errMsg(fmt.Sprintf("Unknown option or number of arguments for SENTINEL %s '%s'", command, clip(name)))
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
		if !glob.Match(pattern, m.name) {
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
	if err := c.raftMayFailover(); err != nil {
		return err
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

// usableSentinels counts m's sentinels, this one included, that are not
// SDOWN or ODOWN, as SENTINEL CKQUORUM counts them.
func usableSentinels(m *master) int {
	usable := 1 // ourselves
	for _, s := range m.sentinels {
		if s.flags&(FlagSDown|FlagODown) == 0 {
			usable++
		}
	}
	return usable
}

// CKQuorum reports the usable sentinels (SENTINEL CKQUORUM), or a
// CommandError with code NOQUORUM.
func (c *Core) CKQuorum(at time.Time, name string) (usable int, err error) {
	c.now = at
	m := c.masterByName(name)
	if m == nil {
		return 0, errNoSuchMaster
	}
	usable = usableSentinels(m)
	voters := len(m.sentinels) + 1
	noQuorum := usable < m.Quorum
	noAuth := usable < election.Majority(voters)
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

// CurrentEpoch is the current epoch (what a durable record of a vote
// keeps beside the vote).
func (c *Core) CurrentEpoch() uint64 { return c.currentEpoch }

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
	reply.Master = m.name
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
			c.raftStartOnODown(m, at)
		}
	}
	// Raft mode never votes; a paused master gets no vote from us.
	if req.RunID != "*" && req.RunID != "" && !c.raftRefusesVote(m, req) && !c.pausedAt(m.name, at) {
		c.voteLeader(m, req.CurrentEpoch, req.RunID, at)
		if m.leader != "" {
			reply.Leader = m.leader
		}
		reply.LeaderEpoch = m.leaderEpoch
	}
	return reply
}

// debugTimerNames are the SENTINEL DEBUG names, in the order Redis
// prints them.
var debugTimerNames = [...]string{
	"INFO-PERIOD", "PING-PERIOD", "ASK-PERIOD", "PUBLISH-PERIOD", "DEFAULT-DOWN-AFTER",
	"DEFAULT-FAILOVER-TIMEOUT", "TILT-TRIGGER", "TILT-PERIOD", "SLAVE-RECONF-TIMEOUT",
	"MIN-LINK-RECONNECT-PERIOD", "ELECTION-TIMEOUT", "SCRIPT-MAX-RUNTIME", "SCRIPT-RETRY-DELAY",
}

// debugTimer is the timer debugTimerNames[k] names (the array's length
// makes the compiler check that every name has one).
func (t *Timers) debugTimer(k int) *time.Duration {
	return [len(debugTimerNames)]*time.Duration{
		&t.InfoPeriod, &t.PingPeriod, &t.AskPeriod, &t.PublishPeriod, &t.DefaultDownAfter,
		&t.DefaultFailoverTimeout, &t.TiltTrigger, &t.TiltPeriod, &t.SlaveReconfTimeout,
		&t.MinLinkReconnectPeriod, &t.ElectionTimeout, &t.ScriptMaxRuntime, &t.ScriptRetryDelay,
	}[k]
}

// checkDebug checks one SENTINEL DEBUG name and value (milliseconds, in
// 1..maxSetting), returning the index of its name in debugTimerNames.
func checkDebug(name, value string) (int, time.Duration, error) {
	for k, timer := range debugTimerNames {
		if !strings.EqualFold(timer, name) {
			continue
		}
		n, ok := parseSettingNumber(value, 1)
		if !ok {
			return 0, 0, errMsg(fmt.Sprintf("Invalid argument '%s' for SENTINEL DEBUG '%s'", clip(value), clip(name)))
		}
		return k, millis(n), nil
	}
	return 0, 0, unknownOption("DEBUG", name)
}

// ParseDebugArgs reads the arguments of SENTINEL DEBUG into settings with
// lower-case names, checking each as Debug will, and refuses the whole
// command at the first problem.
func ParseDebugArgs(args []string) ([]Setting, error) {
	var out []Setting
	for j := 0; j < len(args); j += 2 {
		if j+1 == len(args) {
			return nil, unknownOption("DEBUG", args[j])
		}
		if _, _, err := checkDebug(args[j], args[j+1]); err != nil {
			return nil, err
		}
		out = append(out, Setting{Name: strings.ToLower(args[j]), Value: args[j+1]})
	}
	return out, nil
}

// Debug overrides timers by their SENTINEL DEBUG names (any case), values
// in milliseconds, each > 0. Like Redis, settings before a bad one stay
// applied.
func (c *Core) Debug(settings []Setting) error {
	for _, st := range settings {
		k, d, err := checkDebug(st.Name, st.Value)
		if err != nil {
			return err
		}
		*c.timers.debugTimer(k) = d
	}
	return nil
}

// DebugValues lists the timers as SENTINEL DEBUG prints them, in its order:
// upper-case names, values in milliseconds.
func (c *Core) DebugValues() []Setting {
	out := make([]Setting, len(debugTimerNames))
	for k, name := range debugTimerNames {
		out[k] = Setting{Name: name, Value: strconv.FormatInt(c.timers.debugTimer(k).Milliseconds(), 10)}
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
